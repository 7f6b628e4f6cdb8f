"""Harvest filled questionnaires into the knowledge base, as proposals an approver decides.

Each answered question (``knowledge.harvest_read``) is looked up among what is already known, with the
matching engine and thresholds answering uses (``trustfill.workspace.matching.engine_for``):

* the same wording as an active fact, or a match the engine would suggest: the same answer proposes the
  wording as an alternate question of that fact (nothing, if the fact has it); a different answer (or,
  for the fact's own wording, a different explanation) proposes a conflict, side by side;
* the same question as a pending harvested fact (same wording, or an engine match among the pending
  facts): one proposal gathers every wording and source; a different answer is a conflict with it;
* otherwise a new fact, stored ``proposed`` (never matched until accepted).

A proposal once decided is not proposed again, and a source already recorded is not added twice, so
harvesting the same file again proposes nothing new.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from answerers import Match, MatchSettings
from knowledge import proposals as kb_proposals
from knowledge import store
from knowledge.harvest_read import Answered, FilledFile, canonical_answer, same_answer
from knowledge.model import Fact, fact_id_from_question
from knowledge.proposals import Proposal, wording_key
from trustfill.db import proposals as proposals_table
from trustfill.workspace.matching import engine_for

PROGRESS_EVERY = 100  # items between progress reports


@dataclass
class FileOutcome:
    name: str
    sha256: str
    answered: int
    form_fields: int
    unanswered: int
    skipped: list[tuple[str, str]]
    new: Counter = field(default_factory=Counter)  # new proposals by kind
    known: int = 0  # answered questions that taught nothing new

    @property
    def proposed(self) -> int:
        return sum(self.new.values())


@dataclass
class HarvestResult:
    files: list[FileOutcome] = field(default_factory=list)
    new_ids: list[int] = field(default_factory=list)

    @property
    def new(self) -> Counter:
        return sum((f.new for f in self.files), Counter())


def _last_id(conn: Connection) -> int:
    return int(conn.execute(sa.select(sa.func.max(proposals_table.c.id))).scalar() or 0)


def _same_comment(a: str, b: str) -> bool:
    return canonical_answer(a) == canonical_answer(b)


class _Known:
    """What the knowledge base and its open proposals already say, for one product's harvest."""

    def __init__(self, conn: Connection, product: str, settings: MatchSettings):
        every = store.list_facts(conn, statuses=None)
        self.taken = {f.id for f in every}
        # The facts answering would index (store.list_facts(product=...)), so both share one engine.
        self.active = [f for f in every if f.status == "active" and (not product or f.applies_to(product))]
        self.by_id = {f.id: f for f in every}
        self.by_key: dict[str, Fact] = {}
        for f in self.active:
            if not f.applies_to(product or None):
                continue
            for q in f.all_questions:
                self.by_key.setdefault(wording_key(q), f)
        self.settings = settings
        self.product = product
        # Harvested (or hand-proposed) facts of this product, by each of their wordings, latest first.
        self.facts_proposed: dict[str, Proposal] = {}
        for p in reversed(kb_proposals.list_proposals(conn, statuses=None, kind="fact")):
            fact = self.by_id.get(p.fact_id)
            if fact is None or (fact.product or "").lower() != (product or "").lower():
                continue
            for w in [p.wording, *p.payload.get("wordings", [])]:
                self.facts_proposed.setdefault(wording_key(w), p)

    def matches(self, items: list[Answered]) -> list[Fact | None]:
        """The active fact each question is already known as (same wording, or a confident match)."""
        found: list[Fact | None] = [self.by_key.get(wording_key(a.question)) for a in items]
        todo = [i for i, f in enumerate(found) if f is None]
        if todo and self.active:
            for i, fact_id in zip(todo, _decide(self.active, [items[i] for i in todo], self.product, self.settings),
                                  strict=True):
                found[i] = self.by_id.get(fact_id) if fact_id else None
        return found

    def pending_matches(self, items: list[Answered], known: list[Fact | None]) -> list[str | None]:
        """For questions nothing active answers: the pending proposed fact an engine match finds."""
        pending = {p.fact_id: p for p in self.facts_proposed.values() if p.status == "pending"}
        todo = [i for i, f in enumerate(known)
                if f is None and wording_key(items[i].question) not in self.facts_proposed]
        found: list[str | None] = [None] * len(items)
        facts = [self.by_id[i].model_copy(update={"status": "active"}) for i in pending
                 if i in self.by_id and self.by_id[i].status == "proposed"]  # not one declined meanwhile
        if todo and facts:
            for i, fact_id in zip(todo, _decide(facts, [items[i] for i in todo], self.product, self.settings),
                                  strict=True):
                found[i] = fact_id
        return found

    def new_id(self, question: str) -> str:
        base = fact_id_from_question(question)
        candidate, n = base, 1
        while candidate in self.taken:
            n += 1
            candidate = f"{base}-{n}"
        self.taken.add(candidate)
        return candidate


