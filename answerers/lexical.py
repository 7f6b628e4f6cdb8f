"""Lexical answerers over an inverted index of thesaurus-aware terms (numpy only).

``terms``: for each phrasing of a fact (question and every alternate), the IDF-weighted share of
the question's terms it covers and the share of its own terms the question covers, combined as
an F-score. A phrasing's own distinguishing word ("rest", "RTO") missing from the question costs
as much as the question's distinguishing word missing from the phrasing, so neighbours that
share most words still separate. Words of the fact's answer and comment count a little.

``bm25``: Okapi BM25 over each fact as one document (all phrasings plus answer and comment); a
recall signal that tolerates paraphrase.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from answerers.base import Answerer, Hit, register
from answerers.text import analyse, thesaurus

# Comment/answer words are evidence, not phrasing: they count this much of a phrasing's word.
COMMENT_WEIGHT = 0.35
# Question terms the library has never seen weigh like this share of the rarest known term:
# "HITRUST" or "FedRAMP" in a question the library cannot answer should pull coverage down.
OOV_WEIGHT = 0.6


class _Index:
    """Vocabulary, IDF and postings shared by the lexical answerers."""

    def __init__(self, facts: Sequence) -> None:
        th = thesaurus()
        self.vocab: dict[str, int] = {}
        self.variant_fact: list[int] = []  # variant -> fact index
        self.variant_no: list[int] = []  # variant -> position in fact.all_questions
        variant_terms: list[tuple[int, ...]] = []
        comment_terms: list[tuple[int, ...]] = []
        fact_first_variant: list[int] = []
        for fi, fact in enumerate(facts):
            fact_first_variant.append(len(self.variant_fact))
            seen: set[int] = set()
            for vi, text in enumerate(fact.all_questions):
                ids = tuple(sorted({self._id(t) for t in analyse(text)}))
                variant_terms.append(ids)
                self.variant_fact.append(fi)
                self.variant_no.append(vi)
                seen.update(ids)
            extra = {self._id(t) for t in analyse(f"{fact.answer} {fact.comment}")} - seen
            comment_terms.append(tuple(sorted(extra)))
        self.n_facts = len(facts)
        self.n_variants = len(self.variant_fact)
        self.fact_first_variant = np.array(fact_first_variant, dtype=np.int64)
        self.variant_fact_arr = np.array(self.variant_fact, dtype=np.int64)
        v = len(self.vocab)
        # Document frequency over facts' phrasings: what makes a word distinguishing among facts.
        df = np.zeros(v, dtype=np.float64)
        fact_sets: list[set[int]] = [set() for _ in range(self.n_facts)]
        for vid, ids in enumerate(variant_terms):
            fact_sets[self.variant_fact[vid]].update(ids)
        for s in fact_sets:
            for t in s:
                df[t] += 1
        n = max(self.n_facts, 1)
        self.idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5))
        self.oov_idf = math.log(1.0 + (n + 0.5) / 0.5) * OOV_WEIGHT
        mult = np.ones(v)
        for term, w in th.weights.items():
            if term in self.vocab:
                mult[self.vocab[term]] = w
        self.weight = self.idf * mult
        self.term_mult = th.weights
        self.variant_terms = variant_terms
        self.comment_terms = comment_terms
        self.variant_postings = _postings(variant_terms, v)
        self.comment_postings = _postings(comment_terms, v)
        self.variant_mass = np.array([self.weight[list(ids)].sum() if ids else 0.0 for ids in variant_terms])
        # BM25 document: every phrasing plus comment, term frequency counted.
        self._build_bm25(facts, fact_sets)

    def _id(self, term: str) -> int:
        tid = self.vocab.get(term)
        if tid is None:
            tid = self.vocab[term] = len(self.vocab)
        return tid

    def _build_bm25(self, facts: Sequence, fact_sets: list[set[int]], k1: float = 1.2, b: float = 0.75) -> None:
        v = len(self.vocab)
        rows: list[list[tuple[int, float]]] = [[] for _ in range(v)]
        lengths = np.zeros(self.n_facts)
        tfs: list[dict[int, float]] = []
        for fi in range(self.n_facts):
            tf: dict[int, float] = {}
            start = self.fact_first_variant[fi]
            end = self.fact_first_variant[fi + 1] if fi + 1 < self.n_facts else self.n_variants
            for vid in range(start, end):
                for t in self.variant_terms[vid]:
                    tf[t] = tf.get(t, 0.0) + 1.0
            for t in self.comment_terms[fi]:
                tf[t] = tf.get(t, 0.0) + COMMENT_WEIGHT
            tfs.append(tf)
            lengths[fi] = sum(tf.values())
        avg = lengths.mean() if self.n_facts else 1.0
        df = np.zeros(v)
        for tf in tfs:
            for t in tf:
                df[t] += 1
        n = max(self.n_facts, 1)
        self.bm25_idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5))
        for fi, tf in enumerate(tfs):
            norm = k1 * (1 - b + b * lengths[fi] / avg) if avg else k1
            for t, f in tf.items():
                rows[t].append((fi, self.bm25_idf[t] * f * (k1 + 1) / (f + norm)))
        self.bm25_postings = [
            (np.array([r[0] for r in row], dtype=np.int64), np.array([r[1] for r in row])) for row in rows
        ]
        self.bm25_k1 = k1

    def query(self, text: str) -> tuple[list[int], list[str], float]:
        """Known term ids, unknown terms, and the query's total weight (unknown terms included)."""
        known: list[int] = []
        unknown: list[str] = []
        for t in dict.fromkeys(analyse(text)):
            tid = self.vocab.get(t)
            if tid is None:
                unknown.append(t)
            else:
                known.append(tid)
        mass = float(self.weight[known].sum()) if known else 0.0
        mass += sum(self.oov_idf * self.term_mult.get(t, 1.0) for t in unknown)
        return known, unknown, mass


