"""Proposals: knowledge-base changes that wait for an approver.

Three kinds, one queue, one way to decide:

* ``alternate``: a new wording of an existing fact (the customer's phrasing of an approved match, or a
  harvested question that an existing fact already answers the same way). Accepting adds it to the
  fact's alternate questions.
* ``fact``: a new fact (a reviewer's hand-written answer, or a harvested question nothing answers).
  The fact itself is stored with status ``proposed`` (never used for matching); accepting activates it,
  discarding retires it.
* ``conflict``: the same question answered differently than the fact says (a harvested file, or two
  files that disagree). Accepting takes the proposed answer and comment into the fact; discarding keeps
  the fact as it is.

Every proposal keeps its provenance (who or what proposed it, from which questionnaire, question, file,
sheet, cell, and when) as a list, so the same wording proposed twice is one proposal with two sources.
A discarded wording is remembered and never proposed again for that fact.

In ``auto`` learning mode an approval's wording is applied at once (status ``applied``) and undone when
the approval is reopened, rejected or its answer edited (status ``undone``).

Functions take the caller's transaction (``conn``); permission checks live in the service.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from answerers.text import normalise
from knowledge import store
from knowledge.model import Fact
from trustfill import audit
from trustfill.db import proposals as proposals_table
from trustfill.db import utcnow
from trustfill.errors import Conflict, NotFound, TrustfillError

KINDS = ("alternate", "fact", "conflict")
OPEN = ("pending",)
LEARNING_MODES = ("propose", "auto", "off")
DEFAULT_LEARNING = "propose"
MAX_ALTERNATES = 200  # a fact asked in more ways than this is better split than grown

# Form fields ("Vendor name", "Contact e-mail", "Date completed", "Website URL") identify the
# respondent; their wording says nothing about a security fact, so they never teach one.
_FORM_FIELD = re.compile(
    r"\b(name|e-?mail|email address|phone|telephone|fax|url|website|web site|address|title|date|"
    r"contact|signature|signed|job role|position|city|country|zip|postcode|postal code)\b", re.I)
_QUESTION_SHAPE = re.compile(
    r"\?|^\s*(do|does|did|is|are|was|were|has|have|had|can|could|will|would|should|shall|may|must|"
    r"how|what|which|who|whom|when|where|why|describe|explain|list|provide|please)\b", re.I)


def looks_like_form_field(text: str) -> bool:
    """A short label asking for the respondent's details, not a question about a practice."""
    words = (text or "").split()
    if not words or len(words) > 8:
        return False
    return bool(_FORM_FIELD.search(text)) and not _QUESTION_SHAPE.search(text)


def wording_key(text: str) -> str:
    """Two wordings with the same key match identically, so the second teaches nothing."""
    return normalise(text)


@dataclass
class Proposal:
    id: int
    kind: str
    fact_id: str
    wording: str
    payload: dict[str, Any] = field(default_factory=dict)
    sources: list[dict[str, Any]] = field(default_factory=list)
    status: str = "pending"
    created_by: str = ""
    created_at: dt.datetime | None = None
    decided_by: str = ""
    decided_at: dt.datetime | None = None

    @property
    def summary(self) -> str:
        if self.kind == "alternate":
            return f"new wording for {self.fact_id}: {self.wording}"
        if self.kind == "fact":
            return f"new fact {self.fact_id}: {self.wording}"
        return (f"conflict on {self.fact_id}: '{self.payload.get('answer', '')}' "
                f"vs the fact's '{self.payload.get('fact_answer', '')}'")


def _row(row) -> Proposal:
    m = row._mapping
    return Proposal(id=m["id"], kind=m["kind"], fact_id=m["fact_id"], wording=m["wording"],
                    payload=dict(m["payload"] or {}), sources=list(m["sources"] or []), status=m["status"],
                    created_by=m["created_by"], created_at=m["created_at"], decided_by=m["decided_by"] or "",
                    decided_at=m["decided_at"])


