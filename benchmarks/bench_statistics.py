#!/usr/bin/env python3
"""Time bootstrap_ci and paired_tests on many documents (synthetic counts; no timed assertions in tests).

    .venv/bin/python benchmarks/bench_statistics.py [--docs 100000] [--resamples 1000] [--trials 10000]
                                                    [--metric wide|headline]

``wide`` is a stand-in with the shape of the real headline (4 schemes x 11 labels x nervaluate
counts: per-label and micro P/R/F1, macro F1, claims); ``wide-arrays`` is the same written element-wise (``array_safe``: one call on all
resamples); ``headline`` uses eval.scoring.metrics.headline on
the same synthetic keys (only meaningful once the key names agree with the scorer's).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eval.statistics.bootstrap import bootstrap_ci  # noqa: E402
from eval.statistics.paired import paired_tests  # noqa: E402

SCHEMES = ("strict", "exact", "partial", "type")
LABELS = ("PERS", "ORG", "GPE", "LOC", "FAC", "NORP", "OCC", "EVENT", "DATE", "MONEY", "PERCENT")


def wide_headline(counts):
    out = {}
    for scheme in SCHEMES:
        f1s = []
        for label in (*LABELS, None):
            base = f"entities.{scheme}." + (f"per_label.{label}." if label else "")
            cor, inc, par = (counts[base + k] for k in ("correct", "incorrect", "partial"))
            mis, spu = counts[base + "missed"], counts[base + "spurious"]
            possible, actual = cor + inc + par + mis, cor + inc + par + spu
            credit = cor + 0.5 * par if scheme == "partial" else cor
            p = credit / actual if actual else 0.0
            r = credit / possible if possible else 0.0
            f = 2 * p * r / (p + r) if p + r else 0.0
            path = f"entities.{scheme}." + (f"per_label.{label}." if label else "micro.")
            out.update({path + "precision": p, path + "recall": r, path + "f1": f})
            if label and (possible or actual):
                f1s.append(f)
        out[f"entities.{scheme}.macro.f1"] = sum(f1s) / len(f1s) if f1s else 0.0
    tp, fp, fn = counts["claims.detection.tp"], counts["claims.detection.fp"], counts["claims.detection.fn"]
    out["claims.detection.f1"] = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    out["claims.source.accuracy"] = counts["claims.source.correct"] / tp if tp else 0.0
    return out


def _div(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return np.where(b > 0, a / np.where(b > 0, b, 1), 0.0)


def wide_headline_arrays(counts):
    """wide_headline written element-wise, so eval.statistics may run it on arrays of resamples."""
    out = {}
    for scheme in SCHEMES:
        f1_sum, present = 0.0, 0.0
        for label in (*LABELS, None):
            base = f"entities.{scheme}." + (f"per_label.{label}." if label else "")
            cor, inc, par = (counts[base + k] for k in ("correct", "incorrect", "partial"))
            mis, spu = counts[base + "missed"], counts[base + "spurious"]
            possible, actual = cor + inc + par + mis, cor + inc + par + spu
            credit = cor + 0.5 * par if scheme == "partial" else cor
            p, r = _div(credit, actual), _div(credit, possible)
            f = _div(2 * p * r, p + r)
            path = f"entities.{scheme}." + (f"per_label.{label}." if label else "micro.")
            out.update({path + "precision": p, path + "recall": r, path + "f1": f})
            if label:
                seen = (np.asarray(possible) + np.asarray(actual)) > 0
                f1_sum, present = f1_sum + np.where(seen, f, 0.0), present + seen
        out[f"entities.{scheme}.macro.f1"] = _div(f1_sum, present)
    tp, fp, fn = counts["claims.detection.tp"], counts["claims.detection.fp"], counts["claims.detection.fn"]
    out["claims.detection.f1"] = _div(2 * tp, 2 * tp + fp + fn)
    out["claims.source.accuracy"] = _div(counts["claims.source.correct"], tp)
    return out


wide_headline_arrays.array_safe = True


def synthetic(n_docs: int, seed: int, skill: float) -> dict[str, Counter]:
    rng = np.random.default_rng(seed)
    docs = {}
    for i in range(n_docs):
        c: Counter = Counter()
        for label in rng.choice(LABELS, size=rng.integers(1, 6), replace=False):
            gold = int(rng.integers(1, 6))
            cor = int(rng.binomial(gold, skill))
            spu = int(rng.poisson(1 - skill))
            for scheme in SCHEMES:
                for base in (f"entities.{scheme}.per_label.{label}.", f"entities.{scheme}."):
                    c[base + "correct"] += cor
                    c[base + "missed"] += gold - cor
                    c[base + "spurious"] += spu
        claims = int(rng.integers(0, 5))
        tp = int(rng.binomial(claims, skill))
        c.update({"claims.detection.tp": tp, "claims.detection.fn": claims - tp,
                  "claims.detection.fp": int(rng.poisson(1 - skill)), "claims.source.correct": int(rng.binomial(tp, skill))})
        docs[f"doc-{i:06d}"] = +c
    return docs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--metric", choices=("wide", "wide-arrays", "headline"), default="wide")
    args = parser.parse_args()
    if args.metric == "headline":
        from eval.scoring.metrics import headline as metric
    elif args.metric == "wide-arrays":
        metric = wide_headline_arrays
    else:
        metric = wide_headline

    t = time.perf_counter()
    a = synthetic(args.docs, 1, 0.6)
    # B: a better system that differs from A on nearly every document and key (the worst case for
    # approximate randomization; its gold counts are drawn afresh, which does not matter for timing)
    b = synthetic(args.docs, 2, 0.7)
    keys = len({k for c in a.values() for k in c})
    print(f"{args.docs} documents, {keys} count keys, {np.mean([len(c) for c in a.values()]):.0f} non-zero per document "
          f"(built in {time.perf_counter() - t:.1f}s)")

    t = time.perf_counter()
    ci = bootstrap_ci(a, n=args.resamples, metric=metric)
    print(f"bootstrap_ci: {len(ci)} intervals, {args.resamples} resamples: {time.perf_counter() - t:.2f}s")

    run = {"signature": "khabar:0.1|gold:x", "gold_fingerprint": "x"}
    t = time.perf_counter()
    result = paired_tests({**run, "per_document": a}, {**run, "per_document": b}, n=args.resamples,
                          trials=args.trials, metric=metric)
    entry = result["metrics"]["claims.detection.f1"]
    print(f"paired_tests: {len(result['metrics'])} metrics, {args.resamples} resamples + {args.trials} trials: "
          f"{time.perf_counter() - t:.2f}s (claims.detection.f1 difference {entry['difference']:.4f}, "
          f"p {entry['p_bootstrap']:.4f} / {entry['p_randomization']:.4f})")


if __name__ == "__main__":
    main()
