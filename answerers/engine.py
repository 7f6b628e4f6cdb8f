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
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from answerers.base import Answerer, Candidate, Match, available_answerers, category_key
from answerers.guard import EXAMPLES, SENTENCE_BREAK, SUBJECTS, Guard, says_no, uncovered
from answerers.scaffold import collapse
from answerers.scope import scope_facts
from answerers.text import analyse, normalise, strip_citations, strip_leading_id
from knowledge.model import Fact

_FUSION = Path(__file__).with_name("fusion.json")
SHORTLIST = 15  # per recall answerer
ALTERNATIVES = 5
MARGIN_CAP = 30.0  # percent of the top score
# "suggested" (safe to bulk-approve) also needs this share of the ranking answerers to put the
# fact first: measured leave-one-questionnaire-out, it turned held-out precision of suggestions
# from 0.96 to 0.99 (benchmarks/bench_matching_fit.py).
SUGGEST_AGREEMENT = 0.75
# A runner-up over the suggest threshold and this close to the top holds a suggestion back (close_rival).
# Not any runner-up over the threshold: an exact match (100) next to its neighbour (63) is safe.
RIVAL_GAP = 10.0
# How far behind the first a runner-up naming more of the question's concepts may be and still go first
# (answerers.guard.Guard.names_more). Measured on all labelled workbooks: at 20 points, 7 questions gained
# the right fact and 1 lost it; at 40, 8 and 2 (one of them a dev question).
PROMOTE_WITHIN = 20.0
MAX_SENTENCES = 8  # sentences of one statement matched alone (a criterion runs to 2-6)
CHUNK = 64  # questions scored together; bounds memory of per-question score vectors (64: measured
# faster than 32, 48, 96 or 128 on 2,000 questions x 5,000 facts once the static answerer's cosines
# are taken per batch: fewer fixed costs per chunk, score arrays still in cache)
# Signals that score whole groups of facts alike (coverage of the question, the fact's category, the
# form of its answer): fused, never counted among the answerers that rank a fact first.
NON_VOTERS = frozenset({"coverage", "category", "form"})
QUESTIONER = "customer"  # what the asking customer's own name is read as
_NAME_WORD = re.compile(r"\b([A-Z][a-z]{2,})(?:'s)?(?=\W|$)")


