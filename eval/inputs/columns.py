"""The scorer's light containers: mentions as typed arrays, article texts kept in Arrow memory.

The scorer keeps mentions as compact columns (document, start, end, label) and model objects only
for what is rare (claims, predictions that need alignment), so that 100,000 documents score in seconds.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pyarrow as pa

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


class MentionColumn:
    """Mentions as typed arrays (document, start, end, label code), gathered in pieces (no Python
    object per number once taken)."""

    def __init__(self) -> None:
        self._pieces: list[Arrays] = []
        self._size = 0

    def extend(self, doc: Sequence[int] | np.ndarray, start: Sequence[int] | np.ndarray,
               end: Sequence[int] | np.ndarray, label: Sequence[int] | np.ndarray) -> None:
        piece = tuple(np.asarray(x, dtype=np.int64) for x in (doc, start, end, label))
        if len(piece[0]):
            self._pieces.append(piece)  # type: ignore[arg-type]
            self._size += len(piece[0])

    def extend_rows(self, doc: int, rows: Sequence[tuple[int, int, int]]) -> None:
        """Mentions of one document, as (start, end, label code)."""
        self.extend([doc] * len(rows), [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])

    def arrays(self) -> Arrays:
        """(document, start, end, label) as int64 arrays, joined once."""
        if len(self._pieces) != 1:
            joined = tuple(np.concatenate([p[k] for p in self._pieces]) if self._pieces else np.zeros(0, np.int64)
                           for k in range(4))
            self._pieces = [joined] if self._pieces else []  # type: ignore[list-item]
            if not self._pieces:
                return joined  # type: ignore[return-value]
        return self._pieces[0]

    def __len__(self) -> int:
        return self._size


def repeated(doc: np.ndarray, start: np.ndarray, end: np.ndarray, label: np.ndarray, n_labels: int) -> np.ndarray:
    """Which mentions (with offsets) repeat an earlier one of the same document, offsets and label."""
    width = int(max(end.max(), 0)) + 2
    if (int(doc.max()) + 1) * width * width * max(n_labels, 1) < 2 ** 62:
        key = ((doc * width + (start + 1)) * width + (end + 1)) * n_labels + label
        order = np.argsort(key, kind="stable")
        k = key[order]
        same_key = k[1:] == k[:-1]
    else:
        order = np.lexsort((label, end, start, doc))
        d, s, e, lab = doc[order], start[order], end[order], label[order]
        same_key = (d[1:] == d[:-1]) & (s[1:] == s[:-1]) & (e[1:] == e[:-1]) & (lab[1:] == lab[:-1])
    same = np.zeros(len(doc), dtype=bool)
    same[order[1:][same_key & (start[order][1:] >= 0)]] = True
    return same


def drop_repeated(column: MentionColumn, names: Sequence[str],
                  where: Sequence[str] | Mapping[int, str]) -> tuple[MentionColumn, int, str]:
    """``column`` without mentions that repeat an earlier one (same document, offsets and label): the one
    rule for duplicates, on both sides. Returns the column, how many were dropped and an example."""
    if not len(column):
        return column, 0, ""
    doc, start, end, label = column.arrays()
    same = repeated(doc, start, end, label, len(names))
    if not same.any():
        return column, 0, ""
    first = int(np.flatnonzero(same)[0])
    example = f"{where[int(doc[first])]}: {names[int(label[first])]} [{int(start[first])}, {int(end[first])})"
    keep = ~same
    kept = MentionColumn()
    kept.extend(doc[keep], start[keep], end[keep], label[keep])
    return kept, int(same.sum()), example


class TextColumn(Sequence[str]):
    """Article texts kept in Arrow memory (the columnar reader's); a text becomes a Python string when
    it is asked for (claims, alignment, the error report), not before."""

    def __init__(self) -> None:
        self._chunks: list[pa.Array] = []
        self._lengths: list[np.ndarray] = []
        self._array: pa.ChunkedArray | None = None

    def extend(self, chunks: Sequence[pa.Array], lengths: np.ndarray) -> None:
        """Add texts, with their lengths in code points (as ``len``; the reader has them from its checks)."""
        self._chunks += chunks
        self._lengths.append(lengths)
        self._array = None

    def _all(self) -> pa.ChunkedArray:
        if self._array is None:
            import pyarrow as pa

            self._array = pa.chunked_array(self._chunks, type=pa.string())
        return self._array

    def __len__(self) -> int:
        return sum(len(c) for c in self._chunks)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return self._all()[i].to_pylist()
        return self._all()[i].as_py()

    def __iter__(self) -> Iterator[str]:
        for chunk in self._chunks:
            yield from chunk.to_pylist()

    def lengths(self) -> np.ndarray:
        """Each text's length in code points (as ``len``)."""
        return np.concatenate(self._lengths) if self._lengths else np.zeros(0, np.int64)
