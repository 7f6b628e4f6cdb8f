"""Lexical answerers over sparse term matrices of thesaurus-aware terms (numpy + scipy.sparse).

A fact has two fields. Its *phrasings* (question and alternates) say what it answers; they are the
primary signal. Its *context* (answer, comment, category, tags) says what it is about in other
words: "runbook", "European Union", "who viewed" often appear only there.

``terms``: for each phrasing, the IDF-weighted share of the question's terms it covers and the
share of its own terms the question covers, combined as an F-score; the best phrasing counts. A
phrasing's own distinguishing word ("rest", "RTO") missing from the question costs as much as the
question's distinguishing word missing from the phrasing, so neighbours that share most words
still separate. Context words count a little towards covering the question.

``bm25``: Okapi BM25 over each fact's phrasings as one document (recall that tolerates paraphrase).

``context``: BM25 over the context field only, with its own IDF; the fusion learns its weight.

``coverage``: the IDF share of the question explained by the fact's phrasings and context
together. Not a ranking signal so much as an abstention one: a question whose distinctive words
("HITRUST", "FedRAMP") no fact mentions is one the library does not answer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import sparse

from answerers.base import Answerer, Candidate, Hit, register
from answerers.text import analyse, thesaurus

# Context words are evidence, not phrasing: they count this much of a phrasing's word.
COMMENT_WEIGHT = 0.35
# Question terms the library has never seen weigh like this share of the rarest known term:
# "HITRUST" or "FedRAMP" in a question the library cannot answer should pull coverage down.
OOV_WEIGHT = 0.6
BM25_K1, BM25_B = 1.2, 0.75


def context_text(fact) -> str:
    return " ".join([fact.answer or "", fact.comment or "", fact.category or "", " ".join(fact.tags or [])])


def _csr(rows: list[dict[int, float]], width: int) -> sparse.csr_matrix:
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(r) for r in rows])
    indices = np.fromiter((t for r in rows for t in r), dtype=np.int64, count=int(indptr[-1]))
    data = np.fromiter((v for r in rows for v in r.values()), dtype=np.float64, count=int(indptr[-1]))
    return sparse.csr_matrix((data, indices, indptr), shape=(len(rows), width))


def _bm25(tfs: list[dict[int, float]], width: int) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Fact x term BM25 weights (term frequency saturated, length normalised) and the IDF used."""
    n = max(len(tfs), 1)
    df = np.zeros(width)
    for tf in tfs:
        for t in tf:
            df[t] += 1
    idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5))
    lengths = np.array([sum(tf.values()) for tf in tfs]) if tfs else np.zeros(0)
    avg = float(lengths.mean()) if len(lengths) and lengths.mean() > 0 else 1.0
    rows = []
    for fi, tf in enumerate(tfs):
        norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths[fi] / avg)
        rows.append({t: idf[t] * f * (BM25_K1 + 1) / (f + norm) for t, f in tf.items()})
    return _csr(rows, width), idf


