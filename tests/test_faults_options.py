"""The fault sweep, option values and command lines: every bad value is refused at the edge with one
message naming the option (or the extractor option), never a traceback, never a silent default.

Case ids start with the class of the sweep's table they belong to (``wrong_exit``, ``misleading``,
``traceback``); ``khabar`` runs in-process with exceptions not caught, so a traceback fails the test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import assert_clean

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "data" / "gold"
TEST_SPLIT = GOLD / "test.jsonl"
ARTICLES = ROOT / "data" / "articles.jsonl"
USAGE = 2  # click's status for a bad option value (the command never started)

# (case id, arguments, the option the message must name)
OPTION_CASES = [
    ("wrong_exit-bench-jobs-negative", ["bench", "--jobs", "-3"], "--jobs"),
    ("wrong_exit-bench-fuzzy-nan", ["bench", "--fuzzy", "nan"], "--fuzzy"),
    ("wrong_exit-bench-split-empty", ["bench", "--split", ""], "--split"),
    ("wrong_exit-bench-split-path", ["bench", "--split", "../gold/test"], "--split"),
    ("wrong_exit-bench-command-empty", ["bench", "--command", ""], "--command"),
    ("wrong_exit-bench-extractor-empty", ["bench", "-e", ""], "--extractor"),
    ("wrong_exit-bench-extractor-blank", ["bench", "-e", "  "], "--extractor"),
    ("traceback-bench-seed-negative", ["bench", "--seed", "-1"], "--seed"),
    ("wrong_exit-bench-bootstrap-huge", ["bench", "--bootstrap", "1000000000"], "--bootstrap"),
    ("wrong_exit-score-split-path", ["score", GOLD, TEST_SPLIT, "--split", "../gold/test"], "--split"),
    ("wrong_exit-score-split-empty", ["score", GOLD, TEST_SPLIT, "--split", ""], "--split"),
    ("traceback-score-seed-negative", ["score", GOLD, TEST_SPLIT, "--seed", "-1"], "--seed"),
    ("wrong_exit-score-iou-nan", ["score", GOLD, TEST_SPLIT, "--iou", "nan"], "--iou"),
    ("wrong_exit-score-label-map-empty", ["score", GOLD, TEST_SPLIT, "--label-map", ""], "--label-map"),
    ("wrong_exit-score-min-overlap-zero", ["score", GOLD, TEST_SPLIT, "--min-overlap-percentage", "0"],
     "--min-overlap-percentage"),
    ("wrong_exit-score-min-overlap-nan", ["score", GOLD, TEST_SPLIT, "--min-overlap-percentage", "nan"],
     "--min-overlap-percentage"),
    ("wrong_exit-agreement-claim-iou-nan", ["agreement", GOLD, "--claim-iou", "nan"], "--claim-iou"),
    ("wrong_exit-ingest-outlet-min-share-nan",
     ["ingest", ROOT / "data" / "raw", "--out", "x.jsonl", "--outlet-min-share", "nan"], "--outlet-min-share"),
    ("wrong_exit-ingest-near-duplicate-nan",
     ["ingest", ROOT / "data" / "raw", "--out", "x.jsonl", "--near-duplicate-threshold", "nan"],
     "--near-duplicate-threshold"),
    ("traceback-compare-seed-negative", ["compare", "a.json", "b.json", "--seed", "-1"], "--seed"),
    ("wrong_exit-compare-alpha-nan", ["compare", "a.json", "b.json", "--alpha", "nan"], "--alpha"),
    ("traceback-gold-build-seed-negative", ["gold", "build", "--out", "g", "--seed", "-1"], "--seed"),
    ("traceback-adjudicate-seed-negative", ["adjudicate", GOLD, "--out", "g", "--seed", "-1"], "--seed"),
    ("wrong_exit-adjudicate-adjudicator-empty", ["adjudicate", GOLD, "--out", "g", "--adjudicator", ""],
     "--adjudicator"),
    ("wrong_exit-export-timeout-nan", ["export", ARTICLES, "--timeout", "nan"], "--timeout"),
    ("wrong_exit-export-project-empty", ["export", ARTICLES, "--project", ""], "--project"),
    ("wrong_exit-import-timeout-nan", ["import", "x.json", "--out", "r", "--timeout", "nan"], "--timeout"),
    ("wrong_exit-studio-start-timeout-inf", ["studio", "--start-timeout", "inf"], "--start-timeout"),
    ("wrong_exit-extract-jobs-negative", ["extract", ARTICLES, "-e", "baseline", "--out", "x", "-j", "-3"], "--jobs"),
    ("wrong_exit-extract-extractor-empty", ["extract", ARTICLES, "-e", "", "--out", "x"], "--extractor"),
    ("wrong_exit-extract-connect-timeout-nan",
     ["extract", ARTICLES, "-e", "baseline", "--out", "x", "--connect-timeout", "nan"], "--connect-timeout"),
    ("wrong_exit-extract-worker-cpus-nan",
     ["extract", ARTICLES, "-e", "baseline", "--out", "x", "--worker-cpus", "nan"], "--worker-cpus"),
    ("wrong_exit-review-push-timeout-nan", ["review", "push", GOLD, "--timeout", "nan"], "--timeout"),
    ("misleading-bench-timeout-nan", ["bench", "--timeout", "nan"], "--timeout"),
]


@pytest.mark.parametrize("args, option", [c[1:] for c in OPTION_CASES], ids=[c[0] for c in OPTION_CASES])
def test_option_values_are_refused_at_the_edge(khabar, tmp_path, monkeypatch, args, option):
    monkeypatch.chdir(tmp_path)  # relative outputs (x.jsonl, g, r) would land here: nothing may be written
    output = assert_clean(khabar(*args), USAGE, option)
    assert "extractor" not in output.split(option, 1)[1][:80]  # the option is to blame, not the extractor
    assert sorted(p.name for p in tmp_path.iterdir()) == []


# (case id, extra bench arguments, what the message must say) -- the extractor's options and command line
EXTRACTOR_CASES = [
    ("traceback-command-unclosed-quote", ["--command", "python3 'x"], ["python3 'x", "does not parse", "quotes"]),
    ("traceback-option-timeout-not-a-number", ["--command", "cat", "-o", "timeout=abc"],
     ["option timeout", "'abc'"]),
    ("traceback-option-timeout-negative", ["--command", "cat", "-o", "timeout=-1"], ["option timeout", "-1"]),
    ("misleading-option-cwd-missing", ["--command", "cat", "-o", "cwd=/nonexistent"],
     ["option cwd", "/nonexistent", "not a folder"]),
    ("traceback-http-retries-not-a-number", ["-e", "http://127.0.0.1:9/x", "-o", "retries=many"],
     ["option retries", "'many'"]),
]


@pytest.mark.parametrize("args, says", [c[1:] for c in EXTRACTOR_CASES], ids=[c[0] for c in EXTRACTOR_CASES])
def test_extractor_options_are_the_users_input(khabar, tmp_path, args, says):
    out = tmp_path / "result.json"
    output = assert_clean(khabar("bench", *args, "--bootstrap", "0", "--json", out), 1, *says)
    assert "not found" not in output and "bench failed" not in output  # refused before anything ran
    assert not out.exists()


EXITING = """
import sys

