"""One-to-one span matching by maximum-weight assignment, and token overlap measures.

The one span matcher of khabar: the scorer (gold vs predictions) and annotator agreement
(annotator vs annotator) both call :func:`match`. It is never greedy and never depends on
the order of its inputs:

- Only pairs that overlap (share at least one character) are candidates, and only when the
  caller's ``weight`` is positive for them. Spans without offsets (``start``/``end`` None) or
  empty spans never match.
- Spans are split into connected components of overlapping spans (sort + sweep), and each
  component is solved on its own: a 1 x 1 component directly, larger ones with
  ``scipy.optimize.linear_sum_assignment``. The cost is near-linear when spans do not
  overlap much.
- Within a component, spans are put in a canonical order (start, end, then ``key``, by
  default the span's ``label``) before solving, so that ties between equally good
  assignments are broken by content, never by input order. Spans that agree on offsets and
  key and get the same weights are interchangeable, and the counts a caller derives from the
  pairs cannot depend on which of them was chosen.

``weight(g, p)`` returns a number (larger is better), or a tuple of numbers in ``[0, 1]``
compared lexicographically: the matching first maximises the sum of the first elements, then
among those the sum of the second, and so on (e.g. ``(same boundaries and label, 1, IoU)``:
as many exact matches as possible, then as many matched pairs as possible, then the largest
overlaps). A tuple of zeros, like a weight <= 0, means "not a candidate".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from bisect import bisect_left, bisect_right
from typing import Any, Protocol

__all__ = ["SpanLike", "Weight", "match", "overlap", "char_iou", "token_iou", "Tokens", "tokens_of",
           "DEFAULT_CLAIM_IOU", "claim_weight"]


class SpanLike(Protocol):
    start: int | None
    end: int | None


Weight = Callable[[Any, Any], "float | tuple[float, ...]"]

TOKEN = re.compile(r"[^\W_]+")
"""A token is a maximal run of letters or digits (Arabic, Latin, any script; ``_`` excluded)."""


def overlap(a: SpanLike, b: SpanLike) -> int:
    """The number of characters two spans share (0 when either has no offsets)."""
    if a.start is None or a.end is None or b.start is None or b.end is None:
        return 0
    return max(0, min(a.end, b.end) - max(a.start, b.start))


def char_iou(a: SpanLike, b: SpanLike) -> float:
    """Intersection over union of the two spans' characters."""
    shared = overlap(a, b)
    if not shared:
        return 0.0
    return shared / ((a.end - a.start) + (b.end - b.start) - shared)  # type: ignore[operator]


class Tokens:
    """The tokens of a text, for mapping a character span to the tokens it touches."""

    def __init__(self, text: str) -> None:
        found = [(m.start(), m.end()) for m in TOKEN.finditer(text)]
        self.starts = [s for s, _ in found]
        self.ends = [e for _, e in found]

    def __len__(self) -> int:
        return len(self.starts)

    def range(self, start: int, end: int) -> tuple[int, int]:
        """Indices ``[i, j)`` of the tokens that share at least one character with ``[start, end)``."""
        if end <= start:
            return 0, 0
        i = bisect_right(self.ends, start)  # first token ending after start
        j = bisect_left(self.starts, end)  # first token starting at or after end
        return i, max(i, j)

    def iou(self, a: SpanLike, b: SpanLike) -> float:
        """Token IoU of two spans; spans with identical offsets always score 1."""
        if a.start is None or a.end is None or b.start is None or b.end is None:
            return 0.0
        if a.start == b.start and a.end == b.end:
            return 1.0 if a.end > a.start else 0.0
        i1, j1 = self.range(a.start, a.end)
        i2, j2 = self.range(b.start, b.end)
        shared = max(0, min(j1, j2) - max(i1, i2))
        if not shared:
            return 0.0
        return shared / ((j1 - i1) + (j2 - i2) - shared)


@lru_cache(maxsize=64)
def tokens_of(text: str) -> Tokens:
    """The (cached) tokens of a text."""
    return Tokens(text)


def token_iou(a: SpanLike, b: SpanLike, text: str) -> float:
    """Intersection over union of the tokens of ``text`` that each span touches.

    Tokens are maximal runs of letters/digits of the whole text, so a span that cuts a word
    (``روسيا`` inside ``وروسيا``) touches the whole word. Spans touching no token (only
    punctuation or spaces) score 1 with themselves and 0 with anything else.
    """
    return tokens_of(text).iou(a, b)


