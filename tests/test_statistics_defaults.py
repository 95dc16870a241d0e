"""The defaults of scoring and statistics: one definition each (eval.scoring.defaults), numpy-free,
and the one that the command-line options and the library functions actually use."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

from eval.scoring import defaults

ROOT = Path(__file__).resolve().parent.parent
NAMES = ("DEFAULT_SEED", "DEFAULT_ALPHA", "DEFAULT_RESAMPLES", "DEFAULT_TRIALS", "DEFAULT_SCHEME",
         "DEFAULT_BOOTSTRAP", "DEFAULT_CLAIM_IOU")


def _assigned_names(path: Path) -> set[str]:
    """Names a module binds to a value of its own (module-level assignments; imports do not count)."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def test_each_default_is_defined_in_one_module():
    where: dict[str, list[str]] = {name: [] for name in NAMES}
    for path in sorted((ROOT / "eval").rglob("*.py")) + [ROOT / "annotation" / "matching.py"]:
        for name in _assigned_names(path) & set(NAMES):
            where[name].append(path.relative_to(ROOT).as_posix())
    assert where == {"DEFAULT_SEED": ["eval/scoring/defaults.py"], "DEFAULT_ALPHA": ["eval/scoring/defaults.py"],
                     "DEFAULT_RESAMPLES": ["eval/scoring/defaults.py"], "DEFAULT_TRIALS": ["eval/scoring/defaults.py"],
                     "DEFAULT_SCHEME": ["eval/scoring/defaults.py"], "DEFAULT_BOOTSTRAP": [],
                     "DEFAULT_CLAIM_IOU": ["annotation/matching.py"]}


def test_the_claim_iou_default_is_the_matchers():
    from annotation import matching

    assert defaults.DEFAULT_CLAIM_IOU is matching.DEFAULT_CLAIM_IOU
    assert inspect.signature(matching.claim_weight).parameters["threshold"].default is matching.DEFAULT_CLAIM_IOU


@pytest.mark.parametrize("module", ["eval.scoring.defaults", "eval.cli.score", "eval.cli.compare", "eval.cli.bench"])
def test_option_parsing_imports_no_numpy(module):
    code = f"import sys, {module}; print(sorted(m for m in ('numpy', 'scipy', 'pyarrow') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _option_defaults(command) -> dict[str, object]:
    return {p.name: p.default for p in command.params}


def test_command_options_default_to_the_defaults():
    from eval.cli.bench import bench_cmd
    from eval.cli.compare import compare_command
    from eval.cli.score import score_command

    assert {k: v for k, v in _option_defaults(compare_command).items() if k in ("resamples", "trials", "seed", "alpha")} \
        == {"resamples": defaults.DEFAULT_RESAMPLES, "trials": defaults.DEFAULT_TRIALS,
            "seed": defaults.DEFAULT_SEED, "alpha": defaults.DEFAULT_ALPHA}
    for command in (score_command, bench_cmd):
        options = _option_defaults(command)
        assert (options["bootstrap"], options["seed"]) == (defaults.DEFAULT_RESAMPLES, defaults.DEFAULT_SEED)
    assert _option_defaults(score_command)["iou"] == defaults.DEFAULT_CLAIM_IOU


def test_library_functions_default_to_the_defaults():
    from eval.cli.compare import compare_files
    from eval.scoring.scorer import ScoreConfig
    from eval.scoring.signature import Signature
    from eval.statistics.bootstrap import bootstrap_ci
    from eval.statistics.paired import paired_tests

    expected = {"n": defaults.DEFAULT_RESAMPLES, "resamples": defaults.DEFAULT_RESAMPLES,
                "seed": defaults.DEFAULT_SEED, "alpha": defaults.DEFAULT_ALPHA, "trials": defaults.DEFAULT_TRIALS}
    for function in (bootstrap_ci, paired_tests, compare_files):
        parameters = inspect.signature(function).parameters
        got = {k: parameters[k].default for k in expected if k in parameters}
        assert got == {k: expected[k] for k in got} and len(got) >= 3, function.__name__
    config = ScoreConfig()
    assert (config.bootstrap, config.seed, config.alpha, config.scheme, config.iou) == (
        defaults.DEFAULT_RESAMPLES, defaults.DEFAULT_SEED, defaults.DEFAULT_ALPHA, defaults.DEFAULT_SCHEME,
        defaults.DEFAULT_CLAIM_IOU)
    parts = dict(Signature(gold="00000000").parts())
    assert (parts["ents"], parts["claims"], parts["bs"], parts["seed"]) == (
        defaults.DEFAULT_SCHEME, f"iou{defaults.DEFAULT_CLAIM_IOU:g}", str(defaults.DEFAULT_RESAMPLES),
        str(defaults.DEFAULT_SEED))
