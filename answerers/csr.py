"""A small CSR sparse matrix for the lexical and static answerers, computed by scipy's own compiled
kernels (``scipy.sparse._sparsetools``) without importing ``scipy.sparse``.

Importing ``scipy.sparse`` took 0.15 s of every `trustfill answer` (about 250 modules: its array-API
layer pulls in numpy.f2py, numpy.testing, email...), more than the products themselves cost in a
2,000-question run. The answerers need only a handful of operations, so they are written here over
the same C++ kernels scipy.sparse calls, called the way scipy.sparse calls them: every product sums
in the same order and gives the same bits (tests/test_csr.py checks each operation against
scipy.sparse). The kernels' extension module is loaded from scipy's folder by itself; if that ever
fails (another layout), it is imported the ordinary way, through scipy.sparse.

A matrix is plain numpy arrays, so the index cache pickles no scipy object.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
from collections.abc import Sequence
from pathlib import Path

import numpy as np

_INT32_MAX = np.iinfo(np.int32).max


def _load_kernels():
    """scipy.sparse._sparsetools, without running scipy/sparse/__init__.py when it can be found."""
    spec = importlib.util.find_spec("scipy")  # finds the package; does not import it
    for folder in (spec.submodule_search_locations or []) if spec else []:
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = Path(folder) / "sparse" / f"_sparsetools{suffix}"
            if not path.is_file():
                continue
            try:
                kernel_spec = importlib.util.spec_from_file_location("scipy.sparse._sparsetools", path)
                module = importlib.util.module_from_spec(kernel_spec)
                kernel_spec.loader.exec_module(module)
                return module
            except Exception:  # noqa: BLE001 - any trouble: the ordinary import below
                break
    from scipy.sparse import _sparsetools

    return _sparsetools


_k = _load_kernels()


def _index_dtype(*sizes: int) -> type:
    """int32 when every index fits, as scipy.sparse chooses (the kernels take either)."""
    return np.int32 if max(sizes, default=0) <= _INT32_MAX else np.int64


class CSR:
    """Compressed sparse rows: ``data[indptr[i]:indptr[i + 1]]`` are row i's values at columns
    ``indices[...]``, in stored order (not necessarily sorted)."""

    __slots__ = ("data", "indices", "indptr", "shape")

    def __init__(self, data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, shape: tuple[int, int]) -> None:
        idx = _index_dtype(len(indices), *shape)
        self.data = np.asarray(data)
        self.indices = np.asarray(indices, dtype=idx)
        self.indptr = np.asarray(indptr, dtype=idx)
        self.shape = (int(shape[0]), int(shape[1]))

    def __getstate__(self):
        return self.data, self.indices, self.indptr, self.shape

    def __setstate__(self, state) -> None:
        self.data, self.indices, self.indptr, self.shape = state

    @classmethod
    def from_rows(cls, rows: Sequence[dict[int, float]], width: int, dtype=np.float64) -> CSR:
        """One row per dict (column -> value), columns in the dict's order."""
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        indptr[1:] = np.cumsum([len(r) for r in rows])
        n = int(indptr[-1])
        indices = np.fromiter((t for r in rows for t in r), dtype=np.int64, count=n)
        data = np.fromiter((v for r in rows for v in r.values()), dtype=dtype, count=n)
        return cls(data, indices, indptr, (len(rows), width))

    @property
    def nnz(self) -> int:
        return int(self.indptr[-1])

    def rows(self, which: np.ndarray) -> CSR:
        """The given rows, in that order (``A[which]``)."""
        which = np.asarray(which, dtype=np.int64)
        starts = self.indptr[which].astype(np.int64)
        count = self.indptr[which + 1].astype(np.int64) - starts
        indptr = np.zeros(len(which) + 1, dtype=np.int64)
        np.cumsum(count, out=indptr[1:])
        at = np.repeat(starts - indptr[:-1], count) + np.arange(int(indptr[-1]))
        return CSR(self.data[at], self.indices[at], indptr, (len(which), self.shape[1]))

    def transposed(self) -> CSR:
        """The transpose as CSR (``A.T.tocsr()``): each new row lists its entries by old row."""
        m, n = self.shape
        idx = _index_dtype(self.nnz, m, n)
        indptr = np.empty(n + 1, dtype=idx)
        indices = np.empty(self.nnz, dtype=idx)
        data = np.empty(self.nnz, dtype=self.data.dtype)
        _k.csr_tocsc(m, n, self.indptr.astype(idx, copy=False), self.indices.astype(idx, copy=False), self.data,
                     indptr, indices, data)
        return CSR(data, indices, indptr, (n, m))

    def scale_columns(self, weight: np.ndarray) -> CSR:
        """Each value times its column's weight, rows' columns sorted (``A.multiply(w[None, :]).tocsr()``,
        which sorts them too: its COO result is summed for duplicates on the way back)."""
        row = np.repeat(np.arange(self.shape[0], dtype=np.int64), np.diff(self.indptr))
        order = np.lexsort((self.indices, row))
        return CSR(self.data[order] * weight[self.indices[order]], self.indices[order], self.indptr, self.shape)

    def toarray(self) -> np.ndarray:
        out = np.zeros(self.shape, dtype=self.data.dtype)
        _k.csr_todense(self.shape[0], self.shape[1], self.indptr, self.indices, self.data, out)
        return out

    def __matmul__(self, other):
        if isinstance(other, CSR):
            return self._matmat(other)
        other = np.asarray(other)
        m, n = self.shape
        dtype = np.result_type(self.data.dtype, other.dtype)
        if other.ndim == 1:
            out = np.zeros(m, dtype=dtype)
            _k.csr_matvec(m, n, self.indptr, self.indices, self.data, other, out)
            return out
        out = np.zeros((m, other.shape[1]), dtype=dtype)
        _k.csr_matvecs(m, n, other.shape[1], self.indptr, self.indices, self.data, other.ravel(), out.ravel())
        return out

    def _matmat(self, other: CSR) -> CSR:
        """Sparse x sparse (scipy's two-pass SMMP: the same sums, in the same order)."""
        m, n = self.shape[0], other.shape[1]
        idx = _index_dtype(self.nnz, other.nnz, m, n, *other.shape)
        a = (self.indptr.astype(idx, copy=False), self.indices.astype(idx, copy=False))
        b = (other.indptr.astype(idx, copy=False), other.indices.astype(idx, copy=False))
        nnz = int(_k.csr_matmat_maxnnz(m, n, *a, *b))
        idx = _index_dtype(nnz, m, n)
        if idx is np.int64:
            a = tuple(x.astype(idx) for x in a)
            b = tuple(x.astype(idx) for x in b)
        indptr = np.empty(m + 1, dtype=idx)
        indices = np.empty(nnz, dtype=idx)
        data = np.empty(nnz, dtype=np.result_type(self.data.dtype, other.data.dtype))
        _k.csr_matmat(m, n, a[0], a[1], self.data, b[0], b[1], other.data, indptr, indices, data)
        nnz = int(indptr[-1])  # entries that summed to zero are left out
        return CSR(data[:nnz], indices[:nnz], indptr, (m, n))
