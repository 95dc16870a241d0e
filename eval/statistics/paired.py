"""Paired significance tests of two systems on the same documents: B - A on each headline metric.

Both tests are two-sided, and ties count against rejection (``>=``), so identical runs get p = 1.

- Paired bootstrap: both systems are resampled with the same documents; the null distribution
  is the bootstrap differences shifted to mean zero,
  ``p = (#{|d* - mean(d*)| >= |d|} + 1) / (n + 1)``. (sacrebleu takes ``|d*| - mean(|d*|)``
  and counts ``>``, which gives p = 1/(n+1) for a system compared with itself.)
- Approximate randomization: each trial swaps the two systems' counts of each document with
  probability 1/2, ``p = (#{|d_trial| >= |d|} + 1) / (trials + 1)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

import numpy as np

from annotation.errors import KhabarError
from eval.scoring.defaults import DEFAULT_ALPHA, DEFAULT_RESAMPLES, DEFAULT_SEED, DEFAULT_TRIALS, MAX_RESAMPLES
from eval.statistics.counts import CountMatrix, count_matrix
from eval.statistics.evaluation import (TOLERANCE, Evaluator, Metric, check_knobs, check_paths, default_metric,
                                        headline_paths, percentile_interval)
from eval.statistics.resampling import BATCH_CELLS, Summer, coin_flips, resampled_sums
from eval.statistics.runs import Names, check_comparable, check_counts, run_documents

__all__ = ["Comparison", "MetricTest", "paired_tests"]


class MetricTest(TypedDict):
    """The tests of one metric path (None where undefined)."""

    a: float | None
    b: float | None
    difference: float | None
    difference_ci: list[float] | None
    p_bootstrap: float | None
    p_randomization: float | None


class Comparison(TypedDict):
    """What ``paired_tests`` returns (and ``khabar compare --json`` writes)."""

    gold_fingerprint: str
    documents: int
    names: list[str]
    signature_a: str
    signature_b: str
    resamples: int
    trials: int
    seed: int
    alpha: float
    metrics: dict[str, MetricTest]


def paired_tests(run_a: Mapping[str, Any], run_b: Mapping[str, Any], *, n: int = DEFAULT_RESAMPLES,
                 seed: int = DEFAULT_SEED, trials: int = DEFAULT_TRIALS, alpha: float = DEFAULT_ALPHA,
                 metric_paths: Sequence[str] | None = None, metric: Metric | None = None,
                 names: Names = ("run A", "run B")) -> Comparison:
    """Paired bootstrap and approximate randomization tests of B - A on every headline metric.

    Both runs are result JSONs on the same gold (fingerprint, documents and non-system signature
    parts must agree). Returns the tests of each metric path with the settings used.
    """
    check_knobs(n, alpha)
    if trials < 1:
        raise KhabarError(f"the number of randomization trials must be at least 1, not {trials}")
    check_comparable(run_a, run_b, names)
    metric = metric or default_metric()
    a, b = _matrices(run_a, run_b, names)
    evaluate = Evaluator(metric, a.keys, _paths(metric, a, b, metric_paths), integral=a.integral and b.integral)
    _check_size(n, trials, len(a.keys), len(evaluate.paths))
    point = evaluate(np.stack([a.total(), b.total()]))
    boot = _bootstrap_differences(a, b, evaluate, n, seed)
    randomized = _randomized_differences(a, b, evaluate, trials, seed)
    metrics = {path: _metric_test(point[:, j], boot[:, j], randomized[:, j], alpha)
               for j, path in enumerate(evaluate.paths)}
    return {
        "gold_fingerprint": run_a["gold_fingerprint"],
        "documents": len(a.ids),
        "names": list(names),
        "signature_a": run_a["signature"],
        "signature_b": run_b["signature"],
        "resamples": n, "trials": trials, "seed": seed, "alpha": alpha,
        "metrics": metrics,
    }


def _matrices(run_a: Mapping[str, Any], run_b: Mapping[str, Any], names: Names) -> tuple[CountMatrix, CountMatrix]:
    """The two runs' count matrices over the same keys (every key either run has)."""
    docs_a, docs_b = run_documents(run_a, names[0]), run_documents(run_b, names[1])
    check_counts(docs_a, names[0])
    check_counts(docs_b, names[1])
    keys = sorted({k for counts in (*docs_a.values(), *docs_b.values()) for k in counts})
    return count_matrix(docs_a, keys, where=f"{names[0]}: "), count_matrix(docs_b, keys, where=f"{names[1]}: ")


