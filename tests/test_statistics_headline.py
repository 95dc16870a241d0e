"""The statistics on the scorer's real per-document counts and ``eval.scoring.metrics.headline``."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from eval.scoring.metrics import headline
from eval.scoring.scorer import ScoreConfig, score
from eval.statistics.bootstrap import bootstrap_ci
from eval.statistics.counts import count_matrix
from eval.statistics.evaluation import Evaluator
from eval.statistics.paired import paired_tests
from tests.statistics_runs import corpus, system


@pytest.fixture(scope="module")
def runs():
    gold = corpus()
    config = ScoreConfig(bootstrap=200)
    return gold, score(gold, system(gold, 0.5, 1), config=config), score(gold, system(gold, 0.9, 2), config=config)


def test_headline_array_path_agrees_with_per_row(runs):
    _, weak, _ = runs
    matrix = count_matrix(weak.per_document)
    paths = [p for p in headline(Counter(weak.per_document.totals()))]
    rng = np.random.default_rng(0)
    sums = rng.integers(0, 3, size=(50, len(matrix.ids))).astype(float) @ matrix.values
    per_row = Evaluator(lambda c: headline(c), matrix.keys, paths, integral=True)(sums)  # no array_safe flag
    arrays = Evaluator(headline, matrix.keys, paths, integral=True)
    vectorised = arrays(sums)
    assert arrays.vectorised is True
    np.testing.assert_allclose(vectorised, per_row, atol=1e-12)


def test_intervals_in_the_result_contain_their_values(runs):
    _, weak, _ = runs
    micro = weak.result["entities"]["strict"]["micro"]
    low, high = micro["f1_ci"]
    assert low < micro["f1"] < high
    assert weak.result["claims"]["detection"]["f1_ci"][0] < weak.result["claims"]["detection"]["f1"]


def test_sparse_per_document_and_its_json_give_the_same_intervals(runs):
    _, weak, _ = runs
    from_sparse = bootstrap_ci(weak.per_document, n=100, seed=3)
    from_json = bootstrap_ci(weak.result["per_document"], n=100, seed=3)
    assert from_sparse.keys() == from_json.keys()
    assert "entities.strict.micro.f1" in from_sparse and "claims.source.accuracy" in from_sparse
    for path in from_sparse:
        assert from_sparse[path] == pytest.approx(from_json[path], abs=1e-12), path


def test_paired_tests_on_real_runs(runs):
    _, weak, strong = runs
    result = paired_tests(weak.result, strong.result, trials=1000)
    entry = result["metrics"]["entities.strict.micro.f1"]
    assert entry["a"] == pytest.approx(weak.result["entities"]["strict"]["micro"]["f1"])
    assert entry["b"] == pytest.approx(strong.result["entities"]["strict"]["micro"]["f1"])
    assert entry["difference"] > 0.2
    assert entry["p_bootstrap"] < 0.01 and entry["p_randomization"] < 0.01
    same = paired_tests(weak.result, weak.result, trials=200)["metrics"]["entities.strict.micro.f1"]
    assert same["p_bootstrap"] == same["p_randomization"] == 1.0
