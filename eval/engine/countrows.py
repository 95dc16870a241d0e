"""Per-document counts as compressed sparse rows, summed from blocks of increments.

The scorer emits its counts as blocks of ``(row, column)`` increments (optionally with a
count each), every block in row order. :func:`sum_blocks` sums them into a
:class:`CountRows` -- the three arrays of a CSR matrix (``indptr``, ``indices``, ``data``),
columns sorted within each row, only non-zero counts -- a few thousand rows at a time with one
``bincount`` each: no sort of all increments and no dense matrix of the whole corpus.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

CHUNK_CELLS = 1 << 20  # rows x columns counted per bincount (8 MB of int64): bounds memory, stays in cache


class CountRows(NamedTuple):
    """A rows x columns count matrix in CSR form: row i's columns are ``indices[indptr[i]:indptr[i + 1]]``
    (ascending) and its counts the same slice of ``data`` (int64, non-zero)."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    shape: tuple[int, int]

    @property
    def nnz(self) -> int:
        return len(self.data)

    def column_sums(self) -> np.ndarray:
        """The sum of each column (int64)."""
        out = np.zeros(self.shape[1], dtype=np.int64)
        np.add.at(out, self.indices, self.data)
        return out


class Block(NamedTuple):
    """Increments: ``rows`` (non-decreasing), ``columns`` and, when not all 1, non-negative ``counts``."""

    rows: np.ndarray
    columns: np.ndarray
    counts: np.ndarray | None = None


def sum_blocks(blocks: Sequence[Block], n_rows: int, n_columns: int, *, chunk_cells: int = CHUNK_CELLS) -> CountRows:
    """Sum the increments of ``blocks`` into a :class:`CountRows` of shape ``(n_rows, n_columns)``.

    A block whose rows are not in order is sorted first (stably); rows and columns must be in range.
    """
    blocks = [_in_order(b) for b in blocks if len(b.rows)]
    for b in blocks:
        if (len(b.columns) != len(b.rows) or (b.counts is not None and len(b.counts) != len(b.rows))):
            raise ValueError("a block's rows, columns and counts differ in length")
        if b.rows[0] < 0 or b.rows[-1] >= n_rows or b.columns.min() < 0 or b.columns.max() >= n_columns:
            raise ValueError("an increment is outside the matrix")
        if b.counts is not None and len(b.counts) and b.counts.min() < 0:
            raise ValueError("a count to add is negative")
    step = max(1, chunk_cells // max(1, n_columns))
    starts = np.arange(0, n_rows + step, step).clip(max=n_rows)  # chunk boundaries (rows)
    cuts = [np.searchsorted(b.rows, starts).tolist() for b in blocks]
    starts_l = starts.tolist()
    indices: list[np.ndarray] = []
    data: list[np.ndarray] = []
    per_row = np.zeros(n_rows, dtype=np.int64)
    for k in range(len(starts_l) - 1):
        lo, hi = starts_l[k], starts_l[k + 1]
        if lo == hi:
            continue
        codes = []
        for b, cut in zip(blocks, cuts):
            a, z = cut[k], cut[k + 1]
            if a == z:
                continue
            code = (b.rows[a:z] - lo) * n_columns + b.columns[a:z]
            codes.append(code if b.counts is None else np.repeat(code, b.counts[a:z]))
        if not codes:
            continue
        dense = np.bincount(np.concatenate(codes), minlength=(hi - lo) * n_columns)
        found = np.flatnonzero(dense)
        row, column = np.divmod(found, n_columns)
        per_row[lo:hi] = np.bincount(row, minlength=hi - lo)
        indices.append(column)
        data.append(dense[found])
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(per_row, out=indptr[1:])
    empty = np.zeros(0, dtype=np.int64)
    return CountRows(indptr, np.concatenate(indices) if indices else empty, np.concatenate(data) if data else empty,
                     (n_rows, n_columns))


def _in_order(block: Block) -> Block:
    rows = np.asarray(block.rows, dtype=np.int64)
    columns = np.asarray(block.columns, dtype=np.int64)
    counts = None if block.counts is None else np.asarray(block.counts, dtype=np.int64)
    if len(rows) > 1 and (rows[1:] < rows[:-1]).any():
        order = np.argsort(rows, kind="stable")
        rows, columns = rows[order], columns[order]
        counts = None if counts is None else counts[order]
    return Block(rows, columns, counts)
