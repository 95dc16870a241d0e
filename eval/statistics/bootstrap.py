"""Percentile bootstrap confidence intervals of headline metrics, resampling documents.

Decisions where the brief was silent: percentile intervals (``numpy.quantile``, linear
interpolation); resamples where a metric is undefined (None or NaN) are left out of its
interval; a metric undefined on every resample gets no interval.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from eval.scoring.defaults import DEFAULT_ALPHA, DEFAULT_RESAMPLES, DEFAULT_SEED
from eval.statistics.counts import Counts, count_matrix
from eval.statistics.evaluation import (Evaluator, Metric, check_knobs, check_paths, default_metric, headline_paths,
                                        percentile_interval)
from eval.statistics.resampling import Summer, resampled_sums

__all__ = ["bootstrap_ci"]


def bootstrap_ci(per_document: Mapping[str, Counts], metric_paths: Sequence[str] | None = None, *,
                 n: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED, alpha: float = DEFAULT_ALPHA,
                 metric: Metric | None = None) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap intervals of headline metrics, resampling documents with replacement.

    ``metric_paths`` defaults to every path of the metric ending in f1 or accuracy. A path that
    is undefined on every resample (e.g. an accuracy over no matched claims) gets no interval.
    """
    check_knobs(n, alpha)
    metric = metric or default_metric()
    matrix = count_matrix(per_document)
    if not matrix.ids:
        return {}
    totals = Evaluator(metric, matrix.keys, [], integral=matrix.integral).counts(matrix.total().tolist())
    paths = list(metric_paths) if metric_paths is not None else headline_paths(metric, totals)
    check_paths(paths, metric(totals))
    if not paths:
        return {}
    evaluate = Evaluator(metric, matrix.keys, paths, integral=matrix.integral)
    summer = Summer(matrix.values, integral=matrix.integral, weight_total=len(matrix.ids), weight_max=len(matrix.ids))
    scores = evaluate(resampled_sums(summer, len(matrix.ids), n, seed))
    out = {}
    for j, path in enumerate(paths):
        interval = percentile_interval(scores[:, j], alpha)
        if interval is not None:
            out[path] = interval
    return out
