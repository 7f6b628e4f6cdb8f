"""rapidfuzz answerer: character-level similarity of a question to each phrasing of a fact.

It compares the analysed forms (stop words gone, words stemmed, synonyms folded) so that filler
("Please describe whether the vendor...") and spelling variants do not dilute the score. Too slow
to scan a large library per question, it re-scores the engine's shortlist; on its own it scans.
Each question's shortlisted phrasings go to ``rapidfuzz.process.cdist`` at once (C, no per-pair
Python call).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rapidfuzz import fuzz, process

from answerers.base import Answerer, Hit, register
from answerers.text import analyse


@register
class FuzzyAnswerer(Answerer):
    name = "fuzzy"
    recall = False

    def _build(self) -> None:
        self._texts: list[str] = []
        first, count = [], []
        for f in self.facts:
            first.append(len(self._texts))
            self._texts.extend(" ".join(analyse(t)) for t in f.all_questions)
            count.append(len(f.all_questions))
        self._first = np.array(first, dtype=np.int64)
        self._count = np.array(count, dtype=np.int64)
        self._by_fact = [self._texts[a : a + c] for a, c in zip(first, count, strict=True)]

    def _scores(self, question: str, facts: np.ndarray, variants: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """(best score, best phrasing number) per fact."""
        qa = " ".join(analyse(question))
        if not qa or len(facts) == 0:
            return np.zeros(len(facts)), np.zeros(len(facts), dtype=np.int64)
        count = self._count[facts]
        starts = np.zeros(len(facts), dtype=np.int64)
        np.cumsum(count[:-1], out=starts[1:])
        by_fact = self._by_fact
        choices = [t for f in facts.tolist() for t in by_fact[f]]
        # token_sort: order-free overall likeness; token_set rewards containment but is 100 for any
        # subset, so it only counts half.
        s = 0.5 * process.cdist([qa], choices, scorer=fuzz.token_sort_ratio, dtype=np.float64)[0]
        s += 0.5 * process.cdist([qa], choices, scorer=fuzz.token_set_ratio, dtype=np.float64)[0]
        best = np.maximum.reduceat(s, starts)
        if not variants:
            return best, np.zeros(len(facts), dtype=np.int64)
        # Earliest phrasing on ties.
        variant = np.array([int(np.argmax(s[a : a + c])) for a, c in zip(starts.tolist(), count.tolist(), strict=True)])
        return best, variant

    def rescore_scores(self, questions: Sequence[str], shortlist: Sequence[Sequence[int]]) -> list[np.ndarray]:
        return [
            self._scores(q, np.asarray(f, dtype=np.int64), False)[0] for q, f in zip(questions, shortlist, strict=True)
        ]

    def rescore(self, questions: Sequence[str], shortlist: Sequence[Sequence[int]]) -> list[list[Hit]]:
        out = []
        for q, facts in zip(questions, shortlist, strict=True):
            facts = np.asarray(facts, dtype=np.int64)
            best, variant = self._scores(q, facts)
            out.append([Hit(int(f), float(b), int(v)) for f, b, v in zip(facts, best, variant, strict=True)])
        return out
