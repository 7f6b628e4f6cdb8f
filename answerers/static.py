"""``static`` answerer: meaning without torch, from word-piece vectors distilled from all-MiniLM-L6-v2.

The lexical answerers see words; a question asking "who owns the security program" in words no
phrasing uses gets nothing from them. This answerer embeds a text as the weighted mean of the
static vectors of its word pieces (answerers/data/minilm-l6-static.npz, built by
scripts/build_static_vectors.py) and scores a fact by the best cosine between the question and
the fact's phrasings (and its question followed by its comment, as the semantic answerer does).

Pieces are weighted by their rarity across the library's facts (IDF, raised to ``IDF_POWER``):
"the", "?" and "data" must not decide a match; "offboarding" and "residency" must. A piece no
fact uses weighs like the rarest one, so a question about something the library never mentions
points away from every fact. Numpy only; a fusion signal next to the lexical ones (it re-scores
the engine's shortlist), but it can rank facts on its own too.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from answerers.base import Answerer, Hit, register
from answerers.csr import CSR
from answerers.lexical import _argmax_reduceat
from answerers.salience import boilerplate_weight
from answerers.text import analyse, strip_leading_id
from answerers.wordpiece import WordPiece
from knowledge.model import Fact

VECTORS = Path(__file__).with_name("data") / "minilm-l6-static.npz"
# Measured on the development questionnaires (leave-one-questionnaire-out): 1.5 ranks as well as
# 1 and leaves more unanswerable questions alone; 2 over-trusts single rare pieces.
IDF_POWER = 1.5
# Cosines precomputed per batch up to this many (question, text) cells (4 bytes each: 64 MB).
BATCH_CELLS = 16_000_000
# Question vectors kept per library index (384 floats each: 8,192 of them are 12 MB).
QUESTION_MEMO = 8192
_HAS_LETTER = re.compile(r"[^\W\d_]")  # "?!" or "1.4" alone is no question
_lock = threading.Lock()
_loaded: tuple[WordPiece, np.ndarray, np.ndarray] | None = None
_boilerplate: np.ndarray | None = None
# Only clear boilerplate (questionnaire weight at most this: "documented" 0.6, "implemented" 0.29,
# "process", "policy", "data" 0.25) weighs less in a question's vector; a word used in a fifth of
# sections ("function", 0.78) keeps its weight: lowering it too turned "Who leads your infosec
# function?" from the security-owner fact to the backup one.
PLAIN_WORD = 0.65


@dataclass(frozen=True)
class _BatchCosines:
    """A batch's cosines to every text of its product's facts (see ``begin_batch``)."""

    row: dict[str, int]  # question text -> its row
    cos: np.ndarray  # questions x texts, the facts' texts laid end to end
    column: np.ndarray  # fact -> its first column (-1: out of the product's scope)


def _runs(starts: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Runs ``starts[i] .. starts[i] + count[i] - 1`` laid end to end: where each run begins in the
    result, and the result (the indices)."""
    first = np.cumsum(count) - count
    return first, np.repeat(starts - first, count) + np.arange(int(count.sum()))


def load_vectors() -> tuple[WordPiece, np.ndarray, np.ndarray]:
    """(tokenizer, int8 vectors, per-piece scale), read once per process (allow_pickle off: data only)."""
    global _loaded
    with _lock:
        if _loaded is None:
            with np.load(VECTORS, allow_pickle=False) as data:
                vocab = bytes(data["vocab"]).decode("utf-8").split("\n")
                _loaded = (WordPiece(vocab, bool(data["lowercase"])), _vectors(data), data["scales"])
        return _loaded


_unpacked_dir: Path | None = None


def unpack_vectors_to(folder: Path | None) -> None:
    """Keep an uncompressed copy of the vectors in ``folder`` (an application's own cache folder) and
    memory-map it: inflating the 11 MB of the shipped file took 0.08 s of every start-up, and a run
    reads only the pages of the pieces it meets. Call before the first match; ``None``: no copy."""
    global _unpacked_dir
    _unpacked_dir = folder


