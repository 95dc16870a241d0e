"""Scoring inputs: gold documents and predictions, checked against each other, as light columns.

The scorer keeps mentions as compact columns (document, start, end, label) and model objects
only for what is rare (claims, predictions that need alignment), so that 100,000 documents
score in seconds. Each file is read in one of two ways, with the same result:

- **columnar** (pyarrow's JSON reader, every mention checked with whole-array operations), when
  the file is regular: one JSON object per line, in the gold features' types
  (:func:`annotation.gold.dataset.gold_schema`), predictions with integer offsets and no claims;
- **line by line** through the model's parser (``Annotated.from_dict`` / ``Prediction.from_dict``)
  otherwise. The columnar path never reports an error itself: on anything it does not accept
  it steps aside and the line-by-line reader names the file, line and field.

Bad input (an error naming the file and line): invalid JSON, a prediction for an article
that is not in the gold, two different lines for one article, offsets outside the text,
inverted or empty, an unknown label (without a mapping that covers it), an unknown attribute
value. Well defined, so only a warning (see :mod:`eval.scoring.scorer`): an empty predictions file
(everything is missed), a gold article without a prediction line (predicted empty), an
identical repeated line or mention (counted once), a predicted span whose text differs from
the article at its offsets (the offsets count), mentions dropped by a label mapping, spans
that could not be aligned (spurious).
"""

from __future__ import annotations

import gc
import hashlib
import itertools
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from annotation.gold.dataset import fingerprint as gold_fingerprint
from annotation.gold.dataset import (gold_files, gold_record, gold_schema, gold_table, int_values, table_fingerprint,
                                valid_mask)
from annotation.errors import KhabarError
from annotation.io import iter_json_lines
from annotation.model import Annotated, Claim, FormatError, Mention, Prediction, Span
from annotation.scheme import Scheme
from eval.inputs.alignment import AlignConfig, AlignReport, align_prediction
from eval.scoring.entities import Columns
from eval.inputs.labelmap import IDENTITY, LabelMap

MAX_EXAMPLES = 5  # ids / places quoted in a warning
_BLOCK = 1 << 24  # pyarrow's JSON block size (longer lines go line by line)
_LINE_BLOCK = 1 << 24  # bytes per block when checking a file's lines
_RECORD_BATCH = 10_000  # gold records turned into an Arrow table at a time, on the line-by-line path


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building millions of small objects (no cycles here)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def span_problem(start: int, end: int, length: int) -> str | None:
    """What is wrong with offsets ``[start, end)`` in a text of ``length`` characters, or None."""
    if start < 0 or end > length:
        return f"offsets [{start}, {end}) are outside the text (length {length})"
    if start >= end:
        return f"offsets [{start}, {end}) are inverted or empty"
    return None


def _bad_label(label: Any) -> bool:
    return not isinstance(label, str) or not label or "." in label


# ---------------------------------------------------------------------------- the columnar path

class _Irregular(Exception):
    """The columnar path steps aside: the line-by-line reader decides (and names any error)."""


def _object_lines(data: bytes) -> int:
    """The number of lines of a file in which every line starts with ``{`` (so that pyarrow's row k is
    line k + 1: pyarrow would skip a blank line and read two objects on one line); else _Irregular."""
    if not data or data[:1] != b"{":
        raise _Irregular
    raw = np.frombuffer(data, dtype=np.uint8)
    lines = 0
    for lo in range(0, len(raw), _LINE_BLOCK):  # a block at a time: the newline mask stays small
        block = raw[lo:lo + _LINE_BLOCK + 1]  # one byte more: what follows the block's last newline
        newlines = np.flatnonzero(block[:_LINE_BLOCK] == 10)
        lines += len(newlines)
        following = newlines + 1
        following = following[following < len(block)]
        if (block[following] != 123).any():
            raise _Irregular
    return lines + (data[-1:] != b"\n")  # a last line without its newline


