"""``category`` answerer: how close the question is to each fact's Category ("Encryption", "Backup").

A weak fusion signal: every fact of a category scores alike, so it neither ranks phrasings nor
votes on agreement (engine.NON_VOTERS). It leans a question about disaster-recovery drills to the
Business Continuity facts over a Backup fact sharing the word "frequency". Questions and category
names are embedded with the static word-piece vectors, weighted by the library's IDF (the static
answerer's index, shared, not rebuilt). A fact without a category scores 0.

Measured leave-one-questionnaire-out (benchmarks/bench_matching_fit.py --cv), with the calibration's
``sibling`` feature: default install top-1 0.903 -> 0.925, unanswerable left alone 0.909 -> 0.922.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from answerers.base import Answerer, Hit, register
from answerers.static import embed_ids, library_index, load_vectors


@register
class CategoryAnswerer(Answerer):
    name = "category"
    recall = False
    standalone = False

    def _build(self) -> None:
        self.tok = load_vectors()[0]
        self.lib = library_index(self.facts)
        self.weight = self.lib.weight
        # Case-insensitive, as the engine groups facts for its "sibling" feature (engine.fact_groups).
        keys = [(f.category or "").strip().lower() for f in self.facts]
        names = sorted(set(keys) - {""})
        group = {c: i for i, c in enumerate(names)}
        self.group = np.array([group.get(k, -1) for k in keys], dtype=np.int64)
        self.categories = embed_ids([self.tok.encode(c) for c in names], self.weight)

    def _scores(self, questions: Sequence[str], facts: np.ndarray, pair_q: np.ndarray) -> np.ndarray:
        if not len(facts) or not len(self.categories):
            return np.zeros(len(facts))
        cos = self.lib.embed_questions(questions) @ self.categories.T  # questions x categories
        g = self.group[facts]
        out = cos[pair_q, np.maximum(g, 0)].astype(np.float64)
        return 100.0 * np.clip(np.where(g >= 0, out, 0.0), 0.0, 1.0)

    def rescore_flat(self, questions: Sequence[str], shortlist: Sequence[Sequence[int]]) -> np.ndarray:
        sizes = np.array([len(f) for f in shortlist], dtype=np.int64)
        if not sizes.sum():
            return np.zeros(0)
        facts = np.concatenate([np.asarray(f, dtype=np.int64) for f in shortlist])
        return self._scores(questions, facts, np.repeat(np.arange(len(shortlist)), sizes))

    def rescore(self, questions: Sequence[str], shortlist: Sequence[Sequence[int]]) -> list[list[Hit]]:
        out = []
        for qi, facts in enumerate(shortlist):
            facts = np.asarray(facts, dtype=np.int64)
            scores = self._scores([questions[qi]], facts, np.zeros(len(facts), dtype=np.int64))
            out.append([Hit(int(f), float(s), 0) for f, s in zip(facts.tolist(), scores.tolist(), strict=True)])
        return out