class _Index:
    """Vocabulary, IDF and the sparse matrices shared by the lexical answerers."""

    def __init__(self, facts: Sequence) -> None:
        th = thesaurus()
        self.vocab: dict[str, int] = {}
        variant_terms: list[tuple[int, ...]] = []
        variant_fact: list[int] = []
        context_terms: list[tuple[int, ...]] = []  # context words the phrasings lack
        context_all: list[dict[int, float]] = []  # context term frequencies
        fact_first_variant: list[int] = []
        for fi, fact in enumerate(facts):
            fact_first_variant.append(len(variant_fact))
            seen: set[int] = set()
            for text in fact.all_questions:
                ids = tuple(sorted({self._id(t) for t in analyse(text)}))
                variant_terms.append(ids)
                variant_fact.append(fi)
                seen.update(ids)
            tf: dict[int, float] = {}
            for t in analyse(context_text(fact)):
                tid = self._id(t)
                tf[tid] = tf.get(tid, 0.0) + 1.0
            context_all.append(tf)
            context_terms.append(tuple(sorted(set(tf) - seen)))
        self.n_facts = len(facts)
        self.n_variants = len(variant_fact)
        self.fact_first_variant = np.array(fact_first_variant, dtype=np.int64)
        self.variant_fact = np.array(variant_fact, dtype=np.int64)
        bounds = [*fact_first_variant, self.n_variants]
        self.variant_span = [(bounds[i], bounds[i + 1]) for i in range(self.n_facts)]
        v = self.width = len(self.vocab)
        # Document frequency over facts' phrasings: what makes a word distinguishing among facts.
        fact_sets: list[set[int]] = [set() for _ in range(self.n_facts)]
        for vid, ids in enumerate(variant_terms):
            fact_sets[variant_fact[vid]].update(ids)
        df = np.zeros(v)
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
        self.term_of = [t for t, _ in sorted(self.vocab.items(), key=lambda kv: kv[1])]
        self.variant_terms = variant_terms
        self.context_terms = context_terms
        # Binary matrices (rows: phrasings / facts); products with a weighted query give covered mass.
        self.V = _csr([dict.fromkeys(ids, 1.0) for ids in variant_terms], v)
        self.VT = self.V.T.tocsr()
        self.C = _csr([dict.fromkeys(ids, 1.0) for ids in context_terms], v)
        self.CT = self.C.T.tocsr()
        self.variant_mass = np.asarray(self.V @ self.weight).ravel()
        # Everything a fact says (phrasings and context): for coverage.
        self.ALL_T = _csr([dict.fromkeys(s | set(c), 1.0) for s, c in zip(fact_sets, context_all, strict=True)], v)
        self.ALL_T = self.ALL_T.T.tocsr()
        # BM25 over phrasings (each phrasing's words counted), and over the context alone.
        tfs = []
        for fi in range(self.n_facts):
            tf: dict[int, float] = {}
            start, end = self.variant_span[fi]
            for vid in range(start, end):
                for t in variant_terms[vid]:
                    tf[t] = tf.get(t, 0.0) + 1.0
            tfs.append(tf)
        bm, self.bm25_idf = _bm25(tfs, v)
        self.BM25_T = bm.T.tocsr()
        cbm, self.ctx_idf = _bm25(context_all, v)
        self.CTX_T = cbm.T.tocsr()

    def _id(self, term: str) -> int:
        tid = self.vocab.get(term)
        if tid is None:
            tid = self.vocab[term] = len(self.vocab)
        return tid

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

    def queries(self, questions: Sequence[str]) -> tuple[list, sparse.csr_matrix]:
        """Parsed queries and their binary question x term matrix."""
        parsed = [self.query(q) for q in questions]
        rows = [dict.fromkeys(known, 1.0) for known, _, _ in parsed]
        return parsed, _csr(rows, self.width)


_INDEX_CACHE: dict[tuple[int, ...], tuple[list, _Index]] = {}


