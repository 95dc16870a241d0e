"""The statistics on the scorer's real per-document counts and ``eval.scoring.metrics.headline``."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from annotation.model import Annotated, Article, Claim, Mention, Prediction, Span
from eval.scoring.metrics import headline
from eval.scoring.scorer import ScoreConfig, score
from eval.statistics.bootstrap import bootstrap_ci
from eval.statistics.counts import count_matrix
from eval.statistics.evaluation import Evaluator
from eval.statistics.paired import paired_tests

LABELS = ("PERS", "ORG", "GPE", "DATE")


def corpus(n_docs: int = 40, *, seed: int = 0) -> list[Annotated]:
    """Documents of numbered words; every third word a mention, every doc one claim sourced to a mention."""
    rng = np.random.default_rng(seed)
    docs = []
    for i in range(n_docs):
        words = [f"كلمة{j}" for j in range(30)]
        text = " ".join(words)
        starts = [sum(len(w) + 1 for w in words[:j]) for j in range(len(words))]
        mentions = tuple(Mention(label=str(rng.choice(LABELS)), start=starts[j], end=starts[j] + len(words[j]),
                                 text=words[j], id=f"e{j}", entity=f"x{j}") for j in range(0, 30, 3))
        src = mentions[0]
        content_start, content_end = starts[10], starts[16] + len(words[16])
        claim = Claim(start=content_start, end=content_end, text=text[content_start:content_end], id="c1",
                      source=Span(src.start, src.end, src.text, src.entity), attribution="indirect",
                      claim_type="factual_event", check_worthy=True)
        docs.append(Annotated(Article(id=f"d{i:03d}", text=text), entities=mentions, claims=(claim,)))
    return docs


def system(gold: list[Annotated], skill: float, seed: int) -> list[Prediction]:
    """Keeps each gold mention with probability ``skill``, relabels some, keeps the claim half the time."""
    rng = np.random.default_rng(seed)
    preds = []
    for doc in gold:
        ents = tuple(Mention(label=m.label if rng.random() < 0.9 else "ORG", start=m.start, end=m.end)
                     for m in doc.entities if rng.random() < skill)
        claims = tuple(Claim(start=c.start, end=c.end, source=c.source, attribution=c.attribution,
                             claim_type=c.claim_type, check_worthy=c.check_worthy)
                       for c in doc.claims if rng.random() < skill)
        preds.append(Prediction(id=doc.id, entities=ents, claims=claims))
    return preds


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
