"""Resampling documents: seeded weight matrices and their sums with a count matrix.

A batch of bootstrap resamples is a matrix of weights (how often each document is drawn, from
seeded ``rng.integers`` indices, one ``bincount`` per resample); the resampled sums are one
matrix product with the count matrix (:class:`Summer`). A randomization trial is a matrix of
fair coin flips (:func:`coin_flips`). The draws of a seed never depend on the batch size.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

BATCH_CELLS = 4_000_000  # resample weights drawn per batch (rows x documents): bounds memory
FLOAT32_EXACT = 2.0**24  # every whole number up to this is exact in float32


def bootstrap_weights(n_documents: int, n: int, rng: np.random.Generator, *, batch_cells: int = BATCH_CELLS,
                      dtype: type = np.float64) -> Iterator[np.ndarray]:
    """Yield batches of resample weights (rows x documents): how often each document is drawn.

    Each resample is ``rng.integers(0, n_documents, size=n_documents)`` (a batch draws all its rows
    at once: the same stream), counted with one ``bincount`` per row (per row, the counts fit in cache)."""
    if n_documents == 0:
        if n:
            yield np.zeros((n, 0), dtype=dtype)
        return
    per_batch = max(1, batch_cells // n_documents)
    for start in range(0, n, per_batch):
        rows = min(per_batch, n - start)
        draws = rng.integers(0, n_documents, size=(rows, n_documents))
        weights = np.empty((rows, n_documents), dtype=dtype)
        for i in range(rows):
            weights[i] = np.bincount(draws[i], minlength=n_documents)
        yield weights


def resampled_sums(summer: Summer, n_documents: int, n: int, seed: int) -> np.ndarray:
    """``n`` bootstrap resamples of the documents (seeded :func:`bootstrap_weights`) summed by ``summer``."""
    weights = bootstrap_weights(n_documents, n, np.random.default_rng(seed), dtype=summer.dtype)
    sums = [summer(w) for w in weights]
    return np.concatenate(sums) if sums else np.zeros((0, summer.columns))


def coin_flips(rng: np.random.Generator, rows: int, columns: int) -> np.ndarray:
    """A rows x columns matrix of fair 0/1 draws as floats (eight per random byte)."""
    packed = np.frombuffer(rng.bytes(rows * -(-columns // 8)), dtype=np.uint8).reshape(rows, -1)
    return np.unpackbits(packed, axis=1, count=columns).astype(np.float64)


class Summer:
    """Weighted sums of the rows of a count matrix: ``weights @ values``, one BLAS product per batch.

    Computed as ``values.T @ weights.T`` with ``values.T`` contiguous: several times faster than
    the direct product for a few dozen weight rows over many documents, and faster than a sparse
    product even at 10% non-zero counts. In float32 (twice as fast) when that is provably exact:
    whole counts and weights, and every possible sum below 2**24 given the total and the largest
    weight of a row (``weight_total``, ``weight_max``). Identical columns (common in the scorer's
    counts: a label's missed count is the same under strict, exact and partial matching) are
    summed once and their sums copied.
    """

    def __init__(self, values: np.ndarray, *, integral: bool, weight_total: float, weight_max: float) -> None:
        bound = 0.0
        if values.size:
            magnitude = values if values.min() >= 0 else np.abs(values)
            bound = float(np.minimum(weight_total * magnitude.max(axis=0), weight_max * magnitude.sum(axis=0)).max())
        self.dtype = np.float32 if integral and bound < FLOAT32_EXACT else np.float64
        transposed = np.ascontiguousarray(values.T, dtype=self.dtype)
        distinct, self.expand = _distinct_rows(transposed)
        self.transposed = transposed if len(distinct) == len(transposed) else transposed[distinct]

    @property
    def columns(self) -> int:
        return len(self.expand)

    def __call__(self, weights: np.ndarray) -> np.ndarray:
        sums = (self.transposed @ weights.astype(self.dtype, copy=False).T).T
        if len(self.transposed) != len(self.expand):
            sums = sums[:, self.expand]
        return sums.astype(np.float64)


def _distinct_rows(matrix: np.ndarray) -> tuple[list[int], np.ndarray]:
    """The first index of each distinct row of ``matrix``, and for every row its distinct row's
    position in that list (rows grouped by a hash of their bytes, then compared)."""
    distinct: list[int] = []
    where = np.empty(len(matrix), dtype=np.int64)
    by_hash: dict[int, list[int]] = {}
    for i, row in enumerate(matrix):
        seen = by_hash.setdefault(hash(row.tobytes()), [])
        for k in seen:
            if np.array_equal(matrix[distinct[k]], row):
                where[i] = k
                break
        else:
            seen.append(len(distinct))
            where[i] = len(distinct)
            distinct.append(i)
    return distinct, where
