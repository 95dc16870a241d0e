"""Reading raw scraped articles: .txt, .html and .jsonl files (or folders of them) into ``RawDoc``s.

Each bad input (missing path, unsupported type, binary or empty file, undecodable bytes, a
.jsonl line that is not JSON or has no text field, no Arabic text, a bad sidecar) becomes a
``Problem`` naming the file (and line) while the rest of the batch is still read.

Metadata comes from a sidecar ``<stem>.meta.json`` next to the raw file (``source``, ``url``,
``published``, optionally ``title``); for .html the page's own meta tags fill what the sidecar
leaves out; for .jsonl each record's fields override the file's sidecar.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotation.arabic import has_arabic
from annotation.errors import KhabarError
from annotation.io import parse_json
from annotation.spans import Problem

RAW_SUFFIXES = (".txt", ".html", ".htm", ".jsonl")
SIDECAR_SUFFIX = ".meta.json"
DEFAULT_TEXT_FIELD = "text"
METADATA_FIELDS = ("source", "url", "published", "title")

_MAGIC = {b"%PDF": "a PDF document", b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image",
          b"GIF8": "a GIF image", b"PK\x03\x04": "a zip archive (or .docx/.xlsx)", b"\x1f\x8b": "gzip data",
          b"\xd0\xcf\x11\xe0": "an MS Office document", b"SQLite format 3": "an SQLite database"}
_CONTROL = set(range(0, 9)) | set(range(14, 32))
_BINARY_CONTROL_SHARE = 0.02
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


@dataclass(frozen=True)
class RawInput:
    """A raw file to read and the stable name it is recorded under (relative to its RAW argument)."""

    path: Path
    origin: str


@dataclass
class RawDoc:
    """A raw article before cleaning: its decoded text and what is known about it."""

    id: str
    place: str  # where to point a user: "data/raw/x.txt" or "dump.jsonl:3"
    origin: str  # stable provenance recorded in meta
    text: str
    title: str | None = None  # an explicit title (HTML <h1>/og:title, a record's or sidecar's title)
    source: str | None = None
    url: str | None = None
    published: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)  # page text left out by HTML extraction


class RawError(Exception):
    """Internal: a problem with one raw input; turned into a ``Problem``."""

    def __init__(self, place: str, message: str) -> None:
        super().__init__(f"{place}: {message}")
        self.problem = Problem(place, message)


def discover(paths: Iterable[str | Path]) -> tuple[list[RawInput], list[Problem], list[str]]:
    """The raw files named by RAW arguments (files, or folders searched recursively, sorted).

    Returns (inputs, problems, skipped): skipped lists files in folders that are not raw articles
    (other extensions; sidecars are not counted).
    """
    inputs: list[RawInput] = []
    problems: list[Problem] = []
    skipped: list[str] = []
    seen: set[Path] = set()
    for arg in paths:
        path = Path(arg)
        if path.is_dir():
            found = []
            folder = path.resolve().name
            for item in sorted(path.rglob("*"), key=lambda p: p.relative_to(path).as_posix()):
                rel = item.relative_to(path)
                if not item.is_file() or any(part.startswith(".") for part in rel.parts):
                    continue
                if item.name.endswith(SIDECAR_SUFFIX):
                    continue
                if item.suffix.lower() not in RAW_SUFFIXES:
                    skipped.append(str(item))
                    continue
                found.append(RawInput(item, f"{folder}/{rel.as_posix()}" if folder else rel.as_posix()))
            if not found:
                problems.append(Problem(str(path), f"no raw article files in this folder (expected {_suffixes()})"))
            for raw in found:
                if raw.path.resolve() not in seen:
                    seen.add(raw.path.resolve())
                    inputs.append(raw)
        elif path.is_file():
            if path.name.endswith(SIDECAR_SUFFIX):
                problems.append(Problem(str(path), "a metadata sidecar, not an article; "
                                                   "pass the raw file or its folder instead"))
            elif path.suffix.lower() not in RAW_SUFFIXES:
                problems.append(Problem(str(path), f"unsupported file type '{path.suffix}' (expected {_suffixes()})"))
            elif path.resolve() not in seen:
                seen.add(path.resolve())
                inputs.append(RawInput(path, path.name))
        else:
            problems.append(Problem(str(path), "no such file or folder"))
    return inputs, problems, skipped


def _suffixes() -> str:
    return ", ".join(RAW_SUFFIXES)


def read_input(raw: RawInput, *, text_field: str = DEFAULT_TEXT_FIELD) -> tuple[list[RawDoc], list[Problem]]:
    """Read one raw file into raw documents (several for .jsonl); problems name file and line."""
    path = raw.path
    place = str(path)
    try:
        data = path.read_bytes()
        sidecar = read_sidecar(path)
        suffix = path.suffix.lower()
        if suffix == ".jsonl":
            return _read_jsonl(raw, data, sidecar, text_field=text_field)
        _check_bytes(place, data)
        if suffix in (".html", ".htm"):
            doc = _read_html(raw, data, sidecar)
        else:
            text = _decode(place, data, "utf-8")
            doc = RawDoc(id=path.stem, place=place, origin=raw.origin, text=text)
            _apply_metadata(doc, sidecar)
        _check_text(place, doc.text)
        doc.meta = {"origin": raw.origin, "sha256": _digest(data), **doc.meta}
        return [doc], []
    except RawError as exc:
        return [], [exc.problem]
    except OSError as exc:
        return [], [Problem(place, f"cannot read: {exc.strerror or exc}")]


def read_sidecar(path: Path) -> dict[str, Any]:
    """The metadata of ``<stem>.meta.json`` next to ``path`` ({} when there is none)."""
    sidecar = path.with_name(path.stem + SIDECAR_SUFFIX)
    if not sidecar.is_file():
        return {}
    try:
        obj = parse_json(sidecar.read_text(encoding="utf-8"), "")
    except UnicodeDecodeError:
        raise RawError(str(sidecar), "not UTF-8 text; write the sidecar as UTF-8 JSON") from None
    except KhabarError as exc:
        raise RawError(str(sidecar), f"sidecar: {exc}") from None
    if not isinstance(obj, dict):
        raise RawError(str(sidecar), "sidecar must be a JSON object with source, url, published")
    _check_fields(str(sidecar), obj)
    return obj


def _check_fields(place: str, obj: dict[str, Any]) -> None:
    for key in METADATA_FIELDS:
        if obj.get(key) is not None and not isinstance(obj[key], str):
            raise RawError(place, f"field '{key}' must be a string or null, not {type(obj[key]).__name__}")


def _apply_metadata(doc: RawDoc, values: dict[str, Any]) -> None:
    """Fill the document's metadata from ``values`` (a sidecar or a record); other keys go to meta."""
    for key in ("source", "url", "published"):
        if values.get(key):
            setattr(doc, key, values[key].strip())
    if values.get("title") and values["title"].strip():
        doc.title = values["title"].strip()
    extra = {k: v for k, v in values.items() if k not in METADATA_FIELDS and k not in ("id", "lang", "meta")}
    if extra:
        doc.meta.setdefault("sidecar", {}).update(extra)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _check_bytes(place: str, data: bytes) -> None:
    """Empty and binary files are rejected before decoding."""
    if not data.strip():
        raise RawError(place, "empty file" if not data else "empty file (only whitespace)")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return
    for magic, kind in _MAGIC.items():
        if data.startswith(magic):
            raise RawError(place, f"binary file ({kind}), not a text article")
    head = data[:8192]
    if b"\x00" in head or sum(b in _CONTROL for b in head) > _BINARY_CONTROL_SHARE * len(head):
        raise RawError(place, "binary file (control bytes), not a text article; "
                              "if it is UTF-16 text, convert it to UTF-8")


