"""Entity counts of a whole corpus as arrays: the fast path of :func:`eval.scoring.entities.document_counts`.

Mentions are sorted and swept into connected components of overlapping spans per document;
components of one gold and one predicted mention (or of only one side) -- nearly all of them --
are classified with numpy, and only real conflicts go through the rule itself
(:func:`eval.scoring.entities.document_counts`, the matcher). The result equals summing the rule
over the documents; ``tests/test_engine_entities.py`` checks that on random corpora.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from eval.scoring.entities import CORRECT, INCORRECT, MISSED, PARTIAL, SPURIOUS, Ent, document_counts
from eval.scoring.metrics import OUTCOMES, SCHEMES

N_SCHEMES = len(SCHEMES)
N_OUTCOMES = len(OUTCOMES)
OVERALL_COLUMNS = N_SCHEMES * N_OUTCOMES

Increments = tuple[np.ndarray, np.ndarray]  # (documents, columns), one count each


class Columns(NamedTuple):
    """Mentions of a whole corpus as arrays; ``doc`` indexes documents, ``label`` the label list.

    ``start``/``end`` are -1 for a prediction without offsets (it counts as spurious)."""

    doc: np.ndarray
    start: np.ndarray
    end: np.ndarray
    label: np.ndarray


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


def entity_increments(gold: Columns, pred: Columns, labels: Sequence[str]) -> Increments:
    """Score a corpus: ``(document, column)`` of every count increment (a count is how often a pair occurs)."""
    blocks = entity_blocks(gold, pred, labels)
    if not blocks:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return (np.concatenate([r for r, _ in blocks]).astype(np.int64, copy=False),
            np.concatenate([c for _, c in blocks]).astype(np.int64, copy=False))


def entity_blocks(gold: Columns, pred: Columns, labels: Sequence[str]) -> list[Increments]:
    """The increments of :func:`entity_increments` as blocks ``(documents, columns)``, each block's
    documents in order (blocks may share their document arrays)."""
    blocks: list[Increments] = []
    valid = pred.start >= 0
    lost = np.flatnonzero(~valid)
    if len(lost):
        lost = lost[np.argsort(pred.doc[lost], kind="stable")]
        blocks.append(_one_side(pred, lost, SPURIOUS))
    mentions, side = _together(gold, pred, valid)
    if len(side):
        blocks += _components(mentions, side, labels)
    return [b for b in blocks if len(b[0])]


def _together(gold: Columns, pred: Columns, valid: np.ndarray) -> tuple[Columns, np.ndarray]:
    """Gold mentions and the predictions with offsets in one set of columns, in (document, start) order
    (the order of ties changes nothing), and each one's side (0 gold, 1 prediction)."""
    vp = slice(None) if valid.all() else np.flatnonzero(valid)
    both = [np.concatenate([g, p[vp]]).astype(np.int64, copy=False) for g, p in zip(gold, pred)]
    side = np.zeros(len(both[0]), np.int8)
    side[len(gold.doc):] = 1
    if not len(side):
        return Columns(*both), side
    doc, start = both[0], both[1]
    order = np.argsort(doc * (int(both[2].max()) + 1) + start, kind="stable")
    return Columns(*(x[order] for x in both)), side[order]


def _components(cols: Columns, side: np.ndarray, labels: Sequence[str]) -> list[Increments]:
    """Sweep sorted mentions into components of overlapping spans and count each kind of component."""
    width = int(cols.end.max()) + 1
    skey = cols.doc * width + cols.start
    reach = np.maximum.accumulate(cols.doc * width + cols.end)
    new = np.empty(len(side), dtype=bool)
    new[0] = True
    np.greater_equal(skey[1:], reach[:-1], out=new[1:])
    comp = np.cumsum(new) - 1
    first = np.flatnonzero(new)
    n_p = np.bincount(comp, weights=side).astype(np.int64)
    n_g = np.diff(np.append(first, len(side))) - n_p
    blocks = []
    for lonely, outcome_ in ((n_p == 0, MISSED), (n_g == 0, SPURIOUS)):  # components of one side only
        only = np.flatnonzero(lonely[comp])
        if len(only):
            blocks.append(_one_side(cols, only, outcome_))
    pair = first[(n_g == 1) & (n_p == 1)]  # one gold and one predicted mention
    gold_first = side[pair] == 0
    blocks += _pairs(cols, np.where(gold_first, pair, pair + 1), np.where(gold_first, pair + 1, pair))
    hard = np.flatnonzero((n_g >= 1) & (n_p >= 1) & ((n_g + n_p) > 2))  # real conflicts: the rule itself
    if len(hard):
        blocks.append(_conflicts(cols, side, first, n_g + n_p, hard, labels))
    return blocks


def _one_side(cols: Columns, idx: np.ndarray, outcome_: int) -> Increments:
    """Every mention in ``idx`` gets ``outcome_`` (missed/spurious) in every scheme, overall and per label."""
    docs = np.repeat(cols.doc[idx], 2 * N_SCHEMES)
    schemes = np.arange(N_SCHEMES)
    overall = schemes * N_OUTCOMES + outcome_
    per_label = OVERALL_COLUMNS + (cols.label[idx][:, None] * N_SCHEMES + schemes) * N_OUTCOMES + outcome_
    keys = np.hstack([np.broadcast_to(overall, (len(idx), N_SCHEMES)), per_label]).ravel()
    return docs, keys


def _pairs(cols: Columns, g: np.ndarray, p: np.ndarray) -> list[Increments]:
    """One gold and one predicted mention that overlap: :func:`eval.scoring.entities.outcome` element-wise,
    overall, and within the label when both have it (else missed for one label, spurious for the other)."""
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
               labels: Sequence[str]) -> Increments:
    """Components with more than one mention on a side: counted by the rule (the matcher)."""
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
