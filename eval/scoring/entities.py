"""Entity scoring: the four SemEval-2013 schemes with nervaluate's counts, by one-to-one matching.

For each scheme, gold and predicted mentions are matched one-to-one by maximum-weight
assignment (:func:`annotation.matching.match`); a matched pair is then classified, and
unmatched gold mentions are ``missed``, unmatched predictions ``spurious``:

=========  =====================================  ===========================================
scheme     correct                                otherwise, for an overlapping pair
=========  =====================================  ===========================================
strict     same boundaries and label              incorrect
exact      same boundaries (label ignored)        incorrect
partial    same boundaries (label ignored)        partial (half credit in precision/recall)
type       overlap and same label                 incorrect (overlap, other label)
=========  =====================================  ===========================================

Assignment weights (lexicographic tiers, see :mod:`annotation.matching`), per scheme:

- strict:  (same boundaries and label, 1, same label, character IoU)
- exact:   (same boundaries, 1, same label, character IoU)
- partial: (same boundaries, 1, same label, character IoU)
- type:    (same label, 1, same boundaries, character IoU)

i.e. first as many ``correct`` pairs as possible, then as many matched (``incorrect`` /
``partial``) pairs as possible -- which also maximises the partial scheme's credit
correct + 0.5 * partial -- then pairs that agree on the other property, then the largest
overlaps. Any shared character makes two mentions overlap (nervaluate needs 1% of the gold
span by default: the same for spans shorter than 100 characters). With ``min_overlap`` (a
percentage, nervaluate's ``min_overlap_percentage``) a pair is a candidate only when the
characters it shares are at least that share of the gold mention's.

Per label, as nervaluate does, each scheme is scored again on the mentions of that label
only (gold and predicted): a prediction of label A over a gold mention of label B counts as
``spurious`` for A and ``missed`` for B; ``incorrect``/``partial`` per label are boundary
errors within the label. Micro counts come from matching all mentions together, so they are
not the sums of the per-label counts (a label confusion is one ``incorrect`` in micro).

These are the rules, per document. The scorer counts a whole corpus with their fast path,
:mod:`eval.engine.entities` (arrays, tested against :func:`document_counts` on random corpora).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from annotation.matching import char_iou, match, overlap
from eval.scoring.metrics import OUTCOMES, SCHEMES

CORRECT, INCORRECT, PARTIAL, MISSED, SPURIOUS = range(len(OUTCOMES))


class Ent(NamedTuple):
    """A mention for scoring: offsets (None when a prediction could not be aligned) and label."""

    start: int | None
    end: int | None
    label: str


def outcome(scheme: str, g: Ent, p: Ent) -> int:
    """The outcome of a matched (overlapping) pair under ``scheme``."""
    same_bounds = g.start == p.start and g.end == p.end
    same_label = g.label == p.label
    if scheme == "strict":
        return CORRECT if same_bounds and same_label else INCORRECT
    if scheme == "exact":
        return CORRECT if same_bounds else INCORRECT
    if scheme == "partial":
        return CORRECT if same_bounds else PARTIAL
    if scheme == "type":
        return CORRECT if same_label else INCORRECT
    raise ValueError(f"unknown scheme {scheme!r}")


def enough_overlap(g: Ent, p: Ent, min_overlap: float | None) -> bool:
    """Do ``g`` (gold) and ``p`` share at least ``min_overlap`` percent of ``g``'s characters? (None: any.)"""
    if min_overlap is None or g.start is None or g.end is None:
        return True
    return overlap(g, p) * 100 >= min_overlap * (g.end - g.start)


def _weight(scheme: str, min_overlap: float | None = None) -> Callable[[Ent, Ent], tuple[float, ...]]:
    def weight(g: Ent, p: Ent) -> tuple[float, ...]:
        if not enough_overlap(g, p, min_overlap):
            return (0.0, 0.0, 0.0, 0.0)  # not a candidate
        same_bounds = float(g.start == p.start and g.end == p.end)
        same_label = float(g.label == p.label)
        iou = char_iou(g, p)
        if scheme == "strict":
            return (same_bounds * same_label, 1.0, same_label, iou)
        if scheme == "type":
            return (same_label, 1.0, same_bounds, iou)
        return (same_bounds, 1.0, same_label, iou)  # exact, partial

    return weight


