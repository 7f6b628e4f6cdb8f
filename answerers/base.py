"""The answerer protocol, the public result models and the registry of answerers.

An answerer indexes facts once and then scores questions against them, 0-100 per fact. Built-in
answerers register the way a plug-in would: through the ``trustfill.answerers`` entry-point group,
or by calling :func:`register`. The engine (engine.py) combines them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import ClassVar, Literal

import numpy as np
from pydantic import BaseModel, Field

from knowledge.model import Fact

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "trustfill.answerers"


class Candidate(BaseModel):
    """One fact offered for a question, with why it was offered."""

    fact_id: str
    score: float = Field(ge=0, le=100)
    reason: str = ""
    matched_text: str = ""  # the question or alternate question of the fact that matched best


class Match(BaseModel):
    """The engine's verdict for one question."""

    fact_id: str | None  # None when unanswered
    score: float = Field(ge=0, le=100)  # calibrated confidence that fact_id answers the question
    status: Literal["suggested", "review", "unanswered"]
    alternatives: list[Candidate] = Field(default_factory=list)  # up to 5, best first
    note: str = ""  # why this status, in words for the reviewer ("only 4 of 6 signals rank it first")


@dataclass(slots=True)
class Hit:
    """An answerer's internal score for one fact (index into the indexed facts)."""

    fact: int
    score: float  # 0-100
    variant: int = 0  # which of fact.all_questions matched best
    terms: tuple[str, ...] = ()  # matched terms, for the reason shown to reviewers


def matchable(fact: Fact) -> bool:
    return (fact.status or "active").strip().lower() == "active"


def category_key(fact: Fact) -> str:
    """The fact's Category as facts are grouped by it: case and spacing do not matter ("" = none)."""
    return (fact.category or "").strip().lower()


class Answerer:
    """Base class of every answerer. Subclasses set ``name`` and implement ``rescore``.

    ``recall`` answerers can search the whole library cheaply and propose candidates; the others
    (rapidfuzz) only re-score a shortlist when run by the engine. ``standalone`` ones can rank facts
    on their own; the others are fusion signals.
    """

    name: ClassVar[str] = ""
    recall: ClassVar[bool] = False
    # False for signals that only mean something next to others (the answer/comment field, the
    # coverage of a question): the engine fuses them, but alone they do not rank phrasings.
    standalone: ClassVar[bool] = True

    def __init__(self, **options: object) -> None:
        self.options = options
        self.facts: list[Fact] = []
        self._scope_cache: dict[str, np.ndarray] = {}

    # -- indexing --------------------------------------------------------------------------------
    def index(self, facts: Sequence[Fact]) -> None:
        """Index the matchable facts (inactive ones are dropped here, once)."""
        self.facts = [f for f in facts if matchable(f)]
        self._scope_cache = {}
        self._build()

    def _build(self) -> None:  # pragma: no cover - trivial default
        pass

    def in_scope(self, product: str | None) -> np.ndarray:
        """Boolean mask of facts a question about ``product`` may match (case-insensitive)."""
        key = (product or "").strip().lower()
        mask = self._scope_cache.get(key)
        if mask is None:
            mask = np.array([f.applies_to(key or None) for f in self.facts], dtype=bool)
            self._scope_cache[key] = mask
        return mask

    def begin_batch(self, questions: Sequence[str], product: str | None) -> None:
        """Told the whole batch (and its product) before the engine scores it chunk by chunk: work
        that is cheaper done for all questions at once may be done here. The default does nothing."""

    def end_batch(self) -> None:
        """The batch told to ``begin_batch`` is scored: drop what was kept for it."""

    # -- scoring ---------------------------------------------------------------------------------
    def rescore(self, questions: Sequence[str], shortlist: Sequence[Sequence[int]]) -> list[list[Hit]]:
        """Score each question against the given fact indices only (same order)."""
        raise NotImplementedError

    def rescore_scores(self, questions: Sequence[str], shortlist: Sequence[Sequence[int]]) -> list[np.ndarray]:
        """Scores only, as arrays aligned with each shortlist (the engine's fast path)."""
        return [np.array([h.score for h in hits], dtype=np.float64) for hits in self.rescore(questions, shortlist)]

    def rescore_flat(self, questions: Sequence[str], shortlist: Sequence[Sequence[int]]) -> np.ndarray:
        """:meth:`rescore_scores` as one array, the questions' shortlists one after another."""
        parts = self.rescore_scores(questions, shortlist)
        return np.concatenate(parts).astype(np.float64, copy=False) if parts else np.zeros(0)

    def best_phrasing(self, questions: Sequence[str], qi: int, fact: int) -> int:
        """Which of the fact's phrasings matched ``questions[qi]`` best (after a rescore of ``questions``)."""
        [[hit]] = self.rescore([questions[qi]], [[fact]])
        return hit.variant

    def search(self, questions: Sequence[str], product: str | None, top_k: int) -> list[list[Hit]]:
        """Best ``top_k`` in-scope facts per question, best first. Default: rescore everything."""
        allowed = np.flatnonzero(self.in_scope(product)).tolist()
        out = []
        for hits in self.rescore(questions, [allowed] * len(questions)):
            out.append(_top(hits, top_k))
        return out

    def shortlist(self, questions: Sequence[str], product: str | None, top_k: int) -> list[np.ndarray]:
        """Fact indices worth re-scoring, per question (the engine's recall step)."""
        return [np.array([h.fact for h in hits], dtype=np.int64) for hits in self.search(questions, product, top_k)]

    def score(self, questions: Sequence[str], product: str | None = None, top_k: int = 5) -> list[list[Candidate]]:
        """Public, reviewer-facing form of :meth:`search`."""
        return [
            [self.candidate(q, h) for h in hits]
            for q, hits in zip(questions, self.search(questions, product, top_k), strict=True)
        ]

    def candidate(self, question: str, hit: Hit) -> Candidate:
        fact = self.facts[hit.fact]
        texts = fact.all_questions
        matched = texts[hit.variant] if 0 <= hit.variant < len(texts) else fact.question
        return Candidate(
            fact_id=fact.id,
            score=round(min(100.0, max(0.0, hit.score)), 2),
            reason=reason_text(hit.terms, matched, self.name),
            matched_text=matched,
        )


