"""Per-document counts as a sparse matrix, read as ``{doc id: Counter}``, and its JSON text written fast.

:meth:`PerDocument.to_json` is the rule (the ``per_document`` object of the result JSON);
:meth:`PerDocument.json_blocks` writes the same text straight from the matrix, without a dict per
document (tested against ``json.dumps`` of :meth:`PerDocument.to_json` on random matrices).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence

import numpy as np

from eval.engine.countrows import CountRows


class PerDocument(Mapping[str, Counter]):
    """Per-document counts as a sparse documents x keys matrix, read as ``{doc id: Counter}``.

    ``ids``, ``count_keys`` and ``matrix`` (a :class:`eval.engine.countrows.CountRows`: the ``indptr``,
    ``indices`` and ``data`` arrays of a CSR matrix, like scipy's) are public: eval.statistics.bootstrap
    resamples the matrix directly instead of building a Counter per document."""

    def __init__(self, ids: Sequence[str], keys: Sequence[str], matrix: CountRows) -> None:
        self.ids = list(ids)
        self.count_keys = list(keys)
        self.matrix = matrix
        self._row = {doc_id: i for i, doc_id in enumerate(self.ids)}

    def __getitem__(self, doc_id: str) -> Counter:
        i = self._row[doc_id]
        lo, hi = self.matrix.indptr[i], self.matrix.indptr[i + 1]
        keys = self.count_keys
        return Counter({keys[j]: v for j, v in zip(self.matrix.indices[lo:hi].tolist(),
                                                   self.matrix.data[lo:hi].tolist()) if v})

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def totals(self) -> Counter:
        sums = self.matrix.column_sums()
        return Counter({self.count_keys[j]: int(sums[j]) for j in np.flatnonzero(sums).tolist()})

    def to_json(self) -> dict[str, dict[str, int]]:
        """``{doc id: {count key: count}}``, the non-zero counts of each document, keys in column order."""
        keys, data, indices, indptr = self.count_keys, self.matrix.data.tolist(), self.matrix.indices.tolist(), \
            self.matrix.indptr.tolist()
        return {doc_id: {keys[indices[k]]: data[k] for k in range(indptr[i], indptr[i + 1]) if data[k]}
                for i, doc_id in enumerate(self.ids)}

    def json_rows(self) -> Iterator[tuple[str, str]]:
        """(document id, its non-zero counts as a JSON object), straight from the matrix."""
        pieces, starts = self._json_pieces()
        for i, doc_id in enumerate(self.ids):
            entries = pieces[starts[i] + 1:starts[i + 1]]
            yield doc_id, "{" + "".join(entries) + "}"

    def json_blocks(self, rows: int = 10_000) -> Iterator[str]:
        """The members of the ``per_document`` object as text, ``rows`` documents per block: a line
        ``    "id": {counts}`` per document, the lines separated by a comma and a newline, and a
        newline before the first."""
        pieces, starts = self._json_pieces()
        n = len(self.ids)
        for lo in range(0, n, rows):
            hi = min(n, lo + rows)
            text = "".join(pieces[starts[lo]:starts[hi]])
            yield text + "}" if hi == n else text

    def _json_pieces(self) -> tuple[list[str], list[int]]:
        """Text pieces whose concatenation is every document's line (see :meth:`json_blocks`), and
        where each document's pieces start (one more entry: the end). A document's pieces are a head
        (the previous document's closing brace, a comma, a newline, then ``    "id": {``; only the
        newline and ``    "id": {`` for the first document), then ``"key": count`` for its first
        non-zero count and ``, "key": count`` for each further one (:func:`_count_texts`)."""
        m = self.matrix
        data, indices, indptr = m.data, m.indices, m.indptr
        nonzero = data != 0
        if not nonzero.all():
            data, indices = data[nonzero], indices[nonzero]
            indptr = np.concatenate([[0], np.cumsum(nonzero)])[indptr]
        n = len(self.ids)
        row_of = np.repeat(np.arange(n), np.diff(indptr))
        position = np.arange(len(data)) + row_of + 1  # after the heads of documents 0..row
        first = np.zeros(len(data), dtype=np.int64)
        first[indptr[:-1][np.diff(indptr) > 0]] = 1
        pieces = np.empty(len(data) + n, dtype=object)
        if len(data):
            pieces[position] = _count_texts(self.count_keys, indices, data, first)
        heads = [f"}},\n    {_quote(doc_id)}: {{" for doc_id in self.ids]
        if heads:
            heads[0] = heads[0][2:]
        pieces[indptr[:-1] + np.arange(n)] = heads
        return pieces.tolist(), (indptr + np.arange(n + 1)).tolist()


def _count_texts(keys: Sequence[str], indices: np.ndarray, data: np.ndarray, first: np.ndarray) -> np.ndarray:
    """The text of each stored count, ``"key": count`` (``first`` 1) or ``, "key": count``, from a table
    over the distinct (column, count, first or not) codes: few, as counts are small."""
    low = int(data.min())
    span = int(data.max()) - low + 1
    codes = (indices.astype(np.int64) * span + (data.astype(np.int64) - low)) * 2 + first
    quoted = [json.dumps(k, ensure_ascii=False) for k in keys]

    def text(code: int) -> str:
        column, count = divmod(code >> 1, span)
        return f"{'' if code & 1 else ', '}{quoted[column]}: {count + low}"

    size = len(keys) * span * 2
    if size <= max(1 << 16, 2 * len(codes)):  # a direct table
        used = np.flatnonzero(np.bincount(codes, minlength=size))
        table = np.empty(size, dtype=object)
        table[used] = [text(c) for c in used.tolist()]
        return table[codes]
    used, slot = np.unique(codes, return_inverse=True)
    table = np.array([text(c) for c in used.tolist()], dtype=object)
    return table[slot.ravel()]


def _quote(text: str) -> str:
    """A JSON string literal (ids are usually plain: no escaping needed)."""
    if text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    return json.dumps(text, ensure_ascii=False)