DEFAULT_CLAIM_IOU = 0.5
"""Two claims (content spans) are candidates for a match when their token IoU reaches this."""


def claim_weight(text: str, threshold: float = DEFAULT_CLAIM_IOU, *,
                 prefer: Callable[[Any, Any], tuple[float, ...]] | None = None) -> Weight:
    """The weight of claim matching, for the scorer and for annotator agreement alike.

    Pairs whose token IoU reaches ``threshold`` are candidates: as many pairs as possible,
    then (with ``prefer``, tiers in [0, 1], e.g. the scorer's "source and attributes right")
    the pairs ``prefer`` ranks higher, then the largest total IoU.
    """
    tokens = tokens_of(text)

    def weight(a: Any, b: Any) -> tuple[float, ...]:
        iou = tokens.iou(a, b)
        if iou < threshold:
            return (0.0,)
        return (1.0, *prefer(a, b), iou) if prefer is not None else (1.0, iou)

    return weight


def _valid(span: SpanLike) -> bool:
    return span.start is not None and span.end is not None and span.end > span.start


def _default_key(span: Any) -> str:
    label = getattr(span, "label", None)
    return "" if label is None else str(label)


def _scalar(value: float | tuple[float, ...], scale: float) -> float:
    if isinstance(value, tuple):
        total = 0.0
        for part in value:
            total = total * scale + float(part)
        return total
    return float(value)


def _solve(gold: Sequence[Any], pred: Sequence[Any], gi: list[int], pi: list[int],
           weight: Weight, order: Callable[[int, bool], tuple]) -> list[tuple[int, int]]:
    """Maximum-weight assignment within one component (indices into ``gold`` / ``pred``)."""
    if len(gi) == 1 and len(pi) == 1:
        g, p = gi[0], pi[0]
        if overlap(gold[g], pred[p]) and _scalar(weight(gold[g], pred[p]), 2.0) > 0:
            return [(g, p)]
        return []
    gi = sorted(gi, key=lambda i: order(i, True))
    pi = sorted(pi, key=lambda i: order(i, False))
    scale = float(min(len(gi), len(pi)) + 1)
    rows: list[list[float]] = []
    best = 0.0
    for g in gi:
        row = []
        for p in pi:
            w = _scalar(weight(gold[g], pred[p]), scale) if overlap(gold[g], pred[p]) else 0.0
            w = w if w > 0 else 0.0
            best = max(best, w)
            row.append(w)
        rows.append(row)
    if best <= 0:
        return []
    from scipy.optimize import linear_sum_assignment  # a heavy import, only for real conflicts

    r, c = linear_sum_assignment(rows, maximize=True)
    return [(gi[i], pi[j]) for i, j in zip(r.tolist(), c.tolist()) if rows[i][j] > 0]


def components(gold: Sequence[SpanLike], pred: Sequence[SpanLike]) -> list[tuple[list[int], list[int]]]:
    """Connected components of overlapping spans (gold indices, prediction indices), by sort + sweep.

    Spans without offsets or empty spans are left out (they cannot match anything).
    """
    items = [(s.start, s.end, 0, i) for i, s in enumerate(gold) if _valid(s)]
    items += [(s.start, s.end, 1, i) for i, s in enumerate(pred) if _valid(s)]
    items.sort()
    out: list[tuple[list[int], list[int]]] = []
    reach = None
    for start, end, side, i in items:
        if reach is None or start >= reach:
            out.append(([], []))
            reach = end
        elif end > reach:
            reach = end
        out[-1][side].append(i)
    return out


def match(gold: Sequence[SpanLike], pred: Sequence[SpanLike], weight: Weight, *,
          key: Callable[[Any], Any] = _default_key) -> list[tuple[int, int]]:
    """Maximum-weight one-to-one matching of overlapping spans: sorted ``(gold index, pred index)`` pairs.

    ``weight(g, p)`` is called only for overlapping pairs; see the module docstring for tuples
    (lexicographic tiers) and the tie-break order (``key``).
    """
    def order(i: int, is_gold: bool) -> tuple:
        s = gold[i] if is_gold else pred[i]
        return (s.start, s.end, key(s))

    pairs: list[tuple[int, int]] = []
    for gi, pi in components(gold, pred):
        if gi and pi:
            pairs.extend(_solve(gold, pred, gi, pi, weight, order))
    pairs.sort()
    return pairs
