"""The one check of a span's offsets against its text, and the one ``Problem`` type that names a place.

Validation, the scorer's readers, the Label Studio import and the extractor runner all check offsets
with :func:`span_problem` (or :func:`check_span`, which also compares the span's text), so that a span
means the same everywhere: Python ``str`` indices (code points) into the text, end-exclusive, non-empty.
"""

from __future__ import annotations

from dataclasses import dataclass

from annotation.model import Span


@dataclass(frozen=True)
class Problem:
    """One defect: ``where`` names the place — a document and item (``doc-1 entities[3] (e4)``),
    a file and line (``raw/a.jsonl:3``), or a task, annotation and region — and ``message`` says what is wrong."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"

    @property
    def file(self) -> str:
        """The file part of a ``file:line`` place (the place itself when it has no line number)."""
        head, _, tail = self.where.rpartition(":")
        return head if head and tail.isdigit() else self.where


def span_problem(start: int, end: int, length: int) -> str | None:
    """What is wrong with offsets ``[start, end)`` in a text of ``length`` characters, or None."""
    if start < 0 or end > length:
        return f"offsets [{start}, {end}) are outside the text (length {length})"
    if start >= end:
        return f"offsets [{start}, {end}) are inverted or empty"
    return None


def check_span(span: Span, text: str, where: str) -> list[Problem]:
    """Offsets present, inside the text, not inverted, and the text at them equals ``span.text``."""
    if span.start is None or span.end is None:
        return [Problem(where, "span has no offsets")]
    problem = span_problem(span.start, span.end, len(text))
    if problem:
        return [Problem(where, problem)]
    actual = text[span.start:span.end]
    if span.text is not None and span.text != actual:
        return [Problem(where, f"span text {span.text!r} does not match the text at [{span.start}, {span.end}): {actual!r}")]
    return []