def _vectors(data) -> np.ndarray:
    """The vectors of the open ``VECTORS`` file: memory-mapped from the uncompressed copy (written once,
    atomically, named by the member's CRC and size so a changed file gets a new copy) when there is a
    folder for it, else inflated. Any problem with the copy falls back to the shipped file."""
    folder = _unpacked_dir
    if folder is None:
        return data["vectors"]
    info = data.zip.getinfo("vectors.npy")
    path = folder / f"static-vectors-{info.CRC:08x}-{info.file_size}.npy"
    try:
        if path.stat().st_size == info.file_size:
            return np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError):
        pass
    raw = data.zip.read(info)  # the .npy as stored, its CRC checked by zipfile
    try:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    except OSError:
        fd = None
    if fd is not None:
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(raw)
            os.replace(tmp, path)  # readers see the whole copy or none
        except OSError:
            Path(tmp).unlink(missing_ok=True)
        for old in folder.glob("static-vectors-*.npy"):  # copies of an earlier vectors file
            if old != path:
                with contextlib.suppress(OSError):
                    old.unlink()
    return np.lib.format.read_array(io.BytesIO(raw), allow_pickle=False)


def piece_boilerplate() -> np.ndarray:
    """Per piece, the questionnaire-language weight of the word it spells (answerers/salience.py):
    "process", "policy", "implemented", "requirements" weigh down to a quarter, topic words and
    word endings keep 1. The library's IDF alone gives a boilerplate word the library never uses
    ("implemented", "currently") the *highest* weight, so a long formal question pointed away from
    every fact; built once per process (about 0.2 s over the 30,522 pieces)."""
    global _boilerplate
    tok, _, scales = load_vectors()
    with _lock:
        if _boilerplate is None:
            mult = np.ones(len(scales), dtype=np.float32)
            for piece, i in tok.ids.items():
                if len(piece) > 2 and piece.isalpha():
                    terms = analyse(piece)
                    if len(terms) == 1 and not terms[0].startswith("@"):
                        w = boilerplate_weight(terms[0])
                        mult[i] = w if w <= PLAIN_WORD else 1.0
            _boilerplate = mult
        return _boilerplate


def _text(text: str) -> str:
    return strip_leading_id((text or "").strip())


_ASIDE = re.compile(r"\s*\([^()]*\)")


def question_ids(tok: WordPiece, question: str) -> list[int]:
    """A question's piece ids; nothing but punctuation or numbers is no question (no pieces: a zero vector).
    A parenthesis ("(e.g., Duo, Google Authenticator, OTP, etc.)") is left out when the sentence stands
    without it (four words or more): its examples would pull the mean vector away from what is asked."""
    if not _HAS_LETTER.search(question or ""):
        return []
    text = _text(question)
    bare = _ASIDE.sub("", text)
    return tok.encode(bare if bare != text and len(bare.split()) >= 4 else text)


def embed_ids(encoded: list[list[int]], weight: np.ndarray) -> np.ndarray:
    """Unit vectors of texts given as piece ids, pieces weighted by ``weight``: one sparse
    (texts x pieces) product."""
    _, vectors, scales = load_vectors()
    if not encoded:
        return np.zeros((0, vectors.shape[1]), dtype=np.float32)
    used, inverse = np.unique(np.fromiter((i for ids in encoded for i in ids), dtype=np.int64), return_inverse=True)
    indptr = np.zeros(len(encoded) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(ids) for ids in encoded])
    counts = CSR(weight[used][inverse].astype(np.float32), inverse, indptr, (len(encoded), len(used)))
    table = vectors[used].astype(np.float32) * scales[used, None]
    out = np.asarray(counts @ table, dtype=np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms > 0, norms, 1.0)


@dataclass(frozen=True)
class LibraryIndex:
    """A library's texts as vectors: what the static answerer scores against and the piece
    weights (IDF) that every static-vector signal embeds questions with."""

    owner: np.ndarray  # text -> its fact
    number: np.ndarray  # text -> which of the fact's phrasings it is (0: the question + comment text)
    starts: np.ndarray  # fact -> its first text
    ends: np.ndarray  # fact -> one past its last text
    weight: np.ndarray  # piece -> IDF weight
    matrix: np.ndarray  # text -> unit vector
    # weight x piece_boilerplate(): what questions are embedded with, kept with the index (and so with its
    # disk cache): a run on a cached index does not analyse the 30,522 pieces again (0.2 s at start-up).
    question_weight: np.ndarray | None = None
    memo: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)  # question vectors

    def embed_questions(self, questions: Sequence[str]) -> np.ndarray:
        """Unit vectors of questions, memoised for every signal sharing this index: a batch's
        questions are embedded once, not once per answerer. At most ``QUESTION_MEMO`` are kept."""
        tok, vectors, _ = load_vectors()
        unique = list(dict.fromkeys(questions))
        known = {q: v for q in unique if (v := self.memo.get(q)) is not None}
        todo = [q for q in unique if q not in known]
        if todo:
            weight = self.question_weight if self.question_weight is not None else self.weight * piece_boilerplate()
            fresh = dict(zip(todo, embed_ids([question_ids(tok, q) for q in todo], weight), strict=True))
            known.update(fresh)
            if len(fresh) <= QUESTION_MEMO:  # a huge batch is not kept: memory stays bounded
                with _lock:
                    if len(self.memo) + len(fresh) > QUESTION_MEMO:
                        self.memo.clear()
                    self.memo.update(fresh)
        if not questions:
            return np.zeros((0, vectors.shape[1]), dtype=np.float32)
        return np.stack([known[q] for q in questions])