def _postings(docs: list[tuple[int, ...]], v: int) -> list[np.ndarray]:
    lists: list[list[int]] = [[] for _ in range(v)]
    for did, ids in enumerate(docs):
        for t in ids:
            lists[t].append(did)
    return [np.array(x, dtype=np.int64) for x in lists]


_INDEX_CACHE: dict[tuple[int, ...], tuple[list, _Index]] = {}


def shared_index(facts: list) -> _Index:
    """Both lexical answerers of one engine index the same Fact objects: build the index once.

    Keyed by object identity (the cache holds the facts, so ids cannot be reused meanwhile);
    only the latest library is kept.
    """
    key = tuple(map(id, facts))
    hit = _INDEX_CACHE.get(key)
    if hit is not None:
        return hit[1]
    idx = _Index(facts)
    _INDEX_CACHE.clear()
    _INDEX_CACHE[key] = (list(facts), idx)
    return idx


class _Lexical(Answerer):
    recall = True
    idx: _Index

    def _build(self) -> None:
        self.idx = shared_index(self.facts)
        self.clear_memo()

    def _scores(self, q: str) -> tuple[np.ndarray, np.ndarray]:
        # search() then rescore() on the same batch (the engine's order) computes each question once.
        hit = self._memo.get(q)
        if hit is None:
            hit = self._memo[q] = self._fact_scores(q)
        return hit

    def clear_memo(self) -> None:
        self._memo: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def search(self, questions: Sequence[str], product: str | None, top_k: int) -> list[list[Hit]]:
        self.clear_memo()
        scope = self.in_scope(product)
        out: list[list[Hit]] = []
        for q in questions:
            fact_scores, best_variant = self._scores(q)
            fact_scores = np.where(scope, fact_scores, -1.0)
            k = min(top_k, len(fact_scores))
            if k == 0:
                out.append([])
                continue
            top = np.argpartition(-fact_scores, k - 1)[:k]
            top = top[np.lexsort((top, -fact_scores[top]))]
            terms = self._matched_terms(q, top, best_variant)
            out.append([Hit(int(f), float(fact_scores[f]), int(best_variant[f]), terms[i])
                        for i, f in enumerate(top) if fact_scores[f] > 0])
        return out

    def rescore(self, questions: Sequence[str], shortlist: Sequence[Sequence[int]]) -> list[list[Hit]]:
        out = []
        memo = getattr(self, "_memo", {})
        for q, facts in zip(questions, shortlist, strict=True):
            scores, best_variant = memo.get(q) or self._fact_scores(q)
            idxs = np.asarray(list(facts), dtype=np.int64)
            terms = self._matched_terms(q, idxs, best_variant)
            out.append([Hit(int(f), float(scores[f]), int(best_variant[f]), terms[i]) for i, f in enumerate(idxs)])
        return out

    def _matched_terms(self, q: str, facts: np.ndarray, best_variant: np.ndarray) -> list[tuple[str, ...]]:
        if len(facts) == 0:
            return []
        known, _, _ = self.idx.query(q)
        inv = {tid: t for t, tid in self.idx.vocab.items() if tid in set(known)}
        out = []
        for f in facts:
            vid = int(self.idx.fact_first_variant[f]) + int(best_variant[f])
            have = set(self.idx.variant_terms[vid]) | set(self.idx.comment_terms[f])
            out.append(tuple(inv[t] for t in known if t in have))
        return out

    def _fact_scores(self, q: str) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError


