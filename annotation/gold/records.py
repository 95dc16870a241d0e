"""Gold records: the one form of a gold line, its Arrow features and fingerprint, and the one reader of gold files.

A gold split file holds one record per line (:func:`gold_record`: the article without its ingestion
``meta``, and its labels). This module defines, once, what the dataset folder, ``datasets`` and the
scorer all rely on: the features (:func:`gold_fields`, as a pyarrow schema :func:`gold_schema`), a
records' table (:func:`gold_table`), the content fingerprint of a gold set (:func:`table_fingerprint`,
:func:`fingerprint`), which files a gold path holds (:func:`gold_files`) and how they are read into
model objects (:func:`iter_gold`, :func:`load_gold`). The scorer's fast columnar reader
(``eval.inputs.gold``) reads the same files with pyarrow and is tested to give what :func:`iter_gold` gives.

The claim attributes among the features come from the scheme: a release's card declares those of
its scheme version, the readers read those of the current scheme (a field a record lacks is null),
and the fingerprint leaves out an attribute that a later scheme added when no record has it, so gold
of scheme 1.0 keeps its fingerprint.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from annotation.errors import KhabarError
from annotation.io import iter_json_lines
from annotation.model import Annotated
from annotation.scheme import Scheme, load_scheme
from annotation.versions import UNNAMED

if TYPE_CHECKING:
    import pyarrow as pa

SPLITS = ("dev", "test")
RECORD_BATCH = 10_000  # records turned into an Arrow table at a time by :func:`fingerprint` (memory)

_SPAN = {"start": "int32", "end": "int32", "text": "string"}
_SOURCE = {**_SPAN, "entity": "string"}




def gold_fields(scheme: Scheme | None = None) -> dict[str, Any]:
    """The gold features of ``scheme`` (default: the current one): a claim gets one field per attribute,
    in the scheme's order, a bool for a boolean attribute and a string otherwise."""
    scheme = scheme or load_scheme()
    attributes = {a.name: "bool" if a.is_boolean else "string" for a in scheme.attributes}
    return {
        "id": "string", "text": "string", "title": "string", "source": "string",
        "url": "string", "published": "string", "lang": "string",
        "entities": [{"id": "string", **_SPAN, "label": "string", "entity": "string"}],
        "claims": [{"id": "string", **_SPAN, "source": _SOURCE, "cue": _SPAN, "via": [_SOURCE], **attributes}],
        "annotation": {"annotators": ("string",), "adjudicated": "bool", "scheme": "string", "rule": "string",
                       "pre_annotation": "string"},
    }


def gold_record(doc: Annotated) -> dict[str, Any]:
    """One line of a gold split file: the article (without its ingestion ``meta``) and its labels."""
    record = doc.to_dict()
    record.pop("meta", None)
    return record


def _arrow_type(kind: Any) -> pa.DataType:
    import pyarrow as pa

    if isinstance(kind, str):
        return {"string": pa.string(), "int32": pa.int32(), "bool": pa.bool_()}[kind]
    if isinstance(kind, list):  # a list of structs
        return pa.list_(_arrow_type(kind[0]))
    if isinstance(kind, tuple):  # a list of scalars
        return pa.list_(_arrow_type(kind[0]))
    return pa.struct([(name, _arrow_type(k)) for name, k in kind.items()])


def gold_schema(scheme: Scheme | None = None) -> pa.Schema:
    """The gold features (:func:`gold_fields`) as a pyarrow schema: how ``datasets`` and the scorer read a split."""
    import pyarrow as pa

    return pa.schema([(name, _arrow_type(kind)) for name, kind in gold_fields(scheme).items()])


def gold_table(records: Sequence[dict[str, Any]]) -> pa.Table:
    """Gold records (:func:`gold_record`) as a pyarrow table of :func:`gold_schema`; a record that does not fit
    the features is an error naming its document."""
    import pyarrow as pa

    schema = gold_schema()
    try:
        return pa.Table.from_pylist(list(records), schema=schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        for record in records:
            try:
                pa.Table.from_pylist([record], schema=schema)
            except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
                raise KhabarError(f"gold document {record.get('id')!r} does not fit the gold features ({exc}) — "
                                  "ids, cluster ids and texts are strings, offsets integers; "
                                  "'khabar validate' lists what to fix") from None
        raise


def valid_mask(array: pa.Array) -> np.ndarray:
    """Which values of an Arrow array are not null, as NumPy booleans (read from the validity bitmap)."""
    validity = array.buffers()[0]
    if validity is None or not array.null_count:
        return np.ones(len(array), dtype=bool)
    bits = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), bitorder="little")
    return bits[array.offset:array.offset + len(array)].astype(bool)


def int_values(array: pa.Array) -> np.ndarray:
    """An Arrow integer or boolean array as int64 numbers, a null as 0, read from the Arrow buffers:
    pyarrow's own conversions between Arrow, Python and NumPy import pandas (0.3 s for a command)."""
    import pyarrow as pa

    values = array.cast(pa.int64()) if array.type != pa.int64() else array
    out = np.frombuffer(values.buffers()[1], dtype=np.int64)[values.offset:values.offset + len(values)]
    return np.where(valid_mask(values), out, 0) if values.null_count else out