def _arrow_read(path: Path, schema: Any) -> Any:
    """A JSON lines file as a pyarrow table of ``schema`` (unknown fields ignored, as the model does), one
    row per line; _Irregular if pyarrow refuses it (a type other than the schema's, bad JSON or UTF-8)."""
    import pyarrow as pa
    import pyarrow.json as pj

    try:
        data = path.read_bytes()
    except OSError:
        raise _Irregular from None
    lines = _object_lines(data)
    try:
        table = pj.read_json(pa.BufferReader(data), read_options=pj.ReadOptions(block_size=_BLOCK),
                             parse_options=pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError, OSError):
        raise _Irregular from None
    if table.num_rows != lines:
        raise _Irregular
    return table


def _column(table: Any, name: str) -> Any:
    """A top-level column as one array."""
    column = table[name]
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


def _mentions(column: Any) -> tuple[np.ndarray, dict[str, Any]]:
    """A list<struct> column of mentions: per row its number of mentions, and the mentions' fields as
    Arrow arrays (a null mention has null fields); _Irregular when an offset or a label is missing."""
    import pyarrow.compute as pc

    sizes = int_values(pc.list_value_length(column))
    flat = column.flatten()
    fields = dict(zip((f.name for f in flat.type), flat.flatten()))
    if fields["start"].null_count or fields["end"].null_count or fields["label"].null_count:
        raise _Irregular
    return sizes, fields


def _codes(labels: Any, code: Any) -> np.ndarray:
    """Label codes of an Arrow string array: ``code(name)`` once per distinct label, in order of appearance."""
    encoded = labels.dictionary_encode()
    table = np.asarray([code(name) for name in encoded.dictionary.to_pylist()] or [0], dtype=np.int64)
    return table[int_values(encoded.indices)]


# ---------------------------------------------------------------------------- mentions as columns

class _Column:
    """Mentions as typed arrays, gathered in pieces (no Python object per number once taken)."""

    def __init__(self) -> None:
        self._pieces: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self._size = 0

    def extend(self, doc: Sequence[int], start: Sequence[int], end: Sequence[int], label: Sequence[int]) -> None:
        piece = tuple(np.asarray(x, dtype=np.int64) for x in (doc, start, end, label))
        if len(piece[0]):
            self._pieces.append(piece)  # type: ignore[arg-type]
            self._size += len(piece[0])

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        if len(self._pieces) != 1:
            joined = tuple(np.concatenate([p[k] for p in self._pieces]) if self._pieces else np.zeros(0, np.int64)
                           for k in range(4))
            self._pieces = [joined] if self._pieces else []  # type: ignore[list-item]
            if not self._pieces:
                return joined  # type: ignore[return-value]
        return self._pieces[0]

    def __len__(self) -> int:
        return self._size


# ---------------------------------------------------------------------------- gold

class TextColumn(Sequence[str]):
    """Article texts kept in Arrow memory (the columnar reader's); a text becomes a Python string when
    it is asked for (claims, alignment, the error report), not before."""

    def __init__(self) -> None:
        self._chunks: list[Any] = []
        self._lengths: list[np.ndarray] = []
        self._array: Any = None

    def extend(self, chunks: Sequence[Any], lengths: np.ndarray) -> None:
        """Add texts, with their lengths in code points (as ``len``; the reader has them from its checks)."""
        self._chunks += chunks
        self._lengths.append(lengths)
        self._array = None

    def _all(self) -> Any:
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


def _check_claims(claims: Sequence[Claim], length: int, where: str) -> None:
    """A gold claim's content, source and cue need offsets inside the text."""
    for k, claim in enumerate(claims):
        for name, span in (("", claim.span), (" source", claim.source), (" cue", claim.cue)):
            if span is None:
                continue
            if span.start is None or span.end is None:
                raise KhabarError(f"{where}claims[{k}]{name}: a gold span needs offsets")
            problem = span_problem(span.start, span.end, length)
            if problem:
                raise KhabarError(f"{where}claims[{k}]{name}: {problem}")


