"""Count keys and the metrics derived from summed counts.

Every document contributes a flat ``{dotted key: count}`` mapping (its sufficient
statistics); every headline number is a function of SUMMED counts only, so a bootstrap
resample never re-scores anything: it sums the counts of the documents it draws.

Count keys (per document):

- ``entities.<scheme>.<outcome>`` and ``entities.<scheme>.per_label.<LABEL>.<outcome>`` for
  scheme in strict, exact, partial, type and outcome in correct, incorrect, partial, missed,
  spurious (``possible`` and ``actual`` are derived: possible = correct + incorrect + partial
  + missed, actual = correct + incorrect + partial + spurious);
- ``claims.detection.{tp,fp,fn}`` (content matched by token IoU), ``claims.exact.{tp,fp,fn}``
  (identical offsets), ``claims.cue.{tp,fp,fn}``, ``claims.check_worthy.{tp,fp,fn}`` (positive
  class; one such part for each boolean attribute of the scheme), ``claims.end_to_end.{tp,fp,fn}``,
  ``claims.source.{correct,total}``, ``claims.<attr>.{correct,total}`` and
  ``claims.<attr>.{gold,pred,tp}.<value>`` for each other attribute of the scheme (claim_type,
  attribution: per-class counts, from which macro-F1 is computed). Which attributes there are comes
  from the scheme (:func:`claim_attributes`).

Conventions (nervaluate's where it has one): precision = credit / actual and recall =
credit / possible with credit = correct (+ 0.5 * partial for the partial and type schemes);
a ratio over an empty denominator is 0, except that when there is nothing at all (no gold
and no prediction) precision, recall and F1 are undefined (None). Accuracies over no
matched claim are undefined. Macro averages are the mean over the labels (classes) that
occur in the gold or the predictions of the summed counts (as scikit-learn's
``average='macro'``), undefined when none does.

:func:`headline` works on plain numbers and, element-wise, on numpy arrays of many resamples
at once (``headline.array_safe``): undefined values are then NaN.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any, NamedTuple

from annotation.scheme import Scheme, load_scheme
from annotation.versions import UNNAMED

SCHEMES = ("strict", "exact", "partial", "type")
OUTCOMES = ("correct", "incorrect", "partial", "missed", "spurious")
HALF_CREDIT = frozenset({"partial", "type"})  # schemes whose precision/recall give partial matches half credit
ENTITY_COUNT_FIELDS = ("correct", "incorrect", "partial", "missed", "spurious", "possible", "actual")
# The order in which the result JSON has always listed the claim attributes (its bytes are stable); which
# attributes exist comes from the scheme, and one the scheme adds comes after these, in the scheme's order.
RESULT_ORDER = ("claim_type", "attribution", "check_worthy")

Counts = Mapping[str, Any]


class ClaimAttributes(NamedTuple):
    """The claim attributes of a scheme as the scorer scores them, in result order: ``classes`` (accuracy
    and macro-F1 over their values) and ``flags`` (boolean: the F1 of the positive class)."""

    classes: tuple[str, ...]
    flags: tuple[str, ...]
    later: tuple[str, ...] = ()  # attributes a scheme after 1.0.0 added: a gold claim without one is not judged on it

    @property
    def names(self) -> tuple[str, ...]:
        return self.classes + self.flags

    @property
    def prf_parts(self) -> tuple[str, ...]:
        """The claim measures with precision, recall and F1 (``claims.<part>``), in result order."""
        return ("detection", "exact", "cue", *self.flags, "end_to_end")


def claim_attributes(scheme: Scheme | None = None) -> ClaimAttributes:
    """The claim attributes of ``scheme`` (default: :func:`annotation.scheme.load_scheme`)."""
    scheme = scheme or load_scheme()
    attributes = scheme.attributes
    later = tuple(a for a in scheme.added_since(UNNAMED) if a in scheme.attribute_names)

    def order(name: str) -> tuple[int, int]:
        rank = RESULT_ORDER.index(name) if name in RESULT_ORDER else len(RESULT_ORDER)
        return rank, next(i for i, a in enumerate(attributes) if a.name == name)

    return ClaimAttributes(tuple(sorted((a.name for a in attributes if not a.is_boolean), key=order)),
                           tuple(sorted((a.name for a in attributes if a.is_boolean), key=order)), later)


def gold_attributes(scheme: Scheme, claims: Iterable[Iterable[Any]]) -> tuple[ClaimAttributes, str | None]:
    """The attributes to score on gold ``claims`` (the claims of each document) and a warning: an attribute
    that a scheme after 1.0.0 added and that no gold claim has is not scored (gold of scheme 1.0 has no
    ``stance`` or ``certainty``; they are not invented and do not count against a system)."""
    later = scheme.added_since(UNNAMED)
    present = {a for doc in claims for c in doc for a in later if getattr(c, a, None) is not None}
    absent = [a for a in later if a not in present]
    if not absent:
        return claim_attributes(scheme), None
    older = scheme.at(UNNAMED)
    view = older if not present else replace(
        scheme, attributes=tuple(a for a in scheme.attributes if a.name not in absent))
    shown = " and ".join(absent)
    if not present:
        return claim_attributes(view), f"gold of scheme {older.version}: {shown} not scored"
    return claim_attributes(view), f"no gold claim has {shown}: not scored"


def _is_array(*values: Any) -> bool:
    return any(hasattr(v, "shape") for v in values)


def ratio(num: Any, den: Any) -> Any:
    """num / den, and 0 where den is 0."""
    if _is_array(num, den):
        import numpy as np

        num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
        out = np.zeros(np.broadcast(num, den).shape)
        return np.divide(num, den, out=out, where=den != 0)
    return num / den if den else 0.0


def defined_ratio(num: Any, den: Any) -> Any:
    """num / den, undefined (None, or NaN in arrays) where den is 0."""
    if _is_array(num, den):
        import numpy as np

        num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
        out = np.full(np.broadcast(num, den).shape, np.nan)
        return np.divide(num, den, out=out, where=den != 0)
    return num / den if den else None


def _undefined_where(value: Any, nothing: Any) -> Any:
    """``value``, undefined where ``nothing`` holds (no gold and no prediction)."""
    if _is_array(value, nothing):
        import numpy as np

        return np.where(np.asarray(nothing, dtype=bool), np.nan, value)
    return None if nothing else value


def f1(p: Any, r: Any) -> Any:
    return ratio(2 * p * r, p + r)


def prf(credit: Any, actual: Any, possible: Any) -> dict[str, Any]:
    """Precision, recall and F1 from a credit and the two denominators (nervaluate's formulas)."""
    p, r = ratio(credit, actual), ratio(credit, possible)
    nothing = (actual + possible) == 0
    return {"precision": _undefined_where(p, nothing), "recall": _undefined_where(r, nothing),
            "f1": _undefined_where(f1(p, r), nothing)}


def entity_counts(counts: Counts, prefix: str) -> dict[str, Any]:
    """The seven nervaluate counts under ``prefix`` (e.g. ``entities.strict``)."""
    c, i, p, m, s = (counts.get(f"{prefix}.{o}", 0) for o in OUTCOMES)
    return {"correct": c, "incorrect": i, "partial": p, "missed": m, "spurious": s,
            "possible": c + i + p + m, "actual": c + i + p + s}


def entity_prf(counts: Counts, prefix: str, scheme: str) -> dict[str, Any]:
    n = entity_counts(counts, prefix)
    credit = n["correct"] + 0.5 * n["partial"] if scheme in HALF_CREDIT else n["correct"]
    return prf(credit, n["actual"], n["possible"])


def _mean(values: list[Any], present: list[Any]) -> Any:
    """Mean of ``values`` over the entries where ``present``; undefined when nothing is present."""
    if _is_array(*values, *present):
        import numpy as np

        if not values:
            return np.nan
        v = np.nan_to_num(np.vstack([np.asarray(x, dtype=float) for x in values]))
        w = np.vstack([np.asarray(x, dtype=float) for x in present])
        return defined_ratio((v * w).sum(axis=0), w.sum(axis=0))
    kept = [v for v, keep in zip(values, present) if keep]
    return sum(kept) / len(kept) if kept else None


def labels_in(counts: Counts, scheme: str) -> list[str]:
    """The labels that have per-label counts for ``scheme``, sorted."""
    prefix = f"entities.{scheme}.per_label."
    return sorted({k[len(prefix):].rsplit(".", 1)[0] for k in counts if k.startswith(prefix)})


def _values_in(counts: Counts, attr: str) -> list[str]:
    out: set[str] = set()
    for part in ("gold", "pred"):
        prefix = f"claims.{attr}.{part}."
        out.update(k[len(prefix):] for k in counts if k.startswith(prefix))
    return sorted(out)


def headline(counts: Counts, attributes: ClaimAttributes | None = None) -> dict[str, Any]:
    """Every metric of a run, by result path, from summed counts (claim attributes: the scheme's)."""
    attributes = attributes or claim_attributes()
    out: dict[str, Any] = {}
    for scheme in SCHEMES:
        base = f"entities.{scheme}"
        for name, value in entity_prf(counts, base, scheme).items():
            out[f"{base}.micro.{name}"] = value
        per_label: dict[str, dict[str, Any]] = {}
        present = []
        for label in labels_in(counts, scheme):
            prefix = f"{base}.per_label.{label}"
            per_label[label] = entity_prf(counts, prefix, scheme)
            n = entity_counts(counts, prefix)
            present.append((n["possible"] + n["actual"]) > 0)
            for name, value in per_label[label].items():
                out[f"{prefix}.{name}"] = value
        for name in ("precision", "recall", "f1"):
            out[f"{base}.macro.{name}"] = _mean([v[name] for v in per_label.values()], present)
    for part in attributes.prf_parts:
        tp, fp, fn = (counts.get(f"claims.{part}.{k}", 0) for k in ("tp", "fp", "fn"))
        for name, value in prf(tp, tp + fp, tp + fn).items():
            out[f"claims.{part}.{name}"] = value
    out["claims.source.accuracy"] = defined_ratio(counts.get("claims.source.correct", 0),
                                                  counts.get("claims.source.total", 0))
    for attr in attributes.classes:
        out[f"claims.{attr}.accuracy"] = defined_ratio(counts.get(f"claims.{attr}.correct", 0),
                                                       counts.get(f"claims.{attr}.total", 0))
        scores, present = [], []
        for value in _values_in(counts, attr):
            gold = counts.get(f"claims.{attr}.gold.{value}", 0)
            pred = counts.get(f"claims.{attr}.pred.{value}", 0)
            scores.append(ratio(2 * counts.get(f"claims.{attr}.tp.{value}", 0), gold + pred))
            present.append((gold + pred) > 0)
        macro = _mean(scores, present)
        out[f"claims.{attr}.macro_f1"] = macro
    return out


headline.array_safe = True  # type: ignore[attr-defined]  # element-wise on arrays of resamples


def headline_with(attributes: ClaimAttributes) -> Callable[[Counts], dict[str, Any]]:
    """:func:`headline` for the claim attributes of one scheme (array-safe as well)."""
    def metric(counts: Counts) -> dict[str, Any]:
        return headline(counts, attributes)

    metric.array_safe = True  # type: ignore[attr-defined]
    return metric


def summary(counts: Counts, attributes: ClaimAttributes | None = None) -> dict[str, Any]:
    """Flat result paths -> values, in reading order: every headline metric with its counts beside it."""
    attributes = attributes or claim_attributes()
    metrics = headline(counts, attributes)
    out: dict[str, Any] = {}
    for scheme in SCHEMES:
        base = f"entities.{scheme}"
        for part in ("micro", "macro"):
            out.update((f"{base}.{part}.{m}", metrics[f"{base}.{part}.{m}"]) for m in ("precision", "recall", "f1"))
            if part == "micro":
                out.update((f"{base}.micro.{k}", v) for k, v in entity_counts(counts, base).items())
        for label in labels_in(counts, scheme):
            prefix = f"{base}.per_label.{label}"
            out.update((f"{prefix}.{m}", metrics[f"{prefix}.{m}"]) for m in ("precision", "recall", "f1"))
            out.update((f"{prefix}.{k}", v) for k, v in entity_counts(counts, prefix).items())
    for part in attributes.prf_parts:
        out.update((f"claims.{part}.{m}", metrics[f"claims.{part}.{m}"]) for m in ("precision", "recall", "f1"))
        out.update((f"claims.{part}.{k}", counts.get(f"claims.{part}.{k}", 0)) for k in ("tp", "fp", "fn"))
    for part in ("source", *attributes.classes):
        names = ("accuracy",) if part == "source" else ("accuracy", "macro_f1")
        out.update((f"claims.{part}.{m}", metrics[f"claims.{part}.{m}"]) for m in names)
        out.update((f"claims.{part}.{k}", counts.get(f"claims.{part}.{k}", 0)) for k in ("correct", "total"))
        if part != "source":
            for value in _values_in(counts, part):
                for k in ("gold", "pred", "tp"):
                    out[f"claims.{part}.per_class.{value}.{k}"] = counts.get(f"claims.{part}.{k}.{value}", 0)
    return out


def with_intervals(flat: Mapping[str, Any], intervals: Mapping[str, Any]) -> dict[str, Any]:
    """``flat`` with each interval ``<path>_ci: [low, high]`` placed right after the value it bounds."""
    out: dict[str, Any] = {}
    for path, value in flat.items():
        out[path] = value
        if path in intervals:
            low, high = intervals[path]
            out[f"{path}_ci"] = [float(low), float(high)]
    return out


def nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    """``{"a.b.c": 1}`` -> ``{"a": {"b": {"c": 1}}}``."""
    out: dict[str, Any] = {}
    for path, value in flat.items():
        node = out
        parts = path.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out
