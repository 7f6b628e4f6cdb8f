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

from answerers.base import Answerer, Candidate, Hit, register
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
        bounds = [*fact_first_variant, self.n_variants]
        self.variant_span = [(bounds[i], bounds[i + 1]) for i in range(self.n_facts)]
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
        self.term_of = [t for t, _ in sorted(self.vocab.items(), key=lambda kv: kv[1])]
        self.variant_mass = np.array([self.weight[list(ids)].sum() if ids else 0.0 for ids in variant_terms])
        # BM25 document: every phrasing plus comment, term frequency counted.
        self._build_bm25(facts, fact_sets)

    def _id(self, term: str) -> int:
        tid = self.vocab.get(term)
        if tid is None:
            tid = self.vocab[term] = len(self.vocab)
        return tid

    def _build_bm25(
        self, facts: Sequence, fact_sets: list[set[int]], k1: float = 1.2, b: float = 0.75
    ) -> None:
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
        self.bm25_docs = [d for d, _ in self.bm25_postings]
        self.bm25_vals = [v for _, v in self.bm25_postings]

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
    """Scores a batch of questions at once: postings of all its terms go through one bincount."""

    recall = True
    idx: _Index

    def _build(self) -> None:
        self.idx = shared_index(self.facts)
        self.clear_memo()

    def clear_memo(self) -> None:
        self._last: tuple[tuple[str, ...], tuple[np.ndarray, np.ndarray | None]] | None = None

    def _block(self, questions: Sequence[str]) -> tuple[np.ndarray, np.ndarray | None]:
        """(questions x facts scores, questions x phrasings scores or None); the engine's search()
        and rescore() of one batch share it."""
        key = tuple(questions)
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        result = self._compute(key) if self.idx.n_facts else (np.zeros((len(key), 0)), None)
        self._last = (key, result)
        return result

    def _compute(self, questions: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray | None]:
        raise NotImplementedError

    def shortlist(self, questions: Sequence[str], product: str | None, top_k: int) -> list[np.ndarray]:
        scores, _ = self._block(questions)
        k = min(top_k, scores.shape[1])
        if k == 0:
            return [np.zeros(0, dtype=np.int64) for _ in questions]
        masked = np.where(self.in_scope(product)[None, :], scores, -1.0)
        top = np.argpartition(-masked, k - 1, axis=1)[:, :k]
        keep = np.take_along_axis(masked, top, axis=1) > 0
        return [top[i][keep[i]] for i in range(len(questions))]

    def search(self, questions: Sequence[str], product: str | None, top_k: int) -> list[list[Hit]]:
        scores, _ = self._block(questions)
        nf = scores.shape[1]
        k = min(top_k, nf)
        if k == 0:
            return [[] for _ in questions]
        masked = np.where(self.in_scope(product)[None, :], scores, -1.0)
        top = np.argpartition(-masked, k - 1, axis=1)[:, :k]
        out = []
        for qi in range(len(questions)):
            row = top[qi]
            row = row[np.lexsort((row, -masked[qi, row]))]  # best first, ties by fact order
            out.append(
                [Hit(int(f), float(masked[qi, f]), self._variant(qi, f)) for f in row if masked[qi, f] > 0]
            )
        return out

    def rescore(self, questions: Sequence[str], shortlist: Sequence[Sequence[int]]) -> list[list[Hit]]:
        scores, _ = self._block(questions)
        return [
            [Hit(int(f), float(scores[qi, f]), self._variant(qi, f)) for f in facts]
            for qi, facts in enumerate(shortlist)
        ]

    def _variant(self, qi: int, f: int) -> int:
        per_variant = self._last[1][1] if self._last else None
        start, end = self.idx.variant_span[f]
        if end - start == 1:
            return 0
        if per_variant is not None:
            return int(np.argmax(per_variant[qi, start:end]))
        # No per-phrasing scores (BM25): the phrasing sharing the most weighted terms.
        known = set(self.idx.query(self._last[0][qi])[0])
        w = self.idx.weight
        overlap = [sum(w[t] for t in self.idx.variant_terms[v] if t in known) for v in range(start, end)]
        return int(np.argmax(overlap))

    def explain(self, question: str, fact: int, variant: int) -> tuple[str, ...]:
        """The question's terms found in the fact's matched phrasing or its answer/comment."""
        idx = self.idx
        known, _, _ = idx.query(question)
        vid = int(idx.fact_first_variant[fact]) + variant
        have = set(idx.variant_terms[vid]) | set(idx.comment_terms[fact])
        return tuple(idx.term_of[t] for t in known if t in have)

    def candidate(self, question: str, hit: Hit) -> Candidate:
        if not hit.terms:
            hit = Hit(hit.fact, hit.score, hit.variant, self.explain(question, hit.fact, hit.variant))
        return super().candidate(question, hit)

    def _gather(
        self, queries: list, postings: list[np.ndarray], width: int, weights: list[np.ndarray] | None = None
    ) -> np.ndarray:
        """questions x width matrix: sum over each question's known terms of their postings' weights."""
        qids, terms = [], []
        for qi, (known, _, _) in enumerate(queries):
            qids.extend([qi] * len(known))
            terms.extend(known)
        n = len(queries)
        lists = [postings[t] for t in terms]
        lengths = np.fromiter((len(p) for p in lists), dtype=np.int64, count=len(lists))
        if not lengths.sum():
            return np.zeros((n, width))
        rows = np.repeat(np.asarray(qids, dtype=np.int64), lengths)
        cols = np.concatenate(lists)
        if weights is None:
            vals = np.repeat(self.idx.weight[np.asarray(terms, dtype=np.int64)], lengths)
        else:
            vals = np.concatenate([weights[t] for t in terms])
        return np.bincount(rows * width + cols, weights=vals, minlength=n * width).reshape(n, width)


