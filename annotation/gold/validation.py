"""Validation of gold documents against the text and the scheme: every problem with its place."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from annotation.model import Annotated, Span
from annotation.scheme import Scheme


@dataclass(frozen=True)
class Problem:
    """One defect: ``where`` names the place — a document and item (``doc-1 entities[3] (e4)``),
    or a file and line (``raw/a.jsonl:3``) — and ``message`` says what is wrong."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"

    @property
    def file(self) -> str:
        """The file part of a ``file:line`` place (the place itself when it has no line number)."""
        head, _, tail = self.where.rpartition(":")
        return head if head and tail.isdigit() else self.where


def check_span(span: Span, text: str, where: str) -> list[Problem]:
    """Offsets present, inside the text, not inverted, and the text at them equals ``span.text``."""
    if span.start is None or span.end is None:
        return [Problem(where, "span has no offsets")]
    if span.start < 0 or span.end > len(text):
        return [Problem(where, f"offsets [{span.start}, {span.end}) are outside the text (length {len(text)})")]
    if span.start >= span.end:
        return [Problem(where, f"offsets [{span.start}, {span.end}) are inverted or empty")]
    actual = text[span.start:span.end]
    if span.text is not None and span.text != actual:
        return [Problem(where, f"span text {span.text!r} does not match the text at [{span.start}, {span.end}): {actual!r}")]
    return []


def validate_document(doc: Annotated, scheme: Scheme, *, place: str = "") -> list[Problem]:
    """Every problem of one gold document; an empty list means it is valid."""
    doc_where = f"{place}{doc.id}"
    problems: list[Problem] = []
    text = doc.text
    if doc.article.title is not None and not text.startswith(doc.article.title):
        problems.append(Problem(doc_where, "title is not the first line of the text"))
    labels = set(scheme.labels)
    clusters = {m.entity for m in doc.entities if m.entity is not None}
    for kind, ids in (("entity", [m.id for m in doc.entities]), ("claim", [c.id for c in doc.claims])):
        for ident, n in Counter(ids).items():
            if ident is None:
                problems.append(Problem(doc_where, f"{n} {kind}(s) without an id"))
            elif n > 1:
                problems.append(Problem(doc_where, f"duplicate {kind} id {ident!r} ({n} times)"))
    for i, m in enumerate(doc.entities):
        where = f"{doc_where} entities[{i}] ({m.id})"
        problems += check_span(m.span, text, where)
        if m.label not in labels:
            problems.append(Problem(where, f"unknown label {m.label!r} (the scheme has {', '.join(scheme.labels)})"))
    for i, c in enumerate(doc.claims):
        where = f"{doc_where} claims[{i}] ({c.id})"
        problems += check_span(c.span, text, where)
        parts: list[tuple[str, Span]] = []
        if c.source is not None:
            parts.append(("source", c.source))
        if c.cue is not None:
            parts.append(("cue", c.cue))
        parts += [(f"via[{j}]", v) for j, v in enumerate(c.via)]
        for name, span in parts:
            problems += check_span(span, text, f"{where} {name}")
            if span.entity is not None and span.entity not in clusters:
                problems.append(Problem(f"{where} {name}", f"points to entity cluster {span.entity!r}, which no mention has"))
        for attr in scheme.attributes:
            value = getattr(c, attr.name, None)
            if value is None:
                problems.append(Problem(where, f"missing attribute {attr.name!r}"))
            elif not scheme.check_value(attr.name, value):
                problems.append(Problem(where, f"unknown {attr.name} value {value!r} (allowed: {', '.join(attr.value_names)})"))
        if c.source is None and c.attribution not in (None, "none"):
            problems.append(Problem(where, f"attribution {c.attribution!r} but no source"))
        if c.source is not None and c.attribution == "none":
            problems.append(Problem(where, "attribution 'none' but the claim has a source"))
    return problems


def validate_corpus(docs: Iterable[Annotated], scheme: Scheme, *, place: str = "") -> list[Problem]:
    """Validate each document and check that article ids are unique across the corpus."""
    problems: list[Problem] = []
    seen: Counter[str] = Counter()
    for doc in docs:
        seen[doc.id] += 1
        problems += validate_document(doc, scheme, place=place)
    for ident, n in seen.items():
        if n > 1:
            problems.append(Problem(f"{place}{ident}", f"duplicate article id ({n} times)"))
    return problems