@dataclass
class Gold:
    """The gold documents as columns: one entry per article, mentions as flat columns."""

    ids: list[str] = field(default_factory=list)
    texts: list[str] | TextColumn = field(default_factory=list)
    where: list[str] = field(default_factory=list)
    claims: list[tuple[Claim, ...]] = field(default_factory=list)
    clusters: list[dict[str, list[Span]]] = field(default_factory=list)
    mentions: _Column = field(default_factory=_Column)  # label: index into label_names
    label_names: list[str] = field(default_factory=list)
    fingerprint: str = ""
    index: dict[str, int] = field(default_factory=dict)
    _code: dict[str, int] = field(default_factory=dict)
    _id_arrays: list[Any] = field(default_factory=list)  # the ids as Arrow arrays, when read by pyarrow

    def __len__(self) -> int:
        return len(self.ids)

    def id_array(self) -> Any:
        """The article ids as an Arrow array."""
        import pyarrow as pa

        if sum(map(len, self._id_arrays)) == len(self.ids):
            return pa.concat_arrays(self._id_arrays) if self._id_arrays else pa.array(self.ids, type=pa.string())
        return pa.array(self.ids, type=pa.string())

    def lengths(self) -> np.ndarray:
        """The length of each article's text, in code points."""
        if isinstance(self.texts, TextColumn):
            return self.texts.lengths()
        return np.fromiter(map(len, self.texts), dtype=np.int64, count=len(self.texts))

    def labels(self) -> list[str]:
        """The labels of the gold mentions, sorted."""
        used = np.unique(self.mentions.arrays()[3]) if len(self.mentions) else []
        return sorted(self.label_names[i] for i in used)

    def code(self, label: str) -> int:
        code = self._code.get(label)
        if code is None:
            code = self._code[label] = len(self.label_names)
            self.label_names.append(label)
        return code

    def columns(self, labels: Sequence[str]) -> Columns:
        """The mentions, their labels as indices into ``labels``."""
        doc, start, end, label = self.mentions.arrays()
        position = {name: i for i, name in enumerate(labels)}
        remap = np.asarray([position.get(name, -1) for name in self.label_names] or [0], dtype=np.int64)
        return Columns(doc, start, end, remap[label] if len(label) else label)

    def mention_lists(self) -> dict[int, list[tuple[int, int, str]]]:
        """Per document: its mentions as (start, end, label)."""
        out: dict[int, list[tuple[int, int, str]]] = {}
        names = self.label_names
        for d, s, e, c in zip(*(col.tolist() for col in self.mentions.arrays())):
            out.setdefault(d, []).append((s, e, names[c]))
        return out

    def article(self, doc_id: str, text: str, where: str, claims: tuple[Claim, ...]) -> int:
        """Register an article (its mentions come separately); checks its claims' offsets."""
        if doc_id in self.index:
            raise KhabarError(f"{where}duplicate gold article id {doc_id!r} (also at {self.where[self.index[doc_id]]})")
        _check_claims(claims, len(text), where)
        i = len(self.ids)
        self.index[doc_id] = i
        self.ids.append(doc_id)
        self.texts.append(text)  # type: ignore[union-attr]
        self.where.append(where.rstrip(": "))
        self.claims.append(claims)
        self.clusters.append({})
        return i

    def add_mentions(self, i: int, mentions: Sequence[tuple[Any, Any, Any, Any]], where: str) -> None:
        """The mentions of article ``i``, one by one: (start, end, label, cluster)."""
        n = len(self.texts[i])
        rows = []
        for k, (s, e, label, entity) in enumerate(mentions):
            if s is None or e is None:
                raise KhabarError(f"{where}entities[{k}]: a gold mention needs offsets")
            problem = span_problem(s, e, n)
            if problem:
                raise KhabarError(f"{where}entities[{k}]: {problem}")
            if _bad_label(label):
                raise KhabarError(f"{where}entities[{k}]: label {label!r} cannot be scored (empty, or contains '.')")
            rows.append((s, e, self.code(label)))
            if self.claims[i] and entity is not None:
                self.clusters[i].setdefault(str(entity), []).append(Span(s, e))
        self.mentions.extend([i] * len(rows), [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])

    def add_document(self, doc: Annotated, where: str) -> None:
        i = self.article(doc.id, doc.text, where, doc.claims)
        self.add_mentions(i, [(m.start, m.end, m.label, m.entity) for m in doc.entities], where)

    def take_table(self, file: Path, table: Any) -> None:
        """Add a gold split read by pyarrow (:func:`_arrow_read`, :func:`gold_schema`); _Irregular on anything
        the model's parser would read differently or refuse, so that the line-by-line reader names it."""
        import pyarrow.compute as pc

        ids, texts, lang = _column(table, "id"), table["text"], _column(table, "lang")
        if ids.null_count or texts.null_count or lang.null_count or (int_values(pc.utf8_length(lang)) == 0).any():
            raise _Irregular  # the model fills in a missing language; ids and texts are required
        sizes, mention = _mentions(_column(table, "entities"))
        starts, ends, labels = int_values(mention["start"]), int_values(mention["end"]), mention["label"]
        claim_rows = np.flatnonzero(int_values(pc.list_value_length(_column(table, "claims"))))
        first = len(self.ids)
        lengths = int_values(pc.utf8_length(texts).combine_chunks())
        rows = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
        if ((starts < 0) | (ends > lengths[rows]) | (starts >= ends)).any():
            raise _Irregular
        if any(_bad_label(name) for name in labels.unique().to_pylist()):
            raise _Irregular
        doc_ids = ids.to_pylist()
        if len(set(doc_ids)) != len(doc_ids) or not self.index.keys().isdisjoint(doc_ids):
            raise _Irregular  # a duplicate id
        name = str(file)
        claims: dict[int, tuple[Claim, ...]] = {}
        for row in claim_rows.tolist():
            where = f"{name}:{row + 1}: "
            claims[row] = tuple(Claim.from_dict(c, f"{where}claims[{k}]: ")
                                for k, c in enumerate(table["claims"][row].as_py()))
            _check_claims(claims[row], int(lengths[row]), where)
        if self.texts and not isinstance(self.texts, TextColumn):
            raise _Irregular  # articles read line by line come first: keep to that reader
        if not isinstance(self.texts, TextColumn):
            self.texts = TextColumn()
        self.texts.extend(texts.chunks, lengths)
        self._id_arrays.append(ids)
        self.index.update(zip(doc_ids, range(first, first + len(doc_ids))))
        self.ids += doc_ids
        self.where += [f"{name}:{row}" for row in range(1, len(doc_ids) + 1)]
        self.claims += [claims.get(row, ()) for row in range(len(doc_ids))]
        self.clusters += [{} for _ in doc_ids]
        self.mentions.extend(rows + first, starts, ends, _codes(labels, self.code))
        if claims:  # the clusters of the mentions, for claim sources
            bounds = np.concatenate([[0], np.cumsum(sizes)])
            entity = mention["entity"]
            for row in claims:
                lo, hi = int(bounds[row]), int(bounds[row + 1])
                for s, e, cluster in zip(starts[lo:hi].tolist(), ends[lo:hi].tolist(), entity[lo:hi].to_pylist()):
                    if cluster is not None:
                        self.clusters[first + row].setdefault(str(cluster), []).append(Span(s, e))