@register
class TermsAnswerer(_Lexical):
    """IDF-weighted term coverage, both ways, per phrasing; best phrasing per fact."""

    name = "terms"
    beta = 1.0  # F-beta: >1 favours covering the question, <1 favours covering the phrasing

    def _compute(self, questions: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray | None]:
        idx = self.idx
        queries = [idx.query(q) for q in questions]
        mass = np.array([m for _, _, m in queries])
        safe_mass = np.where(mass > 0, mass, 1.0)[:, None]
        nq, nv, nf = len(questions), idx.n_variants, idx.n_facts
        hit_v = self._gather(queries, idx.variant_postings, nv).ravel()
        hit_c = self._gather(queries, idx.comment_postings, nf)
        # Only (question, phrasing) pairs sharing a term can score: compute those, not the dense grid.
        nz = np.flatnonzero(hit_v)
        qi, vi = np.divmod(nz, nv)
        fi = idx.variant_fact_arr[vi]
        hv = hit_v[nz]
        q_cov = (hv + COMMENT_WEIGHT * hit_c[qi, fi]) / safe_mass[qi, 0]
        v_cov = hv / np.where(idx.variant_mass[vi] > 0, idx.variant_mass[vi], 1.0)
        b2 = self.beta**2
        f = (1 + b2) * q_cov * v_cov / (b2 * v_cov + q_cov)
        best = np.zeros(nq * nf)
        np.maximum.at(best, qi * nf + fi, f)
        per_variant = np.zeros(nq * nv)
        per_variant[nz] = f
        # The comment alone can still nominate a fact, weakly.
        fallback = 0.5 * COMMENT_WEIGHT * hit_c / safe_mass
        best = np.maximum(best.reshape(nq, nf), fallback)
        return 100.0 * np.minimum(1.0, best), per_variant.reshape(nq, nv)


@register
class BM25Answerer(_Lexical):
    """Okapi BM25 with each fact as one document; 100 = every question term matched at saturation."""

    name = "bm25"

    def _compute(self, questions: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray | None]:
        idx = self.idx
        queries = [idx.query(q) for q in questions]
        scores = self._gather(queries, idx.bm25_docs, idx.n_facts, idx.bm25_vals)
        oov = math.log(1.0 + (idx.n_facts + 0.5) / 0.5) * OOV_WEIGHT
        upper = np.array(
            [sum(float(idx.bm25_idf[t]) for t in known) + len(unknown) * oov for known, unknown, _ in queries]
        ) * (idx.bm25_k1 + 1)
        scores = 100.0 * scores / np.where(upper > 0, upper, 1.0)[:, None]
        # BM25 has no notion of phrasing: no per-phrasing scores, the engine takes the terms answerer's.
        return np.minimum(scores, 100.0), None


def _argmax_reduceat(values: np.ndarray, starts: np.ndarray, n: int) -> np.ndarray:
    """Per segment (starting at ``starts``) of a 1-D array, the offset of its maximum (earliest on ties)."""
    if len(starts) == 0:
        return np.zeros(0, dtype=np.int64)
    seg = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, n)))
    order = np.lexsort((np.arange(n), -values, seg))
    first = order[np.searchsorted(seg[order], np.arange(len(starts)))]
    return first - starts