def _same(conn: Connection, kind: str, fact_id: str, key: str) -> Proposal | None:
    """The earlier proposal of this change, whatever became of it (so a discard is remembered)."""
    row = conn.execute(sa.select(proposals_table).where(
        proposals_table.c.kind == kind, proposals_table.c.fact_id == fact_id,
        proposals_table.c.key == key).order_by(proposals_table.c.id.desc())).first()
    return _row(row) if row else None


def _add_source(conn: Connection, proposal: Proposal, source: dict[str, Any]) -> Proposal:
    if source in proposal.sources:
        return proposal
    sources = [*proposal.sources, source]
    conn.execute(proposals_table.update().where(proposals_table.c.id == proposal.id).values(sources=sources))
    proposal.sources = sources
    return proposal


def _insert(conn: Connection, *, kind: str, fact_id: str, wording: str, key: str, payload: dict,
            source: dict, actor: str, status: str = "pending") -> Proposal:
    result = conn.execute(proposals_table.insert().values(
        kind=kind, fact_id=fact_id, wording=wording, key=key, payload=audit._jsonable(payload),
        sources=[audit._jsonable(source)], status=status, created_by=actor, created_at=utcnow()))
    return get(conn, int(result.inserted_primary_key[0]))


def get(conn: Connection, proposal_id: int) -> Proposal:
    row = conn.execute(sa.select(proposals_table).where(proposals_table.c.id == proposal_id)).first()
    if row is None:
        raise NotFound(f"No proposal with ID {proposal_id}; `trustfill kb proposals` lists them.")
    return _row(row)


def list_proposals(conn: Connection, *, statuses: tuple[str, ...] | None = OPEN, kind: str | None = None,
                   fact_id: str | None = None) -> list[Proposal]:
    stmt = sa.select(proposals_table).order_by(proposals_table.c.id)
    if statuses:
        stmt = stmt.where(proposals_table.c.status.in_(list(statuses)))
    if kind:
        stmt = stmt.where(proposals_table.c.kind == kind)
    if fact_id:
        stmt = stmt.where(proposals_table.c.fact_id == fact_id)
    return [_row(r) for r in conn.execute(stmt)]


# ---- proposing
def propose_alternate(conn: Connection, fact_id: str, wording: str, *, actor: str, source: dict[str, Any],
                      apply: bool = False) -> Proposal | None:
    """A new wording of ``fact_id``; None when it teaches nothing (known, discarded, a form field).

    ``apply`` (learning mode ``auto``): the wording goes into the fact at once, recorded as ``applied``
    so that reopening the approval can undo it.
    """
    wording = " ".join((wording or "").split())
    key = wording_key(wording)
    fact = store.find_fact(conn, fact_id)
    if not key or fact is None or fact.status == "retired" or looks_like_form_field(wording):
        return None
    if any(wording_key(q) == key for q in fact.all_questions):
        return None
    earlier = _same(conn, "alternate", fact_id, key)
    if earlier is not None and earlier.status in ("pending", "discarded", "applied", "accepted"):
        return _add_source(conn, earlier, source) if earlier.status == "pending" else None
    if len(fact.alternate_questions) >= MAX_ALTERNATES:
        return None
    proposal = _insert(conn, kind="alternate", fact_id=fact_id, wording=wording, key=key, payload={},
                       source=source, actor=actor, status="applied" if apply else "pending")
    audit.record(conn, actor, "proposal_add", "proposal", proposal.id, kind="alternate", fact_id=fact_id,
                 wording=wording, source=source, applied=apply)
    if apply:
        _add_alternate(conn, fact, wording, actor, proposal.id)
    return proposal


def propose_fact(conn: Connection, fact: Fact, *, actor: str, source: dict[str, Any],
                 wordings: list[str] | None = None) -> Proposal:
    """A new fact, stored as ``proposed`` (not matched against) until an approver accepts it."""
    saved = store.save_fact(conn, fact.model_copy(update={"status": "proposed"}), expected_version=None)
    proposal = _insert(conn, kind="fact", fact_id=saved.id, wording=saved.question,
                       key=wording_key(saved.question), payload={"wordings": wordings or []},
                       source=source, actor=actor)
    audit.record(conn, actor, "fact_propose", "fact", saved.id, proposal=proposal.id, source=source,
                 after=saved.model_dump(mode="json"))
    return proposal


