"""The inputs of an extract run and how they are cut into shards.

Inputs are article JSON lines files (``.jsonl``/``.json``, one article per line) or parquet files
(one article per row), named as files, globs or folders (their ``*.jsonl``, ``*.json`` and
``*.parquet`` files, recursively, in name order). Each input is read once to fingerprint it
(SHA-256 of its bytes) and to find where its shards start: a shard is ``shard_size`` consecutive
lines (or rows) of one input, so the plan depends only on the inputs and the shard size, never on
the engine or the number of workers. ``read_shard`` reads one shard back, by byte range, and turns
its lines into articles; a line that is not an article names its file and line.
"""

from __future__ import annotations

import glob
import hashlib
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from annotation.errors import KhabarError
from annotation.io import parse_json_lines
from annotation.model import Article, FormatError

DEFAULT_SHARD_SIZE = 1000
SUFFIXES = (".jsonl", ".json", ".parquet")
_CHUNK = 1 << 24


@dataclass(frozen=True)
class Input:
    """One input file: its path as discovered, format, fingerprint, size and line (or row) count."""

    path: str
    format: str  # "jsonl" or "parquet"
    sha256: str
    bytes: int
    records: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Shard:
    """Lines ``[first, first + lines)`` of input ``input`` (0-based; bytes ``[start, end)`` for JSON lines)."""

    index: int
    input: int
    path: str
    format: str
    first: int
    lines: int
    start: int
    end: int

    @property
    def file(self) -> str:
        return f"part-{self.index:05d}.jsonl"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> Shard:
        return cls(**{k: obj[k] for k in cls.__dataclass_fields__})


def discover(args: Sequence[str]) -> list[Path]:
    """The input files that ``args`` name, in order, each once."""
    found: list[Path] = []
    for arg in args:
        path = Path(arg)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in SUFFIXES
                           and not p.name.startswith("."))
            if not files:
                raise KhabarError(f"{arg}: a folder without .jsonl, .json or .parquet files")
        elif path.is_file():
            files = [path]
        elif glob.has_magic(arg):
            files = [Path(p) for p in sorted(glob.glob(arg, recursive=True)) if Path(p).is_file()]
            if not files:
                raise KhabarError(f"{arg}: no file matches")
        else:
            raise KhabarError(f"{arg}: no such file or folder")
        found += [f for f in files if f not in found]
    return found


def _scan_jsonl(path: Path, shard_size: int) -> tuple[Input, list[int]]:
    """Fingerprint a JSON lines file and the byte offsets where its shards start (one pass)."""
    digest = hashlib.sha256()
    starts = [0]
    lines = size = 0
    last = b"\n"
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            count = chunk.count(b"\n")
            pos = 0
            while lines + count >= len(starts) * shard_size:  # a shard boundary falls in this chunk
                for _ in range(len(starts) * shard_size - lines):
                    pos = chunk.index(b"\n", pos) + 1
                    lines += 1
                    count -= 1
                starts.append(size + pos)
            lines += count
            size += len(chunk)
            last = chunk[-1:]
    if last != b"\n":
        lines += 1  # a last line without its newline
    if starts[-1] == size and len(starts) > 1:
        starts.pop()
    return Input(str(path), "jsonl", digest.hexdigest(), size, lines), starts


def _scan_parquet(path: Path) -> Input:
    import pyarrow.parquet as pq

    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    try:
        rows = pq.ParquetFile(path).metadata.num_rows
    except Exception as exc:
        raise KhabarError(f"{path}: not a parquet file ({exc})") from None
    return Input(str(path), "parquet", digest.hexdigest(), path.stat().st_size, rows)


def plan(paths: Sequence[Path], shard_size: int = DEFAULT_SHARD_SIZE) -> tuple[list[Input], list[Shard]]:
    """Fingerprint every input and cut it into shards."""
    inputs: list[Input] = []
    shards: list[Shard] = []
    for k, path in enumerate(paths):
        if path.suffix == ".parquet":
            item = _scan_parquet(path)
            starts = list(range(0, item.records, shard_size)) or [0]
            ends = starts[1:] + [item.records]
        else:
            item, starts = _scan_jsonl(path, shard_size)
            ends = starts[1:] + [item.bytes]
        inputs.append(item)
        for j, (start, end) in enumerate(zip(starts, ends)):
            first = j * shard_size
            lines = min(shard_size, item.records - first)
            if lines > 0:
                shards.append(Shard(len(shards), k, item.path, item.format, first, lines, start, end))
    return inputs, shards


def _article(obj: Any, where: str) -> Article:
    if type(obj) is not dict:
        raise KhabarError(f"{where}not an article: a JSON {type(obj).__name__}, expected an object "
                          "with id and text")
    try:
        return Article.from_dict(obj, where)
    except FormatError as exc:
        raise KhabarError(f"{exc} (not an article line)") from None


def _jsonl_rows(shard: Shard) -> Iterator[tuple[str, Any]]:
    with open(shard.path, "rb") as handle:
        handle.seek(shard.start)
        data = handle.read(shard.end - shard.start)
    for lineno, obj in parse_json_lines(io.BytesIO(data), shard.path, shard.first + 1):
        yield f"{shard.path}:{lineno}: ", obj


def _parquet_rows(shard: Shard) -> Iterator[tuple[str, Any]]:
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(shard.path)
    groups, offset, skip = [], 0, 0
    for g in range(parquet.num_row_groups):  # only the row groups that hold the shard's rows
        size = parquet.metadata.row_group(g).num_rows
        if offset + size > shard.first and offset < shard.first + shard.lines:
            skip = skip if groups else shard.first - offset
            groups.append(g)
        offset += size
    table = parquet.read_row_groups(groups).slice(skip, shard.lines)
    for n, row in enumerate(table.to_pylist()):
        row = {k: v for k, v in row.items() if v is not None}
        if isinstance(row.get("meta"), str):
            row["meta"] = json.loads(row["meta"])
        yield f"{shard.path}: row {shard.first + n + 1}: ", row


def read_shard(shard: Shard) -> list[tuple[str, Article]]:
    """The articles of a shard with where each was read; bad lines and repeated ids name file and line."""
    rows = _parquet_rows(shard) if shard.format == "parquet" else _jsonl_rows(shard)
    out: list[tuple[str, Article]] = []
    seen: dict[str, str] = {}
    for where, obj in rows:
        article = _article(obj, where)
        if article.id in seen:
            raise KhabarError(f"{where}article id {article.id!r} repeats {seen[article.id]}")
        seen[article.id] = where.rstrip(": ")
        out.append((where.rstrip(": "), article))
    return out
