"""brat standoff (``X.txt`` + ``X.ann``), read into gold documents and written from them.

Reading: each ``.ann`` with its ``.txt`` (an input is a folder of them, or one ``.ann`` file) is a document
whose id is the file stem. Text-bound annotations (``T1<TAB>PER 0 5<TAB>بوتين``) become mentions; their
offsets are code points into the ``.txt`` (as brat counts them) and must give the annotation's text,
else the line is a problem naming file, line and id. A discontinuous annotation (``0 5;9 14``) cannot be
a mention and is refused with its id. Relations, events, attributes, normalisations and notes are not
read (counted).

Writing: one ``<id>.txt`` (the article's text) and ``<id>.ann`` (a ``T`` line per mention, nested
mentions included) per document; claims and clusters are not written (counted).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from annotation.errors import KhabarError
from annotation.formats.report import InputFailed, LabelMapper, Report, gold_document
from annotation.io import write_atomic
from annotation.model import Annotated
from annotation.spans import Problem, span_problem

_TEXT_BOUND = re.compile(r"^(T\w+)\t(\S+) ([\d ;]+)\t(.*)$")
_SAFE = re.compile(r"[^\w.-]+")


def ann_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(path.glob("*.ann"))
    return [path]


def _read_text(ann: Path) -> str:
    txt = ann.with_suffix(".txt")
    try:
        return txt.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise InputFailed([Problem(str(ann), f"no text file {txt.name} beside it")]) from None
    except UnicodeDecodeError:
        raise InputFailed([Problem(str(txt), "not UTF-8 text")]) from None


def read_brat(path: Path, mapper: LabelMapper, report: Report, annotation: dict[str, Any]) -> Iterator[Annotated]:
    """Gold documents of a brat folder or ``.ann`` file; InputFailed at the end lists every problem."""
    files = ann_files(path)
    if not files:
        raise KhabarError(f"{path}: no .ann files")
    problems: list[Problem] = []
    for ann in files:
        try:
            text = _read_text(ann)
        except InputFailed as exc:
            problems += exc.problems
            continue
        mentions = []
        for lineno, line in enumerate(ann.read_text(encoding="utf-8").splitlines(), start=1):
            where = f"{ann}:{lineno}"
            found = _mention(line, text, where, problems, report)
            if found is not None:
                start, end, typ = found
                label = mapper(typ, lambda: f"{where} {line.split()[0]}")
                if label is not None:
                    mentions.append((start, end, label))
        problems += mapper.take_problems()
        yield gold_document(ann.stem, text, mentions, annotation)
    if problems:
        raise InputFailed(problems)


def _mention(line: str, text: str, where: str, problems: list[Problem], report: Report) -> tuple[int, int, str] | None:
    if not line.strip():
        return None
    if not line.startswith("T"):
        report.cannot_hold(f"brat {line[0]} annotations (relations, events, attributes, notes) not read", where)
        return None
    match = _TEXT_BOUND.match(line)
    if match is None:
        problems.append(Problem(where, "not a brat text-bound annotation (T<id><TAB>TYPE START END<TAB>TEXT)"))
        return None
    ident, typ, offsets, span_text = match.groups()
    if ";" in offsets:
        problems.append(Problem(where, f"{ident}: discontinuous annotation ({offsets}) cannot be a mention; "
                                       "refused (split it into continuous annotations)"))
        return None
    start, end = (int(x) for x in offsets.split())
    problem = span_problem(start, end, len(text))
    if problem is None and text[start:end] != span_text:
        problem = (f"the text at [{start}, {end}) is {text[start:end]!r}, not {span_text!r} "
                   "(offsets do not match the .txt)")
    if problem:
        problems.append(Problem(where, f"{ident}: {problem}"))
        return None
    return start, end, typ


def write_brat(folder: Path, docs: Iterable[Annotated], report: Report) -> None:
    """``<id>.txt`` and ``<id>.ann`` per document, each written atomically."""
    for doc in docs:
        if doc.claims:
            report.cannot_hold("claims (written as text-bound mentions only)", doc.id, len(doc.claims))
        stem = _SAFE.sub("_", doc.id) or "document"
        lines = [f"T{i}\t{m.label} {m.start} {m.end}\t{m.text}\n" for i, m in enumerate(doc.entities, start=1)]
        write_atomic(folder / f"{stem}.txt", doc.text)
        write_atomic(folder / f"{stem}.ann", "".join(lines))
