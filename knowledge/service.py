"""Knowledge-base actions of the service layer (mixed into ``trustfill.service.Service``)."""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from knowledge import import_diff, proposals, store
from knowledge import io as kb_io
from knowledge.import_diff import ImportPreview
from knowledge.model import Fact
from knowledge.proposal_ops import close_fact_proposals
from trustfill.errors import Conflict

SAMPLE_FACTS = Path(__file__).parent / "sample" / "facts.yaml"
SAMPLE_QUESTIONNAIRE = SAMPLE_FACTS.parent / "sample_questionnaire.xlsx"  # Acme asks about `planner`


@dataclass
class ImportResult:
    path: str
    added: int
    updated: int  # facts whose content changed (unchanged ones are skipped, not rewritten)
    removed: int
    total: int
    unchanged: int = 0
    overwritten: int = 0  # conflicts written over because the import was forced
    preview: ImportPreview | None = None


def _conflict_message(preview: ImportPreview) -> str:
    shown = ", ".join(f"{c.id} (now version {c.kb_version}, file has version {c.file_version})"
                      for c in preview.conflicts[:5])
    more = f" and {len(preview.conflicts) - 5} more" if len(preview.conflicts) > 5 else ""
    return (f"{Path(preview.path).name}: {len(preview.conflicts)} fact(s) were edited in the knowledge base after "
            f"this file was exported, and importing would overwrite those edits: {shown}{more}. Nothing was "
            f"imported. See the differences with `trustfill kb import {preview.path} --dry-run` (or the app's "
            "import preview); export again and redo your changes, or import with --force (in the app: confirm "
            "the overwrite) to overwrite them.")


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
    def _preview(self, conn, path: str, new_facts: list[Fact], replace: bool) -> ImportPreview:
        existing = {f.id: f for f in store.list_facts(conn, statuses=None)}
        return import_diff.preview(path, new_facts, existing, replace=replace)

    def preview_import(self, path: str | os.PathLike, *, replace: bool = False,
                       display_name: str | None = None) -> ImportPreview:
        """What ``import_library`` would do with this file (added, changed field by field, unchanged,
        conflicts, removed); reads the file and the knowledge base, writes nothing (not even audit)."""
        self.require("read")
        new_facts = kb_io.read_library(path, self.limits)
        with self.tx() as conn:
            return self._preview(conn, str(display_name or path), new_facts, replace)

    def import_library(self, path: str | os.PathLike, *, replace: bool = False,
                       display_name: str | None = None, force: bool = False,
                       overwrite: Collection[str] | None = None) -> ImportResult:
        """All or nothing: the file is validated whole before the database is touched. Facts the file
        states exactly as the knowledge base does are skipped (no version bump); a fact edited since the
        file was exported is a conflict that stops the import unless ``force``. ``overwrite`` (the app's
        confirm): only these conflicting facts, the ones the user saw in the preview, may be overwritten; a
        fact edited since the preview is still a conflict."""
        self.require("import_kb", "import the knowledge base")
        new_facts = kb_io.read_library(path, self.limits)
        name = str(display_name or path)
        with self.tx() as conn:
            preview = self._preview(conn, name, new_facts, replace)
            if overwrite is not None:
                unseen = [c for c in preview.conflicts if c.id not in set(overwrite)]
                preview.conflicts = [c for c in preview.conflicts if c.id in set(overwrite)]
                force = True
                if unseen:
                    raise Conflict(_conflict_message(ImportPreview(name, replace, conflicts=unseen))
                                   .replace("after this file was exported", "after this file was exported and after "
                                            "the preview you confirmed"))
            if preview.conflicts and not force:
                raise Conflict(_conflict_message(preview))
            if preview.removed:
                store.delete_facts(conn, [f.id for f in preview.removed])
            added, updated = store.upsert_facts(conn, preview.to_write(force))
            total = store.count_facts(conn)
            overwritten = len(preview.conflicts) if force else 0
            self.audit(conn, "kb_import", "knowledge_base", display_name or Path(path).name,
                       replace=replace, added=added, updated=updated, removed=len(preview.removed),
                       unchanged=len(preview.unchanged), overwritten=overwritten,
                       changed={c.id: sorted(c.fields) for c in [*preview.changed, *preview.conflicts][:200]})
        return ImportResult(name, added, updated, len(preview.removed), total, unchanged=len(preview.unchanged),
                            overwritten=overwritten, preview=preview)

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
            if expected_version is None and fact.status == "proposed":
                # A proposed fact is a ``fact`` proposal: it waits in the one queue approvers decide from.
                proposal = proposals.propose_fact(conn, fact, actor=self.actor.username, source={
                    "origin": "knowledge base", "proposer": self.actor.username})
                return store.get_fact(conn, proposal.fact_id)
            saved = store.save_fact(conn, fact, expected_version=expected_version)
            if before is not None and before.status == "proposed" and saved.status != "proposed":
                # decided on the fact itself (its status edited): the queue follows
                close_fact_proposals(conn, fact.id, "accepted" if saved.status == "active" else "discarded",
                                     self.actor.username)
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
