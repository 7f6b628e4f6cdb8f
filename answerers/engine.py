"""The matching engine: shortlist with the recall answerers, re-score with all, fuse, calibrate.

Fusion is a weighted sum of the answerers' 0-100 scores (weights in fusion.json, fitted on the
development questionnaires by benchmarks/bench_matching_fit.py). Confidence is a logistic
function of the fused score of the top candidate and its margin over the runner-up: a question
whose best two facts score alike (at rest vs in transit) is not safe to bulk-approve even when
both score high.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from answerers.base import Answerer, Candidate, Hit, Match, available_answerers, reason_text
from knowledge.model import Fact

_FUSION = Path(__file__).with_name("fusion.json")
SHORTLIST = 20  # per recall answerer
ALTERNATIVES = 5
CHUNK = 64  # questions scored together; bounds memory of per-question score vectors


class MatchSettings(BaseModel):
    """Settings a team can change. Defaults were chosen on measured data (see fusion.json)."""

    suggest_threshold: float = Field(default_factory=lambda: _fusion()["thresholds"]["suggest"], ge=0, le=100)
    review_threshold: float = Field(default_factory=lambda: _fusion()["thresholds"]["review"], ge=0, le=100)
    answerers: list[str] | None = (
        None  # None: every available built-in (semantic only if installed and enabled)
    )
    semantic: bool = True
    cache_dir: str | None = None  # where fact embeddings are cached; None = Trustfill home


@lru_cache(maxsize=1)
def _fusion() -> dict:
    return json.loads(_FUSION.read_text(encoding="utf-8"))


class MatchingEngine:
    def __init__(self, facts: Sequence[Fact], settings: MatchSettings | None = None):
        self.settings = settings or MatchSettings()
        registry = available_answerers()
        names = self.settings.answerers
        if names is None:
            names = [n for n in registry if n != "semantic" or self.settings.semantic]
        unknown = [n for n in names if n not in registry]
        if unknown:
            from trustfill.errors import ConfigError

            raise ConfigError(
                f"Unknown or unavailable answerer(s): {', '.join(unknown)}. "
                f"Available: {', '.join(registry) or 'none'}."
            )
        self.answerers: list[Answerer] = []
        for name in names:
            cls = registry[name]
            opts = {"cache_dir": self.settings.cache_dir} if name == "semantic" else {}
            answerer = cls(**opts)
            answerer.index(facts)
            self.answerers.append(answerer)
        self.facts = self.answerers[0].facts if self.answerers else []
        profile = "semantic" if any(a.name == "semantic" for a in self.answerers) else "lexical"
        fusion = _fusion()["profiles"][profile]
        self.weights = {
            a.name: fusion["weights"].get(a.name, fusion.get("plugin_weight", 0.0)) for a in self.answerers
        }
        self.calibration = fusion["calibration"]
        # Calibration differs per profile, so do its measured thresholds; explicit settings win.
        own = fusion.get("thresholds", {})
        updates = {}
        if "suggest_threshold" not in self.settings.model_fields_set and "suggest" in own:
            updates["suggest_threshold"] = own["suggest"]
        if "review_threshold" not in self.settings.model_fields_set and "review" in own:
            updates["review_threshold"] = own["review"]
        if updates:
            self.settings = self.settings.model_copy(update=updates)

    # -- public ----------------------------------------------------------------------------------
    def match_one(self, question: str, product: str | None = None) -> Match:
        return self.match([question], product)[0]

    def match(self, questions: Sequence[str], product: str | None = None) -> list[Match]:
        out: list[Match] = []
        for start in range(0, len(questions), CHUNK):
            out.extend(self._match_chunk(list(questions[start : start + CHUNK]), product))
        return out

    # -- internals -------------------------------------------------------------------------------
    def ranked(
        self, questions: Sequence[str], product: str | None = None
    ) -> list[list[tuple[int, float, dict]]]:
        """Per question: (fact index, fused score, per-answerer hits) best first, whole shortlist."""
        texts = [q if isinstance(q, str) else "" for q in questions]
        shortlists: list[set[int]] = [set() for _ in texts]
        for a in self.answerers:
            if a.recall:
                for sl, found in zip(shortlists, a.shortlist(texts, product, SHORTLIST), strict=True):
                    sl.update(found.tolist())
        if not any(a.recall for a in self.answerers) and self.answerers:
            # Only re-scoring answerers (rapidfuzz alone): every in-scope fact is a candidate.
            everyone = set(np.flatnonzero(self.answerers[0].in_scope(product)).tolist())
            shortlists = [set(everyone) if q.strip() else set() for q in texts]
        ordered = [sorted(s) for s in shortlists]
        per_answerer: dict[str, list[list[Hit]]] = {a.name: a.rescore(texts, ordered) for a in self.answerers}
        for a in self.answerers:
            clear = getattr(a, "clear_memo", None)
            if clear:
                clear()
        result = []
        for qi, facts in enumerate(ordered):
            rows = []
            for j, f in enumerate(facts):
                hits = {name: per_answerer[name][qi][j] for name in per_answerer}
                fused = sum(self.weights[n] * h.score for n, h in hits.items())
                rows.append((f, fused, hits))
            rows.sort(key=lambda r: (-r[1], r[0]))
            result.append(rows)
        return result

    def confidence(self, fused: float, margin: float) -> float:
        c = self.calibration
        z = c["bias"] + c["fused"] * fused + c["margin"] * margin
        return 100.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def _match_chunk(self, questions: list[str], product: str | None) -> list[Match]:
        matches = []
        for q, rows in zip(questions, self.ranked(questions, product), strict=True):
            rows = [r for r in rows if r[1] > 0]
            if not rows:
                matches.append(Match(fact_id=None, score=0.0, status="unanswered", alternatives=[]))
                continue
            top = rows[0][1]
            runner_up = rows[1][1] if len(rows) > 1 else 0.0
            alts = []
            for i, (f, fused, hits) in enumerate(rows[:ALTERNATIVES]):
                margin = fused - (runner_up if i == 0 else top)
                alts.append(self._candidate(q, f, self.confidence(fused, margin), hits))
            conf = alts[0].score
            s = self.settings
            status = (
                "suggested"
                if conf >= s.suggest_threshold
                else "review"
                if conf >= s.review_threshold
                else "unanswered"
            )
            matches.append(
                Match(
                    fact_id=None if status == "unanswered" else alts[0].fact_id,
                    score=conf,
                    status=status,
                    alternatives=alts,
                )
            )
        return matches

    def _candidate(self, question: str, f: int, conf: float, hits: dict[str, Hit]) -> Candidate:
        fact = self.facts[f]
        lead = hits.get("terms") or max(hits.values(), key=lambda h: h.score)
        texts = fact.all_questions
        matched = texts[lead.variant] if 0 <= lead.variant < len(texts) else fact.question
        terms = next((h.terms for h in hits.values() if h.terms), ())
        explainer = next((a for a in self.answerers if a.name == "terms"), None)
        if not terms and explainer is not None and "terms" in hits:
            terms = explainer.explain(question, f, lead.variant)
        return Candidate(
            fact_id=fact.id, score=round(conf, 2), reason=reason_text(terms, matched), matched_text=matched
        )