@register
class TermsAnswerer(_Lexical):
    """IDF-weighted term coverage, both ways, per phrasing; best phrasing per fact."""

    name = "terms"
    beta = 1.0  # F-beta: >1 favours covering the question, <1 favours covering the phrasing

    def _fact_scores(self, q: str) -> tuple[np.ndarray, np.ndarray]:
        idx = self.idx
        known, _, mass = idx.query(q)
        nv, nf = idx.n_variants, idx.n_facts
        if not known or nf == 0 or mass <= 0:
            return np.zeros(nf), np.zeros(nf, dtype=np.int64)
        w = idx.weight
        vp = [idx.variant_postings[t] for t in known]
        vw = np.concatenate([np.full(len(p), w[t]) for p, t in zip(vp, known, strict=True)])
        hit_v = np.bincount(np.concatenate(vp), weights=vw, minlength=nv) if len(vw) else np.zeros(nv)
        cp = [idx.comment_postings[t] for t in known]
        cw = np.concatenate([np.full(len(p), w[t]) for p, t in zip(cp, known, strict=True)])
        hit_c = np.bincount(np.concatenate(cp), weights=cw, minlength=nf) if len(cw) else np.zeros(nf)
        q_cov = (hit_v + COMMENT_WEIGHT * hit_c[idx.variant_fact_arr]) / mass
        v_cov = np.divide(hit_v, idx.variant_mass, out=np.zeros(nv), where=idx.variant_mass > 0)
        b2 = self.beta**2
        denom = b2 * v_cov + q_cov
        f = np.divide((1 + b2) * q_cov * v_cov, denom, out=np.zeros(nv), where=denom > 0)
        # Best phrasing per fact; the comment alone can still nominate a fact, weakly.
        starts = idx.fact_first_variant
        best = np.maximum.reduceat(f, starts)
        best_variant = _argmax_reduceat(f, starts, nv)
        fallback = COMMENT_WEIGHT * hit_c / mass * 0.5
        return 100.0 * np.minimum(1.0, np.maximum(best, fallback)), best_variant


@register
class BM25Answerer(_Lexical):
    """Okapi BM25 with each fact as one document; 100 = every question term matched at saturation."""

    name = "bm25"

    def _fact_scores(self, q: str) -> tuple[np.ndarray, np.ndarray]:
        idx = self.idx
        known, unknown, _ = idx.query(q)
        nf = idx.n_facts
        scores = np.zeros(nf)
        for t in known:
            docs, vals = idx.bm25_postings[t]
            if len(docs):
                scores[docs] += vals
        upper = sum(float(idx.bm25_idf[t]) for t in known) * (idx.bm25_k1 + 1)
        upper += len(unknown) * math.log(1.0 + (nf + 0.5) / 0.5) * (idx.bm25_k1 + 1) * OOV_WEIGHT
        scores = 100.0 * scores / upper if upper > 0 else scores
        # BM25 has no notion of phrasing; report the phrasing the terms answerer would pick.
        v = _best_variant_by_overlap(idx, known)
        return np.minimum(scores, 100.0), v


def _argmax_reduceat(values: np.ndarray, starts: np.ndarray, n: int) -> np.ndarray:
    if len(starts) == 0:
        return np.zeros(0, dtype=np.int64)
    seg = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, n)))
    # Sort by (segment, -value, position): the first of each segment is its argmax (earliest on ties).
    order = np.lexsort((np.arange(n), -values, seg))
    first = order[np.searchsorted(seg[order], np.arange(len(starts)))]
    return first - starts


def _best_variant_by_overlap(idx: _Index, known: list[int]) -> np.ndarray:
    nv = idx.n_variants
    if not known or nv == 0:
        return np.zeros(idx.n_facts, dtype=np.int64)
    vp = [idx.variant_postings[t] for t in known]
    vw = np.concatenate([np.full(len(p), idx.weight[t]) for p, t in zip(vp, known, strict=True)])
    hit_v = np.bincount(np.concatenate(vp), weights=vw, minlength=nv) if len(vw) else np.zeros(nv)
    return _argmax_reduceat(hit_v, idx.fact_first_variant, nv)