def _paths(metric: Metric, a: CountMatrix, b: CountMatrix, metric_paths: Sequence[str] | None) -> list[str]:
    """The paths to test: those asked for (checked), or every headline path of either run."""
    as_counts = Evaluator(metric, a.keys, [], integral=a.integral and b.integral).counts
    totals = as_counts(a.total().tolist()), as_counts(b.total().tolist())
    if metric_paths is None:
        metric_paths = list(dict.fromkeys(headline_paths(metric, totals[0]) + headline_paths(metric, totals[1])))
    paths = list(metric_paths)
    check_paths(paths, {**metric(totals[0]), **metric(totals[1])})
    return paths


def _check_size(n: int, trials: int, keys: int, paths: int) -> None:
    """Refuse more resamples or trials than :data:`MAX_RESAMPLES`, saying what they would cost in memory."""
    for what, count, columns in (("resamples", n, 2 * keys + 2 * paths), ("trials", trials, 2 * keys + 3 * paths)):
        if count > MAX_RESAMPLES:
            gigabytes = count * columns * 8 / 1e9
            raise KhabarError(f"{count} {what} would need about {gigabytes:,.1f} GB of memory on these runs "
                              f"({keys} counts, {paths} metrics); at most {MAX_RESAMPLES} are allowed")


def _metric_test(point: np.ndarray, boot: np.ndarray, randomized: np.ndarray, alpha: float) -> MetricTest:
    """One metric's entry from its point values (A, B) and its bootstrap and randomization differences."""
    d = point[1] - point[0]
    entry: MetricTest = {"a": _defined(point[0]), "b": _defined(point[1]), "difference": _defined(d),
                         "difference_ci": None, "p_bootstrap": None, "p_randomization": None}
    if not math.isnan(d):
        interval = percentile_interval(boot, alpha)
        entry["difference_ci"] = list(interval) if interval else None
        entry["p_bootstrap"] = _p_value(np.abs(boot - np.nanmean(boot)), abs(d))
        entry["p_randomization"] = _p_value(np.abs(randomized), abs(d))
    return entry


def _bootstrap_differences(a: CountMatrix, b: CountMatrix, evaluate: Evaluator, n: int, seed: int) -> np.ndarray:
    """B - A on each resample, both systems resampled with the same documents."""
    k, docs = len(a.keys), len(a.ids)
    summer = Summer(np.hstack([a.values, b.values]), integral=a.integral and b.integral,
                    weight_total=docs, weight_max=docs)
    sums = resampled_sums(summer, docs, n, seed)
    return evaluate(sums[:, k:]) - evaluate(sums[:, :k])


def _randomized_differences(a: CountMatrix, b: CountMatrix, evaluate: Evaluator, trials: int,
                            seed: int) -> np.ndarray:
    """B' - A' on each trial, where B' and A' swap the systems' counts of each document with probability 1/2.

    Only documents (and keys) where the systems differ can change a sum: a swap moves the
    document's ``B - A`` from B's sums to A's.
    """
    delta = b.values - a.values
    changed = delta != 0
    docs, keys = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
    if not len(docs):
        return np.zeros((trials, len(evaluate.paths)))
    moves = Summer(delta[np.ix_(docs, keys)], integral=a.integral and b.integral, weight_total=len(docs), weight_max=1)
    rng = np.random.default_rng(seed)
    per_batch = max(1, BATCH_CELLS // len(docs))
    moved = np.concatenate([moves(coin_flips(rng, min(per_batch, trials - start), len(docs)))
                            for start in range(0, trials, per_batch)])
    sums_a, sums_b = np.tile(a.total(), (trials, 1)), np.tile(b.total(), (trials, 1))
    sums_a[:, keys] += moved
    sums_b[:, keys] -= moved
    return evaluate(sums_b) - evaluate(sums_a)


def _defined(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def _p_value(null: np.ndarray, observed: float) -> float | None:
    """(#{null >= observed} + 1) / (#null + 1) over the defined null samples; ties count as extreme."""
    defined = null[~np.isnan(null)]
    if defined.size == 0:
        return None
    extreme = int(np.count_nonzero(defined >= observed - TOLERANCE))
    return (extreme + 1) / (defined.size + 1)