_indexes: OrderedDict[str, LibraryIndex] = OrderedDict()


def library_index(facts: Sequence[Fact]) -> LibraryIndex:
    """The index of ``facts``, built once per library content: the static and category answerers
    of one engine share it (building it twice doubled the engine's index time)."""
    digest = hashlib.sha256()
    for f in facts:
        parts = [str(len(f.all_questions)), *f.all_questions, f.comment or "", f.answer or ""]
        digest.update(("\x00".join(parts) + "\x01").encode())
    key = digest.hexdigest()
    with _lock:
        if key in _indexes:
            _indexes.move_to_end(key)
            return _indexes[key]
    lib = _build_index(facts)
    with _lock:
        _indexes[key] = lib
        while len(_indexes) > 2:  # an engine per library state; old states go
            _indexes.popitem(last=False)
    return lib


def _build_index(facts: Sequence[Fact]) -> LibraryIndex:
    tok, _, scales = load_vectors()
    texts, owner, number = [], [], []
    for fi, fact in enumerate(facts):
        for vi, text in enumerate(fact.all_questions):
            texts.append(_text(text))
            owner.append(fi)
            number.append(vi)
        comment = (fact.comment or "").strip()
        if comment:
            texts.append(f"{_text(fact.question)} {comment}")
            owner.append(fi)
            number.append(0)  # shown as the fact's main question: the comment is context
    owner_ = np.array(owner, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, owner_[1:] != owner_[:-1]]) if owner else owner_
    # How many facts use each piece anywhere (phrasings, answer, comment): the IDF.
    encoded = [tok.encode(t) for t in texts]
    per_fact: list[set[int]] = [set() for _ in facts]
    for ids, fi in zip(encoded, owner, strict=True):
        per_fact[fi].update(ids)
    for fi, fact in enumerate(facts):
        per_fact[fi].update(tok.encode(fact.answer or ""))
    df = np.zeros(len(scales))
    for pieces in per_fact:
        df[list(pieces)] += 1
    n = max(len(facts), 1)
    weight = (np.log(1.0 + (n + 1.0) / (df + 0.5)) ** IDF_POWER).astype(np.float32)
    return LibraryIndex(
        owner=owner_,
        number=np.array(number, dtype=np.int64),
        starts=starts,
        ends=np.r_[starts[1:], len(owner_)].astype(np.int64),
        weight=weight,
        matrix=embed_ids(encoded, weight),
        question_weight=weight * piece_boilerplate(),
    )


