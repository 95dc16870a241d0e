"""The fault sweep, readers: every reader refuses what ``khabar validate`` would, names the file, line and
field, and writes nothing (the files already there stay as they were).

Case ids start with the class of the sweep's table (``wrong_exit``, ``traceback``, ``data_loss``,
``misleading``); ``khabar`` runs in-process with exceptions not caught, so a traceback fails the test.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.helpers import assert_clean, write_lines

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "data" / "gold"
TEST_SPLIT = GOLD / "test.jsonl"
ARTICLES = ROOT / "data" / "articles.jsonl"


def _first_gold() -> dict[str, Any]:
    return json.loads(TEST_SPLIT.read_text(encoding="utf-8").splitlines()[0])


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --- validate -------------------------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda tmp: (tmp / "empty.jsonl").write_text("") and None or tmp / "empty.jsonl",
    lambda tmp: (tmp / "blank.jsonl").write_text("\n\n   \n") and None or tmp / "blank.jsonl",
    lambda tmp: (tmp / "folder").mkdir() or tmp / "folder",
], ids=["wrong_exit-validate-empty-file", "wrong_exit-validate-blank-lines", "wrong_exit-validate-empty-folder"])
def test_validate_refuses_no_documents(khabar, tmp_path, make):
    path = make(tmp_path)
    assert_clean(khabar("validate", path), 1, str(path))


def test_validate_still_accepts_the_shipped_gold(khabar):
    assert_clean(khabar("validate", GOLD), 0, "documents valid")


# --- records: agreement and adjudicate read them as validate reads gold ------------------------------

def _records(path: Path, change: Any = None) -> Path:
    """Two annotators' records of the first test article (identical), after ``change(records)``."""
    records = []
    for k, who in enumerate(("ann1@example.org", "ann2@example.org")):
        record = copy.deepcopy(_first_gold())
        record["annotation"] = {"annotator": who, "task": 1, "annotation_id": k + 1, "ground_truth": False,
                                "updated_at": "2026-01-01T00:00:00Z"}
        records.append(record)
    if change:
        change(records)
    return write_lines(path, records)


def _on_every_record(field: str, value: Any) -> Any:
    def change(records: list[dict[str, Any]]) -> None:
        for record in records:
            record["entities"][0][field] = value(record) if callable(value) else value
    return change


def _inverted(records: list[dict[str, Any]]) -> None:
    for record in records:
        e = record["entities"][0]
        e["start"], e["end"] = e["end"], e["start"]


BAD_RECORDS = [
    ("outside", _on_every_record("end", lambda r: len(r["text"]) + 5), "outside the text"),
    ("negative", _on_every_record("start", -1), "outside the text"),
    ("inverted", _inverted, "inverted or empty"),
    ("text-differs", _on_every_record("text", "كلمة"), "does not match"),
]


@pytest.mark.parametrize("change, message", [c[1:] for c in BAD_RECORDS],
                         ids=[f"wrong_exit-agreement-{c[0]}" for c in BAD_RECORDS])
def test_agreement_refuses_offsets_validate_would_refuse(khabar, tmp_path, change, message):
    records = _records(tmp_path / "records.jsonl", change)
    assert_clean(khabar("agreement", records), 1, f"{records}:1: entities[0]", message)


@pytest.mark.parametrize("change, message", [c[1:] for c in BAD_RECORDS],
                         ids=[f"data_loss-adjudicate-{c[0]}" for c in BAD_RECORDS])
def test_adjudicate_refuses_offsets_and_keeps_the_gold_folder(khabar, tmp_path, change, message):
    records = _records(tmp_path / "records.jsonl", change)
    out = tmp_path / "gold"
    shutil.copytree(GOLD, out)
    before = _snapshot(out)
    assert_clean(khabar("adjudicate", records, "--out", out), 1, f"{records}:1: entities[0]", message)
    assert _snapshot(out) == before


def test_good_records_still_pass(khabar, tmp_path):
    records = _records(tmp_path / "records.jsonl")
    assert_clean(khabar("agreement", records), 0)
    assert_clean(khabar("adjudicate", records, "--out", tmp_path / "gold"), 0)