def gold_from_documents(docs: Sequence[Annotated]) -> Gold:
    """Gold columns from model objects (the library path)."""
    gold = Gold()
    with gc_paused():
        for i, doc in enumerate(docs):
            gold.add_document(doc, f"gold document {i + 1} ({doc.id}): ")
    gold.fingerprint = gold_fingerprint(docs)
    return gold


def read_gold(path: str | Path, split: str | None = None) -> Gold:
    """Read a gold split file or gold folder (all splits, or ``split``) into columns: columnar when
    every file is regular, else line by line through the model. The fingerprint equals
    :func:`annotation.gold.dataset.fingerprint` of the same documents."""
    files = gold_files(Path(path), split)
    with gc_paused():
        try:
            return _columnar_gold(files)
        except (_Irregular, KhabarError, FormatError):
            pass
        return _model_gold(files)


def _columnar_gold(files: list[Path]) -> Gold:
    import pyarrow as pa

    gold = Gold()
    tables = []
    for file in files:
        table = _arrow_read(file, gold_schema())
        gold.take_table(file, table)
        tables.append(table)
    gold.fingerprint = table_fingerprint(pa.concat_tables(tables))
    return gold


def _model_gold(files: list[Path]) -> Gold:
    import pyarrow as pa

    gold = Gold()
    tables, records = [], []  # the records go into the fingerprint's table a batch at a time (memory)
    for file in files:
        for lineno, obj in iter_json_lines(file):
            where = f"{file}:{lineno}: "
            try:
                doc = Annotated.from_dict(obj, where)
            except FormatError as exc:
                raise KhabarError(str(exc)) from None
            gold.add_document(doc, where)
            records.append(gold_record(doc))
            if len(records) == _RECORD_BATCH:
                tables.append(gold_table(records))
                records = []
    tables.append(gold_table(records))
    gold.fingerprint = table_fingerprint(pa.concat_tables(tables))
    return gold