def _top(hits: list[Hit], k: int) -> list[Hit]:
    # Ties broken by fact order so results are deterministic.
    return sorted((h for h in hits if h.score > 0), key=lambda h: (-h.score, h.fact))[:k]


def reason_text(terms: Sequence[str], matched: str, via: str = "") -> str:
    parts = []
    if terms:
        parts.append("terms: " + ", ".join(t.lstrip("@").replace("_", " ") for t in terms))
    if matched:
        parts.append(f'phrasing: "{matched}"')
    if via:
        parts.append(f"via {via}")
    return "; ".join(parts)


# -- registry ------------------------------------------------------------------------------------
_REGISTRY: dict[str, type[Answerer]] = {}
_loaded_entry_points = False


def register(cls: type[Answerer]) -> type[Answerer]:
    """Register an answerer class under ``cls.name`` (usable as a decorator)."""
    if not cls.name:
        raise ValueError(f"{cls.__qualname__} has no name")
    _REGISTRY[cls.name] = cls
    return cls


def _load_entry_points() -> None:
    global _loaded_entry_points
    if _loaded_entry_points:
        return
    _loaded_entry_points = True
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            obj = ep.load()
        except Exception as exc:  # a broken plug-in must not take matching down
            log.warning("answerer plug-in %s could not be loaded: %s", ep.name, exc)
            continue
        if isinstance(obj, type) and issubclass(obj, Answerer):
            _REGISTRY.setdefault(obj.name or ep.name, obj)
        elif callable(obj):
            obj()  # a register() hook


def available_answerers() -> dict[str, type[Answerer]]:
    """Every registered answerer whose dependencies are installed, by name."""
    _load_entry_points()
    return {name: cls for name, cls in sorted(_REGISTRY.items()) if getattr(cls, "installed", lambda: True)()}


class KeyedSignal(Answerer):
    """A fusion-only signal that scores a fact by a key it shares with other facts (its category,
    the form of its answer): per question, one score per key. Subclasses set ``keys`` in ``_build``
    (per fact, its key; -1: none, which scores 0) and implement :meth:`key_scores`."""

    recall = False
    standalone = False
    keys: np.ndarray

    def key_scores(self, questions: Sequence[str]) -> np.ndarray:
        """Scores 0-100, questions x keys."""
        raise NotImplementedError

    def rescore_flat(self, questions: Sequence[str], shortlist: Sequence[Sequence[int]]) -> np.ndarray:
        sizes = [len(f) for f in shortlist]
        if not sum(sizes):
            return np.zeros(0)
        facts = np.concatenate([np.asarray(f, dtype=np.int64) for f in shortlist])
        key = self.keys[facts]
        table = self.key_scores(questions)
        if not table.shape[1]:
            return np.zeros(len(facts))
        picked = table[np.repeat(np.arange(len(questions)), sizes), np.maximum(key, 0)]
        return np.where(key >= 0, picked, 0.0)

    def rescore(self, questions: Sequence[str], shortlist: Sequence[Sequence[int]]) -> list[list[Hit]]:
        out = []
        for qi, facts in enumerate(shortlist):
            scores = self.rescore_flat([questions[qi]], [facts]).tolist()
            out.append([Hit(int(f), s, 0) for f, s in zip(facts, scores, strict=True)])
        return out
