"""Knowledge-base actions of the service layer (mixed into ``trustfill.service.Service``)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from knowledge import io as kb_io
from knowledge import store
from knowledge.model import Fact

SAMPLE_FACTS = Path(__file__).parent / "sample" / "facts.yaml"
SAMPLE_QUESTIONNAIRE = SAMPLE_FACTS.parent / "sample_questionnaire.xlsx"  # Acme asks about `planner`


@dataclass
class ImportResult:
    path: str
    added: int
    updated: int
    removed: int
    total: int


class KnowledgeOps:
    # ---- reading
    def facts(self, *, product: str | None = None, category: str | None = None, search: str | None = None,
              statuses=("active",)) -> list[Fact]:
        self.require("read")
        with self.tx() as conn:
            return store.list_facts(conn, product=product, category=category, search=search, statuses=statuses)

    def fact(self, fact_id: str) -> Fact:
        self.require("read")
        with self.tx() as conn:
            return store.get_fact(conn, fact_id)

    def products(self) -> list[str]:
        self.require("read")
        with self.tx() as conn:
            return store.products(conn)

    def product_counts(self) -> dict[str, int]:
        """Active facts per product; "" counts the product-less facts, used for every questionnaire."""
        self.require("read")
        with self.tx() as conn:
            return store.product_counts(conn)

    def categories(self) -> list[str]:
        self.require("read")
        with self.tx() as conn:
            return store.categories(conn)

    def fact_count(self) -> int:
        self.require("read")
        with self.tx() as conn:
            return store.count_facts(conn)

    # ---- import / export
    def import_library(self, path: str | os.PathLike, *, replace: bool = False,
                       display_name: str | None = None) -> ImportResult:
        """All or nothing: the file is validated whole before the database is touched."""
        self.require("import_kb", "import the knowledge base")
        new_facts = kb_io.read_library(path, self.limits)
        with self.tx() as conn:
            before = store.count_facts(conn)
            if replace:
                added, updated = store.replace_all(conn, new_facts), 0
                removed = before
            else:
                added, updated = store.upsert_facts(conn, new_facts)
                removed = 0
            total = store.count_facts(conn)
            self.audit(conn, "kb_import", "knowledge_base", display_name or Path(path).name,
                       replace=replace, added=added, updated=updated, removed=removed)
        return ImportResult(str(display_name or path), added, updated, removed, total)

    def import_sample(self, *, replace: bool = False) -> ImportResult:
        return self.import_library(SAMPLE_FACTS, replace=replace, display_name="sample knowledge base")

    def ensure_sample_loaded(self) -> bool:
        """First run of the app: an empty knowledge base gets the sample. Returns True if loaded."""
        if not self.actor.can("import_kb"):
            return False  # only someone who may import the knowledge base seeds it
        with self.tx() as conn:
            if store.count_facts(conn):
                return False
            sample = kb_io.read_library(SAMPLE_FACTS, self.limits)
            store.upsert_facts(conn, sample)
            self.audit(conn, "kb_import", "knowledge_base", "sample knowledge base", first_run=True,
                       added=len(sample))
        return True

    def export_library(self, path: str | os.PathLike, *, product: str | None = None) -> Path:
        self.require("read")
        with self.tx() as conn:
            facts = store.list_facts(conn, product=product, statuses=None)
            out = kb_io.write_library(facts, path)
            self.audit(conn, "kb_export", "knowledge_base", Path(path).name, facts=len(facts))
        return out

    # ---- editing
    def save_fact(self, fact: Fact, *, expected_version: int | None) -> Fact:
        """Create (expected_version None) or edit a fact; an editor's new fact is only proposed."""
        if expected_version is None and not self.actor.can("edit_fact"):
            self.require("propose_fact", "propose a fact")
            fact = fact.model_copy(update={"status": "proposed"})
        else:
            self.require("edit_fact", "edit facts")
        with self.tx() as conn:
            before = store.find_fact(conn, fact.id)
            saved = store.save_fact(conn, fact, expected_version=expected_version)
            if before is None:
                action = "fact_propose" if saved.status == "proposed" else "fact_create"
                self.audit(conn, action, "fact", fact.id, after=saved.model_dump(mode="json"))
            else:
                changed = {k: {"before": v, "after": saved.model_dump(mode="json")[k]}
                           for k, v in before.model_dump(mode="json").items()
                           if k != "version" and saved.model_dump(mode="json")[k] != v}
                action = "fact_retire" if saved.status == "retired" and before.status != "retired" else (
                    "fact_accept" if before.status == "proposed" and saved.status == "active" else "fact_edit")
                self.audit(conn, action, "fact", fact.id, changes=changed)
        return saved

    def retire_fact(self, fact_id: str, *, expected_version: int) -> Fact:
        fact = self.fact(fact_id)
        return self.save_fact(fact.model_copy(update={"status": "retired"}), expected_version=expected_version)
