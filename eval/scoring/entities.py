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
span by default: the same for spans shorter than 100 characters).

Per label, as nervaluate does, each scheme is scored again on the mentions of that label
only (gold and predicted): a prediction of label A over a gold mention of label B counts as
``spurious`` for A and ``missed`` for B; ``incorrect``/``partial`` per label are boundary
errors within the label. Micro counts come from matching all mentions together, so they are
not the sums of the per-label counts (a label confusion is one ``incorrect`` in micro).

The batch path (:func:`entity_increments`) scores a whole corpus as arrays: mentions are
sorted and swept into connected components of overlapping spans per document; components
of one gold and one predicted mention (or of only one side) -- nearly all of them -- are
classified with numpy, and only real conflicts go through the matcher.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from annotation.matching import char_iou, match
from eval.scoring.metrics import OUTCOMES, SCHEMES

CORRECT, INCORRECT, PARTIAL, MISSED, SPURIOUS = range(len(OUTCOMES))
N_SCHEMES = len(SCHEMES)
N_OUTCOMES = len(OUTCOMES)
OVERALL_COLUMNS = N_SCHEMES * N_OUTCOMES


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


def _weight(scheme: str) -> Callable[[Ent, Ent], tuple[float, ...]]:
    def weight(g: Ent, p: Ent) -> tuple[float, ...]:
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


def matched(scheme: str, gold: Sequence[Ent], pred: Sequence[Ent]) -> list[tuple[int, int, int]]:
    """``(gold index, pred index, outcome)`` of every matched pair under ``scheme``."""
    return [(g, p, outcome(scheme, gold[g], pred[p])) for g, p in match(gold, pred, WEIGHTS[scheme])]


def _tally(out: Counter, prefix: str, scheme: str, gold: Sequence[Ent], pred: Sequence[Ent]) -> None:
    pairs = matched(scheme, gold, pred)
    for _, _, o in pairs:
        out[f"{prefix}.{OUTCOMES[o]}"] += 1
    if len(gold) > len(pairs):
        out[f"{prefix}.missed"] += len(gold) - len(pairs)
    if len(pred) > len(pairs):
        out[f"{prefix}.spurious"] += len(pred) - len(pairs)


def document_counts(gold: Sequence[Ent], pred: Sequence[Ent]) -> Counter:
    """The entity counts of one document (or of any group of mentions), by the definitions above."""
    out: Counter = Counter()
    labels = sorted({e.label for e in gold} | {e.label for e in pred})
    for scheme in SCHEMES:
        _tally(out, f"entities.{scheme}", scheme, gold, pred)
        for label in labels:
            _tally(out, f"entities.{scheme}.per_label.{label}", scheme,
                   [e for e in gold if e.label == label], [e for e in pred if e.label == label])
    return +out


# ------------------------------------------------------------------------------ columns

def entity_keys(labels: Sequence[str]) -> list[str]:
    """The count keys of the entity block, in column order (see :func:`column`)."""
    keys = [f"entities.{s}.{o}" for s in SCHEMES for o in OUTCOMES]
    keys += [f"entities.{s}.per_label.{label}.{o}" for label in labels for s in SCHEMES for o in OUTCOMES]
    return keys


def column(scheme: int, outcome_: int, label: int | None = None) -> int:
    """The column of an entity count: overall, or per label (index into the label list)."""
    if label is None:
        return scheme * N_OUTCOMES + outcome_
    return OVERALL_COLUMNS + (label * N_SCHEMES + scheme) * N_OUTCOMES + outcome_


class Columns(NamedTuple):
    """Mentions of a whole corpus as arrays; ``doc`` indexes documents, ``label`` the label list.

    ``start``/``end`` are -1 for a prediction without offsets (it counts as spurious)."""

    doc: np.ndarray
    start: np.ndarray
    end: np.ndarray
    label: np.ndarray


def _one_side(cols: Columns, idx: np.ndarray, outcome_: int) -> tuple[np.ndarray, np.ndarray]:
    """Every mention in ``idx`` gets ``outcome_`` (missed/spurious) in every scheme, overall and per label."""
    docs = np.repeat(cols.doc[idx], 2 * N_SCHEMES)
    schemes = np.arange(N_SCHEMES)
    overall = schemes * N_OUTCOMES + outcome_
    per_label = OVERALL_COLUMNS + (cols.label[idx][:, None] * N_SCHEMES + schemes) * N_OUTCOMES + outcome_
    keys = np.hstack([np.broadcast_to(overall, (len(idx), N_SCHEMES)), per_label]).ravel()
    return docs, keys


