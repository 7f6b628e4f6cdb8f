"""Facts in the database: read, upsert, replace, edit with optimistic locking."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from knowledge.model import Fact
from trustfill.db import facts as facts_table
from trustfill.db import utcnow
from trustfill.errors import Conflict, NotFound

_FIELDS = [c for c in Fact.model_fields if c != "version"]


def _row_to_fact(row, keys: Sequence[str] | None = None) -> Fact:
    """``keys``: the result's column names, taken once for many rows (``row._mapping`` rebuilds them per row)."""
    data = dict(zip(keys, row, strict=True)) if keys is not None else dict(row._mapping)
    data.pop("created_at", None)
    data.pop("updated_at", None)
    return Fact.model_validate(data)


def _values(fact: Fact) -> dict:
    return {name: getattr(fact, name) for name in _FIELDS}


def get_fact(conn: Connection, fact_id: str) -> Fact:
    row = conn.execute(sa.select(facts_table).where(facts_table.c.id == fact_id)).first()
    if row is None:
        raise NotFound(f"No fact with ID '{fact_id}' in the knowledge base.")
    return _row_to_fact(row)


def find_fact(conn: Connection, fact_id: str) -> Fact | None:
    row = conn.execute(sa.select(facts_table).where(facts_table.c.id == fact_id)).first()
    return _row_to_fact(row) if row else None


def list_facts(conn: Connection, *, product: str | None = None, category: str | None = None,
               statuses: Sequence[str] | None = ("active",), search: str | None = None) -> list[Fact]:
    """Facts in ID order. ``product`` keeps that product's facts and the product-less ones."""
    stmt = sa.select(facts_table)
    if statuses:
        stmt = stmt.where(facts_table.c.status.in_(list(statuses)))
    if product:
        stmt = stmt.where(sa.or_(facts_table.c.product == "",
                                 sa.func.lower(facts_table.c.product) == product.lower()))
    if category:
        stmt = stmt.where(facts_table.c.category == category)
    # Sorted here, not by ORDER BY: collations differ between SQLite and PostgreSQL.
    rows = conn.execute(stmt)
    keys = list(rows.keys())
    result = sorted((_row_to_fact(r, keys) for r in rows), key=lambda f: f.id)
    if search:
        needle = search.lower()
        result = [f for f in result if needle in " ".join(
            [f.id, f.question, f.answer, f.comment, *f.alternate_questions, *f.tags]).lower()]
    return result


def count_facts(conn: Connection) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(facts_table)).scalar() or 0)


def products(conn: Connection) -> list[str]:
    rows = conn.execute(sa.select(facts_table.c.product).distinct().where(facts_table.c.product != ""))
    # Case-insensitive, then by the exact spelling: "HR" and "hr" tie on the first key, and a set's order of
    # ties changes with each process's string hashing (a PostgreSQL-vs-SQLite comparison failed on it).
    return sorted({r[0] for r in rows}, key=lambda c: (c.lower(), c))


def product_counts(conn: Connection, statuses: Sequence[str] = ("active",)) -> dict[str, int]:
    """Facts per product ("" for the product-less facts every questionnaire is matched against)."""
    stmt = (sa.select(facts_table.c.product, sa.func.count()).where(facts_table.c.status.in_(list(statuses)))
            .group_by(facts_table.c.product))
    return dict(sorted(((product or "", int(n)) for product, n in conn.execute(stmt)),
                       key=lambda item: item[0].lower()))


def categories(conn: Connection) -> list[str]:
    rows = conn.execute(sa.select(facts_table.c.category).distinct().where(facts_table.c.category != ""))
    # Case-insensitive, then by the exact spelling: "HR" and "hr" tie on the first key, and a set's order of
    # ties changes with each process's string hashing (a PostgreSQL-vs-SQLite comparison failed on it).
    return sorted({r[0] for r in rows}, key=lambda c: (c.lower(), c))


def upsert_facts(conn: Connection, new_facts: Iterable[Fact]) -> tuple[int, int]:
    """Insert new IDs, overwrite existing ones (bumping their version). Returns (added, updated)."""
    new_facts = list(new_facts)
    existing = {r[0]: r[1] for r in conn.execute(
        sa.select(facts_table.c.id, facts_table.c.version).where(
            facts_table.c.id.in_([f.id for f in new_facts])))} if new_facts else {}
    added = updated = 0
    now = utcnow()
    for fact in new_facts:
        if fact.id in existing:
            conn.execute(facts_table.update().where(facts_table.c.id == fact.id).values(
                **_values(fact), version=existing[fact.id] + 1, updated_at=now))
            updated += 1
        else:
            conn.execute(facts_table.insert().values(**_values(fact), version=1, created_at=now,
                                                     updated_at=now))
            added += 1
    return added, updated


def replace_all(conn: Connection, new_facts: Iterable[Fact]) -> int:
    conn.execute(facts_table.delete())
    added, _ = upsert_facts(conn, new_facts)
    return added


def save_fact(conn: Connection, fact: Fact, *, expected_version: int | None) -> Fact:
    """Create (expected_version None) or update a fact if nobody changed it since it was read."""
    now = utcnow()
    if expected_version is None:
        if find_fact(conn, fact.id) is not None:
            raise Conflict(f"A fact with ID '{fact.id}' already exists; choose another ID or edit that fact.")
        conn.execute(facts_table.insert().values(**_values(fact), version=1, created_at=now, updated_at=now))
    else:
        result = conn.execute(facts_table.update().where(
            facts_table.c.id == fact.id, facts_table.c.version == expected_version).values(
            **_values(fact), version=expected_version + 1, updated_at=now))
        if result.rowcount != 1:
            current = find_fact(conn, fact.id)
            if current is None:
                raise NotFound(f"No fact with ID '{fact.id}' in the knowledge base.")
            raise Conflict(f"Fact '{fact.id}' was changed by someone else (now version {current.version}, answer "
                           f"'{current.answer}'); reload it to see their change, then edit again.")
    return get_fact(conn, fact.id)


def delete_facts(conn: Connection, fact_ids: Sequence[str]) -> int:
    """Remove these facts (an import with replace drops what the file no longer has)."""
    removed = 0
    for start in range(0, len(fact_ids), 500):  # stay under SQLite's bound-parameter limit
        chunk = list(fact_ids[start:start + 500])
        removed += conn.execute(facts_table.delete().where(facts_table.c.id.in_(chunk))).rowcount
    return removed