def join_fact(conn: Connection, proposal: Proposal, wording: str, *, source: dict[str, Any]) -> Proposal:
    """The same new fact asked again (another file, another wording): one proposal, every wording and source.

    Accepting the fact proposal adds the extra wordings as its alternate questions."""
    if proposal.kind != "fact" or proposal.status != "pending":
        return proposal
    wording = " ".join((wording or "").split())
    wordings = list(proposal.payload.get("wordings", []))
    known = {wording_key(proposal.wording), *(wording_key(w) for w in wordings)}
    if wording and wording_key(wording) not in known and not looks_like_form_field(wording):
        payload = {**proposal.payload, "wordings": [*wordings, wording]}
        conn.execute(proposals_table.update().where(proposals_table.c.id == proposal.id).values(payload=payload))
        proposal.payload = payload
    return _add_source(conn, proposal, audit._jsonable(source))


def propose_conflict(conn: Connection, fact_id: str, *, question: str, answer: str, comment: str, actor: str,
                     source: dict[str, Any]) -> Proposal | None:
    """``question`` answered ``answer`` where fact ``fact_id`` says otherwise: a person settles it."""
    fact = store.get_fact(conn, fact_id)
    key = wording_key(f"{answer} || {comment}")
    earlier = _same(conn, "conflict", fact_id, key)
    if earlier is not None and earlier.status in ("pending", "discarded", "accepted"):
        return _add_source(conn, earlier, source) if earlier.status == "pending" else None
    payload = {"question": question, "answer": answer, "comment": comment,
               "fact_answer": fact.answer, "fact_comment": fact.comment, "fact_version": fact.version}
    proposal = _insert(conn, kind="conflict", fact_id=fact_id, wording=" ".join(question.split()), key=key,
                       payload=payload, source=source, actor=actor)
    audit.record(conn, actor, "proposal_add", "proposal", proposal.id, kind="conflict", fact_id=fact_id,
                 answer=answer, fact_answer=fact.answer, source=source)
    return proposal


# ---- deciding
def _add_alternate(conn: Connection, fact: Fact, wording: str, actor: str, proposal_id: int) -> Fact:
    before = list(fact.alternate_questions)
    saved = store.save_fact(conn, fact.model_copy(update={"alternate_questions": [*before, wording]}),
                            expected_version=fact.version)
    audit.record(conn, actor, "fact_edit", "fact", fact.id, reason="learned", proposal=proposal_id,
                 added_alternate=wording,
                 changes={"alternate_questions": {"before": before, "after": saved.alternate_questions}},
                 version=saved.version)
    return saved


def _decided(conn: Connection, proposal: Proposal, status: str, actor: str) -> Proposal:
    result = conn.execute(proposals_table.update().where(
        proposals_table.c.id == proposal.id, proposals_table.c.status == proposal.status).values(
        status=status, decided_by=actor, decided_at=utcnow()))
    if result.rowcount != 1:
        raise Conflict(f"Proposal {proposal.id} was decided by someone else meanwhile; reload.")
    return get(conn, proposal.id)