WEIGHTS = {scheme: _weight(scheme) for scheme in SCHEMES}


def matched(scheme: str, gold: Sequence[Ent], pred: Sequence[Ent], *,
            min_overlap: float | None = None) -> list[tuple[int, int, int]]:
    """``(gold index, pred index, outcome)`` of every matched pair under ``scheme``."""
    weight = WEIGHTS[scheme] if min_overlap is None else _weight(scheme, min_overlap)
    return [(g, p, outcome(scheme, gold[g], pred[p])) for g, p in match(gold, pred, weight)]


def _tally(out: Counter, prefix: str, scheme: str, gold: Sequence[Ent], pred: Sequence[Ent],
           min_overlap: float | None) -> None:
    pairs = matched(scheme, gold, pred, min_overlap=min_overlap)
    for _, _, o in pairs:
        out[f"{prefix}.{OUTCOMES[o]}"] += 1
    if len(gold) > len(pairs):
        out[f"{prefix}.missed"] += len(gold) - len(pairs)
    if len(pred) > len(pairs):
        out[f"{prefix}.spurious"] += len(pred) - len(pairs)


def document_counts(gold: Sequence[Ent], pred: Sequence[Ent], *, min_overlap: float | None = None) -> Counter:
    """The entity counts of one document (or of any group of mentions), by the definitions above."""
    out: Counter = Counter()
    labels = sorted({e.label for e in gold} | {e.label for e in pred})
    for scheme in SCHEMES:
        _tally(out, f"entities.{scheme}", scheme, gold, pred, min_overlap)
        for label in labels:
            _tally(out, f"entities.{scheme}.per_label.{label}", scheme,
                   [e for e in gold if e.label == label], [e for e in pred if e.label == label], min_overlap)
    return +out


# ------------------------------------------------------------------------------ errors

def entity_errors(gold: Sequence[Ent], pred: Sequence[Ent], text: str, *,
                  min_overlap: float | None = None) -> list[dict[str, Any]]:
    """The errors of one document under the strict scheme's matching, for the error report.

    Kinds: ``spurious`` (a prediction matched to nothing: a false positive), ``missed`` (a gold
    mention matched to nothing: a false negative), ``boundary`` (same label, other
    boundaries), ``label`` (same boundaries, other label), ``boundary+label`` (overlap only).
    """
    def item(e: Ent) -> dict[str, Any]:
        has = e.start is not None and e.end is not None
        return {"start": e.start, "end": e.end, "label": e.label,
                "text": text[e.start:e.end] if has else None}

    out: list[dict[str, Any]] = []
    pairs = match(gold, pred, WEIGHTS["strict"] if min_overlap is None else _weight("strict", min_overlap))
    seen_g = {g for g, _ in pairs}
    seen_p = {p for _, p in pairs}
    for g, p in pairs:
        a, b = gold[g], pred[p]
        same_bounds = a.start == b.start and a.end == b.end
        same_label = a.label == b.label
        if same_bounds and same_label:
            continue
        kind = "label" if same_bounds else ("boundary" if same_label else "boundary+label")
        out.append({"kind": kind, "gold": item(a), "pred": item(b)})
    out += [{"kind": "missed", "gold": item(e), "pred": None} for i, e in enumerate(gold) if i not in seen_g]
    out += [{"kind": "spurious", "gold": None, "pred": item(e)} for i, e in enumerate(pred) if i not in seen_p]
    out.sort(key=lambda x: ((x["gold"] or x["pred"])["start"] if (x["gold"] or x["pred"])["start"] is not None
                            else -1, x["kind"]))
    return out
