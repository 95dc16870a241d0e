"""Agreement statistics: precision/recall/F1 between two annotators, Cohen's kappa, Krippendorff's alpha."""

from __future__ import annotations

import itertools
import math
import warnings
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

def prf(matched: int, a: int, b: int) -> dict[str, Any]:
    """Precision/recall/F1 with a as the reference; null where undefined (0/0)."""
    return {"a": a, "b": b, "matched": matched,
            "precision": matched / b if b else None,
            "recall": matched / a if a else None,
            "f1": 2 * matched / (a + b) if a + b else None}


def cohen_kappa(x: Sequence[str], y: Sequence[str]) -> dict[str, Any]:
    """Cohen's kappa (sklearn) with the observed agreement; null with a note when undefined."""
    n = len(x)
    if n == 0:
        return {"n": 0, "observed": None, "kappa": None, "note": "no matched claims"}
    observed = sum(1 for p, q in zip(x, y) if p == q) / n
    if len(set(x) | set(y)) < 2:
        return {"n": n, "observed": observed, "kappa": None,
                "note": "undefined: both annotators used one and the same value"}
    from sklearn.metrics import cohen_kappa_score

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kappa = float(cohen_kappa_score(list(x), list(y)))
    if math.isnan(kappa):
        return {"n": n, "observed": observed, "kappa": None, "note": "undefined (expected agreement is 1)"}
    return {"n": n, "observed": observed, "kappa": kappa, "note": None}


def krippendorff_alpha_nominal(units: Iterable[Sequence[Hashable]]) -> float | None:
    """Krippendorff's alpha for nominal data; each unit is the list of values its coders gave.

    Units with fewer than two values are not pairable and are left out. Built from the
    coincidence matrix (Krippendorff 2011, "Computing Krippendorff's alpha-reliability"):
    alpha = 1 - (n - 1) * sum_{c != k} o_ck / sum_{c != k} n_c n_k. Null when fewer than two
    pairable values or when all pairable values are the same (no expected disagreement).
    """
    o: Counter[tuple[Hashable, Hashable]] = Counter()
    for values in units:
        m = len(values)
        if m < 2:
            continue
        for i, j in itertools.permutations(range(m), 2):
            o[values[i], values[j]] += 1 / (m - 1)
    n_c: Counter[Hashable] = Counter()
    for (c, _), w in o.items():
        n_c[c] += w
    n = sum(n_c.values())
    observed = sum(w for (c, k), w in o.items() if c != k)
    expected = n * n - sum(v * v for v in n_c.values())
    if n < 2 or expected <= 0:
        return None
    return 1 - (n - 1) * observed / expected



def alpha_without(units: Iterable[Mapping[str, Hashable]], annotators: Sequence[str]) -> dict[str, float | None]:
    """Krippendorff's alpha (nominal) of the units with each annotator left out, per annotator.

    A unit maps each annotator who coded it to their value. Leaving one annotator out and
    comparing with the alpha of all (:func:`krippendorff_alpha_nominal`) says what that annotator
    does to the reliability: an alpha that rises without them means they disagree with the rest.
    (Leave-one-out rather than an alpha of one annotator "with" the others: alpha is a property of
    a group of coders, and one coder alone has none.)"""
    units = list(units)
    return {who: krippendorff_alpha_nominal([[v for name, v in sorted(unit.items()) if name != who]
                                             for unit in units]) for who in annotators}