def _decode(place: str, data: bytes, encoding: str, *, first_line: int = 1) -> str:
    """Decode raw bytes (a BOM wins over ``encoding``); an error names the line and column."""
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            data, encoding = (data[len(bom):], codec) if codec == "utf-8" else (data, codec)
            break
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = first_line + data.count(b"\n", 0, exc.start)
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        hint = f"convert it to UTF-8{_encoding_hint(data)}"
        raise RawError(f"{place}:{line}", f"unreadable encoding: not {encoding} "
                                          f"(byte 0x{data[exc.start]:02X} at column {column}); {hint}") from None
    except LookupError:
        raise RawError(place, f"unknown character encoding '{encoding}'") from None


def _encoding_hint(data: bytes) -> str:
    try:
        text = data.decode("cp1256")
    except UnicodeDecodeError:
        return ""
    return " (it reads as Arabic Windows-1256: iconv -f cp1256 -t utf-8)" if has_arabic(text) else ""


def _check_text(place: str, text: str) -> None:
    if not text.strip():
        raise RawError(place, "empty article (no text)")
    if not has_arabic(text):
        raise RawError(place, "no Arabic text (not a single Arabic letter); khabar ingests Arabic articles")


def _read_html(raw: RawInput, data: bytes, sidecar: dict[str, Any]) -> RawDoc:
    from annotation.ingest.html import extract_html

    match = _CHARSET.search(data[:4096])
    declared = match.group(1).decode("ascii").lower() if match else "utf-8"
    place = str(raw.path)
    text = _decode(place, data, declared)
    page = extract_html(text)
    if not page.lines:
        raise RawError(place, "no article text found in the page (no paragraphs outside navigation)")
    doc = RawDoc(id=raw.path.stem, place=place, origin=raw.origin, text="\n".join(page.lines),
                 title=page.title, source=page.source, url=page.url, published=page.published,
                 meta={"extractor": page.extractor}, dropped=page.dropped)
    _apply_metadata(doc, sidecar)
    return doc


