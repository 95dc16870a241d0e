"""Validation of gold documents against the text and the scheme: every problem with its place.

A document is checked against the scheme version its record names (``annotation.scheme``; 1.0.0
when it names none, see :mod:`annotation.versions`): a record of scheme 1.0 needs no ``stance`` or ``certainty``,
one of 1.1 needs both on every claim, and a 1.0 record that carries them is a problem too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from annotation.errors import KhabarError
from annotation.model import Annotated, Claim, Span
from annotation.scheme import Scheme
from annotation.spans import Problem, check_span
from annotation.versions import record_version


def validate_document(doc: Annotated, scheme: Scheme, *, place: str = "") -> list[Problem]:
    """Every problem of one gold document; an empty list means it is valid."""
    doc_where = f"{place}{doc.id}"
    problems: list[Problem] = []
    text = doc.text
    if doc.article.title is not None and not text.startswith(doc.article.title):
        problems.append(Problem(doc_where, "title is not the first line of the text"))
    labels = set(scheme.labels)
    clusters = {m.entity for m in doc.entities if m.entity is not None}
    if not doc.id.strip():
        problems.append(Problem(doc_where or "(empty id)", "an article id must be a non-empty string"))
    full = scheme
    try:
        scheme = scheme.at(record_version(doc))
    except KhabarError as exc:
        return [Problem(doc_where, f"annotation.scheme: {exc}")]
    problems += _id_types(doc, doc_where)
    problems += _duplicate_mentions(doc, doc_where)
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
        problems += _later_attributes(c, full, scheme, where)
        for attr in scheme.attributes:
            value = getattr(c, attr.name, None)
            if value is None:
                problems.append(Problem(where, f"missing attribute {attr.name!r} (scheme {scheme.version})"))
            elif not scheme.check_value(attr.name, value):
                problems.append(Problem(where, f"unknown {attr.name} value {value!r} (allowed: {', '.join(attr.value_names)})"))
        if c.source is None and c.attribution not in (None, "none"):
            problems.append(Problem(where, f"attribution {c.attribution!r} but no source"))
        if c.source is not None and c.attribution == "none":
            problems.append(Problem(where, "attribution 'none' but the claim has a source"))
    return problems


def _later_attributes(claim: Claim, full: Scheme, scheme: Scheme, where: str) -> list[Problem]:
    """Attributes of a later scheme set on a claim of an earlier one (``stance`` on a 1.0 record)."""
    return [Problem(where, f"attribute {name!r} is not part of scheme {scheme.version}, which the record names; "
                    "migrate the record (`khabar gold migrate`) or name the scheme that defines it")
            for name in full.added_since(scheme.version) if getattr(claim, name, None) is not None]


def _id_types(doc: Annotated, doc_where: str) -> list[Problem]:
    """Gold ids and cluster ids are non-empty strings (the dataset features and the scorer need them so)."""
    problems = []
    items = [(f"entities[{i}]", "id", m.id) for i, m in enumerate(doc.entities)]
    items += [(f"entities[{i}]", "entity", m.entity) for i, m in enumerate(doc.entities) if m.entity is not None]
    items += [(f"claims[{i}]", "id", c.id) for i, c in enumerate(doc.claims) if c.id is not None]
    for place, key, value in items:
        if value is not None and (not isinstance(value, str) or not value.strip()):
            problems.append(Problem(f"{doc_where} {place}", f"field '{key}' must be a non-empty string, not {value!r}"))
    return problems


def _duplicate_mentions(doc: Annotated, doc_where: str) -> list[Problem]:
    """Two mentions with the same offsets and label are one mention written twice."""
    first: dict[tuple[int | None, int | None, str], int] = {}
    problems = []
    for i, m in enumerate(doc.entities):
        key = (m.start, m.end, m.label)
        if key in first:
            problems.append(Problem(f"{doc_where} entities[{i}] ({m.id})",
                                    f"the same mention as entities[{first[key]}] ({m.label} [{m.start}, {m.end})); "
                                    "keep one"))
        else:
            first[key] = i
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
