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

from answerers.base import KeyedSignal, category_key, register
from answerers.static import embed_ids, library_index, load_vectors


@register
class CategoryAnswerer(KeyedSignal):
    name = "category"

    def _build(self) -> None:
        self.lib = library_index(self.facts)
        keys = [category_key(f) for f in self.facts]
        names = sorted(set(keys) - {""})
        number = {c: i for i, c in enumerate(names)}
        self.keys = np.array([number.get(k, -1) for k in keys], dtype=np.int64)
        self.categories = embed_ids([load_vectors()[0].encode(c) for c in names], self.lib.weight)

    def key_scores(self, questions: Sequence[str]) -> np.ndarray:
        cos = self.lib.embed_questions(questions) @ self.categories.T  # questions x categories
        return 100.0 * np.clip(cos.astype(np.float64), 0.0, 1.0)
