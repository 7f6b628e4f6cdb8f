"""rapidfuzz answerer: character-level similarity of a question to each phrasing of a fact.

It compares the analysed forms (stop words gone, words stemmed, synonyms folded) so that filler
("Please describe whether the vendor...") and spelling variants do not dilute the score. Too slow
to scan a large library per question, it re-scores the engine's shortlist; on its own it scans.
"""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz

from answerers.base import Answerer, Hit, register
from answerers.text import analyse


@register
class FuzzyAnswerer(Answerer):
    name = "fuzzy"
    recall = False

    def _build(self) -> None:
        self._variants: list[list[str]] = [[" ".join(analyse(t)) for t in f.all_questions] for f in self.facts]

    def rescore(self, questions: Sequence[str], shortlist: Sequence[Sequence[int]]) -> list[list[Hit]]:
        out = []
        for q, facts in zip(questions, shortlist, strict=True):
            qa = " ".join(analyse(q))
            hits = []
            for f in facts:
                best, best_v = 0.0, 0
                if qa:
                    for vi, text in enumerate(self._variants[f]):
                        # token_sort: order-free overall likeness; token_set rewards containment but
                        # is 100 for any subset, so it only counts half.
                        s = 0.5 * fuzz.token_sort_ratio(qa, text) + 0.5 * fuzz.token_set_ratio(qa, text)
                        if s > best:
                            best, best_v = s, vi
                hits.append(Hit(int(f), best, best_v))
            out.append(hits)
        return out