# ---------------------------------------------------------------------------- predictions

@dataclass
class Predictions:
    """Predictions paired with the gold: mentions as columns (doc = gold index; offsets -1 when
    unaligned; label = index into ``labels``), claims per gold document, and what happened on the way."""

    labels: list[str]
    mentions: _Column = field(default_factory=_Column)
    claims: dict[int, tuple[Claim, ...]] = field(default_factory=dict)
    where: dict[int, str] = field(default_factory=dict)  # gold index -> its prediction line
    lines: int = 0
    duplicate_lines: list[str] = field(default_factory=list)
    dropped: Counter = field(default_factory=Counter)
    text_mismatch: list[str] = field(default_factory=list)
    alignment: AlignReport = field(default_factory=AlignReport)
    duplicate_mentions: int = 0
    duplicate_example: str = ""

    def columns(self) -> Columns:
        return Columns(*self.mentions.arrays())

    def mention_lists(self) -> dict[int, list[tuple[int | None, int | None, str]]]:
        out: dict[int, list[tuple[int | None, int | None, str]]] = {}
        for d, s, e, c in zip(*(col.tolist() for col in self.mentions.arrays())):
            out.setdefault(d, []).append((s if s >= 0 else None, e if e >= 0 else None, self.labels[c]))
        return out


