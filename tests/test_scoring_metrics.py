"""Metrics from summed counts: formulas, undefined values, and the same numbers on arrays of resamples."""

from __future__ import annotations

import math
import random
from collections import Counter

import numpy as np
import pytest

from eval.scoring.entities import Ent, document_counts
from eval.scoring.metrics import headline, nest, summary, with_intervals


@pytest.mark.parametrize("counts, path, expected", [
    ({"entities.strict.correct": 3, "entities.strict.spurious": 1, "entities.strict.missed": 2},
     "entities.strict.micro.precision", 0.75),
    ({"entities.strict.correct": 3, "entities.strict.spurious": 1, "entities.strict.missed": 2},
     "entities.strict.micro.recall", 0.6),
    ({"entities.partial.correct": 1, "entities.partial.partial": 2, "entities.partial.missed": 1},
     "entities.partial.micro.recall", 0.5),  # (1 + 0.5 * 2) / 4
    ({"entities.exact.correct": 1, "entities.exact.incorrect": 2, "entities.exact.missed": 1},
     "entities.exact.micro.recall", 0.25),  # no half credit outside partial and type
    ({"entities.strict.missed": 4}, "entities.strict.micro.f1", 0.0),  # nothing predicted: 0
    ({}, "entities.strict.micro.f1", None),  # nothing at all: undefined
    ({"claims.detection.tp": 2, "claims.detection.fp": 2}, "claims.detection.precision", 0.5),
    ({}, "claims.source.accuracy", None),  # no matched claim
    ({"claims.source.correct": 1, "claims.source.total": 4}, "claims.source.accuracy", 0.25),
    ({"claims.claim_type.gold.a": 2, "claims.claim_type.pred.a": 1, "claims.claim_type.tp.a": 1,
      "claims.claim_type.pred.b": 1}, "claims.claim_type.macro_f1", (2 / 3 + 0) / 2),
])
def test_formulas(counts, path, expected):
    value = headline(Counter(counts)).get(path)
    assert value == (pytest.approx(expected) if expected is not None else None)


def random_counts(rng: random.Random) -> Counter:
    counts: Counter = Counter()
    for _ in range(rng.randint(1, 4)):
        gold = [Ent(s := rng.randint(0, 30), s + rng.randint(1, 6), rng.choice("AB")) for _ in range(rng.randint(0, 4))]
        pred = [Ent(s := rng.randint(0, 30), s + rng.randint(1, 6), rng.choice("ABC")) for _ in range(rng.randint(0, 4))]
        counts.update(document_counts(gold, pred))
    for key in ("claims.detection.tp", "claims.detection.fp", "claims.source.correct", "claims.claim_type.gold.x",
                "claims.claim_type.pred.y", "claims.claim_type.tp.x"):
        if rng.random() < 0.5:
            counts[key] += rng.randint(1, 3)
    counts["claims.source.total"] = counts["claims.source.correct"] + rng.randint(0, 2)
    return +counts


def test_headline_on_arrays_equals_headline_per_row():
    """eval.statistics.bootstrap evaluates ``headline`` once on arrays of resamples (``array_safe``)."""
    rng = random.Random(5)
    rows = [random_counts(rng) for _ in range(40)] + [Counter()]
    keys = sorted({k for r in rows for k in r})

    class Columns(dict):
        def __missing__(self, key):
            return np.zeros(len(rows))

    arrays = headline(Columns({k: np.array([float(r.get(k, 0)) for r in rows]) for k in keys}))
    assert headline.array_safe
    for i, row in enumerate(rows):
        scalar = headline(row)
        for path, column in arrays.items():
            value = scalar.get(path)
            if column is None:  # undefined on every row
                assert value is None, (path, i)
            elif value is None:
                assert math.isnan(column[i]), (path, i)
            else:
                assert column[i] == pytest.approx(value), (path, i)


def test_summary_nests_counts_and_intervals_beside_their_values():
    counts = document_counts([Ent(0, 5, "A")], [Ent(0, 5, "A"), Ent(7, 9, "B")])
    flat = with_intervals(summary(counts), {"entities.strict.micro.f1": (0.5, 0.9)})
    result = nest(flat)
    micro = result["entities"]["strict"]["micro"]
    assert list(micro)[:4] == ["precision", "recall", "f1", "f1_ci"]
    assert micro["f1_ci"] == [0.5, 0.9]
    assert (micro["possible"], micro["actual"], micro["spurious"]) == (1, 2, 1)
    assert result["entities"]["type"]["per_label"]["B"]["spurious"] == 1
    assert list(result["entities"]["strict"]) == ["micro", "macro", "per_label"]
