"""answerers/csr.py gives the very bits scipy.sparse gives, operation by operation (the matching
results depend on the order sums are taken in), and the answerers never import scipy.sparse."""

import pickle
import subprocess
import sys

import numpy as np
import pytest
from scipy import sparse

from answerers.csr import CSR


def _random_rows(rng: np.random.Generator, n_rows: int, width: int, density: float) -> list[dict[int, float]]:
    rows = []
    for _ in range(n_rows):
        cols = rng.permutation(width)[: rng.binomial(width, density)]  # unsorted, as analysed text gives them
        rows.append({int(c): float(rng.random() * 10.0 ** rng.integers(-3, 4)) for c in cols})
    return rows


def _pair(rows: list[dict[int, float]], width: int) -> tuple[CSR, sparse.csr_matrix]:
    ours = CSR.from_rows(rows, width)
    return ours, sparse.csr_matrix((ours.data.copy(), ours.indices.copy(), ours.indptr.copy()), shape=ours.shape)


def _same(ours: CSR, theirs: sparse.csr_matrix) -> None:
    assert ours.shape == theirs.shape
    assert np.array_equal(ours.indptr, theirs.indptr)
    assert np.array_equal(ours.indices, theirs.indices)  # the same stored order, not only the same matrix
    assert ours.data.dtype == theirs.data.dtype
    assert ours.data.tobytes() == theirs.data.tobytes()


@pytest.mark.parametrize("seed", range(6))
def test_every_operation_matches_scipy_sparse_bit_for_bit(seed):
    rng = np.random.default_rng(seed)
    width = int(rng.integers(5, 300))
    a, sa = _pair(_random_rows(rng, int(rng.integers(1, 80)), width, 0.08), width)
    b, sb = _pair(_random_rows(rng, int(rng.integers(1, 120)), width, 0.1), width)
    weight = rng.random(width) * 5

    qw, sqw = a.scale_columns(weight), sa.multiply(weight[None, :]).tocsr()
    _same(qw, sqw)
    bt, sbt = b.transposed(), sb.T.tocsr()
    _same(bt, sbt)
    _same(qw @ bt, (sqw @ sbt).tocsr())
    assert (a @ bt).toarray().tobytes() == (sa @ sbt).toarray().tobytes()
    assert (a @ weight).tobytes() == np.asarray(sa @ weight).ravel().tobytes()
    pick = rng.integers(0, b.shape[0], size=int(rng.integers(0, 40)))
    _same(b.rows(pick), sb[pick])
    _same(b.rows(pick).transposed(), sb[pick].T.tocsr())

    dense = rng.random((width, 7)).astype(np.float32)
    a32 = CSR(a.data.astype(np.float32), a.indices, a.indptr, a.shape)
    sa32 = sparse.csr_matrix((a.data, a.indices, a.indptr), shape=a.shape, dtype=np.float32)
    assert (a32 @ dense).tobytes() == np.asarray(sa32 @ dense, dtype=np.float32).tobytes()


def test_empty_matrices():
    a = CSR.from_rows([{}, {}], 4)
    b = CSR.from_rows([{}, {1: 2.0}, {}, {}], 3)
    assert (a @ b).toarray().tolist() == [[0.0] * 3] * 2
    assert a.rows(np.zeros(0, dtype=np.int64)).shape == (0, 4)
    assert b.transposed().toarray().tolist() == [[0, 0, 0, 0], [0, 2.0, 0, 0], [0, 0, 0, 0]]


def test_pickles_as_plain_arrays():
    a = CSR.from_rows([{2: 1.5, 0: 0.5}], 3)
    back = pickle.loads(pickle.dumps(a))
    assert back.shape == a.shape and back.toarray().tolist() == a.toarray().tolist()
    assert b"scipy" not in pickle.dumps(a)


def test_the_engine_does_not_import_scipy_sparse():
    code = "import sys, answerers, trustfill.workspace.matching; print('scipy.sparse' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
