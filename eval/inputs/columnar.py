"""The fast path of reading JSON lines: pyarrow's JSON reader, and checks of whole Arrow arrays.

A file is read this way only when it is regular: every line one JSON object that starts with ``{``
(so that pyarrow's row k is line k + 1), in the types of the given schema. On anything else the
fast path steps aside (:class:`NotColumnar`) and the readers of :mod:`eval.inputs.gold` and
:mod:`eval.inputs.predictions` read the file line by line through the model, which names the file,
line and field of any error: the fast path never reports an error itself.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from annotation.gold.records import int_values

if TYPE_CHECKING:
    import pyarrow as pa

BLOCK = 1 << 24  # pyarrow's JSON block size (longer lines go line by line)
LINE_BLOCK = 1 << 24  # bytes per block when checking a file's lines


class NotColumnar(Exception):
    """The fast path steps aside: the line-by-line reader decides (and names any error)."""


def object_lines(data: bytes, *, block: int = LINE_BLOCK) -> int:
    """The number of lines of a file in which every line starts with ``{`` (so that pyarrow's row k is
    line k + 1: pyarrow would skip a blank line and read two objects on one line); else NotColumnar.
    The newlines are found ``block`` bytes at a time (the mask stays small)."""
    if not data or data[:1] != b"{":
        raise NotColumnar
    raw = np.frombuffer(data, dtype=np.uint8)
    lines = 0
    for lo in range(0, len(raw), block):
        part = raw[lo:lo + block + 1]  # one byte more: what follows the block's last newline
        newlines = np.flatnonzero(part[:block] == 10)
        lines += len(newlines)
        following = newlines + 1
        following = following[following < len(part)]
        if (part[following] != 123).any():
            raise NotColumnar
    return lines + (data[-1:] != b"\n")  # a last line without its newline


def read_table(path: Path, schema: pa.Schema) -> pa.Table:
    """A JSON lines file as a pyarrow table of ``schema`` (unknown fields ignored, as the model does), one
    row per line; NotColumnar if pyarrow refuses it (a type other than the schema's, bad JSON or UTF-8)."""
    import pyarrow as pa
    import pyarrow.json as pj

    try:
        data = path.read_bytes()
    except OSError:
        raise NotColumnar from None
    lines = object_lines(data)
    try:
        table = pj.read_json(pa.BufferReader(data), read_options=pj.ReadOptions(block_size=BLOCK),
                             parse_options=pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError, OSError):
        raise NotColumnar from None
    if table.num_rows != lines:
        raise NotColumnar
    try:  # pyarrow does not check the UTF-8 of JSON strings (nor escaped lone surrogates): a full validation does
        table.validate(full=True)
    except pa.ArrowInvalid:
        raise NotColumnar from None
    return table


def column(table: pa.Table, name: str) -> pa.Array:
    """A top-level column as one array."""
    chunked = table[name]
    return chunked.chunk(0) if chunked.num_chunks == 1 else chunked.combine_chunks()


def list_sizes(array: pa.Array) -> np.ndarray:
    """The length of each list of a list column (a null list: 0)."""
    import pyarrow.compute as pc

    return int_values(pc.list_value_length(array))


def mention_fields(array: pa.Array) -> tuple[np.ndarray, dict[str, pa.Array]]:
    """A list<struct> column of mentions: per row its number of mentions, and the mentions' fields as
    Arrow arrays (a null mention has null fields); NotColumnar when an offset or a label is missing."""
    sizes = list_sizes(array)
    flat = array.flatten()
    fields = dict(zip((f.name for f in flat.type), flat.flatten()))
    if fields["start"].null_count or fields["end"].null_count or fields["label"].null_count:
        raise NotColumnar
    return sizes, fields


def outside(starts: np.ndarray, ends: np.ndarray, lengths: np.ndarray) -> bool:
    """Does any span ``[start, end)`` fail :func:`annotation.spans.span_problem` in a text of its length?
    (the same rule, on arrays)"""
    return bool(((starts < 0) | (ends > lengths) | (starts >= ends)).any())


def label_codes(labels: pa.Array, code: Callable[[str], int]) -> np.ndarray:
    """Label codes of an Arrow string array: ``code(name)`` once per distinct label, in order of appearance."""
    encoded = labels.dictionary_encode()
    table = np.asarray([code(name) for name in encoded.dictionary.to_pylist()] or [0], dtype=np.int64)
    return table[int_values(encoded.indices)]


def row_of_each(sizes: np.ndarray) -> np.ndarray:
    """For lists of ``sizes`` items, flattened: the row of each item."""
    return np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)