@register
class StaticAnswerer(Answerer):
    name = "static"
    recall = False

    def _build(self) -> None:
        self.lib = lib = library_index(self.facts)  # shared with the category signal
        self.owner, self.number, self.starts, self._ends = lib.owner, lib.number, lib.starts, lib.ends
        self.weight, self.matrix = lib.weight, lib.matrix
        self._batch: _BatchCosines | None = None
        self._product_texts: tuple[str | None, np.ndarray, np.ndarray] | None = None

    def begin_batch(self, questions: Sequence[str], product: str | None) -> None:
        """Embed the whole batch at once and, when it fits in ``BATCH_CELLS``, take its cosines to
        every text of the product's facts in one BLAS product: each chunk then only picks its pairs."""
        self._batch = None
        column, texts = self._texts_of(product)
        if not len(questions) or len(questions) * len(texts) > BATCH_CELLS:
            return  # too large: each chunk embeds its own questions
        q = self.embed(questions)
        row = {text: i for i, text in enumerate(questions)}
        self._batch = _BatchCosines(row, (texts @ q.T).T, column)

    def _texts_of(self, product: str | None) -> tuple[np.ndarray, np.ndarray]:
        """Per fact its first column (-1: out of the product's scope), and the vectors of the product's
        facts' texts laid end to end: the same for every batch of a product, so gathered once (a run
        matches in several batches, and the gather copied 7 MB at 5,000 facts each time). Only the last
        product's are kept."""
        kept = self._product_texts
        if kept is None or kept[0] != product:
            facts = np.flatnonzero(self.in_scope(product))
            count = self._ends[facts] - self.starts[facts]
            first, cols = _runs(self.starts[facts], count)
            column = np.full(len(self.facts), -1, dtype=np.int64)  # fact -> its first column
            column[facts] = first
            kept = self._product_texts = (product, column, np.take(self.matrix, cols, axis=0))
        return kept[1], kept[2]

    def end_batch(self) -> None:
        self._batch = None

    def embed(self, questions: Sequence[str]) -> np.ndarray:
        return self.lib.embed_questions(questions)

    def _per_fact(self, sims: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Best cosine per fact (0-100) and which phrasing gave it, from cosines to every text."""
        if len(self.facts) == 0 or sims.shape[1] == 0:
            return np.zeros((len(sims), len(self.facts))), np.zeros((len(sims), len(self.facts)), dtype=np.int64)
        best = np.maximum.reduceat(sims, self.starts, axis=1)
        variants = np.stack([self.number[self.starts + _argmax_reduceat(s, self.starts, len(s))] for s in sims])
        return 100.0 * np.clip(best, 0.0, 1.0), variants

    def search(self, questions: Sequence[str], product: str | None, top_k: int) -> list[list[Hit]]:
        scope = self.in_scope(product)
        scores, variants = self._per_fact(self.embed(questions) @ self.matrix.T)
        out = []
        for s, v in zip(scores, variants, strict=True):
            s = np.where(scope, s, -1.0)
            order = np.lexsort((np.arange(len(s)), -s))[:top_k]
            out.append([Hit(int(f), float(s[f]), int(v[f])) for f in order if s[f] > 0])
        return out

    def rescore(self, questions: Sequence[str], shortlist: Sequence[Sequence[int]]) -> list[list[Hit]]:
        out = []
        for qi, facts in enumerate(shortlist):
            facts = np.asarray(facts, dtype=np.int64)
            scores, variants = self._per_fact(self.embed([questions[qi]]) @ self.matrix.T)
            out.append([Hit(int(f), float(scores[0, f]), int(variants[0, f])) for f in facts.tolist()])
        return out

    def rescore_flat(self, questions: Sequence[str], shortlist: Sequence[Sequence[int]]) -> np.ndarray:
        """Every (question, shortlisted fact) pair at once: the best cosine over the fact's texts, from
        the batch's precomputed cosines or else one product of these questions with the texts of
        the facts any of them shortlisted."""
        sizes = np.array([len(f) for f in shortlist], dtype=np.int64)
        if not sizes.sum():
            return np.zeros(0)
        facts = np.concatenate([np.asarray(f, dtype=np.int64) for f in shortlist])
        batch = self._batch
        if batch is not None and all(t in batch.row for t in questions) and (batch.column[facts] >= 0).all():
            # Cosines taken for the whole batch: its rows for these questions, each pair's run of columns.
            rows = np.array([batch.row[t] for t in questions], dtype=np.int64)
            pair_q, sims = np.repeat(rows, sizes), batch.cos
            pair_count = self._ends[facts] - self.starts[facts]
            pair_first, at = _runs(batch.column[facts], pair_count)
        else:
            q = self.embed(questions)
            pair_q = np.repeat(np.arange(len(shortlist)), sizes)
            wanted, local = np.unique(facts, return_inverse=True)
            count = self._ends[wanted] - self.starts[wanted]
            first, cols = _runs(self.starts[wanted], count)  # each wanted fact's columns in the product
            sims = (np.take(self.matrix, cols, axis=0) @ q.T).T  # questions x texts of the wanted facts
            pair_count = count[local]
            pair_first, at = _runs(first[local], pair_count)
        # Per pair: its question's row, its fact's run of columns; the run's maximum.
        cos = sims[np.repeat(pair_q, pair_count), at]
        best = np.maximum.reduceat(cos, pair_first)
        return 100.0 * np.clip(best.astype(np.float64), 0.0, 1.0)
