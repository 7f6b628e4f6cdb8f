"""A knowledge base that learns from review decisions.

* An approved match teaches its fact the customer's wording: the question text becomes a proposed
  alternate question of the fact (numbering stripped, deduplicated; knowledge/proposals.py), which an
  approver accepts or discards. In the team's ``auto`` learning mode it is applied at once and undone
  when the approval is reopened, rejected or edited; in ``off`` nothing is learned.
* A hand-written answer can be turned into a *proposed* fact; an approver accepts it (it becomes
  active and is used for matching) or retires it.

Both write an audit row. Callers own the transaction (``conn``) and the permission check.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from answerers.text import strip_leading_id
from knowledge import proposals, store
from knowledge.model import Fact, fact_id_from_question
from knowledge.proposals import Proposal
from trustfill.db import questionnaires as questionnaires_table
from trustfill.db import utcnow
from trustfill.errors import Conflict, TrustfillError

LEARN_FROM_ORIGINS = ("auto", "picked")  # the answer is the fact's own, as matched or chosen
PROPOSE_FROM_ORIGINS = ("manual", "edited")  # the reviewer wrote the answer


def clean_wording(text: str) -> str:
    """The question as the customer wrote it, minus numbering ("1.2", "Q12.", "a)") and extra spaces."""
    return " ".join(strip_leading_id(" ".join((text or "").split())).split())


def learn_from_approval(conn: Connection, row: dict, actor: str, *, mode: str = "propose") -> Proposal | None:
    """What the approved question's wording teaches its fact, under the team's learning ``mode``:
    ``propose`` queues it for an approver, ``auto`` applies it at once (undone on reopen), ``off``
    teaches nothing. Returns the proposal, or None if nothing was learned."""
    if mode == "off" or row.get("review_status") != "approved" or row.get("origin") not in LEARN_FROM_ORIGINS:
        return None
    if not row.get("fact_id"):
        return None
    fact = store.find_fact(conn, row["fact_id"])
    if fact is None or fact.status != "active":
        return None
    source = {"origin": "approval", "questionnaire": row.get("questionnaire_id"), "question": row["id"],
              "sheet": row.get("sheet"), "row": row.get("row"), "approver": actor,
              "at": utcnow().isoformat(timespec="seconds")}
    return proposals.propose_alternate(conn, fact.id, clean_wording(row["text"]), actor=actor, source=source,
                                       apply=mode == "auto")


def undo_learning(conn: Connection, row: dict, actor: str, *, reason: str) -> list[int]:
    """``auto`` mode: the approval that taught a wording was reopened, rejected or edited."""
    return proposals.undo_applied(conn, {"origin": "approval", "question": row["id"]}, actor=actor, reason=reason)


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
    proposal = proposals.propose_fact(conn, fact, actor=actor, source={
        "origin": "answer", "questionnaire": row["questionnaire_id"], "question": row["id"],
        "sheet": row.get("sheet"), "row": row.get("row"), "proposer": actor})
    return store.get_fact(conn, proposal.fact_id)


def accepted(fact: Fact, actor: str, today: dt.date | None = None) -> Fact:
    """The proposed fact as an approver accepts it: active, reviewed today, owned by that approver
    (who can edit it; the editor who proposed it could not keep it fresh)."""
    if fact.status != "proposed":
        raise Conflict(f"Fact '{fact.id}' is {fact.status}, not proposed; "
                       "only a proposed fact can be accepted.")
    return fact.model_copy(update={"status": "active", "last_reviewed": today or dt.date.today(),
                                   "owner": actor})
