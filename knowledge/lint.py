"""Freshness and consistency checks of the knowledge base (`trustfill kb lint`).

* stale: the review date has passed. A fact never reviewed counts from when it was created, so a
  fresh import is not all flagged at once, and nothing goes unreviewed for ever.
* conflicts: two facts that could both apply to one questionnaire (overlapping product scope)
  with near-identical questions (rapidfuzz token_set_ratio >= threshold) but different answers.
* unused: active facts that no question in the workspace has ever been matched to.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import numpy as np
import sqlalchemy as sa
from rapidfuzz import fuzz, process, utils
from sqlalchemy.engine import Connection

from knowledge import store
from knowledge.model import Fact
from trustfill.db import facts as facts_table
from trustfill.db import questions as questions_table

CONFLICT_THRESHOLD = 90
_CHUNK = 2000  # rows of the similarity matrix computed at once: bounded memory on big libraries
_NOT_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class StaleFact:
    fact_id: str
    owner: str
    last_reviewed: dt.date | None
    due: dt.date
    days_overdue: int


@dataclass(frozen=True)
class ConflictPair:
    fact_a: str
    fact_b: str
    question_a: str
    question_b: str
    answer_a: str
    answer_b: str
    score: float


@dataclass
class LintReport:
    stale: list[StaleFact] = field(default_factory=list)
    conflicts: list[ConflictPair] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)
    checked: int = 0

    @property
    def problems(self) -> int:
        return len(self.stale) + len(self.conflicts) + len(self.unused)

    def as_text(self) -> str:
        lines = [f"Checked {self.checked} active fact(s)."]
        lines.append(f"Stale (review date passed): {len(self.stale)}")
        for s in self.stale:
            reviewed = s.last_reviewed.isoformat() if s.last_reviewed else "never"
            lines.append(f"  {s.fact_id}: due {s.due.isoformat()} ({s.days_overdue} day(s) overdue), "
                         f"last reviewed {reviewed}, owner {s.owner or '(none)'}")
        lines.append(f"Conflicts (near-identical questions, different answers): {len(self.conflicts)}")
        for c in self.conflicts:
            lines.append(f"  {c.fact_a} [{c.answer_a[:30]}] vs {c.fact_b} [{c.answer_b[:30]}] "
                         f"({c.score:.0f}): '{c.question_a[:60]}' ~ '{c.question_b[:60]}'")
        lines.append(f"Never used (no question matched to them): {len(self.unused)}")
        for fact_id in self.unused:
            lines.append(f"  {fact_id}")
        return "\n".join(lines)


def review_due(fact: Fact, created: dt.date | None) -> dt.date:
    start = fact.last_reviewed or created or dt.date.today()
    return start + dt.timedelta(days=fact.review_interval_days)


def _created_dates(conn: Connection) -> dict[str, dt.date]:
    rows = conn.execute(sa.select(facts_table.c.id, facts_table.c.created_at))
    return {r[0]: r[1].date() for r in rows if r[1] is not None}


def stale_facts(facts: list[Fact], created: dict[str, dt.date], today: dt.date) -> list[StaleFact]:
    out = []
    for f in facts:
        due = review_due(f, created.get(f.id))
        if due < today:
            out.append(StaleFact(f.id, f.owner, f.last_reviewed, due, (today - due).days))
    return sorted(out, key=lambda s: (-s.days_overdue, s.fact_id))


def _answer_key(fact: Fact) -> str:
    return _NOT_WORD.sub(" ", fact.answer.casefold()).strip()


def _overlap(a: Fact, b: Fact) -> bool:
    return not a.product or not b.product or a.product.casefold() == b.product.casefold()


def conflicts(facts: list[Fact], threshold: float = CONFLICT_THRESHOLD) -> list[ConflictPair]:
    texts: list[str] = []
    owner: list[int] = []
    for i, f in enumerate(facts):
        for q in f.all_questions:
            texts.append(q)
            owner.append(i)
    owners = np.array(owner)
    best: dict[tuple[int, int], ConflictPair] = {}
    for start in range(0, len(texts), _CHUNK):
        part = texts[start:start + _CHUNK]
        scores = process.cdist(part, texts, scorer=fuzz.token_set_ratio, processor=utils.default_process,
                               score_cutoff=threshold, dtype=np.uint8, workers=-1)
        for r, c in zip(*np.nonzero(scores >= threshold), strict=True):
            i, j = owners[start + r], owners[c]
            if i >= j:  # each pair once, and never a fact with itself
                continue
            a, b = facts[i], facts[j]
            if not _overlap(a, b) or _answer_key(a) == _answer_key(b):
                continue
            score = float(scores[r, c])
            if (i, j) not in best or best[(i, j)].score < score:
                best[(i, j)] = ConflictPair(a.id, b.id, texts[start + r], texts[c], a.answer, b.answer, score)
    return sorted(best.values(), key=lambda p: (-p.score, p.fact_a, p.fact_b))


def unused_facts(conn: Connection, facts: list[Fact]) -> list[str]:
    used = {r[0] for r in conn.execute(
        sa.select(questions_table.c.fact_id).distinct().where(questions_table.c.fact_id.is_not(None)))}
    return [f.id for f in facts if f.id not in used]


def lint(conn: Connection, *, today: dt.date | None = None,
         threshold: float = CONFLICT_THRESHOLD) -> LintReport:
    today = today or dt.date.today()
    facts = store.list_facts(conn, statuses=("active",))
    return LintReport(stale=stale_facts(facts, _created_dates(conn), today),
                      conflicts=conflicts(facts, threshold), unused=unused_facts(conn, facts),
                      checked=len(facts))


def stale_fact_ids(conn: Connection, today: dt.date | None = None) -> set[str]:
    """IDs of active facts past their review date: the app flags answers that use them."""
    facts = store.list_facts(conn, statuses=("active",))
    return {s.fact_id for s in stale_facts(facts, _created_dates(conn), today or dt.date.today())}