def _read_jsonl(raw: RawInput, data: bytes, sidecar: dict[str, Any], *,
                text_field: str) -> tuple[list[RawDoc], list[Problem]]:
    place = str(raw.path)
    _check_bytes(place, data)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        data = _decode(place, data, "utf-16").encode("utf-8")
    elif data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    docs: list[RawDoc] = []
    problems: list[Problem] = []
    for lineno, line in enumerate(data.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            docs.append(_read_record(raw, line, lineno, sidecar, text_field=text_field))
        except RawError as exc:
            problems.append(exc.problem)
    if not docs and not problems:
        problems.append(Problem(place, "empty file (no JSON lines)"))
    return docs, problems


def _read_record(raw: RawInput, line: bytes, lineno: int, sidecar: dict[str, Any], *, text_field: str) -> RawDoc:
    place = str(raw.path)
    where = f"{place}:{lineno}"
    text_line = _decode(place, line, "utf-8", first_line=lineno)
    try:
        obj = parse_json(text_line, "")
    except KhabarError as exc:
        raise RawError(where, str(exc)) from None
    if not isinstance(obj, dict):
        raise RawError(where, f"expected a JSON object with a '{text_field}' field, got {type(obj).__name__}")
    text = obj.get(text_field)
    if not isinstance(text, str):
        found = "missing" if text is None else f"a {type(text).__name__}, not a string"
        raise RawError(where, f"no '{text_field}' field ({found}); each line needs the article text "
                              f"in '{text_field}' (or name the field with --text-field)")
    _check_fields(where, obj)
    ident = obj.get("id")
    if ident is not None and (not isinstance(ident, (str, int)) or isinstance(ident, bool) or not str(ident).strip()):
        raise RawError(where, f"field 'id' must be a non-empty string or an integer, not {ident!r}")
    doc = RawDoc(id=str(ident) if ident is not None else f"{raw.path.stem}-{lineno}", place=where,
                 origin=f"{raw.origin}:{lineno}", text=text)
    _apply_metadata(doc, sidecar)
    _apply_metadata(doc, {k: v for k, v in obj.items() if k in METADATA_FIELDS})
    _check_text(where, text)
    doc.meta = {"origin": doc.origin, "sha256": _digest(line.strip()), **doc.meta}
    return doc