def test_agreement_links_never_carry_a_password(khabar, tmp_path):
    """unsafe: a --url with user:password@ went into every task link as it was."""
    def with_project(records: list[dict[str, Any]]) -> None:
        for record in records:
            record["annotation"]["project"] = 7
        records[1]["entities"] = records[1]["entities"][1:]  # a disagreement, so that a task link is printed
    records = _records(tmp_path / "records.jsonl", with_project)
    output = assert_clean(khabar("agreement", records, "--url", "http://lead:s3cret-pw@ls.example:8080",
                                 "--format", "tsv"), 0, "http://lead:***@ls.example:8080/projects/7/data?task=1")
    assert "s3cret-pw" not in output


# --- compare --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def run_json(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from eval.cli import cli

    path = tmp_path_factory.mktemp("runs") / "a.json"
    result = CliRunner().invoke(cli, ["score", str(GOLD), str(TEST_SPLIT), "--bootstrap", "0", "--json", str(path)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return path


@pytest.mark.parametrize("value", [-5, 1.5, 1e30, "3", None, True],
                         ids=[f"wrong_exit-compare-count-{v}" for v in ("negative", "fraction", "absurd", "string",
                                                                       "null", "bool")])
def test_compare_refuses_counts_no_scoring_wrote(khabar, tmp_path, run_json, value):
    run = json.loads(run_json.read_text(encoding="utf-8"))
    doc = sorted(run["per_document"])[1]
    run["per_document"][doc]["entities.strict.missed"] = value
    bad = tmp_path / "b.json"
    bad.write_text(json.dumps(run), encoding="utf-8")
    assert_clean(khabar("compare", run_json, bad, "--json", tmp_path / "c.json"), 1,
                 str(bad), repr(doc), "'entities.strict.missed'", "a count must be")
    assert not (tmp_path / "c.json").exists()


@pytest.mark.parametrize("option", ["--resamples", "--trials"],
                         ids=["wrong_exit-compare-resamples-huge", "wrong_exit-compare-trials-huge"])
def test_compare_bounds_resamples_with_a_memory_estimate(khabar, run_json, option):
    output = assert_clean(khabar("compare", run_json, run_json, option, "1000000000"), 1, "1000000000", "GB",
                          "at most 100000")
    assert " GB of memory" in output


# --- the columnar reader and lone surrogates ----------------------------------------------------------

def _predictions(path: Path, line_of: Any) -> Path:
    """Predictions equal to the test split's mentions, line 3 rewritten by ``line_of(bytes)``."""
    lines = []
    for n, raw in enumerate(TEST_SPLIT.read_text(encoding="utf-8").splitlines(), start=1):
        doc = json.loads(raw)
        ents = [{"start": e["start"], "end": e["end"], "label": e["label"]} for e in doc["entities"]]
        line = json.dumps({"id": doc["id"], "entities": ents}, ensure_ascii=False).encode("utf-8")
        lines.append(line_of(line) if n == 3 else line)
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


@pytest.mark.parametrize("rewrite, message", [
    (lambda line: line.replace(b'"label": "', b'"label": "\xff', 1), "not UTF-8"),
    (lambda line: line.replace(b'"id": "', b'"id": "\xc3', 1), "not UTF-8"),
    (lambda line: line.replace(b'"label": "', b'"label": "\\ud800', 1), "lone surrogate"),
    (lambda line: line.replace(b'"label": "', b'"label": "\\udfff\\ud800', 1), "lone surrogate"),
], ids=["traceback-columnar-invalid-utf8-label", "traceback-columnar-invalid-utf8-id",
        "traceback-score-lone-surrogate", "traceback-score-reversed-surrogates"])
def test_score_names_bad_text_in_predictions(khabar, tmp_path, rewrite, message):
    predictions = _predictions(tmp_path / "p.jsonl", rewrite)
    out = tmp_path / "result.json"
    assert_clean(khabar("score", TEST_SPLIT, predictions, "--bootstrap", "0", "--json", out), 1,
                 f"{predictions}:3", message)
    assert not out.exists()


def _surrogate_article(path: Path) -> Path:
    article = json.loads(ARTICLES.read_text(encoding="utf-8").splitlines()[0])
    line = json.dumps(article, ensure_ascii=True).replace("\\u0628", "\\ud800", 1)  # the first ب
    path.write_text(line + "\n", encoding="utf-8")
    return path


def _surrogate_records(path: Path) -> Path:
    _records(path)
    path.write_text(path.read_text(encoding="utf-8").replace('"annotator": "ann1', '"annotator": "\\ud800ann1'),
                    encoding="utf-8")
    return path


@pytest.mark.parametrize("command", [
    lambda tmp: ["export", _surrogate_article(tmp / "a.jsonl"), "--tasks", tmp / "out.json"],
    lambda tmp: ["ingest", _surrogate_article(tmp / "raw.jsonl"), "--out", tmp / "out.json"],
    lambda tmp: ["agreement", _surrogate_records(tmp / "r.jsonl"), "--json", tmp / "out.json"],
    lambda tmp: ["adjudicate", _surrogate_records(tmp / "r.jsonl"), "--out", tmp / "out.json"],
], ids=["traceback-export-lone-surrogate", "traceback-ingest-lone-surrogate",
        "traceback-agreement-lone-surrogate", "traceback-adjudicate-lone-surrogate"])
def test_lone_surrogates_are_named_not_written(khabar, tmp_path, command):
    args = command(tmp_path)
    assert_clean(khabar(*args), 1, f"{args[1]}:1", "lone surrogate")
    assert not (tmp_path / "out.json").exists()


def test_bench_refuses_an_extractor_that_returns_a_lone_surrogate(khabar, tmp_path, monkeypatch):
    (tmp_path / "surrogate.py").write_text(
        "def extract(articles):\n"
        "    return [{'id': a['id'], 'entities': [{'text': '\\ud800', 'label': 'PERS'}]} for a in articles]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    out = tmp_path / "p.jsonl"
    assert_clean(khabar("bench", "-e", "surrogate:extract", "--bootstrap", "0", "--predictions-out", out), 1,
                 "'surrogate:extract'", "entities[0].text", "lone surrogate")
    assert not out.exists()


def test_a_lone_surrogate_in_a_path_is_printed_escaped(khabar, tmp_path):
    assert_clean(khabar("score", TEST_SPLIT, str(tmp_path) + "/\udcff.jsonl"), 1, "\\udcff.jsonl", "no such file")


# --- folders given as files: one status everywhere ----------------------------------------------------

@pytest.mark.parametrize("args", [
    lambda tmp: ["export", tmp, "--tasks", tmp / "t.json"],
    lambda tmp: ["gold", "build", "--articles", tmp, "--out", tmp / "g"],
    lambda tmp: ["adjudicate", _records(tmp / "r.jsonl"), "--articles", tmp, "--out", tmp / "g"],
    lambda tmp: ["import", tmp, "--out", tmp / "r"],
    lambda tmp: ["score", GOLD, tmp],
    lambda tmp: ["ingest", tmp / "missing.jsonl", "--out", tmp / "a.jsonl"],
], ids=["wrong_exit-export-folder-as-articles", "wrong_exit-gold-build-folder-as-articles",
        "wrong_exit-adjudicate-folder-as-articles", "wrong_exit-import-folder-as-export",
        "wrong_exit-score-folder-as-predictions", "wrong_exit-ingest-missing-raw"])
def test_a_folder_or_a_missing_file_as_input_is_exit_1_naming_it(khabar, tmp_path, args):
    argv = args(tmp_path)
    output = assert_clean(khabar(*argv), 1, str(tmp_path))
    assert output.startswith("error:") or "\nerror:" in output


# --- gold build never replaces a gold set with nothing ---------------------------------------------------

@pytest.mark.parametrize("sources", [
    lambda tmp: tmp / "anotations",  # a typo
    lambda tmp: (tmp / "empty").mkdir() or tmp / "empty",
], ids=["data_loss-gold-build-sources-typo", "data_loss-gold-build-sources-empty"])
def test_gold_build_keeps_the_gold_when_the_sources_are_wrong(khabar, tmp_path, sources):
    out = tmp_path / "gold"
    shutil.copytree(GOLD, out)
    before = _snapshot(out)
    source = sources(tmp_path)
    assert_clean(khabar("gold", "build", "--sources", source, "--out", out), 1, str(source))
    assert _snapshot(out) == before


# --- misleading: report anchors --------------------------------------------------------------------

def test_report_anchors_are_one_per_id():
    from eval.html import anchor as _anchor

    ids = ["a/b", "a_b", "a b", "a.b", "a-b", "ab", "a__b", "a_2f_b", "بوتين/1", "بوتين_1"]
    anchors = [_anchor(i) for i in ids]
    assert len(set(anchors)) == len(ids)
    assert all(" " not in a and "/" not in a for a in anchors)