class PredictionReader:
    """Pairs prediction lines (or ``Prediction`` objects) with the gold and checks them."""

    def __init__(self, gold: Gold, scheme: Scheme, *, labels: Sequence[str], label_map: LabelMap = IDENTITY,
                 align: AlignConfig = AlignConfig()) -> None:
        self.gold = gold
        self.scheme = scheme
        self.label_map = label_map
        self.align = align
        self.out = Predictions(labels=list(labels))
        self._code: dict[str, int] = {label: i for i, label in enumerate(labels)}
        self._label_cache: dict[str, int] = {}
        self._origin: dict[int, Any] = {}  # gold index -> the first line's number, or the first Prediction
        self._path: Path | None = None
        self._hashes: dict[int, bytes] | None = None  # line number -> content hash, once a line repeats
        self._values = {a.name: set(a.value_names) for a in scheme.attributes if not a.is_boolean}

    def _label(self, label: str, where: str) -> int:
        """The column of a predicted label; -1 when the mapping drops it."""
        code = self._label_cache.get(label)
        if code is not None:
            return code
        try:
            target = self.label_map.target(label, self._code)
        except KeyError:
            if self.label_map is IDENTITY:
                raise KhabarError(f"{where}unknown label {label!r} (the scheme has {', '.join(self.scheme.labels)}) "
                                  "— give --label-map (wojood, anercorp, conll or a JSON file) to map or drop it") from None
            raise KhabarError(f"{where}label {label!r} is neither a scheme label nor covered by the label mapping "
                              f"{self.label_map.name!r} — add it to a mapping file (null drops it)") from None
        code = -1 if target is None else self._code[target]
        self._label_cache[label] = code
        return code

    def _same_as_first(self, i: int, content: Any, lineno: int | None) -> bool:
        """Is ``content`` (a repeated article's line) the same as its first line?"""
        origin = self._origin[i]
        if not isinstance(origin, int):  # library path: the first Prediction itself
            return origin == content
        if self._hashes is None:  # the first repeat: hash every line so far, once
            assert self._path is not None and lineno is not None
            earlier = itertools.takewhile(lambda item: item[0] < lineno, iter_json_lines(self._path))
            self._hashes = {n: _content_hash(obj) for n, obj in earlier}
        return self._hashes[origin] == _content_hash(content)

    def _doc(self, doc_id: Any, where: str, content: Any, origin: Any) -> int | None:
        """The gold index of a line's article; None for an identical repeated line (skipped).

        ``content`` is the line's parsed content; ``origin`` finds it again (a line number or the object)."""
        i = self.gold.index.get(str(doc_id))
        if i is None:
            raise KhabarError(f"{where}article id {str(doc_id)!r} is not in the gold set "
                              f"({len(self.gold)} articles) — predictions must be for gold articles (right split?)")
        if self._hashes is not None and isinstance(origin, int):
            self._hashes[origin] = _content_hash(content)
        if i in self.out.where:
            earlier = self.out.where[i]
            if self._same_as_first(i, content, origin if isinstance(origin, int) else None):
                self.out.duplicate_lines.append(f"{where.rstrip(': ')} repeats {earlier}")
                return None
            raise KhabarError(f"{where}a second, different prediction line for article {str(doc_id)!r} "
                              f"(first at {earlier}) — give one line per article")
        self.out.where[i] = where.rstrip(": ")
        self._origin[i] = origin
        self.out.lines += 1
        return i

    def add_prediction(self, pred: Prediction, where: str) -> None:
        """A model ``Prediction`` (the library path)."""
        i = self._doc(pred.id, where, pred, pred)
        if i is not None:
            self._add_prediction(i, pred, where)

    def read_file(self, path: str | Path) -> None:
        """Read a predictions JSON lines file: columnar when it is regular (integer offsets, no claims, one
        line per gold article), else line by line."""
        path = self._path = Path(path)
        with gc_paused():
            if not self.out.lines:
                try:
                    self._take_table(path, _arrow_read(path, _prediction_schema()))
                    return
                except _Irregular:
                    pass
            for lineno, obj in iter_json_lines(path):
                where = f"{path}:{lineno}: "
                if type(obj) is not dict:
                    raise KhabarError(f"{where}a prediction line must be a JSON object, not {type(obj).__name__}")
                pred = self._parse(obj, where)
                i = self._doc(pred.id, where, obj, lineno)
                if i is not None:
                    self._add_prediction(i, pred, where)

    def _take_table(self, path: Path, table: Any) -> None:
        """Take a predictions file read by pyarrow; _Irregular (before changing anything) on what the
        line-by-line reader must see: claims, a mention without offsets or label, an article that is not
        in the gold or comes twice, offsets outside the text, an unknown label."""
        import pyarrow.compute as pc

        ids = _column(table, "id")
        if ids.null_count or int_values(pc.list_value_length(_column(table, "claims"))).any():
            raise _Irregular
        position = pc.index_in(ids, value_set=self.gold.id_array())
        if position.null_count:
            raise _Irregular
        docs = int_values(position)
        if len(np.unique(docs)) != len(docs):
            raise _Irregular
        sizes, mention = _mentions(_column(table, "entities"))
        starts, ends = int_values(mention["start"]), int_values(mention["end"])
        rows = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
        owner = docs[rows]
        if ((starts < 0) | (ends > self.gold.lengths()[owner]) | (starts >= ends)).any():
            raise _Irregular
        try:
            codes = _codes(mention["label"], lambda label: self._label(label, ""))
        except KhabarError:
            raise _Irregular from None
        out = self.out
        texts = mention["text"]
        if texts.null_count != len(texts):
            bounds = np.concatenate([[0], np.cumsum(sizes)])
            given = texts.to_pylist()
            for k in np.flatnonzero(valid_mask(texts)).tolist():
                s, e, row = int(starts[k]), int(ends[k]), int(rows[k])
                if codes[k] >= 0 and given[k] != self.gold.texts[int(owner[k])][s:e]:
                    out.text_mismatch.append(f"{path}:{row + 1}: entities[{k - int(bounds[row])}]")
        for row, i in enumerate(docs.tolist()):
            out.where[i] = f"{path}:{row + 1}"
            self._origin[i] = row + 1
        out.lines += len(docs)
        if (codes < 0).any():
            dropped = codes < 0
            out.dropped.update(itertools.compress(mention["label"].to_pylist(), dropped.tolist()))
            owner, starts, ends, codes = owner[~dropped], starts[~dropped], ends[~dropped], codes[~dropped]
        out.mentions.extend(owner, starts, ends, codes)

    @staticmethod
    def _parse(obj: Any, where: str) -> Prediction:
        try:
            return Prediction.from_dict(obj, where)
        except FormatError as exc:
            raise KhabarError(str(exc)) from None

    def _add_prediction(self, i: int, pred: Prediction, where: str) -> None:
        text = self.gold.texts[i]
        n = len(text)
        out = self.out
        for k, m in enumerate(pred.entities):
            self._label(m.label, f"{where}entities[{k}]: ")  # unknown labels fail before alignment
            if m.start is not None and m.end is not None:
                problem = span_problem(m.start, m.end, n)
                if problem:
                    raise KhabarError(f"{where}entities[{k}]: {problem}")
        for k, c in enumerate(pred.claims):
            self._check_claim(c, n, f"{where}claims[{k}]")
        aligned = align_prediction(pred, text, self.align, out.alignment) if _needs_alignment(pred) else pred
        rows = []
        for k, (m, given) in enumerate(zip(aligned.entities, pred.entities)):
            code = self._label(m.label, f"{where}entities[{k}]: ")
            if code < 0:
                out.dropped[m.label] += 1
                continue
            if m.start is not None and m.end is not None:
                if given.start is not None and given.text is not None and given.text != text[m.start:m.end]:
                    out.text_mismatch.append(f"{where}entities[{k}]")
                rows.append((m.start, m.end, code))
            else:
                rows.append((-1, -1, code))
        out.mentions.extend([i] * len(rows), [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])
        if aligned.claims:
            out.claims[i] = aligned.claims

    def _check_claim(self, c: Claim, n: int, where: str) -> None:
        for name, span in (("", c.span), (" source", c.source), (" cue", c.cue)):
            if span is not None and span.start is not None and span.end is not None:
                problem = span_problem(span.start, span.end, n)
                if problem:
                    raise KhabarError(f"{where}{name}: {problem}")
        for attr, allowed in self._values.items():
            value = getattr(c, attr, None)
            if value is not None and value not in allowed:
                raise KhabarError(f"{where}: unknown {attr} value {value!r} (allowed: {', '.join(sorted(allowed))})")

    def finish(self) -> Predictions:
        """Remove identical repeated mentions (counted once, reported)."""
        out = self.out
        if not len(out.mentions):
            return out
        doc, start, end, label = out.mentions.arrays()
        width = int(max(end.max(), 0)) + 2
        if (int(doc.max()) + 1) * width * width * max(len(out.labels), 1) < 2 ** 62:
            key = ((doc * width + (start + 1)) * width + (end + 1)) * len(out.labels) + label
            order = np.argsort(key, kind="stable")
            k = key[order]
            same_key = k[1:] == k[:-1]
        else:
            order = np.lexsort((label, end, start, doc))
            d, s, e, lab = doc[order], start[order], end[order], label[order]
            same_key = (d[1:] == d[:-1]) & (s[1:] == s[:-1]) & (e[1:] == e[:-1]) & (lab[1:] == lab[:-1])
        same = np.zeros(len(doc), dtype=bool)
        same[1:] = same_key & (start[order][1:] >= 0)
        if same.any():
            drop = order[same]
            keep = np.ones(len(doc), dtype=bool)
            keep[drop] = False
            out.duplicate_mentions = int(same.sum())
            first = int(drop.min())
            out.duplicate_example = (f"{out.where[int(doc[first])]}: {out.labels[int(label[first])]} "
                                     f"[{int(start[first])}, {int(end[first])})")
            column = _Column()
            column.extend(doc[keep], start[keep], end[keep], label[keep])
            out.mentions = column
        return out


def _content_hash(obj: Any) -> bytes:
    """Equal for equal JSON values, whatever their key order."""
    return hashlib.blake2b(json.dumps(obj, ensure_ascii=False, sort_keys=True).encode("utf-8"), digest_size=16).digest()


def _needs_alignment(pred: Prediction) -> bool:
    def missing(span: Span | Mention | Claim | None) -> bool:
        return span is not None and (span.start is None or span.end is None)

    return any(missing(m) for m in pred.entities) or any(
        missing(c) or missing(c.source) or missing(c.cue) or any(missing(v) for v in c.via) for c in pred.claims)


def _prediction_schema() -> Any:
    """What the columnar path reads of a prediction line (other fields are ignored, as the model does)."""
    import pyarrow as pa

    mention = pa.struct([("label", pa.string()), ("start", pa.int64()), ("end", pa.int64()), ("text", pa.string())])
    return pa.schema([("id", pa.string()), ("entities", pa.list_(mention)), ("claims", pa.list_(pa.struct([])))])