def _feed(streams: dict[str, Any], path: str, array: pa.Array, skip: frozenset[str] = frozenset()) -> None:
    """Hash an Arrow array by its values, one stream per leaf of the type (so that how a column is cut
    in chunks does not matter): structs by their fields, lists by their lengths and then their items
    (a null list counts as empty, a null struct as one whose fields are null), scalars by validity and
    value, strings as UTF-8."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def stream(name: str) -> Any:
        if name not in streams:
            streams[name] = hashlib.sha256()
        return streams[name]

    kind = array.type
    if pa.types.is_struct(kind):
        for field_, child in zip(kind, array.flatten()):
            if f"{path}.{field_.name}" not in skip:
                _feed(streams, f"{path}.{field_.name}", child, skip)
        return
    if pa.types.is_list(kind):
        stream(f"{path}#").update(int_values(pc.list_value_length(array)).astype("<i8").tobytes())
        _feed(streams, f"{path}[]", array.flatten(), skip)
        return
    stream(f"{path}?").update(valid_mask(array).astype(np.uint8).tobytes())
    if pa.types.is_string(kind):
        lengths = int_values(pc.binary_length(array))
        stream(f"{path}#").update(lengths.astype("<i8").tobytes())
        _, offsets, data = array.buffers()
        bounds = np.frombuffer(offsets, dtype=np.int32)[array.offset:array.offset + len(array) + 1]
        if len(array) and int(bounds[-1] - bounds[0]) == int(lengths.sum()):  # null values take no bytes
            stream(path).update(memoryview(data)[int(bounds[0]):int(bounds[-1])])
        else:
            stream(path).update("".join(v for v in array.to_pylist() if v is not None).encode("utf-8"))
        return
    stream(path).update(int_values(array).astype("<i8").tobytes())


def table_fingerprint(table: pa.Table) -> str:
    """A short hash of a gold table's content (:func:`gold_schema`), in id order: independent of file
    layout, split, line order and how the table is cut in chunks."""
    import pyarrow.compute as pc

    schema = gold_schema()
    table = table.select(schema.names).cast(schema)
    ids = table["id"]
    if len(ids) > 1 and not pc.all(pc.less_equal(ids[:-1], ids[1:])).as_py():
        table = table.take(pc.sort_indices(ids))
    skip = _absent_later_attributes(table)
    streams: dict[str, Any] = {}
    for name in schema.names:
        column = table[name]
        for chunk in column.chunks or [column.combine_chunks()]:
            _feed(streams, name, chunk, skip)
    digest = hashlib.sha256(b"khabar gold fingerprint 2\n")
    for name, stream in streams.items():
        digest.update(f"{name} {stream.hexdigest()}\n".encode("utf-8"))
    return digest.hexdigest()[:8]


def _absent_later_attributes(table: pa.Table) -> frozenset[str]:
    """Fields added after gold sets were first fingerprinted that are null throughout ``table``, left out of
    the fingerprint so that such a gold set hashes as before: the claim attributes added after scheme 1.0.0
    that no claim has, and ``annotation.pre_annotation`` when no annotator started from a model."""
    import pyarrow.compute as pc

    claims = pc.list_flatten(table["claims"])
    later = load_scheme().added_since(UNNAMED)
    absent = {f"claims[].{name}" for name in later
              if claims.null_count == len(claims) or pc.struct_field(claims, name).null_count == len(claims)}
    if pc.struct_field(table["annotation"], "pre_annotation").null_count == len(table):
        absent.add("annotation.pre_annotation")
    return frozenset(absent)


def fingerprint(docs: Iterable[Annotated], *, batch: int = RECORD_BATCH) -> str:
    """A short hash of the gold content, independent of file layout, split and order: part of every
    signature. The content is the documents as the gold features hold them (:func:`table_fingerprint`);
    ``docs`` is consumed once, ``batch`` records at a time."""
    import pyarrow as pa

    records = map(gold_record, docs)
    tables = [gold_table(list(chunk)) for chunk in iter(lambda: list(itertools.islice(records, batch)), [])]
    return table_fingerprint(pa.concat_tables(tables) if tables else gold_table([]))


def gold_files(path: Path, split: str | None = None) -> list[Path]:
    """The JSON lines files of a gold path: a file, or a dataset folder (all splits, or one)."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise KhabarError(f"{path}: no such gold file or folder")
    names = [split] if split else list(SPLITS)
    files = [path / f"{name}.jsonl" for name in names]
    missing = [f for f in files if not f.is_file()]
    if missing:
        raise KhabarError(f"{path}: no split file {missing[0].name} (expected a khabar gold folder)")
    return files


def iter_gold(files: Iterable[Path]) -> Iterator[tuple[str, Annotated]]:
    """The one reader of gold records: ``(place, document)`` for each line of ``files``, the place
    ``"<file>:<line>: "``; a line the model does not accept is an error naming the file, line and field."""
    for file in files:
        for lineno, obj in iter_json_lines(file):
            where = f"{file}:{lineno}: "
            yield where, Annotated.from_dict(obj, where)


def load_gold(path: str | Path, split: str | None = None) -> list[Annotated]:
    """Read gold documents from a split file or a gold folder (all splits, or ``split``)."""
    return [doc for _, doc in iter_gold(gold_files(Path(path), split))]
