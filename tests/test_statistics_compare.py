"""``khabar compare`` on result JSONs written by ``khabar score --json`` (in-process, real files)."""

from __future__ import annotations

import json

from dataclasses import replace

import pytest

from annotation.io import write_jsonl
from tests.statistics_runs import corpus, system


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    """gold.jsonl and three result JSONs: a weak system, a strong one, and the weak one on relabelled gold."""
    from click.testing import CliRunner

    from eval.cli import cli

    root = tmp_path_factory.mktemp("compare")
    gold = corpus(30)
    write_jsonl(root / "gold.jsonl", gold)
    other = list(gold)
    other[0] = replace(other[0], entities=tuple(replace(m, label="LOC") for m in other[0].entities))
    write_jsonl(root / "other_gold.jsonl", other)
    write_jsonl(root / "weak.jsonl", system(gold, 0.5, 1))
    write_jsonl(root / "strong.jsonl", system(gold, 0.95, 2))
    for name, gold_file, preds in (("weak", "gold", "weak"), ("strong", "gold", "strong"),
                                   ("weak_other", "other_gold", "weak")):
        result = CliRunner().invoke(cli, ["score", str(root / f"{gold_file}.jsonl"), str(root / f"{preds}.jsonl"),
                                          "--json", str(root / f"{name}.json"), "--bootstrap", "50"],
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.output
    return root


def test_help(khabar):
    result = khabar("compare", "--help")
    assert result.exit_code == 0
    for option in ("--json", "--metric", "--resamples", "--trials", "--seed", "--alpha"):
        assert option in result.output


def test_clearly_better_system(khabar, scored, tmp_path):
    out = tmp_path / "cmp.json"
    result = khabar("compare", scored / "weak.json", scored / "strong.json", "--json", out, "--trials", "2000")
    assert result.exit_code == 0, result.output
    assert "entities.strict.micro.f1" in result.output
    assert "claims.detection.f1" in result.output
    assert ".per_label." not in result.output and "per-label metric(s) are in the JSON output" in result.output
    assert f"comparison: {out}" in result.output
    comparison = json.loads(out.read_text(encoding="utf-8"))
    weak = json.loads((scored / "weak.json").read_text(encoding="utf-8"))
    strong = json.loads((scored / "strong.json").read_text(encoding="utf-8"))
    entry = comparison["metrics"]["entities.strict.micro.f1"]
    assert entry["a"] == pytest.approx(weak["entities"]["strict"]["micro"]["f1"])
    assert entry["b"] == pytest.approx(strong["entities"]["strict"]["micro"]["f1"])
    assert entry["difference_ci"][0] > 0
    assert entry["p_bootstrap"] < 0.01 and entry["p_randomization"] < 0.01
    assert "entities.strict.per_label.PERS.f1" in comparison["metrics"]
    assert comparison["names"] == [str(scored / "weak.json"), str(scored / "strong.json")]


def test_a_run_against_itself(khabar, scored, tmp_path):
    out = tmp_path / "same.json"
    result = khabar("compare", scored / "weak.json", scored / "weak.json", "--json", out,
                    "--metric", "entities.strict.micro.f1", "--metric", "claims.source.accuracy", "--trials", "500")
    assert result.exit_code == 0, result.output
    comparison = json.loads(out.read_text(encoding="utf-8"))
    assert list(comparison["metrics"]) == ["entities.strict.micro.f1", "claims.source.accuracy"]
    for entry in comparison["metrics"].values():
        assert entry["difference"] == 0.0
        assert entry["p_bootstrap"] == 1.0 and entry["p_randomization"] == 1.0


@pytest.mark.parametrize("args, message", [
    (("weak.json", "weak_other.json"), "were scored on different gold"),
    (("weak.json", "missing.json"), "missing.json: no such file"),
    (("weak.json", "gold.jsonl"), "gold.jsonl:2: not valid JSON"),
    (("weak.json", "strong.json", "--metric", "entities.strict.micro.f"), "unknown metric 'entities.strict.micro.f'"),
])
def test_refusals_exit_1_with_one_message(khabar, scored, args, message):
    result = khabar("compare", *(scored / a if a.endswith(("json", "jsonl")) else a for a in args))
    assert result.exit_code == 1
    assert message in result.stderr
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr


def test_usage_errors_exit_2(khabar, scored):
    assert khabar("compare", scored / "weak.json").exit_code == 2
    assert khabar("compare", scored / "weak.json", scored / "strong.json", "--trials", "0").exit_code == 2
    assert khabar("compare", scored / "weak.json", scored / "strong.json", "--alpha", "1").exit_code == 2