def shared_index(facts: list) -> _Index:
    """The lexical answerers of one engine index the same Fact objects: build the index once.

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


_QUERY_MEMO: dict[tuple[str, ...], tuple] = {}


class _Lexical(Answerer):
    """Scores a batch of questions at once: one sparse product per field."""

    recall = True
    idx: _Index

    def _build(self) -> None:
        self.idx = shared_index(self.facts)
        self.clear_memo()

    def clear_memo(self) -> None:
        self._last: tuple[tuple[str, ...], tuple[np.ndarray, np.ndarray | None]] | None = None
        _QUERY_MEMO.clear()

    def _parsed(self, key: tuple[str, ...]) -> tuple:
        # The lexical answerers of one engine score the same batch: parse it once.
        hit = _QUERY_MEMO.get(key)
        if hit is None or hit[0] is not self.idx:
            _QUERY_MEMO.clear()
            hit = _QUERY_MEMO[key] = (self.idx, *self.idx.queries(key))
        return hit[1], hit[2]

    def _block(self, questions: Sequence[str]) -> tuple[np.ndarray, np.ndarray | None]:
        """(questions x facts scores, questions x facts best phrasing or None); the engine's
        shortlist() and rescore() of one batch share it."""
        key = tuple(questions)
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        if self.idx.n_facts:
            parsed, q = self._parsed(key)
            result = self._compute(parsed, q)
        else:
            result = (np.zeros((len(key), 0)), None)
        self._last = (key, result)
        return result

    def _compute(self, parsed: list, q: sparse.csr_matrix) -> tuple[np.ndarray, np.ndarray | None]:
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
        k = min(top_k, scores.shape[1])
        if k == 0:
            return [[] for _ in questions]
        masked = np.where(self.in_scope(product)[None, :], scores, -1.0)
        top = np.argpartition(-masked, k - 1, axis=1)[:, :k]
        out = []
        for qi in range(len(questions)):
            row = top[qi]
            row = row[np.lexsort((row, -masked[qi, row]))]  # best first, ties by fact order
            out.append([Hit(int(f), float(masked[qi, f]), self._variant(qi, f)) for f in row if masked[qi, f] > 0])
        return out

    def rescore(self, questions: Sequence[str], shortlist: Sequence[Sequence[int]]) -> list[list[Hit]]:
        scores, variants = self._block(questions)
        out = []
        for qi, facts in enumerate(shortlist):
            facts = np.asarray(facts, dtype=np.int64)
            s = scores[qi, facts].tolist()
            v = variants[qi, facts].tolist() if variants is not None else [0] * len(facts)
            out.append([Hit(f, x, y) for f, x, y in zip(facts.tolist(), s, v, strict=True)])
        return out

    def rescore_scores(self, questions: Sequence[str], shortlist: Sequence[Sequence[int]]) -> list[np.ndarray]:
        scores, _ = self._block(questions)
        return [scores[qi, np.asarray(facts, dtype=np.int64)] for qi, facts in enumerate(shortlist)]

    def best_phrasing(self, questions: Sequence[str], qi: int, fact: int) -> int:
        _, variants = self._block(questions)
        return int(variants[qi, fact]) if variants is not None else 0

    def _variant(self, qi: int, f: int) -> int:
        variants = self._last[1][1] if self._last else None
        if variants is not None:
            return int(variants[qi, f])
        # No per-phrasing scores (BM25): the phrasing sharing the most weighted terms.
        start, end = self.idx.variant_span[f]
        if end - start <= 1:
            return 0
        known = set(self.idx.query(self._last[0][qi])[0])
        w = self.idx.weight
        overlap = [sum(w[t] for t in self.idx.variant_terms[v] if t in known) for v in range(start, end)]
        return int(np.argmax(overlap))

    def explain(self, question: str, fact: int, variant: int) -> tuple[str, ...]:
        """The question's terms found in the fact's matched phrasing or its answer/comment."""
        idx = self.idx
        known, _, _ = idx.query(question)
        vid = int(idx.fact_first_variant[fact]) + variant
        have = set(idx.variant_terms[vid]) | set(idx.context_terms[fact])
        return tuple(idx.term_of[t] for t in known if t in have)

    def candidate(self, question: str, hit: Hit) -> Candidate:
        if not hit.terms:
            hit = Hit(hit.fact, hit.score, hit.variant, self.explain(question, hit.fact, hit.variant))
        return super().candidate(question, hit)

    @staticmethod
    def _upper(parsed: list, idf: np.ndarray, oov: float) -> np.ndarray:
        """Per question, the BM25 score of a document matching every term at saturation."""
        up = np.array([float(idf[known].sum()) + len(unknown) * oov for known, unknown, _ in parsed])
        return np.where(up > 0, up * (BM25_K1 + 1), 1.0)


@register
class TermsAnswerer(_Lexical):
    """IDF-weighted term coverage, both ways, per phrasing; best phrasing per fact."""

    name = "terms"
    beta = 1.0  # F-beta: >1 favours covering the question, <1 favours covering the phrasing

    def _compute(self, parsed: list, q: sparse.csr_matrix) -> tuple[np.ndarray, np.ndarray | None]:
        idx = self.idx
        nq, nf = q.shape[0], idx.n_facts
        mass = np.array([m for _, _, m in parsed])
        safe_mass = np.where(mass > 0, mass, 1.0)
        qw = q.multiply(idx.weight[None, :]).tocsr()
        hit_v = (qw @ idx.VT).tocoo()  # question x phrasing: covered weight, only where a term is shared
        hit_c = (qw @ idx.CT).toarray()  # question x fact: covered weight of the context-only words
        qi, vi, hv = hit_v.row.astype(np.int64), hit_v.col.astype(np.int64), hit_v.data
        fi = idx.variant_fact[vi]
        q_cov = (hv + COMMENT_WEIGHT * hit_c[qi, fi]) / safe_mass[qi]
        v_cov = hv / np.where(idx.variant_mass[vi] > 0, idx.variant_mass[vi], 1.0)
        b2 = self.beta**2
        f = (1 + b2) * q_cov * v_cov / np.maximum(b2 * v_cov + q_cov, 1e-12)
        best = np.zeros((nq, nf))
        variant = np.zeros((nq, nf), dtype=np.int64)
        if len(f):
            # Best phrasing per (question, fact): sort by score, the last write per cell wins.
            order = np.lexsort((-vi, f))
            best[qi[order], fi[order]] = f[order]
            variant[qi[order], fi[order]] = vi[order] - idx.fact_first_variant[fi[order]]
        # The context alone can still nominate a fact, weakly.
        best = np.maximum(best, 0.5 * COMMENT_WEIGHT * hit_c / safe_mass[:, None])
        return 100.0 * np.minimum(1.0, best), variant


@register
class BM25Answerer(_Lexical):
    """Okapi BM25 with each fact's phrasings as one document; 100 = every term matched at saturation."""

    name = "bm25"

    def _compute(self, parsed: list, q: sparse.csr_matrix) -> tuple[np.ndarray, np.ndarray | None]:
        idx = self.idx
        scores = (q @ idx.BM25_T).toarray()
        upper = self._upper(parsed, idx.bm25_idf, math.log(1.0 + (idx.n_facts + 0.5) / 0.5) * OOV_WEIGHT)
        return np.minimum(100.0 * scores / upper[:, None], 100.0), None


