"""Builders shared by the tests: spans found by their text, Label Studio regions, files written as lines.

Occurrences are counted from 0 everywhere (``nth=0`` is the first occurrence of the needle)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from annotation.io import write_jsonl
from annotation.model import Annotated, Span


def at(text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    """Offsets ``[start, end)`` of the ``nth`` occurrence of ``needle`` in ``text`` (ValueError if absent)."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(needle, start + 1)
    return start, start + len(needle)


def span_at(text: str, needle: str, nth: int = 0, entity: str | None = None) -> Span:
    """The span of the ``nth`` occurrence of ``needle`` in ``text``."""
    start, end = at(text, needle, nth)
    return Span(start, end, needle, entity)


def ls_region(rid: str, control: str, label: str, start: int, end: int, text: str,
              labels: list[str] | None = None) -> dict[str, Any]:
    """A Label Studio labels region as an export holds it (``control``: the Labels tag's name)."""
    return {"id": rid, "from_name": control, "to_name": "text", "type": "labels", "origin": "manual",
            "value": {"start": start, "end": end, "text": text, "labels": labels or [label]}}


def ls_region_of(text: str, rid: str, control: str, label: str, needle: str, nth: int = 0,
                 labels: list[str] | None = None) -> dict[str, Any]:
    """A labels region over the ``nth`` occurrence of ``needle`` in ``text``."""
    start, end = at(text, needle, nth)
    return ls_region(rid, control, label, start, end, needle, labels)


def write_lines(path: Path, objects: Sequence[Any]) -> Path:
    """Objects (or ready strings) as JSON lines, as given (no validation)."""
    path.write_text("".join((o if isinstance(o, str) else json.dumps(o, ensure_ascii=False)) + "\n"
                            for o in objects), encoding="utf-8")
    return path


def write_gold(path: Path, docs: Sequence[Annotated]) -> Path:
    """Gold documents as a gold JSON lines file, in the dataset's record form."""
    from annotation.gold.records import gold_record

    write_jsonl(path, [gold_record(d) for d in docs])
    return path
