"""``khabar score`` in-process: the result JSON, the table, bad input (errors and warnings), label maps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotation.gold.records import fingerprint, load_gold
from tests.scoring_corpus import claim, gold_doc, span, write_gold, write_lines

TEXT_A = "قال الرئيس إن روسيا ستزيد صادراتها إلى الصين العام المقبل"
TEXT_B = "أعلنت وزارة الخارجية في القاهرة أن الوزير سيزور موسكو"


def _mention(text: str, needle: str, label: str) -> tuple[int, int, str]:
    s = span(text, needle)
    return (s.start, s.end, label)


A_MENTIONS = [_mention(TEXT_A, "الرئيس", "OCC"), _mention(TEXT_A, "روسيا", "GPE"), _mention(TEXT_A, "الصين", "GPE"),
              _mention(TEXT_A, "العام المقبل", "DATE")]
B_MENTIONS = [_mention(TEXT_B, "وزارة الخارجية", "ORG"), _mention(TEXT_B, "القاهرة", "GPE"),
              _mention(TEXT_B, "موسكو", "GPE")]
A_CLAIM = claim(TEXT_A, "روسيا ستزيد صادراتها إلى الصين العام المقبل", source=span(TEXT_A, "الرئيس", entity="pres"),
                cue=span(TEXT_A, "قال"), attribution="indirect", claim_type="prediction", check_worthy=True, ident="c1")


@pytest.fixture
def gold(tmp_path: Path) -> Path:
    docs = [gold_doc("a", TEXT_A, A_MENTIONS, [A_CLAIM], clusters=["pres", None, None, None]),
            gold_doc("b", TEXT_B, B_MENTIONS)]
    return write_gold(tmp_path / "gold.jsonl", docs)


def ents(mentions):
    return [{"start": s, "end": e, "label": label} for s, e, label in mentions]


def perfect_lines():
    return [{"id": "a", "entities": ents(A_MENTIONS), "claims": [A_CLAIM.to_dict()]},
            {"id": "b", "entities": ents(B_MENTIONS)}]


def test_help(khabar):
    result = khabar("score", "--help")
    assert result.exit_code == 0
    for option in ("--json", "--split", "--iou", "--label-map", "--bootstrap", "--seed"):
        assert option in result.output


def test_perfect_predictions_and_the_stable_paths(khabar, gold, tmp_path):
    pred = write_lines(tmp_path / "pred.jsonl", perfect_lines())
    out = tmp_path / "result.json"
    result = khabar("score", gold, pred, "--json", out, "--bootstrap", "50")
    assert result.exit_code == 0, result.output
    assert "Entities" in result.output and "signature: khabar:" in result.output
    run = json.loads(out.read_text(encoding="utf-8"))
    assert run["documents"] == 2
    assert run["gold_fingerprint"] == fingerprint(load_gold(gold))
    assert run["signature"] == (f"khabar:0.1|gold:{run['gold_fingerprint']}|ents:strict|claims:iou0.5|norm:ar"
                                "|align:fuzzy0.75+clitics|bs:50|seed:12345")
    for scheme in ("strict", "exact", "partial", "type"):
        for part in ("micro", "macro"):
            for name in ("precision", "recall", "f1"):
                assert run["entities"][scheme][part][name] == 1.0
        assert run["entities"][scheme]["micro"]["f1_ci"] == [1.0, 1.0]
        assert run["entities"][scheme]["per_label"]["GPE"]["f1"] == 1.0
    assert run["entities"]["strict"]["micro"]["possible"] == 7
    assert run["claims"]["detection"]["f1"] == 1.0
    assert run["claims"]["source"]["accuracy"] == 1.0
    assert run["claims"]["end_to_end"]["f1"] == 1.0
    assert run["per_document"]["a"]["entities.strict.correct"] == 4
    assert run["per_document"]["a"]["claims.detection.tp"] == 1
    assert run["alignment"]["rate"] == 1.0
    assert run["warnings"] == ["gold of scheme 1.0.0: stance and certainty not scored"]  # 1.0 gold
    assert set(run["versions"]) >= {"khabar", "python", "numpy"}
    assert run["config"]["bootstrap"] == 50 and run["timing"]["total_s"] >= 0


def test_gold_folder_and_split(khabar, tmp_path):
    from annotation.gold.dataset import write_gold_folder
    from annotation.scheme import load_scheme

    docs = {"dev": [gold_doc("a", TEXT_A, A_MENTIONS)], "test": [gold_doc("b", TEXT_B, B_MENTIONS)]}
    write_gold_folder(tmp_path / "gold", docs, load_scheme(), provenance="test")
    pred = write_lines(tmp_path / "pred.jsonl", [{"id": "b", "entities": ents(B_MENTIONS)}])
    out = tmp_path / "r.json"
    result = khabar("score", tmp_path / "gold", pred, "--split", "test", "--json", out, "--bootstrap", "0")
    assert result.exit_code == 0, result.output
    run = json.loads(out.read_text(encoding="utf-8"))
    assert run["documents"] == 1 and run["entities"]["strict"]["micro"]["f1"] == 1.0
    assert "f1_ci" not in run["entities"]["strict"]["micro"]
    assert run["gold_fingerprint"] == fingerprint(load_gold(tmp_path / "gold", "test"))
    # all splits: article a has no prediction line -> counted as predicted empty, with a warning
    result = khabar("score", tmp_path / "gold", pred, "--json", out, "--bootstrap", "0")
    assert result.exit_code == 0
    assert "1 gold article(s) have no prediction line" in result.stderr
    run = json.loads(out.read_text(encoding="utf-8"))
    assert run["predictions"]["missing"] == ["a"]
    assert run["entities"]["strict"]["micro"]["missed"] == 4


A0 = A_MENTIONS[0]
BAD = [
    pytest.param(['{"id": "a", "entities": ['], ":1: not valid JSON", id="not JSON"),
    pytest.param(['["a"]'], ":1: a prediction line must be a JSON object", id="not an object"),
    pytest.param([{"id": "a"}, {"id": "nope", "entities": []}], ":2: article id 'nope' is not in the gold set",
                 id="unknown article"),
    pytest.param([{"id": "a", "entities": [{"start": 50, "end": 90, "label": "GPE"}]}],
                 ":1: entities[0]: offsets [50, 90) are outside the text", id="outside the text"),
    pytest.param([{"id": "a", "entities": [{"start": -1, "end": 3, "label": "GPE"}]}],
                 "outside the text", id="negative offset"),
    pytest.param([{"id": "a", "entities": [{"start": 9, "end": 4, "label": "GPE"}]}],
                 ":1: entities[0]: offsets [9, 4) are inverted or empty", id="inverted"),
    pytest.param([{"id": "a", "entities": [{"start": 4, "end": 4, "label": "GPE"}]}], "inverted or empty", id="empty"),
    pytest.param([{"id": "a", "entities": [{"start": 4, "end": 10, "label": "PER"}]}],
                 ":1: entities[0]: unknown label 'PER'", id="unknown label"),
    pytest.param([{"id": "a", "entities": [{"start": "4", "end": 10, "label": "GPE"}]}],
                 ":1: entities[0]: field 'start' must be int, not str", id="offset not an integer"),
    pytest.param([{"id": "a", "entities": [{"start": 4, "end": 10}]}], ":1: entities[0]: missing field 'label'",
                 id="no label"),
    pytest.param([{"id": "a", "entities": []}, {"id": "a", "entities": ents([A0])}],
                 ":2: a second, different prediction line for article 'a' (first at", id="two different lines"),
    pytest.param([{"id": "a", "claims": [{"text": "روسيا", "claim_type": "rumour"}]}],
                 ":1: claims[0]: unknown claim_type value 'rumour'", id="unknown attribute value"),
    pytest.param([{"id": "a", "claims": [{"start": 5, "end": 500}]}], ":1: claims[0]: offsets [5, 500) are outside",
                 id="claim outside the text"),
]


@pytest.mark.parametrize("lines, message", BAD)
def test_bad_predictions_exit_1_naming_the_line(khabar, gold, tmp_path, lines, message):
    pred = write_lines(tmp_path / "pred.jsonl", lines)
    out = tmp_path / "result.json"
    result = khabar("score", gold, pred, "--json", out, "--bootstrap", "0")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")
    assert f"pred.jsonl{message}" in result.stderr or message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()  # nothing half-written


def run_json(khabar, gold, pred, tmp_path, *args):
    out = tmp_path / "result.json"
    result = khabar("score", gold, pred, "--json", out, "--bootstrap", "0", *args)
    assert result.exit_code == 0, result.stderr
    return result, json.loads(out.read_text(encoding="utf-8"))


def test_empty_predictions_file_is_well_defined(khabar, gold, tmp_path):
    pred = write_lines(tmp_path / "pred.jsonl", [])
    result, run = run_json(khabar, gold, pred, tmp_path)
    assert "no predictions: every gold mention and claim counts as missed" in result.stderr
    micro = run["entities"]["strict"]["micro"]
    assert (micro["f1"], micro["missed"], micro["actual"]) == (0.0, 7, 0)
    assert run["claims"]["detection"]["fn"] == 1 and run["claims"]["source"]["accuracy"] is None


def test_identical_repeated_line_and_mention_count_once(khabar, gold, tmp_path):
    line = {"id": "a", "entities": ents([A0, A0])}
    pred = write_lines(tmp_path / "pred.jsonl", [line, line])
    result, run = run_json(khabar, gold, pred, tmp_path)
    assert "1 repeated identical prediction line(s) counted once (e.g. " in result.stderr
    assert "pred.jsonl:2 repeats " in result.stderr
    assert "1 repeated identical predicted mention(s) counted once" in result.stderr
    micro = run["entities"]["strict"]["micro"]
    assert (micro["correct"], micro["spurious"]) == (1, 0)
    assert run["predictions"]["duplicate_lines"] == 1 and run["predictions"]["duplicate_mentions"] == 1


def test_text_that_differs_at_the_offsets_is_reported(khabar, gold, tmp_path):
    s, e, label = A0
    pred = write_lines(tmp_path / "pred.jsonl", [{"id": "a", "entities": [{"start": s, "end": e, "label": label,
                                                                          "text": "غير"}]}])
    result, run = run_json(khabar, gold, pred, tmp_path)
    assert "1 predicted span(s) have a text that differs from the article" in result.stderr
    assert run["entities"]["strict"]["micro"]["correct"] == 1


def test_offset_free_predictions_are_aligned_or_spurious(khabar, gold, tmp_path):
    pred = write_lines(tmp_path / "pred.jsonl", [{"id": "a", "entities": [
        {"label": "GPE", "text": "روسيا"}, {"label": "GPE", "text": "اليابان"}]}])
    result, run = run_json(khabar, gold, pred, tmp_path)
    assert run["alignment"]["total"] == 2 and run["alignment"]["aligned"] == 1 and run["alignment"]["rate"] == 0.5
    micro = run["entities"]["strict"]["micro"]
    assert (micro["correct"], micro["spurious"]) == (1, 1)
    assert "could not be aligned" in result.stderr


@pytest.mark.parametrize("label_map, labels, expected_correct, dropped", [
    ("conll", ["PER", "LOC", "MISC"], 0, {"MISC": 1}),
    ("anercorp", ["PERS", "LOC", "MISC"], 0, {"MISC": 1}),
    ("wojood", ["OCC", "GPE", "CARDINAL"], 2, {"CARDINAL": 1}),
])
def test_named_label_maps(khabar, gold, tmp_path, label_map, labels, expected_correct, dropped):
    mentions = [(s, e, label) for (s, e, _), label in zip(A_MENTIONS, labels)]
    pred = write_lines(tmp_path / "pred.jsonl", [{"id": "a", "entities": ents(mentions)}])
    result, run = run_json(khabar, gold, pred, tmp_path, "--label-map", label_map)
    assert run["entities"]["strict"]["micro"]["correct"] == expected_correct
    assert run["entities"]["exact"]["micro"]["correct"] == 2  # boundaries right whatever the label
    assert run["predictions"]["dropped"] == dropped
    assert "the label mapping dropped 1 predicted mention(s)" in result.stderr
    assert run["signature"].endswith(f"|map:{label_map}|bs:0|seed:12345")


def test_label_map_file_and_uncovered_label(khabar, gold, tmp_path):
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"TITLE": "OCC", "COUNTRY": "GPE", "OTHER": None}), encoding="utf-8")
    pred = write_lines(tmp_path / "pred.jsonl", [{"id": "a", "entities": ents(
        [(A_MENTIONS[0][0], A_MENTIONS[0][1], "TITLE"), (A_MENTIONS[1][0], A_MENTIONS[1][1], "COUNTRY"),
         (A_MENTIONS[2][0], A_MENTIONS[2][1], "GPE"), (A_MENTIONS[3][0], A_MENTIONS[3][1], "OTHER")])}])
    _, run = run_json(khabar, gold, pred, tmp_path, "--label-map", mapping)
    assert run["entities"]["strict"]["micro"]["correct"] == 3
    import hashlib
    assert f"|map:map-{hashlib.sha256(mapping.read_bytes()).hexdigest()[:8]}|" in run["signature"]
    bad = write_lines(tmp_path / "bad.jsonl", [{"id": "a", "entities": [{"start": 0, "end": 3, "label": "PRES"}]}])
    result = khabar("score", gold, bad, "--label-map", mapping, "--bootstrap", "0")
    assert result.exit_code == 1
    assert "bad.jsonl:1: entities[0]: label 'PRES' is neither a scheme label nor covered" in result.stderr


@pytest.mark.parametrize("content, message", [
    ('{"PER": "PERSON"}', "maps to 'PERSON', which is not a scheme label"),
    ('["PER"]', "must be a JSON object"),
    ("{oops", "must be a JSON object"),
])
def test_bad_label_map_file(khabar, gold, tmp_path, content, message):
    mapping = tmp_path / "map.json"
    mapping.write_text(content, encoding="utf-8")
    pred = write_lines(tmp_path / "pred.jsonl", perfect_lines())
    result = khabar("score", gold, pred, "--label-map", mapping)
    assert result.exit_code == 1 and message in result.stderr


def test_missing_files_and_unknown_map(khabar, gold, tmp_path):
    pred = write_lines(tmp_path / "pred.jsonl", perfect_lines())
    assert "no such file" in khabar("score", gold, tmp_path / "none.jsonl").stderr
    assert "no such gold file or folder" in khabar("score", tmp_path / "nothing", pred).stderr
    result = khabar("score", gold, pred, "--label-map", "klingon")
    assert result.exit_code == 1 and "no such label mapping" in result.stderr
    assert khabar("score", gold, pred, "--iou", "1.5").exit_code == 2  # wrong usage


def test_iou_option_and_seeded_intervals(khabar, gold, tmp_path):
    partial = {"id": "a", "claims": [{"text": "روسيا ستزيد صادراتها"}]}  # 3 of 7 tokens
    pred = write_lines(tmp_path / "pred.jsonl", [partial])
    _, run = run_json(khabar, gold, pred, tmp_path, "--iou", "0.4")
    assert run["claims"]["detection"]["tp"] == 1 and "claims:iou0.4" in run["signature"]
    _, run = run_json(khabar, gold, pred, tmp_path, "--iou", "0.5")
    assert run["claims"]["detection"]["tp"] == 0
    pred = write_lines(tmp_path / "pred.jsonl", [{"id": "a", "entities": ents(A_MENTIONS[:2])},
                                                  {"id": "b", "entities": ents(B_MENTIONS[:1])}])
    outs = []
    for _ in range(2):
        out = tmp_path / "r.json"
        assert khabar("score", gold, pred, "--json", out, "--bootstrap", "200", "--seed", "7").exit_code == 0
        outs.append(json.loads(out.read_text(encoding="utf-8"))["entities"]["strict"]["micro"]["f1_ci"])
    assert outs[0] == outs[1]


def test_many_repeated_lines_stay_cheap_and_are_told_apart(khabar, gold, tmp_path):
    lines = perfect_lines()
    different = {"id": "b", "entities": ents(B_MENTIONS[:1])}
    pred = write_lines(tmp_path / "pred.jsonl", [*lines, *lines, dict(reversed(list(lines[0].items())))])
    result, run = run_json(khabar, gold, pred, tmp_path)
    assert run["predictions"]["duplicate_lines"] == 3  # key order does not make a line different
    assert run["entities"]["strict"]["micro"]["f1"] == 1.0
    pred = write_lines(tmp_path / "pred.jsonl", [*lines, lines[0], different])
    result = khabar("score", gold, pred, "--bootstrap", "0")
    assert result.exit_code == 1 and ":4: a second, different prediction line for article 'b'" in result.stderr


def test_empty_gold_is_an_error(khabar, tmp_path):
    gold = write_lines(tmp_path / "gold.jsonl", [])
    pred = write_lines(tmp_path / "pred.jsonl", [])
    result = khabar("score", gold, pred)
    assert result.exit_code == 1 and "no gold articles — nothing to score" in result.stderr


def test_result_json_without_prediction_lines_or_claims(khabar, tmp_path):
    gold = write_gold(tmp_path / "gold.jsonl", [gold_doc("b", TEXT_B, B_MENTIONS)])
    pred = write_lines(tmp_path / "pred.jsonl", [{"id": "b"}])
    _, run = run_json(khabar, gold, pred, tmp_path)
    assert run["claims"]["detection"]["f1"] is None  # no claim anywhere: undefined, not 0
    assert run["entities"]["strict"]["micro"]["f1"] == 0.0
    assert run["per_document"] == {"b": {k: 3 for k in ("entities.strict.missed", "entities.exact.missed",
                                                         "entities.partial.missed", "entities.type.missed")}
                                   | {f"entities.{s}.per_label.{label}.missed": n for label, n in
                                      (("ORG", 1), ("GPE", 2)) for s in ("strict", "exact", "partial", "type")}}


def test_streamed_result_json_is_the_result_one_line_per_document(tmp_path):
    """The written JSON (per_document text built straight from the count matrix) parses to
    ``run.result``; each document is one line; a document without counts is ``{}``."""
    from eval.scoring.scorer import ScoreConfig, score_files

    docs = [gold_doc("a", TEXT_A, A_MENTIONS, [A_CLAIM], clusters=["pres", None, None, None]),
            gold_doc('b "quoted" \\ id', TEXT_B, B_MENTIONS), gold_doc("وثيقة", TEXT_B), gold_doc("z", TEXT_B)]
    gold = write_gold(tmp_path / "gold.jsonl", docs)
    wrong = [(s, e, "ORG") for s, e, _ in B_MENTIONS[:2]]
    pred = write_lines(tmp_path / "pred.jsonl", [perfect_lines()[0],
                                                 {"id": 'b "quoted" \\ id', "entities": ents(wrong)},
                                                 {"id": "z", "entities": ents([(0, 5, "PERS")])}])
    run = score_files(gold, pred, config=ScoreConfig(bootstrap=20))
    out = tmp_path / "result.json"
    run.write_json(out)
    text = out.read_text(encoding="utf-8")
    assert json.loads(text) == json.loads(json.dumps(run.result, ensure_ascii=False))
    assert run.result["per_document"]["وثيقة"] == {}
    lines = text[text.index('"per_document": {') + len('"per_document": {'):].splitlines()[1:-2]
    assert len(lines) == len(docs)
    assert all(line.startswith("    ") and json.loads("{" + line.rstrip(",") + "}") for line in lines)
    assert dict(run.per_document.json_rows())["z"] == json.dumps(run.result["per_document"]["z"], ensure_ascii=False)


def test_commands_load_lazily_and_score_imports_little(tmp_path):
    """Every command is found in the module the lazy group names; ``khabar score`` imports no
    Label Studio, agreement, extractor, datasets, pandas or scipy.sparse code (pyarrow imports pandas when
    it converts Python or NumPy values, 0.3 s: the columnar reader reads Arrow buffers instead)."""
    import importlib
    import subprocess
    import sys

    from eval.cli import COMMAND_MODULES

    for module in set(COMMAND_MODULES.values()):
        names = {c.name for c in importlib.import_module(module).COMMANDS}
        assert names == {n for n, m in COMMAND_MODULES.items() if m == module}
    gold = write_gold(tmp_path / "gold.jsonl", [gold_doc("b", TEXT_B, B_MENTIONS)])
    pred = write_lines(tmp_path / "pred.jsonl", [{"id": "b", "entities": ents(B_MENTIONS)}])
    out = tmp_path / "result.json"
    code = ("import sys; from eval.cli import main\n"
            f"sys.argv = ['khabar', 'score', {str(gold)!r}, {str(pred)!r}, '--bootstrap', '10',\n"
            f"            '--json', {str(out)!r}]\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('datasets', 'label_studio_sdk', 'sklearn', 'pandas')\n"
            "      or m in ('scipy.sparse', 'annotation.review.agreement', 'annotation.labelstudio.server', 'eval.extractors')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert json.loads(out.read_text(encoding="utf-8"))["entities"]["strict"]["micro"]["f1"] == 1.0