@register
class ContextAnswerer(_Lexical):
    """BM25 over each fact's answer, comment, category and tags (the secondary field)."""

    name = "context"
    standalone = False

    def _compute(self, parsed: list, q: sparse.csr_matrix) -> tuple[np.ndarray, np.ndarray | None]:
        idx = self.idx
        scores = (q @ idx.CTX_T).toarray()
        upper = self._upper(parsed, idx.ctx_idf, math.log(1.0 + (idx.n_facts + 0.5) / 0.5) * OOV_WEIGHT)
        return np.minimum(100.0 * scores / upper[:, None], 100.0), None


@register
class CoverageAnswerer(_Lexical):
    """Share of the question's weighted terms that the fact mentions anywhere (phrasings or context)."""

    name = "coverage"
    recall = False
    standalone = False

    def _compute(self, parsed: list, q: sparse.csr_matrix) -> tuple[np.ndarray, np.ndarray | None]:
        idx = self.idx
        mass = np.array([m for _, _, m in parsed])
        covered = (q.multiply(idx.weight[None, :]).tocsr() @ idx.ALL_T).toarray()
        return 100.0 * covered / np.where(mass > 0, mass, 1.0)[:, None], None


def _argmax_reduceat(values: np.ndarray, starts: np.ndarray, n: int) -> np.ndarray:
    """Per segment (starting at ``starts``) of a 1-D array, the offset of its maximum (earliest on ties)."""
    if len(starts) == 0:
        return np.zeros(0, dtype=np.int64)
    seg = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, n)))
    order = np.lexsort((np.arange(n), -values, seg))
    first = order[np.searchsorted(seg[order], np.arange(len(starts)))]
    return first - starts
