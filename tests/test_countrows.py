"""Summing blocks of count increments into CSR rows (eval/engine/countrows.py), against a plain count."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from eval.engine.countrows import Block, sum_blocks


def _dense(rows) -> np.ndarray:
    out = np.zeros(rows.shape, dtype=np.int64)
    for i in range(rows.shape[0]):
        lo, hi = rows.indptr[i], rows.indptr[i + 1]
        cols = rows.indices[lo:hi]
        assert (np.diff(cols) > 0).all(), "columns ascend within a row, each once"
        assert (rows.data[lo:hi] != 0).all(), "only non-zero counts are stored"
        out[i, cols] = rows.data[lo:hi]
    return out


@pytest.mark.parametrize("chunk_cells", [1, 7, 64, 1 << 20])
def test_sums_equal_a_plain_count(chunk_cells):
    rng = np.random.default_rng(0)
    n_rows, n_cols = 50, 9
    blocks, expected = [], Counter()
    for k in range(6):
        size = int(rng.integers(0, 80))
        rows = np.sort(rng.integers(0, n_rows, size))
        if k == 3:  # rows out of order are sorted first
            rows = rows[::-1].copy()
        cols = rng.integers(0, n_cols, size)
        counts = rng.integers(0, 4, size) if k % 2 else None
        blocks.append(Block(rows, cols, counts))
        for i, (r, c) in enumerate(zip(rows.tolist(), cols.tolist())):
            expected[r, c] += 1 if counts is None else int(counts[i])
    got = sum_blocks(blocks, n_rows, n_cols, chunk_cells=chunk_cells)
    want = np.zeros((n_rows, n_cols), dtype=np.int64)
    for (r, c), n in expected.items():
        want[r, c] = n
    assert got.shape == (n_rows, n_cols) and len(got.indptr) == n_rows + 1
    assert (_dense(got) == want).all()
    assert (got.column_sums() == want.sum(axis=0)).all()
    assert got.nnz == np.count_nonzero(want)


def test_no_increments_and_no_rows():
    empty = sum_blocks([], 3, 4)
    assert empty.indptr.tolist() == [0, 0, 0, 0] and empty.nnz == 0
    assert sum_blocks([Block(np.zeros(0, int), np.zeros(0, int))], 0, 4).indptr.tolist() == [0]


@pytest.mark.parametrize("block", [
    Block(np.array([0, 5]), np.array([0, 0])),  # row out of range
    Block(np.array([0, 1]), np.array([0, 4])),  # column out of range
    Block(np.array([0, 1]), np.array([0])),  # lengths differ
    Block(np.array([0, 1]), np.array([0, 1]), np.array([1, -1])),  # negative count
])
def test_bad_blocks_are_refused(block):
    with pytest.raises(ValueError):
        sum_blocks([block], 3, 4)