def extract(articles):
    sys.exit({code})

class Preparing:
    name, version = "preparing", "1"
    def prepare(self, articles):
        sys.exit(3)
    def extract(self, articles):
        return []
"""


@pytest.mark.parametrize("target, jobs, code, name", [
    ("exiting_zero:extract", "1", "0", "'exiting_zero:extract'"),
    ("exiting_zero:extract", "2", "0", "'exiting_zero:extract'"),
    ("exiting_five:extract", "1", "5", "'exiting_five:extract'"),
    ("exiting_zero:Preparing", "1", "3", "'preparing'"),
], ids=["wrong_exit-sys-exit-0", "wrong_exit-sys-exit-0-in-a-worker", "wrong_exit-sys-exit-5",
        "wrong_exit-sys-exit-in-prepare"])
def test_a_module_extractor_that_exits_is_an_error_naming_it(khabar, tmp_path, monkeypatch, target, jobs, code,
                                                             name):
    (tmp_path / "exiting_zero.py").write_text(EXITING.format(code="0"))
    (tmp_path / "exiting_five.py").write_text(EXITING.format(code="5"))
    monkeypatch.syspath_prepend(str(tmp_path))
    out = tmp_path / "result.json"
    assert_clean(khabar("bench", "-e", target, "-j", jobs, "--bootstrap", "0", "--json", out), 1,
                 "bench failed, nothing written", f"extractor {name} called sys.exit({code})")
    assert not out.exists()


def test_a_good_module_extractor_still_runs(khabar, tmp_path, monkeypatch):
    """The guard is not in the way: an extractor that returns runs and scores (exit 0)."""
    (tmp_path / "fine.py").write_text("def extract(articles):\n    return []\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert_clean(khabar("bench", "-e", "fine:extract", "--bootstrap", "0"), 0, "entities (strict) F1")