def accept(conn: Connection, proposal_id: int, *, actor: str, today: dt.date | None = None) -> Proposal:
    proposal = get(conn, proposal_id)
    if proposal.status != "pending":
        raise Conflict(f"Proposal {proposal_id} is {proposal.status}, not pending; nothing to accept.")
    fact = store.get_fact(conn, proposal.fact_id)
    if proposal.kind == "alternate":
        if not any(wording_key(q) == wording_key(proposal.wording) for q in fact.all_questions):
            _add_alternate(conn, fact, proposal.wording, actor, proposal.id)
    elif proposal.kind == "fact":
        if fact.status != "proposed":
            raise Conflict(f"Fact '{fact.id}' is {fact.status}, not proposed; discard this proposal instead.")
        wordings = [w for w in proposal.payload.get("wordings", []) if wording_key(w) != wording_key(fact.question)]
        store.save_fact(conn, fact.model_copy(update={
            "status": "active", "last_reviewed": fact.last_reviewed or today or dt.date.today(), "owner": actor,
            "alternate_questions": [*fact.alternate_questions, *wordings]}), expected_version=fact.version)
        audit.record(conn, actor, "fact_accept", "fact", fact.id, proposal=proposal.id)
    elif proposal.kind == "conflict":
        # What it answers changed since the conflict was found (a new wording or the fact's own acceptance
        # does not: a harvest's conflict with its own new fact is accepted after that fact, in one batch).
        if (fact.answer, fact.comment) != (proposal.payload.get("fact_answer"), proposal.payload.get("fact_comment")):
            raise Conflict(f"Fact '{fact.id}' changed since this conflict was found (now '{fact.answer}'); "
                           "discard the proposal or edit the fact by hand.")
        before = {"answer": fact.answer, "comment": fact.comment}
        after = {"answer": proposal.payload["answer"], "comment": proposal.payload.get("comment", "")}
        store.save_fact(conn, fact.model_copy(update={**after, "last_reviewed": today or dt.date.today()}),
                        expected_version=fact.version)
        audit.record(conn, actor, "fact_edit", "fact", fact.id, reason="conflict settled", proposal=proposal.id,
                     changes={k: {"before": before[k], "after": after[k]} for k in after})
    decided = _decided(conn, proposal, "accepted", actor)
    audit.record(conn, actor, "proposal_accept", "proposal", proposal.id, kind=proposal.kind,
                 fact_id=proposal.fact_id, wording=proposal.wording, **_files(proposal))
    return decided


def _files(proposal: Proposal) -> dict[str, list[str]]:
    """The harvested files a decision rests on (by SHA-256), for the audit trail."""
    hashes = sorted({s["sha256"] for s in proposal.sources if s.get("sha256")})
    return {"sha256": hashes} if hashes else {}


def discard(conn: Connection, proposal_id: int, *, actor: str) -> Proposal:
    proposal = get(conn, proposal_id)
    if proposal.status != "pending":
        raise Conflict(f"Proposal {proposal_id} is {proposal.status}, not pending; nothing to discard.")
    if proposal.kind == "fact":
        fact = store.find_fact(conn, proposal.fact_id)
        if fact is not None and fact.status == "proposed":
            store.save_fact(conn, fact.model_copy(update={"status": "retired"}), expected_version=fact.version)
            audit.record(conn, actor, "fact_retire", "fact", fact.id, proposal=proposal.id)
    decided = _decided(conn, proposal, "discarded", actor)
    audit.record(conn, actor, "proposal_discard", "proposal", proposal.id, kind=proposal.kind,
                 fact_id=proposal.fact_id, wording=proposal.wording, **_files(proposal))
    return decided


def undo_applied(conn: Connection, question_source: dict[str, Any], *, actor: str, reason: str) -> list[int]:
    """``auto`` mode: take back what an approval taught, now that it was reopened, rejected or edited."""
    undone = []
    for proposal in list_proposals(conn, statuses=("applied",), kind="alternate"):
        if not any(all(s.get(k) == v for k, v in question_source.items()) for s in proposal.sources):
            continue
        fact = store.find_fact(conn, proposal.fact_id)
        if fact is not None:
            kept = [q for q in fact.alternate_questions if wording_key(q) != wording_key(proposal.wording)]
            if kept != fact.alternate_questions:
                store.save_fact(conn, fact.model_copy(update={"alternate_questions": kept}),
                                expected_version=fact.version)
                audit.record(conn, actor, "fact_edit", "fact", fact.id, reason=f"learning undone ({reason})",
                             proposal=proposal.id, removed_alternate=proposal.wording,
                             changes={"alternate_questions": {"before": fact.alternate_questions, "after": kept}})
        _decided(conn, proposal, "undone", actor)
        undone.append(proposal.id)
    return undone


def check_mode(mode: str) -> str:
    value = (mode or "").strip().lower()
    if value not in LEARNING_MODES:
        raise TrustfillError(f"Unknown learning mode '{mode}'. Choose one of: {', '.join(LEARNING_MODES)} "
                             "(propose: approvals wait for an approver; auto: applied at once, undone on "
                             "reopen; off: approvals teach nothing).")
    return value
