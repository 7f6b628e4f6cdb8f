"""A knowledge base that learns from review decisions.

* An approved match teaches its fact the customer's wording: the question text becomes an
  alternate question of the fact (numbering stripped, deduplicated), which bumps the fact's
  version so cached matching engines rebuild. Next time the same wording matches outright.
* A hand-written answer can be turned into a *proposed* fact; an approver accepts it (it becomes
  active and is used for matching) or retires it.

Both write an audit row. Callers own the transaction (``conn``) and the permission check.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from answerers.text import normalise, strip_leading_id
from knowledge import store
from knowledge.model import Fact, fact_id_from_question
from trustfill import audit
from trustfill.db import questionnaires as questionnaires_table
from trustfill.errors import Conflict, TrustfillError

LEARN_FROM_ORIGINS = ("auto", "picked")  # the answer is the fact's own, as matched or chosen
PROPOSE_FROM_ORIGINS = ("manual", "edited")  # the reviewer wrote the answer
MAX_ALTERNATES = 200  # a fact asked in more ways than this is better split than grown


def clean_wording(text: str) -> str:
    """The question as the customer wrote it, minus numbering ("1.2", "Q12.", "a)") and extra spaces."""
    return " ".join(strip_leading_id(" ".join((text or "").split())).split())


def wording_key(text: str) -> str:
    """Two wordings with the same key match identically, so the second teaches nothing."""
    return normalise(text)


def learn_from_approval(conn: Connection, row: dict, actor: str) -> str | None:
    """Add the approved question's wording to its fact. Returns the fact ID, or None if nothing learned."""
    if row.get("review_status") != "approved" or row.get("origin") not in LEARN_FROM_ORIGINS:
        return None
    if not row.get("fact_id"):
        return None
    fact = store.find_fact(conn, row["fact_id"])
    if fact is None or fact.status != "active":
        return None
    wording = clean_wording(row["text"])
    key = wording_key(wording)
    if not key or any(wording_key(q) == key for q in fact.all_questions):
        return None
    if len(fact.alternate_questions) >= MAX_ALTERNATES:
        return None
    before = list(fact.alternate_questions)
    updated = fact.model_copy(update={"alternate_questions": [*before, wording]})
    saved = store.save_fact(conn, updated, expected_version=fact.version)
    audit.record(conn, actor, "fact_edit", "fact", fact.id, reason="learned", question=row["id"],
                 questionnaire=row.get("questionnaire_id"), added_alternate=wording,
                 changes={"alternate_questions": {"before": before, "after": saved.alternate_questions}},
                 version=saved.version)
    return fact.id


def _free_id(conn: Connection, wanted: str) -> str:
    candidate, n = wanted, 1
    while store.find_fact(conn, candidate) is not None:
        n += 1
        candidate = f"{wanted}-{n}"
    return candidate


def propose_from_answer(conn: Connection, row: dict, actor: str, *, fact_id: str | None = None,
                        question: str | None = None, category: str = "",
                        product: str | None = None) -> Fact:
    """Turn a reviewer's hand-written answer into a proposed fact (not used for matching until accepted)."""
    if row.get("origin") not in PROPOSE_FROM_ORIGINS or not (row.get("answer") or "").strip():
        raise TrustfillError(f"Question {row['id']} has no hand-written answer to turn into a fact; "
                             "write the answer first (an answer taken from a fact is already in the "
                             "knowledge base).")
    if product is None:
        product = conn.execute(sa.select(questionnaires_table.c.product).where(
            questionnaires_table.c.id == row["questionnaire_id"])).scalar() or ""
    text = clean_wording(question or row["text"])
    if fact_id:
        if store.find_fact(conn, fact_id) is not None:
            raise Conflict(f"A fact with ID '{fact_id}' already exists; choose another ID.")
    else:
        fact_id = _free_id(conn, fact_id_from_question(text))
    fact = Fact(id=fact_id, question=text, answer=row["answer"], comment=row.get("comment") or "",
                category=category, product=product, owner=actor, status="proposed",
                source=f"proposed from questionnaire {row['questionnaire_id']}, "
                       f"{row['sheet']} row {row['row']}")
    saved = store.save_fact(conn, fact, expected_version=None)
    audit.record(conn, actor, "fact_propose", "fact", saved.id, question=row["id"],
                 questionnaire=row["questionnaire_id"], after=saved.model_dump(mode="json"))
    return saved


def accepted(fact: Fact, actor: str, today: dt.date | None = None) -> Fact:
    """The proposed fact as an approver accepts it: active, reviewed today, owned by that approver
    (who can edit it; the editor who proposed it could not keep it fresh)."""
    if fact.status != "proposed":
        raise Conflict(f"Fact '{fact.id}' is {fact.status}, not proposed; "
                       "only a proposed fact can be accepted.")
    return fact.model_copy(update={"status": "active", "last_reviewed": today or dt.date.today(),
                                   "owner": actor})
