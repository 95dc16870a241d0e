"""Which occurrence a string gets, using the evidence given and nothing else.

Entity mentions and claim contents each draw from their own ``Pool``, in the order of the model's
list. Of the occurrences found (``Candidate``: offsets, the step that found it, its tier):

1. an occurrence already taken by an earlier item of the pool is never taken again: an extra copy
   of a string beyond its occurrences in the text stays unaligned (spurious), never stacked;
2. an occurrence inside a longer span of the same list that contains the string comes last
   («الصنهاجي» after «حميد الصنهاجي» takes its own occurrence, not the one inside the full name);
   it is taken only when no other is left, since the gold nests mentions too («المنيا» inside
   «محافظ المنيا»);
3. a ``context`` string given with the item (words around the span, or its sentence, quoted from
   the article) picks the occurrence whose surroundings are most like it;
4. otherwise by preference group (``Candidate.rank``: whole-word occurrences before occurrences
   inside words; a string given once takes a verbatim occurrence before a normalised one, the copies
   of a repeated string take them together), then the first one at or after the previous item's place,
   in document order (the k-th repeat of a string in a list in document order gets the k-th
   occurrence), else the first one.

A claim's source, cue and via use nothing up (several claims share one source): ``nearest``.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from eval.inputs.alignment.folding import fold_span
from eval.inputs.alignment.index import DocIndex

MIN_CONTEXT_SIMILARITY = 0.5  # a context string less like every occurrence's surroundings is no evidence


@dataclass(frozen=True)
class Candidate:
    start: int
    end: int
    step: str
    rank: int  # preference group: lower first (whole words before inside words; fuzzy: by similarity)

    @property
    def span(self) -> tuple[int, int]:
        return (self.start, self.end)


@dataclass
class Pool:
    """The places taken by one list (entities or claims) so far, and where its last item went."""

    used: set[tuple[int, int]] = field(default_factory=set)
    cursor: int = 0

    def take(self, span: tuple[int, int]) -> None:
        self.used.add(span)
        self.cursor = span[0]


def _inside(c: Candidate, regions: Sequence[tuple[int, int]]) -> bool:
    return any(s <= c.start and c.end <= e and (s, e) != c.span for s, e in regions)


def _context_scores(index: DocIndex, candidates: Sequence[Candidate], needle: str, context: str) -> list[float]:
    """How like ``context`` the text around each candidate is (folded; the candidate placed where the
    string sits in the context, or in its middle)."""
    ctx, key = fold_span(context), fold_span(needle)
    at = ctx.find(key)
    at = at if at >= 0 else max(0, (len(ctx) - len(key)) // 2)
    folded, origin = index.folded.text, index.folded.origin
    matcher = SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(ctx)
    scores = []
    for c in candidates:
        start = max(0, bisect_left(origin, c.start) - at)
        matcher.set_seq1(folded[start:start + len(ctx)])
        scores.append(matcher.ratio())
    return scores


def choose(index: DocIndex, candidates: Sequence[Candidate], pool: Pool, *, needle: str,
           context: str | None = None, blocked: Sequence[tuple[int, int]] = ()) -> Candidate | None:
    """The occurrence for the next item of ``pool`` (rules 1-4 of the module), or None."""
    free = [c for c in candidates if c.span not in pool.used]
    if not free:
        return None
    if context and context.strip():
        scores = _context_scores(index, free, needle, context)
        best = max(scores)
        if best >= MIN_CONTEXT_SIMILARITY:
            free = [c for c, r in zip(free, scores) if r == best]
    return min(free, key=lambda c: (_inside(c, blocked), c.rank, c.start < pool.cursor, c.start, c.end))


def nearest(spans: Sequence[tuple[int, int]], near: tuple[int, int] | None, text: str) -> tuple[int, int] | None:
    """The occurrence for a claim part: in the claim's line, the nearest one before the claim, else the
    nearest one after it; outside that line, the nearest one; without a placed claim, the first one."""
    if not spans:
        return None
    if near is None:
        return spans[0]
    line_start = text.rfind("\n", 0, near[0]) + 1
    line_end = text.find("\n", near[1])
    line_end = len(text) if line_end == -1 else line_end

    def rank(se: tuple[int, int]) -> tuple[int, int, int]:
        s, e = se
        in_line = line_start <= s and e <= line_end
        if e <= near[0]:
            return (0 if in_line else 2, near[0] - e, s)
        if s >= near[1]:
            return (1 if in_line else 2, s - near[1], s)
        return (0, 0, s)  # inside or overlapping the claim

    return min(spans, key=rank)