def _decide(facts: list[Fact], items: list[Answered], product: str, settings: MatchSettings) -> list[str | None]:
    """The fact answering would use: a ``suggested`` match, or a candidate over the suggest threshold that
    gives the same answer (a near-twin with another answer kept the match at ``review``)."""
    engine = engine_for(facts, settings)
    by_id = {f.id: f for f in facts}
    threshold = engine.settings.suggest_threshold
    out: list[str | None] = []
    for item, match in zip(items, engine.match([a.question for a in items], product or None), strict=True):
        out.append(_pick(match, item, by_id, threshold))
    return out


def _pick(match: Match, item: Answered, by_id: dict[str, Fact], threshold: float) -> str | None:
    if match.fact_id and match.status == "suggested":
        return match.fact_id
    for c in match.alternatives:
        fact = by_id.get(c.fact_id)
        if fact is not None and c.score >= threshold and same_answer(fact.answer, item.answer):
            return c.fact_id
    return None


def harvest(conn: Connection, files: list[FilledFile], *, product: str, label: str, actor: str,
            settings: MatchSettings, today: dt.date | None = None,
            progress: Callable[[float], None] | None = None) -> HarvestResult:
    """Propose what ``files`` answer; in the caller's transaction (all or nothing)."""
    result = HarvestResult()
    total = sum(len(f.answered) for f in files) or 1
    done = 0
    for filled in files:
        before = _last_id(conn)
        known = _Known(conn, product, settings)
        matched = known.matches(filled.answered)
        paraphrased = known.pending_matches(filled.answered, matched)
        outcome = FileOutcome(filled.name, filled.sha256, len(filled.answered), len(filled.form_fields),
                              filled.unanswered, filled.skipped)
        for item, fact, pending_id in zip(filled.answered, matched, paraphrased, strict=True):
            source = {"origin": "harvest", "file": filled.name, "sha256": filled.sha256, "sheet": item.sheet,
                      "cell": item.cell, "harvest": label}
            _propose(conn, known, item, fact, pending_id, source=source, actor=actor, product=product,
                     reviewed=filled.stated_date or today or dt.date.today())
            done += 1
            if progress and done % PROGRESS_EVERY == 0:
                progress(done / total)
        rows = conn.execute(sa.select(proposals_table.c.id, proposals_table.c.kind).where(
            proposals_table.c.id > before).order_by(proposals_table.c.id)).all()
        outcome.new = Counter(kind for _, kind in rows)
        outcome.known = len(filled.answered) - len(rows)  # an answered question proposes one thing at most
        result.new_ids += [i for i, _ in rows]
        result.files.append(outcome)
    if progress:
        progress(1.0)
    return result


def _propose(conn: Connection, known: _Known, item: Answered, fact: Fact | None, pending_id: str | None, *,
             source: dict, actor: str, product: str, reviewed: dt.date) -> None:
    key = wording_key(item.question)
    if fact is not None:
        same_wording = any(wording_key(q) == key for q in fact.all_questions)
        differs = not same_answer(fact.answer, item.answer) or (
            same_wording and bool(item.comment) and not _same_comment(fact.comment, item.comment))
        if differs:
            kb_proposals.propose_conflict(conn, fact.id, question=item.question, answer=item.answer,
                                          comment=item.comment, actor=actor, source=source)
        else:
            kb_proposals.propose_alternate(conn, fact.id, item.question, actor=actor, source=source)
        return
    proposal = known.facts_proposed.get(key)
    if proposal is None and pending_id is not None:
        proposal = next((p for p in known.facts_proposed.values() if p.fact_id == pending_id), None)
    if proposal is not None:
        current = store.get_fact(conn, proposal.fact_id)
        if proposal.status != "pending" or current.status != "proposed":
            return  # decided once: accepted ones are facts now, discarded or declined ones never proposed again
        if same_answer(current.answer, item.answer):
            kb_proposals.join_fact(conn, proposal, item.question, source=source)
            known.facts_proposed.setdefault(key, proposal)
        else:
            kb_proposals.propose_conflict(conn, current.id, question=item.question, answer=item.answer,
                                          comment=item.comment, actor=actor, source=source)
        return
    new = Fact(id=known.new_id(item.question), question=item.question, answer=item.answer, comment=item.comment,
               category=item.category, product=product, source=f"{source['file']} {item.sheet}!{item.cell}",
               last_reviewed=reviewed)
    proposal = kb_proposals.propose_fact(conn, new, actor=actor, source=source)
    known.facts_proposed[key] = proposal
    known.by_id[new.id] = new
