"""Claim scoring: detection, source attribution, cue, attributes and a strict end-to-end score.

Definitions (decisions where the spec was silent are marked *):

- **Detection**: gold and predicted claim contents are matched one-to-one by maximum-weight
  assignment; a pair is a candidate when the token IoU of the contents reaches ``iou``
  (0.5 by default; tokens are maximal runs of letters/digits of the article,
  :func:`annotation.matching.token_iou`). The weight is lexicographic: as many pairs as
  possible, then* pairs that are right end to end, then pairs whose source is right, then the
  largest IoU (:func:`annotation.matching.claim_weight` with ``prefer``). ``exact`` is the
  same with identical offsets required.
- **Spans inside a claim** (source, cue)*: a predicted span matches a gold span when their
  offsets are identical or their token IoU reaches the same ``iou``. A predicted span that
  could not be aligned matches nothing.
- **Source** (on matched claims): right when the predicted source matches the gold source
  span or any mention of the gold source's entity cluster; a null predicted source is right
  iff the gold source is null. Accuracy = right / matched claims.
- **Cue** (over all claims)*: a true positive is a matched pair whose cues match; every
  other predicted cue is a false positive and every other gold cue a false negative.
- **Attributes** (on matched claims; which there are comes from the scheme,
  :func:`eval.scoring.metrics.claim_attributes`): a boolean attribute (``check_worthy``) is scored
  as the F1 of the positive class (CheckThat!): gold true & predicted true = tp, gold false &
  predicted true = fp, gold true & predicted false or missing = fn. The others (``claim_type``,
  ``attribution``, and since scheme 1.1 ``stance`` and ``certainty``): accuracy and macro-F1 from
  per-class counts; a missing predicted value is wrong and counts for no predicted class*. Gold of
  scheme 1.0 has no stance or certainty: they are then not scored at all
  (:func:`eval.scoring.metrics.gold_attributes`), and a gold claim without one is never judged on it.
- **End to end**: a predicted claim is a true positive when it is matched and its source and
  all its attributes are right; fp = predicted - tp, fn = gold - tp.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from annotation.matching import DEFAULT_CLAIM_IOU, Tokens, claim_weight, match, tokens_of
from annotation.model import Claim, Span
from eval.scoring.metrics import ClaimAttributes, claim_attributes

Clusters = Mapping[str, Sequence[Span]]


def _has(span: Span | Claim | None) -> bool:
    return span is not None and span.start is not None and span.end is not None


class ClaimJudge:
    """Judges the parts of claim pairs in one document."""

    def __init__(self, text: str, clusters: Clusters, *, iou: float = DEFAULT_CLAIM_IOU,
                 attributes: ClaimAttributes | None = None) -> None:
        self.text = text
        self.tokens: Tokens = tokens_of(text)
        self.clusters = clusters
        self.iou = iou
        self.attributes = attributes or claim_attributes()

    def spans_match(self, pred: Span | None, gold: Span | None) -> bool:
        if not _has(pred) or not _has(gold):
            return False
        if pred.start == gold.start and pred.end == gold.end:  # type: ignore[union-attr]
            return True
        return self.tokens.iou(pred, gold) >= self.iou  # type: ignore[arg-type]

    def source_right(self, gold: Claim, pred: Claim) -> bool:
        if pred.source is None:
            return gold.source is None
        if gold.source is None:
            return False
        targets: list[Span] = [gold.source]
        if gold.source.entity is not None:
            targets += self.clusters.get(gold.source.entity, ())
        return any(self.spans_match(pred.source, t) for t in targets)

    def attributes_right(self, gold: Claim, pred: Claim) -> dict[str, bool]:
        """Each attribute judged on the pair; a later attribute (``stance``) the gold claim lacks is not judged."""
        return {a: getattr(pred, a, None) is not None and getattr(pred, a, None) == getattr(gold, a, None)
                for a in self.attributes.names
                if a not in self.attributes.later or getattr(gold, a, None) is not None}

    def end_to_end(self, gold: Claim, pred: Claim) -> bool:
        return self.source_right(gold, pred) and all(self.attributes_right(gold, pred).values())

    def prefer(self, gold: Claim, pred: Claim) -> tuple[float, float]:
        return (float(self.end_to_end(gold, pred)), float(self.source_right(gold, pred)))

    def pairs(self, gold: Sequence[Claim], pred: Sequence[Claim]) -> list[tuple[int, int]]:
        return match(gold, pred, claim_weight(self.text, self.iou, prefer=self.prefer), key=claim_key)


def claim_key(c: Claim) -> tuple:
    """Content order for ties between claims with the same offsets (never input order)."""
    def span(s: Span | None) -> tuple:
        return (-1, -1, "") if s is None else (s.start if s.start is not None else -1,
                                                s.end if s.end is not None else -1, s.text or "")
    return (str(c.attribution), str(c.claim_type), str(c.check_worthy), span(c.source), span(c.cue))


def claim_counts(gold: Sequence[Claim], pred: Sequence[Claim], text: str, clusters: Clusters, *,
                 iou: float = DEFAULT_CLAIM_IOU, attributes: ClaimAttributes | None = None) -> Counter:
    """The claim counts of one document (keys of :mod:`eval.scoring.metrics`)."""
    out: Counter = Counter()
    if not gold and not pred:
        return out
    judge = ClaimJudge(text, clusters, iou=iou, attributes=attributes)
    pairs = judge.pairs(gold, pred)
    n_gold, n_pred, n = len(gold), len(pred), len(pairs)
    out["claims.detection.tp"] += n
    out["claims.detection.fp"] += n_pred - n
    out["claims.detection.fn"] += n_gold - n
    exact = match(gold, pred, lambda g, p: float(g.start == p.start and g.end == p.end), key=claim_key)
    out["claims.exact.tp"] += len(exact)
    out["claims.exact.fp"] += n_pred - len(exact)
    out["claims.exact.fn"] += n_gold - len(exact)
    cue_tp = e2e = 0
    for gi, pi in pairs:
        g, p = gold[gi], pred[pi]
        source = judge.source_right(g, p)
        out["claims.source.total"] += 1
        out["claims.source.correct"] += source
        if g.cue is not None and p.cue is not None and judge.spans_match(p.cue, g.cue):
            cue_tp += 1
        _count_attributes(out, g, p, judge.attributes)
        e2e += source and all(judge.attributes_right(g, p).values())
    out["claims.cue.tp"] += cue_tp
    out["claims.cue.fp"] += sum(1 for c in pred if c.cue is not None) - cue_tp
    out["claims.cue.fn"] += sum(1 for c in gold if c.cue is not None) - cue_tp
    out["claims.end_to_end.tp"] += e2e
    out["claims.end_to_end.fp"] += n_pred - e2e
    out["claims.end_to_end.fn"] += n_gold - e2e
    return +out


def _count_attributes(out: Counter, g: Claim, p: Claim, attributes: ClaimAttributes) -> None:
    """The attribute counts of a matched pair: flags as positive-class tp/fp/fn, classes per value."""
    for flag in attributes.flags:
        if getattr(p, flag, None) is True:
            out[f"claims.{flag}.tp" if getattr(g, flag, None) is True else f"claims.{flag}.fp"] += 1
        elif getattr(g, flag, None) is True:
            out[f"claims.{flag}.fn"] += 1
    for attr in attributes.classes:
        gv, pv = getattr(g, attr, None), getattr(p, attr, None)
        if gv is None:
            continue
        out[f"claims.{attr}.total"] += 1
        out[f"claims.{attr}.gold.{gv}"] += 1
        if pv is not None:
            out[f"claims.{attr}.pred.{pv}"] += 1
        if pv == gv:
            out[f"claims.{attr}.correct"] += 1
            out[f"claims.{attr}.tp.{gv}"] += 1


def claim_errors(gold: Sequence[Claim], pred: Sequence[Claim], text: str, clusters: Clusters, *,
                 iou: float = DEFAULT_CLAIM_IOU, attributes: ClaimAttributes | None = None) -> list[dict[str, Any]]:
    """The claim errors of one document, for the error report: ``missed`` and ``spurious`` claims,
    and matched claims with something wrong (``wrong`` lists source, cue and attributes)."""
    if not gold and not pred:
        return []
    judge = ClaimJudge(text, clusters, iou=iou, attributes=attributes)
    pairs = judge.pairs(gold, pred)
    out: list[dict[str, Any]] = []
    for gi, pi in pairs:
        g, p = gold[gi], pred[pi]
        wrong = [] if judge.source_right(g, p) else ["source"]
        if (g.cue is not None or p.cue is not None) and not judge.spans_match(p.cue, g.cue):
            wrong.append("cue")
        wrong += [a for a, ok in judge.attributes_right(g, p).items() if not ok]
        if wrong:
            out.append({"kind": "mismatch", "wrong": wrong, "iou": judge.tokens.iou(g, p),
                        "gold": g.to_dict(), "pred": p.to_dict()})
    matched_g = {g for g, _ in pairs}
    matched_p = {p for _, p in pairs}
    out += [{"kind": "missed", "gold": c.to_dict(), "pred": None} for i, c in enumerate(gold) if i not in matched_g]
    out += [{"kind": "spurious", "gold": None, "pred": c.to_dict()} for i, c in enumerate(pred) if i not in matched_p]
    return out
