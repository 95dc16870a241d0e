"""Bootstrap intervals, paired bootstrap and approximate randomization (eval/statistics/).

The metric here is a small stand-in for ``eval.scoring.metrics.headline`` (F1 from tp/fp/fn keys and an
accuracy), so these tests pin the statistics alone; ``test_statistics_headline`` runs them on
the scorer's real counts.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter

import numpy as np
import pytest

from annotation.errors import KhabarError
from eval.statistics.bootstrap import bootstrap_ci
from eval.statistics.counts import count_matrix
from eval.statistics.evaluation import Evaluator
from eval.statistics.paired import paired_tests
from eval.statistics.resampling import FLOAT32_EXACT, Summer, bootstrap_weights, coin_flips
from eval.statistics.runs import check_comparable, parse_signature


def _f1(tp: float, fp: float, fn: float) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0


def toy_headline(counts):
    """F1 of two tasks, a precision, and an accuracy that is undefined without matched claims."""
    out = {
        "entities.micro.precision": counts["ent.tp"] / (counts["ent.tp"] + counts["ent.fp"])
        if counts["ent.tp"] + counts["ent.fp"] else 0.0,
        "entities.micro.f1": _f1(counts["ent.tp"], counts["ent.fp"], counts["ent.fn"]),
        "claims.detection.f1": _f1(counts["claim.tp"], counts["claim.fp"], counts["claim.fn"]),
        "claims.source.accuracy": counts["source.correct"] / counts["claim.tp"] if counts["claim.tp"] else None,
    }
    return out


def array_headline(counts):
    """The same formulas written element-wise (no branches), so they run on arrays of resamples."""
    def div(a, b):
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        return np.where(b > 0, a / np.where(b > 0, b, 1), 0.0)

    tp, fp, fn = counts["ent.tp"], counts["ent.fp"], counts["ent.fn"]
    ctp, cfp, cfn = counts["claim.tp"], counts["claim.fp"], counts["claim.fn"]
    return {
        "entities.micro.precision": div(tp, tp + fp),
        "entities.micro.f1": div(2 * tp, 2 * tp + fp + fn),
        "claims.detection.f1": div(2 * ctp, 2 * ctp + cfp + cfn),
        "claims.source.accuracy": np.where(np.asarray(ctp) > 0, div(counts["source.correct"], ctp), np.nan),
    }


array_headline.array_safe = True


def realistic(n_docs: int = 200, *, seed: int = 0, skill: float = 0.7) -> dict[str, Counter]:
    """Documents with 0-20 entities and 0-6 claims, found with probability ``skill``."""
    rng = np.random.default_rng(seed)
    docs = {}
    for i in range(n_docs):
        gold, claims = rng.integers(0, 21), rng.integers(0, 7)
        tp = rng.binomial(gold, skill)
        ctp = rng.binomial(claims, skill)
        docs[f"doc-{i:04d}"] = Counter({
            "ent.tp": int(tp), "ent.fn": int(gold - tp), "ent.fp": int(rng.poisson(3 * (1 - skill))),
            "claim.tp": int(ctp), "claim.fn": int(claims - ctp), "claim.fp": int(rng.poisson(1 - skill)),
            "source.correct": int(rng.binomial(ctp, skill)),
        })
    return docs


def total(docs):
    return sum(docs.values(), Counter())


def run_json(docs, *, gold="3f2a9c1e", system="a", settings="ents:strict|claims:iou0.5"):
    return {"signature": f"khabar:0.1|gold:{gold}|sys:{system}|{settings}|bs:1000|seed:12345",
            "gold_fingerprint": gold, "per_document": {k: dict(v) for k, v in docs.items()}}


# ------------------------------------------------------------------ bootstrap_ci

def test_perfect_system_interval_is_one_one():
    docs = {f"d{i}": Counter({"ent.tp": i % 5 + 1, "claim.tp": 2, "source.correct": 2}) for i in range(50)}
    ci = bootstrap_ci(docs, metric=toy_headline)
    assert ci == {"entities.micro.f1": (1.0, 1.0), "claims.detection.f1": (1.0, 1.0),
                  "claims.source.accuracy": (1.0, 1.0)}


def test_default_paths_are_f1_and_accuracy_and_contain_the_point_estimate():
    docs = realistic()
    point = toy_headline(total(docs))
    ci = bootstrap_ci(docs, metric=toy_headline)
    assert sorted(ci) == ["claims.detection.f1", "claims.source.accuracy", "entities.micro.f1"]
    for path, (low, high) in ci.items():
        assert low < point[path] < high, path
        assert high - low < 0.2, path  # 200 documents: a few points wide, not the whole range


def test_explicit_paths_and_alpha():
    docs = realistic()
    wide = bootstrap_ci(docs, ["entities.micro.precision"], alpha=0.01, metric=toy_headline)
    narrow = bootstrap_ci(docs, ["entities.micro.precision"], alpha=0.2, metric=toy_headline)
    assert list(wide) == ["entities.micro.precision"]
    (wl, wh), (nl, nh) = wide["entities.micro.precision"], narrow["entities.micro.precision"]
    assert wl < nl < nh < wh


def test_seeded_results_are_reproducible_and_depend_on_the_seed():
    docs = realistic()
    first = bootstrap_ci(docs, metric=toy_headline, seed=7)
    assert bootstrap_ci(docs, metric=toy_headline, seed=7) == first
    assert bootstrap_ci(dict(reversed(list(docs.items()))), metric=toy_headline, seed=7) == first
    assert bootstrap_ci(docs, metric=toy_headline, seed=8) != first


def test_matches_a_plain_loop_over_resampled_documents():
    """The batched weights x counts product gives exactly what summing drawn documents gives."""
    docs = realistic(60)
    ids = sorted(docs)
    rng = np.random.default_rng(3)
    scores = []
    for _ in range(200):
        drawn = rng.integers(0, len(ids), size=len(ids))
        scores.append(toy_headline(sum((docs[ids[i]] for i in drawn), Counter()))["entities.micro.f1"])
    expected = tuple(float(x) for x in np.quantile(scores, [0.025, 0.975]))
    got = bootstrap_ci(docs, ["entities.micro.f1"], n=200, seed=3, metric=toy_headline)
    assert got["entities.micro.f1"] == pytest.approx(expected, abs=1e-12)


def test_array_safe_metric_gives_the_same_intervals_in_a_few_calls():
    docs = realistic()
    calls = []

    def counted(counts):
        calls.append(1)
        return array_headline(counts)

    counted.array_safe = True
    vectorised, per_row = bootstrap_ci(docs, metric=counted), bootstrap_ci(docs, metric=toy_headline)
    assert vectorised.keys() == per_row.keys()
    for path in per_row:
        assert vectorised[path] == pytest.approx(per_row[path], abs=1e-12), path
    assert len(calls) < 20  # once on arrays plus a few rows checked, not 1000 times


def test_array_path_falls_back_when_the_metric_disagrees_with_itself():
    """A metric claiming array safety but branching on values is caught and run row by row."""
    def liar(counts):
        tp = counts["ent.tp"]
        return {"x.f1": np.asarray(tp, dtype=float) * 0 + (1.0 if np.ndim(tp) == 0 else 0.5)}

    liar.array_safe = True
    assert bootstrap_ci(realistic(20), metric=liar) == {"x.f1": (1.0, 1.0)}


def test_undefined_metric_gets_no_interval():
    docs = {f"d{i}": Counter({"ent.tp": 3, "ent.fn": 1}) for i in range(20)}
    ci = bootstrap_ci(docs, metric=toy_headline)
    assert "claims.source.accuracy" not in ci
    assert ci["claims.detection.f1"] == (0.0, 0.0)


def test_empty_and_single_document():
    assert bootstrap_ci({}, metric=toy_headline) == {}
    one = {"d": Counter({"ent.tp": 3, "ent.fp": 1, "claim.tp": 1, "source.correct": 1})}
    assert bootstrap_ci(one, metric=toy_headline)["entities.micro.f1"] == (6 / 7, 6 / 7)


@pytest.mark.parametrize("counts, message", [
    ({"ent.tp": "3"}, "per_document['d1']['ent.tp']: a count must be a finite number"),
    ({"ent.tp": True}, "a count must be a finite number"),
    ({"ent.tp": float("nan")}, "a count must be a finite number"),
])
def test_bad_counts_name_document_and_key(counts, message):
    with pytest.raises(KhabarError, match=message.replace("[", r"\[").replace("]", r"\]")):
        bootstrap_ci({"d0": {"ent.tp": 1}, "d1": counts}, metric=toy_headline)


@pytest.mark.parametrize("kwargs, message", [({"n": 0}, "resamples"), ({"alpha": 1.0}, "alpha")])
def test_bad_knobs(kwargs, message):
    with pytest.raises(KhabarError, match=message):
        bootstrap_ci(realistic(5), metric=toy_headline, **kwargs)


@pytest.mark.parametrize("docs, n, cells", [(7, 10, 20), (7, 10, 1), (100, 3, 10**6), (1, 4, 5)])
def test_bootstrap_weights_draw_every_document_count_once_per_row(docs, n, cells):
    batches = list(bootstrap_weights(docs, n, np.random.default_rng(0), batch_cells=cells))
    weights = np.concatenate(batches)
    assert weights.shape == (n, docs)
    assert (weights.sum(axis=1) == docs).all()


class _SparseRun(dict):
    """A mapping that also holds its counts in CSR form, like eval.scoring.scorer.PerDocument."""

    def __init__(self, docs, matrix_type):
        super().__init__(docs)
        self.ids = sorted(docs, reverse=True)  # rows not in id order
        self.count_keys = sorted({k for c in docs.values() for k in c} | {"never.counted"})
        column = {k: j for j, k in enumerate(self.count_keys)}
        indptr, indices, data = [0], [], []
        for doc in self.ids:
            for key, value in docs[doc].items():
                if value > 1:  # a repeated column in a row (they add up) and an explicit zero
                    indices += [column[key], column[key], column["never.counted"]]
                    data += [value - 1, 1, 0]
                else:
                    indices.append(column[key])
                    data.append(value)
            indptr.append(len(data))
        self.matrix = matrix_type((np.array(data), np.array(indices), np.array(indptr)),
                                  shape=(len(self.ids), len(self.count_keys)))


@pytest.mark.parametrize("matrix_type", ["scipy", "countrows"])
def test_counts_held_as_a_sparse_matrix_resample_like_their_counters(matrix_type):
    from eval.engine.countrows import CountRows

    if matrix_type == "scipy":
        from scipy.sparse import csr_matrix as make
    else:
        def make(arrays, shape):
            return CountRows(arrays[2], arrays[1], arrays[0], shape)
    docs = realistic(60)
    run = _SparseRun(docs, make)
    sparse, plain = count_matrix(run), count_matrix(docs)
    assert sparse.ids == plain.ids and set(sparse.keys) <= set(plain.keys) and sparse.integral
    for j, key in enumerate(plain.keys):
        expected = plain.values[:, j]
        if key in sparse.keys:
            assert (sparse.values[:, sparse.keys.index(key)] == expected).all()
        else:
            assert not expected.any()
    assert bootstrap_ci(run, metric=toy_headline, n=300) == bootstrap_ci(docs, metric=toy_headline, n=300)


def test_evaluator_rows_are_the_metric_of_each_row():
    docs = realistic(30)
    matrix = count_matrix(docs)
    rows = Evaluator(toy_headline, matrix.keys, ["entities.micro.f1", "claims.source.accuracy"], integral=True)(matrix.values)
    for i, doc in enumerate(matrix.ids):
        expected = toy_headline(docs[doc])
        assert rows[i, 0] == expected["entities.micro.f1"]
        assert rows[i, 1] == expected["claims.source.accuracy"] or (
            math.isnan(rows[i, 1]) and expected["claims.source.accuracy"] is None)


@pytest.mark.parametrize("magnitude, weight_total, dtype", [
    (3, 1000, np.float32), (FLOAT32_EXACT, 1, np.float64), (17_000, 1000, np.float64), (16_000, 1000, np.float32),
])
def test_summer_uses_float32_only_when_exact(magnitude, weight_total, dtype):
    values = np.array([[magnitude, 1.0], [0.0, 2.0]])
    summer = Summer(values, integral=True, weight_total=weight_total, weight_max=weight_total)
    assert summer.dtype == dtype
    weights = np.array([[weight_total, 0.0], [1.0, 1.0]])
    assert (summer(weights) == weights @ values).all()
    assert Summer(values + 0.5, integral=False, weight_total=1, weight_max=1).dtype == np.float64


def test_summer_sums_identical_columns_once():
    values = np.array([[1.0, 2.0, 1.0, 0.0, 2.0], [3.0, 0.0, 3.0, 0.0, 0.0], [0.0, 5.0, 0.0, 0.0, 5.0]])
    for integral, shift in ((True, 0.0), (False, 0.25)):
        summer = Summer(values + shift, integral=integral, weight_total=3, weight_max=3)
        assert len(summer.transposed) == 3 and summer.columns == 5  # columns 0 = 2 and 1 = 4
        weights = np.array([[1.0, 1.0, 1.0], [3.0, 0.0, 0.0], [0.0, 2.0, 1.0]])
        assert np.allclose(summer(weights), weights @ (values + shift), rtol=0, atol=1e-12)
    assert (Summer(values, integral=True, weight_total=3, weight_max=3)(weights) == weights @ values).all()


def test_coin_flips_are_fair_zeros_and_ones():
    flips = coin_flips(np.random.default_rng(0), 300, 77)
    assert flips.shape == (300, 77)
    assert set(np.unique(flips)) == {0.0, 1.0}
    assert abs(flips.mean() - 0.5) < 0.01


# ------------------------------------------------------------------ paired tests

def test_identical_runs_have_p_one_and_zero_difference():
    docs = realistic()
    result = paired_tests(run_json(docs, system="a"), run_json(docs, system="b"), metric=toy_headline,
                          trials=2000)
    assert result["documents"] == 200
    for path, entry in result["metrics"].items():
        assert entry["difference"] == 0.0, path
        assert entry["difference_ci"] == [0.0, 0.0], path
        assert entry["p_bootstrap"] == 1.0, path
        assert entry["p_randomization"] == 1.0, path


def test_clearly_better_system_has_small_p_values():
    weak, strong = realistic(skill=0.5, seed=1), realistic(skill=0.5, seed=1)
    rng = np.random.default_rng(9)
    for counts in strong.values():  # B finds most of what A missed
        found = int(rng.binomial(counts["ent.fn"], 0.8))
        counts["ent.tp"] += found
        counts["ent.fn"] -= found
    result = paired_tests(run_json(weak), run_json(strong, system="b"), metric=toy_headline, trials=2000)
    entry = result["metrics"]["entities.micro.f1"]
    point_a, point_b = (toy_headline(total(d))["entities.micro.f1"] for d in (weak, strong))
    assert entry["a"] == point_a and entry["b"] == point_b
    assert entry["difference"] == pytest.approx(point_b - point_a)
    low, high = entry["difference_ci"]
    assert 0 < low < entry["difference"] < high
    assert entry["p_bootstrap"] < 0.01
    assert entry["p_randomization"] < 0.01
    # claims were not changed: no evidence of a difference there
    assert result["metrics"]["claims.detection.f1"]["p_randomization"] == 1.0


def test_randomization_p_value_matches_exact_enumeration():
    """With 8 documents all 256 swaps can be enumerated: the sampled p-value must be close to the exact one."""
    rng = np.random.default_rng(5)
    a = {f"d{i}": Counter({"ent.tp": int(rng.integers(0, 5)), "ent.fp": int(rng.integers(0, 3)),
                           "ent.fn": int(rng.integers(0, 3))}) for i in range(8)}
    b = {k: Counter({"ent.tp": v["ent.tp"] + int(rng.integers(0, 2)), "ent.fp": v["ent.fp"],
                     "ent.fn": v["ent.fn"]}) for k, v in a.items()}
    f1 = lambda c: toy_headline(c)["entities.micro.f1"]  # noqa: E731
    observed = abs(f1(total(b)) - f1(total(a)))
    extreme = 0
    for swaps in itertools.product((False, True), repeat=8):
        sa = sum((b[k] if s else a[k] for k, s in zip(sorted(a), swaps)), Counter())
        sb = sum((a[k] if s else b[k] for k, s in zip(sorted(a), swaps)), Counter())
        extreme += abs(f1(sb) - f1(sa)) >= observed - 1e-12
    exact = extreme / 256
    result = paired_tests(run_json(a), run_json(b, system="b"), metric=toy_headline,
                          metric_paths=["entities.micro.f1"], trials=20000)
    assert 0.05 < exact < 0.95  # a case where the test is informative
    assert result["metrics"]["entities.micro.f1"]["p_randomization"] == pytest.approx(exact, abs=0.02)


def test_paired_tests_are_reproducible():
    a, b = realistic(seed=1), realistic(seed=2)
    first = paired_tests(run_json(a), run_json(b), metric=toy_headline, trials=500, seed=4)
    assert paired_tests(run_json(a), run_json(b), metric=toy_headline, trials=500, seed=4) == first


@pytest.mark.parametrize("change, message", [
    (lambda r: r.update(gold_fingerprint="00000000", signature=r["signature"].replace("3f2a9c1e", "00000000")),
     "different gold \\(fingerprint 3f2a9c1e vs 00000000; release \\(none\\) vs \\(none\\)\\)"),
    (lambda r: r["per_document"].pop("doc-0003"), "cover different documents: 1 only in A.json \\(e.g. doc-0003\\)"),
    (lambda r: r.update(signature=r["signature"].replace("ents:strict", "ents:exact")),
     "different settings \\(ents: strict vs exact\\)"),
    (lambda r: r.update(signature=r["signature"].replace("khabar:0.1", "khabar:0.2")),
     "different settings \\(khabar: 0.1 vs 0.2\\)"),
    (lambda r: r.pop("per_document"), "B.json: no per-document counts"),
    (lambda r: r.pop("gold_fingerprint"), "B.json: no 'gold_fingerprint'"),
])
def test_runs_that_cannot_be_compared_are_refused(change, message):
    docs = realistic(10)
    run_a, run_b = run_json(docs), run_json(docs, system="b")
    change(run_b)
    with pytest.raises(KhabarError, match=message):
        paired_tests(run_a, run_b, metric=toy_headline, names=("A.json", "B.json"))


def test_system_and_bootstrap_settings_may_differ():
    docs = realistic(10)
    run_b = run_json(docs, system="other")
    run_b["signature"] = run_b["signature"].replace("bs:1000", "bs:200").replace("seed:12345", "seed:1")
    check_comparable(run_json(docs), run_b)


def test_per_document_as_a_list_of_records():
    docs = realistic(10)
    run_b = run_json(docs, system="b")
    run_b["per_document"] = [{"id": k, "counts": v} for k, v in run_b["per_document"].items()]
    result = paired_tests(run_json(docs), run_b, metric=toy_headline, trials=100)
    assert result["metrics"]["entities.micro.f1"]["p_randomization"] == 1.0


@pytest.mark.parametrize("signature, parts", [
    ("khabar:0.1|gold:3f2a9c1e|ents:strict", {"khabar": "0.1", "gold": "3f2a9c1e", "ents": "strict"}),
    ("align:fuzzy0.75|x", {"align": "fuzzy0.75", "x": ""}),
])
def test_parse_signature(signature, parts):
    assert parse_signature(signature) == parts


def test_undefined_metric_in_paired_tests_is_none():
    docs = {f"d{i}": Counter({"ent.tp": 3, "ent.fn": i % 2}) for i in range(10)}
    result = paired_tests(run_json(docs), run_json(docs, system="b"), metric=toy_headline, trials=100)
    entry = result["metrics"]["claims.source.accuracy"]
    assert entry == {"a": None, "b": None, "difference": None, "difference_ci": None,
                     "p_bootstrap": None, "p_randomization": None}
    assert not math.isnan(result["metrics"]["entities.micro.f1"]["p_bootstrap"])


def test_unknown_metric_path_is_refused_with_a_suggestion():
    with pytest.raises(KhabarError, match="unknown metric 'entities.micro.f2' — did you mean entities.micro.f1"):
        bootstrap_ci(realistic(5), ["entities.micro.f2"], metric=toy_headline)
    with pytest.raises(KhabarError, match="unknown metric 'zzz'"):
        paired_tests(run_json(realistic(5)), run_json(realistic(5)), metric=toy_headline, metric_paths=["zzz"])
