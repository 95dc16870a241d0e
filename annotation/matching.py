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

The lexicographic order is exact, for any tiers in ``[0, 1]``:

- When every tier but the last is 0 or 1 (every caller today), a tuple becomes one float,
  ``sum(tier * (k + 1) ** place)`` for a component whose largest matching has ``k`` pairs: the
  sum of a tier over a matching is a whole number at most ``k``, so a difference of one in a
  tier outweighs everything the later tiers can add. ``linear_sum_assignment`` solves it.
- Otherwise (a fraction in an earlier tier: ``(0.5, 1)`` against ``(0.6, 0)``, where
  ``0.5 + 0.5 < 0.6 + 0.6`` must win over the second tier) no float scale is safe, so the
  tiers become exact integers (every float is a fraction with a power-of-two denominator), the
  tuple one Python integer in base ``k * unit + 1``, and an exact integer Hungarian algorithm
  solves the component.

Anything else is refused with a ``ValueError`` (a bug in the caller's weight, not bad input): a
tuple with a part outside ``[0, 1]`` (or NaN), or candidates of one matching that mix numbers
and tuples, or tuples of different lengths.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from fractions import Fraction
from functools import lru_cache
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


def _candidate(value: float | tuple[float, ...]) -> float | tuple[float, ...] | None:
    """The weight of a candidate pair (a tuple checked against the contract), None for "not a candidate"."""
    if isinstance(value, tuple):
        for part in value:
            if not 0.0 <= part <= 1.0:  # NaN too
                raise ValueError(f"a weight tuple holds numbers in [0, 1], compared tier by tier; not {value!r}")
        return value if any(value) else None
    return value if value > 0 else None


def _scalar(value: tuple[float, ...], scale: float) -> float:
    total = 0.0
    for part in value:
        total = total * scale + float(part)
    return total


def _mixed(values: Sequence[Any]) -> ValueError:
    shown = ", ".join(sorted({repr(v) for v in values})[:4])
    return ValueError(f"the weights of one matching must all be numbers or all tuples of one length, not a mix ({shown})")


def _exact_integers(table: list[list[Any]], k: int) -> list[list[int]]:
    """Tuples as integers whose sums order matchings as the lexicographic order of their tier sums.

    Every part is ``numerator / 2**e``; with ``unit`` the largest denominator, a tier's sum over a
    matching of at most ``k`` pairs is a whole number of units in ``[0, k * unit]``: a digit in base
    ``k * unit + 1``."""
    unit = max(Fraction(x).denominator for row in table for v in row if v is not None for x in v)
    base = k * unit + 1

    def integer(v: tuple[float, ...]) -> int:
        total = 0
        for x in v:
            total = total * base + int(Fraction(x) * unit)
        return total

    return [[0 if v is None else integer(v) for v in row] for row in table]


def _scalarised(table: list[list[Any]], k: int) -> tuple[list[list[Any]], bool] | None:
    """One number per pair (0 for non-candidates) that orders matchings as the weights do, and
    whether it is an exact integer (None when no pair is a candidate)."""
    shape: int | None = None
    binary = True  # every tier but the last is 0 or 1: one float per tuple is exact
    for row in table:
        for v in row:
            if v is None:
                continue
            tiers = len(v) if isinstance(v, tuple) else 0
            if shape is None:
                shape = tiers
            elif tiers != shape:
                raise _mixed([v for row in table for v in row if v is not None])
            if binary and tiers > 1:
                for x in v[:-1]:
                    if x != 0.0 and x != 1.0:
                        binary = False
                        break
    if shape is None:
        return None
    if not binary:
        return _exact_integers(table, k), True
    if not shape:
        return [[0.0 if v is None else float(v) for v in row] for row in table], False
    scale = float(k + 1)
    return [[0.0 if v is None else _scalar(v, scale) for v in row] for row in table], False


def _hungarian(rows: list[list[int]]) -> list[tuple[int, int]]:
    """Maximum-weight assignment of a non-negative integer matrix, exactly (Kuhn-Munkres with
    potentials, shortest augmenting paths): ``(row, column)`` pairs, every row of the shorter side."""
    if len(rows) > len(rows[0]):
        return [(i, j) for j, i in _hungarian([list(column) for column in zip(*rows)])]
    n, m = len(rows), len(rows[0])
    top = max(max(row) for row in rows)
    cost = [[0] * (m + 1)] + [[0] + [top - w for w in row] for row in rows]  # 1-based, minimised
    u, v, owner, way = [0] * (n + 1), [0] * (m + 1), [0] * (m + 1), [0] * (m + 1)
    for i in range(1, n + 1):
        owner[0], j0 = i, 0
        least: list[Any] = [float("inf")] * (m + 1)
        used = [False] * (m + 1)
        while owner[j0]:
            used[j0] = True
            i0, delta, j1 = owner[j0], float("inf"), 0
            for j in range(1, m + 1):
                if not used[j]:
                    reduced = cost[i0][j] - u[i0] - v[j]
                    if reduced < least[j]:
                        least[j], way[j] = reduced, j0
                    if least[j] < delta:
                        delta, j1 = least[j], j
            for j in range(m + 1):
                if used[j]:
                    u[owner[j]] += delta
                    v[j] -= delta
                else:
                    least[j] -= delta
            j0 = j1
        while j0:
            owner[j0] = owner[way[j0]]
            j0 = way[j0]
    return sorted((owner[j] - 1, j - 1) for j in range(1, m + 1) if owner[j])


def _solve(gold: Sequence[Any], pred: Sequence[Any], gi: list[int], pi: list[int],
           weight: Weight, order: Callable[[int, bool], tuple]) -> list[tuple[int, int]]:
    """Maximum-weight assignment within one component (indices into ``gold`` / ``pred``)."""
    if len(gi) == 1 and len(pi) == 1:
        g, p = gi[0], pi[0]
        if overlap(gold[g], pred[p]) and _candidate(weight(gold[g], pred[p])) is not None:
            return [(g, p)]
        return []
    gi = sorted(gi, key=lambda i: order(i, True))
    pi = sorted(pi, key=lambda i: order(i, False))
    table = [[_candidate(weight(gold[g], pred[p])) if overlap(gold[g], pred[p]) else None for p in pi] for g in gi]
    scalarised = _scalarised(table, min(len(gi), len(pi)))
    if scalarised is None:
        return []
    rows, exact = scalarised
    if exact:
        assignment = _hungarian(rows)
    else:
        from scipy.optimize import linear_sum_assignment  # a heavy import, only for real conflicts

        r, c = linear_sum_assignment(rows, maximize=True)
        assignment = list(zip(r.tolist(), c.tolist()))
    return [(gi[i], pi[j]) for i, j in assignment if rows[i][j] > 0]


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
