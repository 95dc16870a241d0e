"""The one rule for "the same unit" across annotators, shared by agreement, disputes and adjudication.

- Mentions are paired with :func:`pairing_weight` (label-agnostic: exact matches first, then as many
  pairs as possible, same label, character IoU); agreement counts them with :func:`strict_weight`
  and :func:`overlap_weight`. Claims are paired by token IoU >= ``CLAIM_IOU``
  (:func:`annotation.matching.claim_weight`, the scorer's). All go through the one matcher,
  :func:`annotation.matching.match`.
- Two sources are the same when :func:`sources_agree`: both null, or a span one stands for (itself
  and the mentions of its entity cluster) matches a span the other stands for (identical offsets or
  token IoU >= ``CLAIM_IOU``). Intermediate sources: :func:`vias_agree`.
- Attribute values compare as categories (:func:`value_key`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from annotation.matching import DEFAULT_CLAIM_IOU, char_iou, tokens_of
from annotation.model import Annotated, Mention, Span

CLAIM_IOU = DEFAULT_CLAIM_IOU


def strict_weight(a: Mention, b: Mention) -> tuple[float, ...]:
    return (float(a.start == b.start and a.end == b.end and a.label == b.label),)


def overlap_weight(a: Mention, b: Mention) -> tuple[float, ...]:
    return (1.0, char_iou(a, b)) if a.label == b.label else (0.0, 0.0)


def pairing_weight(a: Mention, b: Mention) -> tuple[float, ...]:
    """Label-agnostic pairing to explain disagreements: exact matches, then most pairs, same label, IoU."""
    exact = a.start == b.start and a.end == b.end and a.label == b.label
    return (float(exact), 1.0, float(a.label == b.label), char_iou(a, b))


def offsets(span: Any) -> tuple[int, int]:
    return (span.start, span.end)


def source_cluster(doc: Annotated, span: Span) -> frozenset[tuple[int, int]]:
    """The spans an annotator's source stands for: itself and the mentions of its entity cluster."""
    clusters = {span.entity} if span.entity is not None else set()
    clusters |= {m.entity for m in doc.entities if offsets(m) == offsets(span) and m.entity is not None}
    return frozenset({offsets(span)} | {offsets(m) for m in doc.entities if m.entity in clusters})


def sources_agree(a_doc: Annotated, a: Span | None, b_doc: Annotated, b: Span | None, *,
                  iou: float = CLAIM_IOU) -> bool:
    """Both null, or a span a stands for matches a span b stands for (as the scorer matches spans:
    identical offsets or token IoU >= ``iou``)."""
    if a is None or b is None:
        return a is None and b is None
    ca, cb = source_cluster(a_doc, a), source_cluster(b_doc, b)
    if ca & cb:
        return True
    tokens = tokens_of(a_doc.text)
    return any(tokens.iou(Span(*x), Span(*y)) >= iou for x in ca for y in cb)


def vias_agree(a_doc: Annotated, a: Sequence[Span], b_doc: Annotated, b: Sequence[Span], *,
               iou: float = CLAIM_IOU) -> bool:
    """Intermediate sources agree when each of either side agrees (as a source) with one of the other's."""
    return (all(any(sources_agree(a_doc, x, b_doc, y, iou=iou) for y in b) for x in a)
            and all(any(sources_agree(a_doc, x, b_doc, y, iou=iou) for x in a) for y in b))


def value_key(value: Any) -> str:
    """An attribute value as a category: booleans as true/false, a missing value as null."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