class MatchSettings(BaseModel):
    """Settings a team can change. Defaults were chosen on measured data (see fusion.json)."""

    suggest_threshold: float = Field(default_factory=lambda: _fusion()["thresholds"]["suggest"], ge=0, le=100)
    review_threshold: float = Field(default_factory=lambda: _fusion()["thresholds"]["review"], ge=0, le=100)
    suggest_agreement: float = Field(default=SUGGEST_AGREEMENT, ge=0, le=1)
    answerers: list[str] | None = None  # None: every available built-in (semantic only if installed and enabled)
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
                f"Unknown or unavailable answerer(s): {', '.join(unknown)}. Available: {', '.join(registry) or 'none'}."
            )
        self.answerers: list[Answerer] = []
        for name in names:
            cls = registry[name]
            opts = {"cache_dir": self.settings.cache_dir} if name == "semantic" else {}
            answerer = cls(**opts)
            answerer.index(facts)
            self.answerers.append(answerer)
        self.facts = self.answerers[0].facts if self.answerers else []
        self._phrasings: list[list[str]] | None = None
        self.groups = fact_groups(self.facts)
        self.guard = Guard(self.facts)
        self.scopes = scope_facts(self.facts)
        self._scopes_in: dict[str, list[tuple[int, frozenset[str]]]] = {}  # see _scopes_of
        # Per fact, a number for what it answers (answer and comment): two facts with the same number
        # put the same words in the customer's sheet, so neither is a rival of the other.
        self.saying = _numbered([_what_it_says(f) for f in self.facts])
        self.says_no = [says_no(f.answer) for f in self.facts]
        # Every phrasing a person accepted for a fact (its question and alternates), normalised: a
        # question worded exactly so is that fact's, whatever the signals, guards or sections say.
        self.exact: dict[str, list[int]] = {}
        for i, f in enumerate(self.facts):
            for q in f.all_questions:
                key = wording_key(q)
                if key and i not in self.exact.setdefault(key, []):
                    self.exact[key].append(i)
        profile = "semantic" if any(a.name == "semantic" for a in self.answerers) else "lexical"
        fusion = _fusion()["profiles"][profile]
        self.weights = {a.name: fusion["weights"].get(a.name, fusion.get("plugin_weight", 0.0)) for a in self.answerers}
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
        texts = self.prepare(questions)
        out = self._match_texts(texts, product)
        self._check_asides(texts, out, product)
        # A question left unanswered as a whole may be answered for its main part alone, when that alone
        # would be suggested and no check rules the fact out for the whole: offered for review (the rest is
        # for a person), the reason saying which part. The main part is the first sentence of a compound
        # question ("Is X? If so, describe Y."), or the main clause of one with a rider ("Do you support SSO
        # (SAML/OIDC) with automatic provisioning (SCIM)?").
        parts: dict[int, tuple[str, str]] = {}
        for i, text in enumerate(texts):
            if out[i].status != "unanswered":
                continue
            if first := main_question(text):
                parts[i] = (first, f'answered for the main question only ("{first}")')
            elif clause := main_clause(text):
                rest = text.strip()[len(clause):].strip(" ,?")
                parts[i] = (clause + "?", f'answered for the main clause only ("{clause}"; not "{rest}")')
        if parts:
            matched = self._match_texts([part for part, _ in parts.values()], product)
            for (i, (_, said)), part in zip(parts.items(), matched, strict=True):
                if part.status == "suggested" and self._fits_whole(texts[i], part.fact_id):
                    out[i] = part.model_copy(update={"status": "review", "note": f"{said}: {part.note}"})
        self._answer_by_sentence(texts, out, product)
        return out

    def _check_asides(self, texts: list[str], out: list[Match], product: str | None) -> None:
        """A suggestion that rests on an aside of the question ("Please list the country where the data will
        be stored (including backups, HAs, etc.)." -> the backups' location, at 93; without the aside, the
        data's location): the aside widens what is asked, it does not change it, so a fact the question
        without it does not put first goes to review."""
        bare = {i: stripped for i, text in enumerate(texts)
                if out[i].status == "suggested" and (stripped := without_asides(text)) != text and stripped}
        if not bare:
            return
        for (i, stripped), m in zip(bare.items(), self._match_texts(list(bare.values()), product), strict=True):
            if m.fact_id != out[i].fact_id:
                note = (f'matched on the aside: without it ("{stripped}") {m.fact_id or "no fact"} comes first: '
                        f"{out[i].note}")
                out[i] = out[i].model_copy(update={"status": "review", "note": note})

    def _answer_by_sentence(self, texts: list[str], out: list[Match], product: str | None) -> None:
        """A statement of several sentences left unanswered as a whole may be offered, for review, the
        fact one of its sentences matches alone at the suggest threshold's confidence, when that is the
        fact the whole statement ranks first too. A control catalogue's criterion ("The provider
        operates X. The records are kept ... Access is ...") scores every fact low as a whole: its length
        weighs against each fact, while one sentence states the control. Two views agreeing are asked
        for, because a sentence alone also matches what the statement only mentions in passing.
        Through the CLI on 28 labelled stranger workbooks (not blind): 10 more answered right, 6 fewer
        unanswerable left alone, 22 offers in all; a BSI C5 sheet 0.028 -> 0.070 answered right, CIS
        Controls 0.262 -> 0.323; dev and HECVAT unchanged. At the review threshold instead of the
        suggest threshold: 31 more right, 21 fewer left alone."""
        parts: list[tuple[int, str]] = []
        for i, text in enumerate(texts):
            if out[i].status == "unanswered" and out[i].alternatives:
                sentences = statement_sentences(text)
                if len(sentences) >= 2:
                    # Bounded: a cell of hundreds of sentences is matched on its first few, not on each.
                    parts.extend((i, s) for s in sentences[:MAX_SENTENCES])
        if not parts:
            return
        best: dict[int, tuple[str, Match]] = {}
        for (i, sentence), m in zip(parts, self._match_texts([s for _, s in parts], product), strict=True):
            agrees = m.fact_id is not None and m.fact_id == out[i].alternatives[0].fact_id
            confident = m.status != "unanswered" and m.score >= self.settings.suggest_threshold
            better = i not in best or m.score > best[i][1].score
            if agrees and confident and better and self._fits_whole(texts[i], m.fact_id):
                best[i] = (sentence, m)
        for i, (sentence, m) in best.items():
            shown = sentence if len(sentence) <= 120 else sentence[:117].rstrip() + "..."
            note = (f'answered for one sentence only ("{shown}"), whose fact the whole statement ranks first too '
                    f"(the whole at {out[i].alternatives[0].score:.0f}): {m.note}")
            out[i] = m.model_copy(update={"status": "review", "note": note})

    def _fits_whole(self, text: str, fact_id: str | None) -> bool:
        """Whether a fact found for a part of the question may stand for the whole: no check rules it
        out for the whole question ("Do you hold any of the following certifications? ISO/IEC 27018"
        is not answered by ISO 27001 for its first sentence)."""
        if fact_id is None:
            return False
        position = getattr(self, "_position", None)  # built on first use (a cached engine may predate it)
        if position is None:
            position = self._position = {f.id: i for i, f in enumerate(self.facts)}
        held = self.guard.check(text, position[fact_id], "review")
        return held is None or held[0] != "unanswered"

    def _match_texts(self, texts: list[str], product: str | None) -> list[Match]:
        out: list[Match] = []
        try:
            for a in self.answerers:
                a.begin_batch(texts, product)
            for start in range(0, len(texts), CHUNK):
                out.extend(self._match_chunk(texts[start : start + CHUNK], product))
        finally:
            for a in self.answerers:
                a.end_batch()
        return out

    def prepare(self, questions: Sequence[str]) -> list[str]:
        """The questions as the answerers see them: the questionnaire's own customer name (it recurs
        through the sheet and no fact mentions it) read as what it means, "customer": "Is MFA
        available for Contoso agents?" asks about the customer's users, not the vendor's staff.
        Measured leave-one-questionnaire-out against taking the name out: top-1 0.941 -> 0.946,
        ranked first 0.952 -> 0.962 (benchmarks/bench_matching_fit.py --cv)."""
        # A control catalogue's lists of process words ("established, documented, approved, ...,
        # and maintained") collapsed to their first word: they say "a documented practice exists"
        # and otherwise drown the few words that name the topic (answerers/scaffold.py).
        # Bracketed control cross-references ("[IA-2, IA-2(1)]") are citations, not content.
        texts = [collapse(strip_citations(q)) if isinstance(q, str) else "" for q in questions]
        idx = self._lexical_index()
        names = idx.questioner_names(texts) if idx is not None else frozenset()
        if not names:
            return texts

        def read(m: re.Match) -> str:
            terms = set(analyse(m.group(1)))
            return QUESTIONER if terms and terms <= names else m.group(0)

        return [_NAME_WORD.sub(read, t) for t in texts]

    def warm(self) -> None:
        """Build now what matching otherwise builds on first use from the library alone (every fact's
        terms for the guard, the phrasings candidates quote), so an engine cached on disk carries them
        and a run on a cached index does not rebuild them. Matches are the same either way."""
        self.guard.library_terms()
        if self._phrasings is None:
            self._phrasings = [fact.all_questions for fact in self.facts]
            self._fact_ids = [fact.id for fact in self.facts]

    def _lexical_index(self):
        source = next((a for a in self.answerers if hasattr(getattr(a, "idx", None), "novelty")), None)
        return source.idx if source is not None else None

    # -- internals -------------------------------------------------------------------------------
    def features(self, questions: Sequence[str], product: str | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per question: (shortlisted fact indices, facts x answerers score matrix), fact order."""
        texts = [q if isinstance(q, str) else "" for q in questions]
        shortlists = self._shortlists(texts, product)
        columns = [a.rescore_scores(texts, shortlists) for a in self.answerers]
        return [
            (facts, np.column_stack([c[qi] for c in columns]) if columns else np.zeros((len(facts), 0)))
            for qi, facts in enumerate(shortlists)
        ]

    def _shortlists(self, texts: list[str], product: str | None) -> list[np.ndarray]:
        """Per question, the fact indices worth re-scoring (ascending)."""
        recallers = [a for a in self.answerers if a.recall]
        if recallers:
            # Union of the recall answerers' shortlists, per question: unique (question, fact) keys,
            # which sort by question, then fact.
            width = max(len(self.facts), 1)
            keys = [np.zeros(0, dtype=np.int64)]
            for a in recallers:
                found = a.shortlist(texts, product, SHORTLIST)
                rows = np.repeat(np.arange(len(texts), dtype=np.int64), [len(f) for f in found])
                if found:
                    keys.append(rows * width + np.concatenate(found).astype(np.int64))
            qi, fi = np.divmod(np.unique(np.concatenate(keys)), width)
            shortlists = np.split(fi.astype(np.int64), np.searchsorted(qi, np.arange(1, len(texts))))
        elif self.answerers:
            # Only re-scoring answerers (rapidfuzz alone): every in-scope fact is a candidate.
            everyone = np.flatnonzero(self.answerers[0].in_scope(product)).astype(np.int64)
            shortlists = [everyone if q.strip() else np.zeros(0, dtype=np.int64) for q in texts]
        else:
            shortlists = [np.zeros(0, dtype=np.int64) for _ in texts]
        if self.scopes and self.answerers:
            # A question naming a subject a scope fact puts out of scope has that fact scored too, so
            # it is offered with a confidence of its own (answerers/scope.py).
            by_subject: dict[frozenset[str], list[int]] = {}
            for f, subject in self._scopes_of(product):
                by_subject.setdefault(subject, []).append(f)
            for qi, text in enumerate(texts):
                named = set(analyse(text))
                extra = [f for subject, fs in by_subject.items() if subject <= named for f in fs]
                if extra:
                    shortlists[qi] = np.union1d(shortlists[qi], np.array(extra, dtype=np.int64))
        return shortlists

    def ranked(self, questions: Sequence[str], product: str | None = None) -> list[list[tuple[int, float, dict]]]:
        """Per question: (fact index, fused score, per-answerer scores) best first, whole shortlist."""
        names = [a.name for a in self.answerers]
        w = np.array([self.weights[n] for n in names])
        out = []
        for facts, X in self.features(questions, product):
            fused = X @ w if len(facts) else np.zeros(0)
            order = np.lexsort((facts, -fused))
            out.append([(int(facts[i]), float(fused[i]), dict(zip(names, X[i].tolist(), strict=True))) for i in order])
        return out

    def confidence(self, fused: float, margin: float, **extra: float) -> float:
        z = calibration_logit(self.calibration, fused=fused, margin=margin, **extra)
        return 100.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def _match_chunk(self, questions: list[str], product: str | None) -> list[Match]:
        names = [a.name for a in self.answerers]
        w = np.array([self.weights[n] for n in names])
        keys = [k for k in self.calibration if k != "bias"]
        coef = np.array([self.calibration[k] for k in keys])
        novelty = self.novelty(questions)
        shortlists = self._shortlists(questions, product)
        # The whole chunk as one (question, fact) row table: per-question work is array work.
        sizes = np.array([len(f) for f in shortlists], dtype=np.int64)
        facts = np.concatenate(shortlists) if len(shortlists) else np.zeros(0, dtype=np.int64)
        X = (
            np.column_stack([self._column(a, questions, shortlists, len(facts)) for a in self.answerers])
            if self.answerers
            else np.zeros((len(facts), 0))
        )
        rows, feats = batch_calibration_features(X, sizes, w, names, novelty, self.groups[facts])
        z = np.clip(
            self.calibration.get("bias", 0.0)
            + np.column_stack([feats[k][rows] if k in feats else np.zeros(len(rows)) for k in keys]) @ coef,
            -50.0,
            50.0,
        )
        conf = 100.0 / (1.0 + np.exp(-z))
        # Each question's alternatives in the order of the confidences shown (ties: fused order). The
        # calibration weighs agreement and category too, so a fact a hair behind on fused score can be
        # the likelier one ("AI features" just behind "AI training" with more signals for it). Held
        # out, choosing this way changes no figure (benchmarks/bench_matching_fit.py); a reviewer no
        # longer sees a second alternative more confident than the first.
        by_conf = np.lexsort((np.arange(len(rows)), -conf, feats["qid"][rows]))
        rows, confs = rows[by_conf], conf[by_conf].tolist()
        voters = sum(1 for name in names if name not in NON_VOTERS)  # who votes on "agree"
        votes = np.rint(feats["agree"][rows] * voters).astype(int).tolist()
        top_facts = facts[rows].tolist()
        qis = feats["qid"][rows]
        per_q = np.bincount(qis, minlength=len(questions)).tolist()
        why = self._explain(questions, list(zip(qis.tolist(), top_facts, strict=True)))
        every = self._candidates(top_facts, confs, why)
        matches = []
        pos = 0
        for n, question in zip(per_q, questions, strict=True):
            alts = every[pos : pos + n]
            order = top_facts[pos : pos + n]
            twins = n > 1 and self.saying[order[0]] == self.saying[order[1]]
            status, note = verdict(
                alts, votes[pos] if n else 0, voters, self.settings, bool(question.strip()), same_answer=twins,
                says_no=bool(n) and self.says_no[order[0]],
            )
            more = self._names_more(question, order, alts) if n > 1 and not twins else frozenset()
            if more:
                # "Do you regularly test your backups?": the backup-frequency fact at 100, the restore-test
                # fact at 99. Of two close candidates, the one naming every concept of the question the
                # first names, and more ("test"), goes first; it was not first on confidence, so a person
                # checks it.
                alts = [alts[1], alts[0], *alts[2:]]
                order = [order[1], order[0], *order[2:]]
                status = "review" if status == "suggested" else status
                note = (
                    f"confidence {alts[0].score:.0f}: ranked before {alts[1].fact_id} ({alts[1].score:.0f}), "
                    f"which does not name {', '.join(sorted(_shown(t) for t in more))}"
                )
            if n > 1 and status != "unanswered" and (party := self.guard.unnamed_party(question, order[0])):
                # "What certifications do you maintain?": the hosting providers' certifications first, the
                # vendor's own ISO 27001 next. The question names no third party, so the fact about one
                # answers for someone it does not ask about: the next candidate about the vendor itself,
                # if it is worth a look, goes first, for a person to check.
                k = next((i for i in range(1, min(n, 5)) if alts[i].score >= self.settings.review_threshold
                          and not self.guard.unnamed_party(question, order[i])), None)
                if k is not None:
                    alts = [alts[k], *alts[:k], *alts[k + 1:]]
                    order = [order[k], *order[:k], *order[k + 1:]]
                    status = "review"
                    note = (f"confidence {alts[0].score:.0f}: ranked before {alts[1].fact_id} "
                            f'({alts[1].score:.0f}), which is about "{party}", a third party the question '
                            "does not name")
            # The next candidates that say something else: one covering all the question names while
            # the first leaves part of it out is a choice for a person (Guard.check).
            rivals = [f for f in order[1 : min(n, 5)] if self.saying[f] != self.saying[order[0]]]
            strong = bool(n) and alts[0].score >= self.settings.suggest_threshold
            if n and (held := self.guard.check(question, order[0], status, rivals, strong=strong)) is not None:
                status, note = held[0], f"confidence {alts[0].score:.0f}, but {held[1]}"
            chosen = alts[0] if alts else None
            if self.scopes:

                def confidence_of(f: int, qi: int = len(matches)) -> float:
                    """The calibrated confidence of fact ``f`` for this question (0: not shortlisted)."""
                    at = np.flatnonzero((feats["qid"] == qi) & (facts == f))
                    if not len(at):
                        return 0.0
                    z = self.calibration.get("bias", 0.0) + sum(
                        self.calibration[k] * float(feats[k][at[0]]) for k in keys if k in feats
                    )
                    return 100.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

                out_of_scope = self._out_of_scope(question, order[0] if n else -1, status, alts, product, confidence_of)
                if out_of_scope is not None:
                    chosen, note = out_of_scope
                    status = "review"
            if n and (own := self._exact_wording(question, alts)) is not None:
                chosen, status = own, "suggested"
                note = f"worded exactly as an accepted phrasing of {own.fact_id}"
            pos += n
            matches.append(
                _trusted(
                    Match,
                    {
                        "fact_id": None if status == "unanswered" else chosen.fact_id,
                        "score": chosen.score if chosen else 0.0,
                        "status": status,
                        "alternatives": alts,
                        "note": note,
                    },
                )
            )
        for a in self.answerers:
            clear = getattr(a, "clear_memo", None)
            if clear:
                clear()
        return matches

    def _names_more(self, question: str, order: list[int], alts: list) -> frozenset[str]:
        """The question's concepts the runner-up names beyond the first's, when it is within
        ``PROMOTE_WITHIN`` points of it, over the review threshold, and names all the first names."""
        if alts[1].score < max(alts[0].score - PROMOTE_WITHIN, self.settings.review_threshold):
            return frozenset()
        return self.guard.names_more(question, order[0], order[1])

    def _exact_wording(self, question: str, alts: list) -> Candidate | None:
        """The candidate whose fact has this exact wording among its phrasings, if every fact worded so
        says the same thing (two that disagree are for a person to settle)."""
        owners = self.exact.get(wording_key(question), [])
        if not owners or len({self.saying[i] for i in owners}) != 1:
            return None
        ids = {self.facts[i].id for i in owners}
        return next((a for a in alts if a.fact_id in ids), None)

    def _out_of_scope(self, question: str, top: int, status: str, alts: list, product: str | None, confidence_of):
        """(the scope fact's candidate, note) when the question names a subject a scope fact puts out of
        scope (answerers/scope.py) and no fact naming it too covers the question outright; else None."""
        terms = analyse(question)
        # A subject named only among examples ("certifications (e.g. SOC 2, ISO 27001, PCI, etc.)") is not
        # what the question is about: the payment-card scope fact had been offered for such a question.
        named = set(analyse(EXAMPLES.sub(" ", question)))
        for f, subject in self._scopes_of(product):
            if not subject <= named:
                continue
            if top == f:
                return None if status != "unanswered" else (alts[0], self._scope_note(f, subject))
            have = self.guard.fact_terms(f)
            if any(t in SUBJECTS and t not in have and t not in subject for t in named):
                return None  # about someone else's use of it (staff, a consultant, a third party)
            if (
                top >= 0
                and status == "suggested"
                and subject <= self.guard.fact_terms(top)
                and not uncovered(terms, self.guard.fact_terms(top))
            ):
                # A narrower fact on the same subject covers the question: it may answer it, or the
                # section may be not applicable as a whole. A person picks.
                return alts[0], (
                    f"confidence {alts[0].score:.0f}, but {self.facts[f].id} puts "
                    f"{self._subject_shown(subject)} out of scope: the whole section may be not applicable"
                )
            fact_id = self.facts[f].id
            mine = next((a for a in alts if a.fact_id == fact_id), None)
            if mine is None:
                score = round(confidence_of(f), 2)
                mine = _trusted(
                    Candidate,
                    {"fact_id": fact_id, "score": score, "reason": "", "matched_text": self.facts[f].question},
                )
            return mine, self._scope_note(f, subject)
        return None

    def _scopes_of(self, product: str | None) -> list[tuple[int, frozenset[str]]]:
        """The scope facts (fact, subject) a question about ``product`` may match, in order: looked up
        once per product, not once per question (a numpy mask read per scope fact per question)."""
        key = (product or "").strip().lower()
        found = self._scopes_in.get(key)
        if found is None:
            mask = self.answerers[0].in_scope(product)
            found = self._scopes_in[key] = [(f, subject) for f, subject in self.scopes if mask[f]]
        return found

    @staticmethod
    def _subject_shown(subject: frozenset[str]) -> str:
        return ", ".join(sorted(t.lstrip("@").upper() for t in subject))

    def _scope_note(self, f: int, subject: frozenset[str]) -> str:
        fact = self.facts[f]
        return (
            f"the question is about {self._subject_shown(subject)}, which {fact.id} puts out of scope "
            f'("{fact.answer.strip()}"): check that the whole section is not applicable'
        )

    def _column(self, a: Answerer, questions: list[str], shortlists: list[np.ndarray], rows: int) -> np.ndarray:
        """An answerer's scores of the chunk's rows; a fusion-only signal this profile weighs at 0
        (bench_matching_fit.LEFT_OUT) changes nothing, so it is not computed."""
        if a.name in NON_VOTERS and not self.weights.get(a.name):
            return np.zeros(rows)
        return a.rescore_flat(questions, shortlists)

    def novelty(self, questions: Sequence[str]) -> np.ndarray:
        """Per question, the share of it made of specific words no fact mentions (0 without a lexical answerer)."""
        idx = self._lexical_index()
        texts = [q if isinstance(q, str) else "" for q in questions]
        return idx.novelty(texts) if idx is not None else np.zeros(len(texts))

    def _explain(self, questions: list[str], pairs: list[tuple[int, int]]) -> list[tuple[int, tuple[str, ...]]]:
        """(matched phrasing number, shared terms) per (question, fact) pair, from the lead answerer."""
        lead = next((a for a in self.answerers if a.name == "terms"), None) or next(
            (a for a in self.answerers if a.recall), self.answerers[0]
        )
        explain_many = getattr(lead, "explain_many", None)
        if explain_many:
            return explain_many(questions, pairs)
        return [(lead.best_phrasing(questions, qi, f), ()) for qi, f in pairs]

    def _candidates(self, facts: list[int], confs: list[float], why: list[tuple[int, tuple[str, ...]]]) -> list:
        """The chunk's alternatives, one per (fact, confidence, (matched phrasing, shared terms))."""
        phrasings = self._phrasings
        if phrasings is None:
            # The facts were indexed once at construction; their phrasings and ids are read once too.
            phrasings = self._phrasings = [fact.all_questions for fact in self.facts]
            self._fact_ids = [fact.id for fact in self.facts]
        ids, all_facts, new = self._fact_ids, self.facts, Candidate.__new__
        out = []
        for f, conf, (variant, terms) in zip(facts, confs, why, strict=True):
            texts = phrasings[f]
            matched = texts[variant] if 0 <= variant < len(texts) else all_facts[f].question
            # Built without re-validation (see _trusted): every value is computed here (conf is a
            # logistic, 0-100).
            values = {"fact_id": ids[f], "score": round(conf, 2), "reason": _reason(terms, matched)}
            values["matched_text"] = matched
            m = new(Candidate)
            _set(m, "__dict__", values)
            _set(m, "__pydantic_fields_set__", set(_CANDIDATE_FIELDS))
            _set(m, "__pydantic_extra__", None)
            _set(m, "__pydantic_private__", None)
            out.append(m)
        return out


_CANDIDATE_FIELDS = ("fact_id", "score", "reason", "matched_text")


def _trusted(cls: type[BaseModel], values: dict) -> BaseModel:
    """``cls.model_construct(**values)`` for a model with no aliases, private attributes or
    post-init and ``values`` holding every field in order: the same object, a few times faster
    (thousands are built per batch)."""
    m = cls.__new__(cls)
    _set(m, "__dict__", values)
    _set(m, "__pydantic_fields_set__", set(values))
    _set(m, "__pydantic_extra__", None)
    _set(m, "__pydantic_private__", None)
    return m


_set = object.__setattr__


@lru_cache(maxsize=50_000)
def _shown(term: str) -> str:
    return term.lstrip("@").replace("_", " ")


@lru_cache(maxsize=50_000)
def _terms_head(terms: tuple[str, ...]) -> str:
    # A question shares the same terms with several of its alternatives: built once per term list.
    return "terms: " + ", ".join(map(_shown, terms))


def _reason(terms: tuple[str, ...], matched: str) -> str:
    """``reason_text(terms, matched)``, with each term list's display form cached."""
    if terms:
        head = _terms_head(terms)
        return f'{head}; phrasing: "{matched}"' if matched else head
    return f'phrasing: "{matched}"' if matched else ""


def wording_key(text: str) -> str:
    """Two wordings with the same key are the same question (numbering, case, punctuation aside)."""
    return normalise(strip_leading_id(collapse(" ".join((text or "").split()))))


# "(including backups, HAs, etc.)", "(e.g. laptops)", "(such as SAML)": an aside that widens or
# illustrates what the question asks.
_ASIDE = re.compile(r"\s*\((?:including\b|incl\b\.?|e\.\s?g\.|eg\b|i\.\s?e\.|ie\b|for example\b|"
                    r"for instance\b|such as\b)[^()]*\)", re.IGNORECASE)


# "If cloud-based, which provider(s) do you use?": a leading condition, under which the question is asked.
_CONDITION = re.compile(r"^\s*if\s+[^,?.]{1,40},\s*(?=\S)", re.IGNORECASE)
_BACK_REFERENCE = re.compile(r"\b(?:it|its|they|them|their|this|these|those|such)\b", re.IGNORECASE)


def without_asides(text: str) -> str:
    """The question without its parenthesised asides ("(including backups)", "(e.g. laptops)") and a leading
    condition ("If cloud-based, ...")."""
    text = _ASIDE.sub("", text)
    rest = _CONDITION.sub("", text)
    # "If you have completed a SOC 2 audit, does *it* include ...?": the condition names what the rest asks about.
    return (text if _BACK_REFERENCE.search(rest) else rest).strip()


def main_question(text: str) -> str | None:
    """The first asking sentence of a question made of several ("Is X? If so, describe Y."), when it
    can stand alone (four words or more); None for a single sentence."""
    sentences = [s for s in SENTENCE_BREAK.split((text or "").strip()) if s.strip()]
    if len(sentences) < 2:
        return None
    first = sentences[0].strip()
    return first if first.endswith("?") and len(first.split()) >= 4 else None


# Where a question's main clause ends and a rider on it begins: "... SSO (SAML/OIDC) | with automatic
# provisioning", "... code analysis tools | integrated in your CI/CD pipeline", "... by MFA | and traced".
_RIDER = re.compile(r"\s*\(?\b(?:with|including|integrated|via|and|ensuring|such as)\b", re.IGNORECASE)


def main_clause(text: str) -> str | None:
    """The main clause of a one-sentence question with a rider on it, when it can stand alone (four
    words or more, and a rider of two words or more); None otherwise."""
    text = " ".join((text or "").split())
    if not text.endswith("?") or SENTENCE_BREAK.search(text):
        return None
    for m in _RIDER.finditer(text):
        head, rest = text[: m.start()].rstrip(" ,;:"), text[m.start():]
        if len(head.split()) >= 4 and len(rest.split()) >= 3:
            return head
    return None


def statement_sentences(text: str) -> list[str]:
    """The sentences of a question or statement that can stand alone (five words or more)."""
    sentences = (s.strip() for s in SENTENCE_BREAK.split((text or "").strip()))
    return [s for s in sentences if len(s.split()) >= 5]


def calibration_logit(cal: dict, **features: float) -> float:
    return cal.get("bias", 0.0) + sum(cal.get(k, 0.0) * v for k, v in features.items())


def _numbered(keys: Sequence) -> np.ndarray:
    """Per key, a number shared by equal keys (first seen, first numbered); -1 for an empty key."""
    seen: dict = {}
    return np.array([seen.setdefault(k, len(seen)) if k else -1 for k in keys], dtype=np.int64)


def fact_groups(facts: Sequence[Fact]) -> np.ndarray:
    """Per fact, a number for its Category (-1: none), so rows can be compared by category."""
    return _numbered([category_key(f) for f in facts])


def calibration_features(
    X: np.ndarray, w: np.ndarray, names: list[str], novelty: float = 0.0, groups: np.ndarray | None = None
) -> tuple[list[int], dict[str, np.ndarray]]:
    """Fused ranking of one question's shortlist and, per row, what the confidence is computed from.

    fused: the weighted score; margin: its lead over the best other row (negative below the top);
    coverage: share of the question the fact mentions anywhere; agree: share of the answerers that
    rank this row first; novelty: share of the question no fact could answer (same for every row);
    sibling: 1 when the row's strongest rival (the runner-up for the top row, else the top row) has
    the same category (``groups``, per row): the question is squarely in that topic, and the choice is
    between neighbours rather than between unrelated guesses.
    Shared with benchmarks/bench_matching_fit.py so fit and use agree.
    """
    n = len(X)
    fused = X @ w if n else np.zeros(0)
    order = np.lexsort((np.arange(n), -fused)).tolist()
    feats: dict[str, np.ndarray] = {"fused": fused, "novelty": np.full(n, novelty)}
    if n:
        top = fused[order[0]]
        runner_up = fused[order[1]] if n > 1 else 0.0
        # Relative to the top score, and capped at half of it: a lone weak candidate (nothing else in
        # a small library shares a word) must not look as safe as a strong one beating a runner-up.
        lead = np.where(np.arange(n) == order[0], top - runner_up, fused - top)
        feats["margin"] = np.minimum(lead / max(top, 1e-9) * 100.0, MARGIN_CAP)
        feats["coverage"] = X[:, names.index("coverage")] if "coverage" in names else np.zeros(n)
        voters = [j for j, name in enumerate(names) if name not in NON_VOTERS]
        if voters:
            firsts = X[:, voters].argmax(axis=0)
            feats["agree"] = np.bincount(firsts, minlength=n)[:n] / len(voters)
        else:
            feats["agree"] = np.zeros(n)
        rival = np.where(np.arange(n) == order[0], order[1] if n > 1 else -1, order[0])
        feats["sibling"] = _siblings(np.arange(n), rival, groups)
    else:
        feats.update(margin=np.zeros(0), coverage=np.zeros(0), agree=np.zeros(0), sibling=np.zeros(0))
    return order, feats


def verdict(
    alts: list[Candidate],
    votes: int,
    voters: int,
    s: MatchSettings,
    has_text: bool = True,
    same_answer: bool = False,
    says_no: bool = False,
) -> tuple[str, str]:
    """The status of a question whose candidates are ``alts`` (best first), and why, in words.

    ``votes`` of the ``voters`` ranking answerers put the top candidate first. ``suggested`` needs
    the confidence, that agreement and no close rival (:func:`close_rival`; a runner-up with the
    same answer and comment, ``same_answer``, is none), and for a fact answering No or N/A
    (``says_no``) every signal's agreement; ``review`` the review threshold; below it, nothing is offered.
    """
    if not alts:
        return "unanswered", ("no fact shares a meaningful word with the question" if has_text else "empty question")
    top = alts[0]
    conf = top.score
    need = math.ceil(s.suggest_agreement * voters - 1e-9)
    close = len(alts) > 1 and alts[1].score >= s.review_threshold  # a runner-up worth a look
    runner = f"; runner-up {alts[1].fact_id} at {alts[1].score:.0f}" if close else ""
    if conf < s.review_threshold:
        return "unanswered", (
            f"best candidate {top.fact_id} at confidence {conf:.0f}, under the review threshold "
            f"({s.review_threshold:.0f}): not offered as the answer"
        )
    if conf < s.suggest_threshold:
        return "review", f"confidence {conf:.0f} is under the suggest threshold ({s.suggest_threshold:.0f}){runner}"
    if (votes / voters if voters else 0.0) < s.suggest_agreement:
        return "review", (
            f"confidence {conf:.0f}, but only {votes} of {voters} matching signals rank this fact first "
            f"({need} needed to suggest){runner}"
        )
    if len(alts) > 1 and not same_answer and close_rival(conf, alts[1].score, s.suggest_threshold):
        return "review", (
            f"confidence {conf:.0f}, but runner-up {alts[1].fact_id} is at {alts[1].score:.0f}, also over the "
            f"suggest threshold ({s.suggest_threshold:.0f}): two facts fit"
        )
    if says_no and votes < voters:
        # A "No" suggested for a question it does not answer denies something in the customer's file
        # ("No" to "Are passwords required ...?" from the payment-card fact). Measured over seven labelled
        # families, "No" suggestions that a signal dissented from were right 9 times of 14; "No" needs all.
        return "review", (
            f"confidence {conf:.0f}, but it answers No (or N/A) and only {votes} of {voters} matching signals "
            f"rank this fact first (a No needs all {voters}){runner}"
        )
    return "suggested", f"confidence {conf:.0f} and {votes} of {voters} matching signals rank this fact first"


def _what_it_says(fact: Fact) -> tuple[str, str]:
    return (" ".join((fact.answer or "").split()).casefold(), " ".join((fact.comment or "").split()).casefold())


def close_rival(top, runner_up, suggest_threshold: float):
    """Whether a runner-up's confidence holds a suggestion back: over the suggest threshold and
    within RIVAL_GAP points of the top. Two facts that both clear the bar this closely are for a
    person to pick ("Where is data hosted?" next to "Can the customer choose the region?", 99.99 and
    99.75); the calibration is fitted on top candidates and cannot say which. Works on arrays too."""
    return (runner_up > suggest_threshold) & (top - runner_up < RIVAL_GAP)


def _siblings(rows: np.ndarray, rival: np.ndarray, groups: np.ndarray | None) -> np.ndarray:
    """1.0 where ``rows[i]`` and ``rival[i]`` (-1: none) share a category, else 0.0."""
    if groups is None or not len(rows):
        return np.zeros(len(rows))
    g = groups[rows]
    return ((rival >= 0) & (g >= 0) & (g == groups[np.maximum(rival, 0)])).astype(np.float64)


def batch_calibration_features(
    X: np.ndarray,
    sizes: np.ndarray,
    w: np.ndarray,
    names: list[str],
    novelty: np.ndarray,
    groups: np.ndarray | None = None,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """:func:`calibration_features` of many questions at once, their shortlists' rows stacked
    (``sizes`` rows each). Returns the rows of each question's best ``ALTERNATIVES`` with a positive
    fused score (questions in order, best first) and the features of every row, plus ``qid``.
    ``groups``: each row's fact category number, stacked like ``X``."""
    n = len(X)
    nq = len(sizes)
    qid = np.repeat(np.arange(nq), sizes)
    fused = X @ w if n else np.zeros(0)
    feats: dict[str, np.ndarray] = {"fused": fused, "novelty": novelty[qid].astype(np.float64), "qid": qid}
    if not n:
        feats.update(margin=np.zeros(0), coverage=np.zeros(0), agree=np.zeros(0), sibling=np.zeros(0))
        return np.zeros(0, dtype=np.int64), feats
    order = np.lexsort((np.arange(n), -fused, qid))  # per question: best first, ties by fact order
    starts = np.zeros(nq, dtype=np.int64)
    np.cumsum(sizes[:-1], out=starts[1:])
    has = sizes > 0
    first = order[starts[has]]  # each non-empty question's top row
    top_q = np.zeros(nq)
    top_q[has] = fused[first]
    runner = np.zeros(nq)
    two = sizes > 1
    runner_row = np.full(nq, -1, dtype=np.int64)
    runner_row[two] = order[starts[two] + 1]
    runner[two] = fused[runner_row[two]]
    is_top = np.zeros(n, dtype=bool)
    is_top[first] = True
    top = top_q[qid]
    lead = np.where(is_top, top - runner[qid], fused - top)
    feats["margin"] = np.minimum(lead / np.maximum(top, 1e-9) * 100.0, MARGIN_CAP)
    feats["coverage"] = X[:, names.index("coverage")] if "coverage" in names else np.zeros(n)
    top_row = np.zeros(nq, dtype=np.int64)
    top_row[has] = first
    feats["sibling"] = _siblings(np.arange(n), np.where(is_top, runner_row[qid], top_row[qid]), groups)
    voters = [j for j, name in enumerate(names) if name not in NON_VOTERS]
    votes = np.zeros(n, dtype=np.int64)
    for j in voters:
        # Each question's first row holding the column's maximum (argmax's tie rule).
        col = X[:, j]
        best = np.maximum.reduceat(col, starts[has])
        at = np.flatnonzero(col == np.repeat(best, sizes[has]))
        firsts = at[np.r_[True, qid[at][1:] != qid[at][:-1]]]
        votes[firsts] += 1
    feats["agree"] = votes / len(voters) if voters else np.zeros(n)
    # Best ALTERNATIVES rows with a positive fused score, per question, best first.
    ranked = order[fused[order] > 0]
    rq = qid[ranked]
    rank = np.arange(len(ranked)) - np.searchsorted(rq, rq)
    return ranked[rank < ALTERNATIVES], feats
