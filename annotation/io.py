"""Reading and writing JSON lines: errors name the file and line; writes are atomic."""

from __future__ import annotations

import json
import json.scanner
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any, TypeVar

from annotation.errors import KhabarError
from annotation.model import Annotated, Article, FormatError, Prediction

T = TypeVar("T")


def dumps(obj: Any) -> str:
    """The one JSON encoding khabar writes: UTF-8 text, keys in the model's order."""
    return json.dumps(obj, ensure_ascii=False)


_scan = json.scanner.make_scanner(json.JSONDecoder())  # type: ignore[attr-defined]
_JSON_SPACE = " \t\n\r"  # the whitespace JSON allows around a value


def open_input(path: Path, expected: str, *, binary: bool = False) -> IO[Any]:
    """Open a file the user named; a missing file or a folder is an error naming it and what was
    ``expected`` there (e.g. "a JSON lines file")."""
    try:
        return path.open("rb") if binary else path.open(encoding="utf-8")
    except FileNotFoundError:
        raise KhabarError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise KhabarError(f"{path}: is a directory, expected {expected}") from None


def iter_json_lines(path: str | Path) -> Iterator[tuple[int, Any]]:
    """Yield (line number, parsed object) for each non-blank line; bad JSON names file and line."""
    path = Path(path)
    with open_input(path, "a JSON lines file") as handle:
        yield from parse_json_lines(handle, path)


def parse_json_lines(lines: Iterable[str], path: str | Path, first: int = 1) -> Iterator[tuple[int, Any]]:
    """``iter_json_lines`` over lines already opened (the first is line ``first`` of ``path``)."""
    lineno = first - 1
    try:
        for lineno, line in enumerate(lines, start=first):
            try:  # json.loads without its Python wrappers; anything unusual goes through json.loads
                obj, end = _scan(line, 0)
            except (StopIteration, json.JSONDecodeError):
                pass
            else:
                if not line[end:].strip(_JSON_SPACE):
                    yield lineno, obj
                    continue
            if not line.strip():
                continue
            try:
                yield lineno, json.loads(line)
            except json.JSONDecodeError as exc:
                raise KhabarError(f"{path}:{lineno}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    except UnicodeDecodeError:
        raise KhabarError(f"{path}:{lineno + 1}: not UTF-8 text") from None


def read_records(path: str | Path, parse: Callable[[Any, str], T]) -> list[T]:
    """Parse every line of ``path`` with ``parse(obj, where)``; a bad record names file and line."""
    out = []
    for lineno, obj in iter_json_lines(path):
        where = f"{path}:{lineno}: "
        try:
            out.append(parse(obj, where))
        except FormatError as exc:
            raise KhabarError(str(exc)) from None
    return out


def read_articles(path: str | Path) -> list[Article]:
    return read_records(path, Article.from_dict)


def read_gold(path: str | Path) -> list[Annotated]:
    return read_records(path, Annotated.from_dict)


def read_predictions(path: str | Path) -> list[Prediction]:
    return read_records(path, Prediction.from_dict)


def write_atomic(path: str | Path, content: str | bytes | Iterable[str]) -> None:
    """Write a file so that readers see the old content or the new, never half of it.

    ``content`` may also be an iterable of text chunks, written as they come (large outputs)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    chunks = [content] if isinstance(content, (str, bytes)) else content
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_jsonl(path: str | Path, records: Iterable[Any]) -> None:
    """Write objects (or model instances with ``to_dict``) as JSON lines, atomically."""
    lines = [dumps(r.to_dict() if hasattr(r, "to_dict") else r) + "\n" for r in records]
    write_atomic(path, "".join(lines))
