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


def _sort_tokens(text: str) -> str:
    return " ".join(sorted(text.split()))


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
        # Many phrasings analyse alike ("Q: Do you encrypt data?" and "Do you encrypt data?", or one
        # fact copied per product): the batch path scores each distinct (question, text) pair once.
        # token_sort_ratio is ratio of the token-sorted strings: sorted once here, per distinct text.
        ids: dict[str, int] = {}
        self._text_id = np.array([ids.setdefault(t, len(ids)) for t in self._texts], dtype=np.int64)
        self._distinct = list(ids)
        self._distinct_sorted = [_sort_tokens(t) for t in self._distinct]

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
        sizes = [len(f) for f in shortlist]
        return np.split(self.rescore_flat(questions, shortlist), np.cumsum(sizes)[:-1]) if sizes else []

    def rescore_flat(self, questions: Sequence[str], shortlist: Sequence[Sequence[int]]) -> np.ndarray:
        """The whole batch's distinct (question, phrasing text) pairs in one ``cpdist`` per scorer:
        same scores as :meth:`_scores`, without a Python round trip per question."""
        facts = [np.asarray(f, dtype=np.int64) for f in shortlist]
        # A question with no terms left scores 0 against everything: it takes no pairs.
        joined = [" ".join(analyse(q)) for q in questions]
        live = [bool(qa) for qa in joined]
        sizes = [len(fs) if ok else 0 for fs, ok in zip(facts, live, strict=True)]
        flat = np.concatenate([fs for fs, n in zip(facts, sizes, strict=True) if n] or [np.zeros(0, dtype=np.int64)])
        if not len(flat):
            return np.zeros(sum(len(fs) for fs in facts))
        count = self._count[flat]
        starts = np.zeros(len(flat), dtype=np.int64)
        np.cumsum(count[:-1], out=starts[1:])
        n_pairs = int(starts[-1] + count[-1])
        # Every (question, phrasing) pair as (question number, distinct text id).
        phrasing = np.arange(n_pairs) + np.repeat(self._first[flat] - starts, count)
        per_q = np.add.reduceat(count, np.cumsum([0] + [n for n in sizes if n][:-1]))
        # Questions analysing alike (a sheet repeats itself) share their pairs too.
        ids: dict[str, int] = {}
        qid = np.array([ids.setdefault(qa, len(ids)) for qa in joined], dtype=np.int64)
        distinct_q = list(ids)
        qrow = np.repeat(qid[np.array(sizes) > 0], per_q)
        width = len(self._distinct)
        pairs, back = np.unique(qrow * width + self._text_id[phrasing], return_inverse=True)
        qnum, tnum = np.divmod(pairs, width)
        qnum, tnum = qnum.tolist(), tnum.tolist()
        sorted_q = {qi: _sort_tokens(distinct_q[qi]) for qi in set(qnum)}
        left = list(map(distinct_q.__getitem__, qnum))
        left_sorted = list(map(sorted_q.__getitem__, qnum))
        right = list(map(self._distinct.__getitem__, tnum))
        right_sorted = list(map(self._distinct_sorted.__getitem__, tnum))
        s = 0.5 * process.cpdist(left_sorted, right_sorted, scorer=fuzz.ratio, dtype=np.float64)
        s += 0.5 * process.cpdist(left, right, scorer=fuzz.token_set_ratio, dtype=np.float64)
        best = np.maximum.reduceat(s[back.ravel()], starts)
        total = sum(len(fs) for fs in facts)
        if len(best) == total:
            return best
        # Questions without terms (skipped above) score 0 against their shortlist.
        out = np.zeros(total)
        out[np.repeat(np.array(live, dtype=bool), [len(fs) for fs in facts])] = best
        return out

    def rescore(self, questions: Sequence[str], shortlist: Sequence[Sequence[int]]) -> list[list[Hit]]:
        out = []
        for q, facts in zip(questions, shortlist, strict=True):
            facts = np.asarray(facts, dtype=np.int64)
            best, variant = self._scores(q, facts)
            out.append([Hit(int(f), float(b), int(v)) for f, b, v in zip(facts, best, variant, strict=True)])
        return out
