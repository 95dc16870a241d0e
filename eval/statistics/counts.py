"""Per-document counts as a ``documents x keys`` matrix: the input of every resampling test.

Counts are flat ``{dotted key: count}`` mappings, the sufficient statistics of every headline
metric. Rows are in sorted id order, so a seed draws the same resamples however the documents
came. A mapping that already holds its counts as a sparse matrix (``eval.scoring.scorer.PerDocument``)
is taken as it is, without a Counter per document.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from typing import Any

import numpy as np

from annotation.errors import KhabarError

Counts = Mapping[str, Any]


@dataclass(frozen=True)
class CountMatrix:
    """Per-document counts as a matrix: one row per document (``ids``), one column per key."""

    ids: tuple[str, ...]
    keys: tuple[str, ...]
    values: np.ndarray  # float64, documents x keys; exact for integer counts below 2**53
    integral: bool  # every count is a whole number: rows convert back to ints

    def total(self) -> np.ndarray:
        return self.values.sum(axis=0)


def count_matrix(per_document: Mapping[str, Counts], keys: Sequence[str] | None = None,
                 *, where: str = "") -> CountMatrix:
    """Stack per-document counts into a matrix; ``keys`` fixes the columns (default: all keys seen).

    Rows are in sorted id order. A mapping that already holds its counts as a sparse matrix
    (``ids``, ``count_keys`` and ``matrix`` attributes, the matrix in CSR form: ``indptr``,
    ``indices``, ``data``) is taken as it is.
    """
    stored = getattr(per_document, "matrix", None)
    if (keys is None and all(hasattr(stored, a) for a in ("indptr", "indices", "data"))
            and isinstance(getattr(per_document, "count_keys", None), list)):
        return _from_sparse(list(per_document.ids), list(per_document.count_keys), stored)  # type: ignore[attr-defined]
    ids = tuple(sorted(per_document))
    for doc in ids:
        if not isinstance(per_document[doc], Mapping):
            raise KhabarError(f"{where}per_document[{doc!r}]: expected an object of counts, "
                              f"not {type(per_document[doc]).__name__}")
    if keys is None:
        seen: set[str] = set()
        for counts in per_document.values():
            seen.update(counts)
        keys = sorted(seen)
    return _from_mappings(ids, [per_document[doc] for doc in ids], tuple(keys), where)


def _from_mappings(ids: tuple[str, ...], docs: list[Counts], keys: tuple[str, ...], where: str) -> CountMatrix:
    """The matrix of the documents' counts (in ``ids`` order); keys outside ``keys`` are left out."""
    column = {k: j for j, k in enumerate(keys)}
    rows = np.repeat(np.arange(len(ids)), [len(counts) for counts in docs])
    cols = np.fromiter(map(column.get, chain.from_iterable(docs), repeat(-1)), dtype=np.int64, count=len(rows))
    data = list(chain.from_iterable(counts.values() for counts in docs))
    if not set(map(type, data)) <= {int, float}:
        _bad_count(ids, rows, cols, data, keys, where)
    flat = np.array(data, dtype=np.float64)
    if not np.isfinite(flat).all():
        _bad_count(ids, rows, cols, data, keys, where)
    kept = cols >= 0
    rows, cols, flat = rows[kept], cols[kept], flat[kept]
    values = np.zeros((len(ids), len(keys)), dtype=np.float64)
    values[rows, cols] = flat
    return CountMatrix(ids, keys, values, bool(np.all(flat == np.round(flat))))


def _from_sparse(ids: list[str], keys: list[str], stored: Any) -> CountMatrix:
    """The dense matrix of a CSR one (``indptr``, ``indices``, ``data``; repeated columns in a row
    add up), rows in sorted id order, only columns with a non-zero count. Filled from the non-zero
    entries straight into a column-major array, so that its transpose (what
    :class:`eval.statistics.resampling.Summer` multiplies) is contiguous."""
    indptr = np.asarray(stored.indptr)
    data = np.asarray(stored.data)
    cols = np.asarray(stored.indices)
    rows = np.repeat(np.arange(len(ids)), np.diff(indptr))
    nonzero = data != 0
    if not nonzero.all():
        rows, cols, data = rows[nonzero], cols[nonzero], data[nonzero]
    order = sorted(range(len(ids)), key=ids.__getitem__)
    if any(i != j for i, j in enumerate(order)):
        rank = np.empty(len(ids), dtype=np.int64)
        rank[order] = np.arange(len(ids))
        rows = rank[rows]
    used = np.flatnonzero(np.bincount(cols, minlength=len(keys)))
    column = np.zeros(len(keys), dtype=np.int64)
    column[used] = np.arange(len(used))
    by_key = np.bincount(column[cols] * len(ids) + rows, weights=data,
                         minlength=len(used) * len(ids)).reshape(len(used), len(ids))
    integral = data.dtype.kind in "iub" or bool(np.all(data == np.round(data)))
    return CountMatrix(tuple(ids[i] for i in order), tuple(keys[j] for j in used.tolist()), by_key.T, integral)


def _bad_count(ids: Sequence[str], rows: np.ndarray, cols: np.ndarray, data: list[Any], keys: Sequence[str],
               where: str) -> None:
    for i, j, value in zip(rows.tolist(), cols.tolist(), data):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise KhabarError(f"{where}per_document[{ids[i]!r}][{keys[j]!r}]: a count must be a finite "
                              f"number, not {value!r}")