def entity_increments(gold: Columns, pred: Columns, labels: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Score a corpus: ``(document, column)`` of every count increment (a count is how often a pair occurs).

    Equal to summing :func:`document_counts` over the documents (tested), but vectorised.
    """
    blocks = entity_blocks(gold, pred, labels)
    if not blocks:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return (np.concatenate([r for r, _ in blocks]).astype(np.int64, copy=False),
            np.concatenate([c for _, c in blocks]).astype(np.int64, copy=False))


def entity_blocks(gold: Columns, pred: Columns, labels: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
    """The increments of :func:`entity_increments` as blocks ``(documents, columns)``, each block's
    documents in order (blocks may share their document arrays)."""
    blocks: list[tuple[np.ndarray, np.ndarray]] = []
    valid = pred.start >= 0
    lost = np.flatnonzero(~valid)
    if len(lost):
        lost = lost[np.argsort(pred.doc[lost], kind="stable")]
        blocks.append(_one_side(pred, lost, SPURIOUS))
    vp = np.flatnonzero(valid)
    n_gold = len(gold.doc)
    if len(vp) == len(pred.doc):
        vp = slice(None)
    doc = np.concatenate([gold.doc, pred.doc[vp]]).astype(np.int64, copy=False)
    start = np.concatenate([gold.start, pred.start[vp]]).astype(np.int64, copy=False)
    end = np.concatenate([gold.end, pred.end[vp]]).astype(np.int64, copy=False)
    label = np.concatenate([gold.label, pred.label[vp]]).astype(np.int64, copy=False)
    side = np.zeros(len(doc), np.int8)
    side[n_gold:] = 1
    if len(doc):
        # sweeping needs mentions in (document, start) order only: the order of ties changes nothing
        width = int(end.max()) + 1
        skey = doc * width + start
        order = np.argsort(skey, kind="stable")
        doc, start, end, label, side, skey = (x[order] for x in (doc, start, end, label, side, skey))
        ekey = doc * width + end
        reach = np.maximum.accumulate(ekey)
        new = np.empty(len(doc), dtype=bool)
        new[0] = True
        np.greater_equal(skey[1:], reach[:-1], out=new[1:])
        comp = np.cumsum(new) - 1
        first = np.flatnonzero(new)
        n_p = np.bincount(comp, weights=side).astype(np.int64)
        n_g = np.diff(np.append(first, len(doc))) - n_p
        sorted_cols = Columns(doc, start, end, label)
        # components of only gold mentions / only predictions
        only = np.flatnonzero((n_p == 0)[comp])
        if len(only):
            blocks.append(_one_side(sorted_cols, only, MISSED))
        only = np.flatnonzero((n_g == 0)[comp])
        if len(only):
            blocks.append(_one_side(sorted_cols, only, SPURIOUS))
        # components of exactly one gold and one predicted mention
        pair = first[(n_g == 1) & (n_p == 1)]
        a, b = pair, pair + 1
        gold_first = side[a] == 0
        g = np.where(gold_first, a, b)
        p = np.where(gold_first, b, a)
        blocks += _pairs(sorted_cols, g, p)
        # real conflicts: the matcher
        hard = np.flatnonzero((n_g >= 1) & (n_p >= 1) & ((n_g + n_p) > 2))
        if len(hard):
            blocks.append(_conflicts(sorted_cols, side, first, n_g + n_p, hard, labels))
    return [b for b in blocks if len(b[0])]


def _pairs(cols: Columns, g: np.ndarray, p: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    same_bounds = (cols.start[g] == cols.start[p]) & (cols.end[g] == cols.end[p])
    same_label = cols.label[g] == cols.label[p]
    gl, pl = cols.label[g], cols.label[p]
    by_scheme = [
        np.where(same_bounds & same_label, CORRECT, INCORRECT),  # strict
        np.where(same_bounds, CORRECT, INCORRECT),  # exact
        np.where(same_bounds, CORRECT, PARTIAL),  # partial
        np.where(same_label, CORRECT, INCORRECT),  # type
    ]
    docs = cols.doc[g]
    blocks = [(docs, s * N_OUTCOMES + by_scheme[s]) for s in range(N_SCHEMES)]
    agree = np.flatnonzero(same_label)
    if len(agree):  # the same pair scored within its label
        docs_a, base, bounds = docs[agree], OVERALL_COLUMNS + gl[agree] * (N_SCHEMES * N_OUTCOMES), same_bounds[agree]
        within_label = [
            np.where(bounds, CORRECT, INCORRECT),
            np.where(bounds, CORRECT, INCORRECT),
            np.where(bounds, CORRECT, PARTIAL),
            np.full(len(agree), CORRECT),
        ]
        blocks += [(docs_a, base + s * N_OUTCOMES + within_label[s]) for s in range(N_SCHEMES)]
    differ = np.flatnonzero(~same_label)
    if len(differ):  # a missed gold mention of one label, a spurious prediction of the other
        docs_d = docs[differ]
        missed = OVERALL_COLUMNS + gl[differ] * (N_SCHEMES * N_OUTCOMES) + MISSED
        spurious = OVERALL_COLUMNS + pl[differ] * (N_SCHEMES * N_OUTCOMES) + SPURIOUS
        for s in range(N_SCHEMES):
            blocks += [(docs_d, missed + s * N_OUTCOMES), (docs_d, spurious + s * N_OUTCOMES)]
    return blocks


def _conflicts(cols: Columns, side: np.ndarray, first: np.ndarray, size: np.ndarray, hard: np.ndarray,
               labels: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    position = {key: i for i, key in enumerate(entity_keys(labels))}
    rows: list[int] = []
    keys: list[int] = []
    start, end, label, doc = cols.start.tolist(), cols.end.tolist(), cols.label.tolist(), cols.doc.tolist()
    side_l = side.tolist()
    for k in hard.tolist():
        lo = int(first[k])
        hi = lo + int(size[k])
        gold = [Ent(start[i], end[i], labels[label[i]]) for i in range(lo, hi) if side_l[i] == 0]
        pred = [Ent(start[i], end[i], labels[label[i]]) for i in range(lo, hi) if side_l[i] == 1]
        for key, n in document_counts(gold, pred).items():
            rows += [doc[lo]] * n
            keys += [position[key]] * n
    return np.asarray(rows, np.int64), np.asarray(keys, np.int64)


# ------------------------------------------------------------------------------ errors

def entity_errors(gold: Sequence[Ent], pred: Sequence[Ent], text: str) -> list[dict[str, Any]]:
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
    pairs = match(gold, pred, WEIGHTS["strict"])
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
