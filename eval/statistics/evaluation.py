"""The metric on resampled sums: rows of summed counts in, an array of metric values out.

The metric function maps SUMMED counts to ``{result path: value}`` (``eval.scoring.metrics.headline``
by default). As in sacrebleu, a resample never re-scores anything: the metric runs once per
summed row on a ``Counter`` of that row's non-zero counts -- exactly what it sees for the point
estimate -- or, when the metric function carries ``array_safe = True`` (its formulas are
element-wise and branch-free), once on arrays of all rows (checked against the per-row path on a
few rows; any disagreement falls back to the per-row path).
"""

from __future__ import annotations

import difflib
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from annotation.errors import KhabarError
from eval.statistics.counts import Counts

Metric = Callable[[Counts], Mapping[str, Any]]

CI_SUFFIXES = ("f1", "accuracy")  # intervals and tests cover these headline values by default
TOLERANCE = 1e-9  # two metric values closer than this are equal (array path check, p-value ties)
_ARRAY_CHECK_ROWS = 8


def default_metric() -> Metric:
    """``eval.scoring.metrics.headline``, imported on first use."""
    from eval.scoring.metrics import headline

    return headline


class _ArrayCounts(dict):
    """Summed counts of many resamples at once: missing keys read as zeros, like a Counter."""

    def __init__(self, data: Mapping[str, np.ndarray], rows: int) -> None:
        super().__init__(data)
        self.rows = rows

    def __missing__(self, key: str) -> np.ndarray:
        return np.zeros(self.rows)


def _as_number(value: Any) -> float:
    return math.nan if value is None else float(value)


class Evaluator:
    """The metric on rows of summed counts, as an array rows x paths (NaN where undefined).

    Per row, the metric sees a Counter of that row's non-zero counts (ints for whole counts),
    exactly what it sees for a point estimate. A metric marked ``array_safe`` runs once on arrays
    of all rows instead, checked against the per-row results on a few rows (the first call) or
    one row (later calls); any disagreement (or an error) turns the array path off.
    """

    def __init__(self, metric: Metric, keys: Sequence[str], paths: Sequence[str], *, integral: bool) -> None:
        self.metric, self.keys, self.paths, self.integral = metric, list(keys), list(paths), integral
        self.vectorised: bool | None = None if getattr(metric, "array_safe", False) else False

    def counts(self, row: Sequence[float]) -> Counter:
        if self.integral:
            return Counter({k: int(round(v)) for k, v in zip(self.keys, row) if v})
        return Counter({k: v for k, v in zip(self.keys, row) if v})

    def row(self, row: Sequence[float]) -> list[float]:
        values = self.metric(self.counts(row))
        return [_as_number(values.get(p)) for p in self.paths]

    def __call__(self, sums: np.ndarray) -> np.ndarray:
        if sums.shape[0] and self.vectorised is not False:
            out = self._arrays(sums)
            self.vectorised = out is not None
            if out is not None:
                return out
        return np.array([self.row(r) for r in sums.tolist()], dtype=np.float64).reshape(len(sums), len(self.paths))

    def _arrays(self, sums: np.ndarray) -> np.ndarray | None:
        rows = sums.shape[0]
        try:
            with np.errstate(divide="ignore", invalid="ignore"):
                values = self.metric(_ArrayCounts({k: sums[:, j] for j, k in enumerate(self.keys)}, rows))
            out = np.empty((rows, len(self.paths)))
            for j, path in enumerate(self.paths):
                column = values.get(path)
                out[:, j] = np.nan if column is None else np.broadcast_to(np.asarray(column, dtype=float), (rows,))
        except (TypeError, ValueError, ZeroDivisionError):
            return None
        checks = _ARRAY_CHECK_ROWS if self.vectorised is None else 1
        for i in np.unique(np.linspace(0, rows - 1, min(rows, checks)).astype(int)):
            if not np.allclose(out[i], self.row(sums[i].tolist()), rtol=0, atol=TOLERANCE, equal_nan=True):
                return None
        return out


def headline_paths(metric: Metric, counts: Mapping[str, Any], suffixes: Sequence[str] = CI_SUFFIXES) -> list[str]:
    """The metric's paths whose last part ends with one of ``suffixes`` (f1, macro_f1, accuracy ...)."""
    return [p for p in metric(counts) if p.rsplit(".", 1)[-1].endswith(tuple(suffixes))]


def check_paths(paths: Sequence[str], known: Iterable[str]) -> None:
    """Refuse a metric path that the metric does not produce, suggesting near ones."""
    known = list(known)
    for path in paths:
        if path not in known:
            close = difflib.get_close_matches(path, known, n=3, cutoff=0.6)
            hint = f"did you mean {', '.join(close)}?" if close else f"e.g. {', '.join(known[:3])}"
            raise KhabarError(f"unknown metric {path!r} — {hint}")


def percentile_interval(samples: np.ndarray, alpha: float) -> tuple[float, float] | None:
    """The central ``1 - alpha`` percentile interval of the defined samples (None if there are none)."""
    defined = samples[~np.isnan(samples)]
    if defined.size == 0:
        return None
    low, high = np.quantile(defined, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)


def check_knobs(n: int, alpha: float) -> None:
    """Refuse fewer than one resample, or an alpha outside (0, 1)."""
    if n < 1:
        raise KhabarError(f"the number of resamples must be at least 1, not {n}")
    if not 0 < alpha < 1:
        raise KhabarError(f"alpha must be between 0 and 1, not {alpha}")
