"""Inter-annotator agreement: hand-made records of annotators who disagree in known ways."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from annotation.review.agreement import KINDS, agreement_report, compare, pair_summary, sources_agree
from annotation.review.records import align, group_articles, load_records
from annotation.io import write_jsonl
from annotation.matching import claim_weight
from annotation.review.reliability import cohen_kappa, krippendorff_alpha_nominal
from tests.review_records import (CONTENT2, EXPECTED_KINDS, TEXT, _kinds, _three_annotators, annotator_a, annotator_b,
                                    claim, claims_a, ment, mentions_a, record, sp)


def test_two_annotators_who_disagree_in_known_ways() -> None:
    report = agreement_report([annotator_a(), annotator_b()])
    assert report["annotators"] == ["a@x.org", "b@x.org"]
    (pair,) = report["pairs"]
    assert pair["annotators"] == ["a@x.org", "b@x.org"] and pair["tasks"] == 1
    strict, overlap = pair["entities"]["strict"], pair["entities"]["overlap"]
    assert (strict["a"], strict["b"], strict["matched"]) == (7, 7, 5)
    assert strict["f1"] == pytest.approx(10 / 14)
    assert overlap["matched"] == 6 and overlap["f1"] == pytest.approx(12 / 14)  # the boundary differs, same label
    claims = pair["claims"]
    assert (claims["a"], claims["b"], claims["matched"]) == (2, 1, 1)
    assert claims["precision"] == 1.0 and claims["recall"] == 0.5 and claims["f1"] == pytest.approx(2 / 3)
    assert pair["source"] == {"matched_claims": 1, "agree": 0, "agreement": 0.0}
    assert pair["kappa"]["claim_type"]["n"] == 1 and pair["kappa"]["claim_type"]["observed"] == 0.0
    assert _kinds(report["disagreements"]) == EXPECTED_KINDS
    assert set(d["kind"] for d in report["disagreements"]) <= set(KINDS)
    (task,) = report["per_task"]
    assert task["id"] == "doc-1" and task["tasks"] == ["1"] and task["agreement"] == "defined"
    assert _kinds(task["disagreements"]) == EXPECTED_KINDS
    label = next(d for d in task["disagreements"] if d["kind"] == "label_difference")
    assert (label["a"]["label"], label["b"]["label"]) == ("PERS", "ORG") and label["a"]["text"] == "ديمتري بيسكوف"
    missing = next(d for d in task["disagreements"] if d["kind"] == "missing_claim")
    assert missing["a"]["text"] == CONTENT2 and missing["b"] is None
    assert report["overall"]["alpha"] is None  # two annotators


def test_f1_is_symmetric_swapping_the_reference_swaps_precision_and_recall() -> None:
    a, b = annotator_a(), annotator_b()
    ab = compare("doc-1", "a", a, "b", b)
    ba = compare("doc-1", "b", b, "a", a)
    sab, sba = pair_summary(ab.counts), pair_summary(ba.counts)
    for x, y in [(sab["entities"]["strict"], sba["entities"]["strict"]),
                 (sab["entities"]["overlap"], sba["entities"]["overlap"]), (sab["claims"], sba["claims"])]:
        assert x["f1"] == y["f1"]
        assert (x["precision"], x["recall"]) == (y["recall"], y["precision"])
    assert sab["claims"]["precision"] != sab["claims"]["recall"]  # the swap is visible
    assert sab["source"] == sba["source"]
    swapped = {"missing_claim": "extra_claim", "extra_claim": "missing_claim"}
    assert sorted(swapped.get(k, k) for k, _ in _kinds(ab.disagreements)) == sorted(k for k, _ in _kinds(ba.disagreements))


def test_identical_annotations_agree_fully() -> None:
    report = agreement_report([annotator_a(), record("c@x.org", mentions_a(), claims_a())])
    overall = report["overall"]
    assert overall["entities"]["strict"]["f1"] == 1.0 and overall["claims"]["f1"] == 1.0
    assert overall["source"]["agreement"] == 1.0
    assert report["disagreements"] == []
    # one value used by both annotators: kappa is undefined, not 1 and not 0
    assert report["pairs"][0]["kappa"]["claim_type"]["kappa"] is None
    assert report["pairs"][0]["kappa"]["claim_type"]["observed"] == 1.0
    assert report["pairs"][0]["kappa"]["check_worthy"]["kappa"] == 1.0


PETER = sp("ديمتري بيسكوف", entity="peskov")


@pytest.mark.parametrize("name, a_source, a_extra, b_source, b_extra, expected", [
    ("both null", None, [], None, [], True),
    ("one null", PETER, [], None, [], False),
    ("same span", PETER, [], PETER, [], True),
    ("same span, b has no cluster", PETER, [], sp("ديمتري بيسكوف"), [], True),
    ("different entities", PETER, [], sp("الكرملين", entity="kremlin"), [], False),
    # spans match as the scorer matches them: token IoU 1/2 reaches 0.5, 1/3 does not
    ("half the tokens", PETER, [], sp("بيسكوف"), [], True),
    ("a third of the tokens", sp("باسم الكرملين ديمتري"), [], sp("ديمتري"), [], False),
    # b's source is the pronoun-like 'المتحدث' in a cluster that also holds the mention a chose
    ("same cluster, other mention", PETER, [], sp("المتحدث", entity="spk"),
     [ment("المتحدث", "OCC", "spk"), ment("ديمتري بيسكوف", "PERS", "spk")], True),
    ("other mention, different cluster", PETER, [], sp("المتحدث", entity="spk"),
     [ment("المتحدث", "OCC", "spk")], False),
    # a SOURCE span (no entity) at the offsets of one of b's mentions: b's cluster counts
    ("non-entity span on a mention", sp("ديمتري بيسكوف"), [], sp("المتحدث"),
     [ment("المتحدث", "OCC", "spk"), ment("ديمتري بيسكوف", "PERS", "spk")], True),
])
def test_source_agreement(name, a_source, a_extra, b_source, b_extra, expected) -> None:
    a = record("a", mentions_a() + a_extra, [])
    b = record("b", [m for m in mentions_a() if m.text != "ديمتري بيسكوف"] + b_extra, [])
    assert sources_agree(a, a_source, b, b_source) is expected, name
    assert sources_agree(b, b_source, a, a_source) is expected, name


def test_via_and_cue_differences() -> None:
    agencies = sp("مصادر مطلعة")
    with_via = [replace(claims_a()[0], via=(agencies,)), claims_a()[1]]
    no_cue = [replace(claims_a()[0], cue=None), claims_a()[1]]
    report = agreement_report([annotator_a(), record("v", mentions_a(), with_via), record("w", mentions_a(), no_cue)])
    kinds = {(tuple(d["annotators"]), d["kind"]) for d in report["disagreements"]}
    assert kinds == {(("a@x.org", "v"), "via_difference"), (("a@x.org", "w"), "cue_difference"),
                     (("v", "w"), "via_difference"), (("v", "w"), "cue_difference")}
    via = next(d for d in report["disagreements"] if d["annotators"] == ["a@x.org", "v"])
    assert via["a"] == [] and via["b"][0]["text"] == "مصادر مطلعة"

def test_kappa_against_sklearn_and_by_hand() -> None:
    from sklearn.metrics import cohen_kappa_score

    # four articles, one claim each; check_worthy: a = T T F F, b = T F F F -> po 3/4, pe 1/2, kappa 1/2
    values_a, values_b = [True, True, False, False], [True, False, False, False]
    types_a = ["prediction", "opinion", "prediction", "numerical"]
    types_b = ["prediction", "opinion", "opinion", "numerical"]
    records = []
    for i in range(4):
        doc = f"doc-{i}"
        for who, cw, ct in (("a", values_a[i], types_a[i]), ("b", values_b[i], types_b[i])):
            records.append(record(who, [], [claim(CONTENT2, None, None, claim_type=ct, check_worthy=cw)],
                                  doc=doc, task=i))
    (pair,) = agreement_report(records)["pairs"]
    cw = pair["kappa"]["check_worthy"]
    assert cw["n"] == 4 and cw["observed"] == 0.75
    assert cw["kappa"] == pytest.approx(0.5)
    key = {True: "true", False: "false"}
    assert cw["kappa"] == pytest.approx(cohen_kappa_score([key[v] for v in values_a], [key[v] for v in values_b]))
    assert pair["kappa"]["claim_type"]["kappa"] == pytest.approx(cohen_kappa_score(types_a, types_b))
    assert pair["kappa"]["attribution"]["kappa"] is None  # all 'none'


@pytest.mark.parametrize("x, y, expected", [
    ([], [], None),
    (["a", "a"], ["a", "a"], None),
    (["a", "b"], ["a", "b"], 1.0),
    (["a", "b"], ["b", "a"], -1.0),
])
def test_cohen_kappa_edge_cases(x, y, expected) -> None:
    assert cohen_kappa(x, y)["kappa"] == expected


# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", nominal data with missing values:
# 4 observers, 12 units, alpha = 0.743.
KRIPPENDORFF_2011 = [
    "1 2 3 3 2 1 4 1 2 . . .",
    "1 2 3 3 2 2 4 1 2 5 . 3",
    ". 3 3 3 2 3 4 2 2 5 1 .",
    "1 2 3 3 2 4 4 1 2 5 1 .",
]


def test_krippendorff_alpha_textbook_example() -> None:
    rows = [r.split() for r in KRIPPENDORFF_2011]
    units = [[v for v in column if v != "."] for column in zip(*rows)]
    assert krippendorff_alpha_nominal(units) == pytest.approx(0.743, abs=5e-4)


@pytest.mark.parametrize("units, expected", [
    ([["x", "x"], ["y", "y"]], 1.0),
    ([["x", "x"], ["x", "x"]], None),  # no variation: undefined
    ([["x"], ["y"]], None),  # nothing pairable
    ([["x", "y"], ["y", "x"]], -0.5),  # 1 - (n-1) * 4 / 8 with n = 4 values
])
def test_krippendorff_alpha_small_cases(units, expected) -> None:
    assert krippendorff_alpha_nominal(units) == (pytest.approx(expected) if expected is not None else None)


def test_alpha_with_three_annotators_matches_nltk() -> None:
    report = agreement_report(_three_annotators())
    alpha = report["overall"]["alpha"]
    assert set(alpha) == {"attribution", "claim_type", "check_worthy"}
    # units: doc-1 claim 1 (a, b, c), doc-1 claim 2 (a, c), doc-2 claim 1 (a, b, c), doc-2 claim 2 (a, b)
    assert alpha["claim_type"]["units"] == 4 and alpha["claim_type"]["pairable_values"] == 10
    data = {
        "claim_type": [["prediction", "factual_event", "prediction"], ["prediction", "prediction"],
                       ["prediction", "opinion", "opinion"], ["prediction", "prediction"]],
        "check_worthy": [["true"] * 3, ["false", "false"], ["true", "true", "false"], ["false", "false"]],
    }
    from nltk.metrics.agreement import AnnotationTask

    for attr, units in data.items():
        triples = [(f"coder{j}", f"unit{i}", v) for i, unit in enumerate(units) for j, v in enumerate(unit)]
        assert alpha[attr]["alpha"] == pytest.approx(AnnotationTask(triples).alpha())
        assert alpha[attr]["alpha"] == pytest.approx(krippendorff_alpha_nominal(units))
    assert len(report["pairs"]) == 3
    assert report["overall"]["kappa"]["claim_type"]["pairs"] >= 1


def test_align_is_order_independent() -> None:
    items = {"a": claims_a(), "b": annotator_b().claims, "c": list(reversed(claims_a()))}
    weight = claim_weight(TEXT)
    units = align(items, weight)
    shuffled = align({"c": items["c"], "b": items["b"], "a": items["a"]}, weight)
    as_sets = lambda us: sorted(sorted((n, items[n][i].start) for n, idx in u.members.items() for i in idx) for u in us)
    assert as_sets(units) == as_sets(shuffled)
    assert [u.annotators for u in units] == [["a", "b", "c"], ["a", "c"]]


def test_single_annotator_task_is_undefined_not_an_error() -> None:
    records = [annotator_a(), annotator_b(), record("a@x.org", mentions_a(), [], doc="doc-9", task=9)]
    report = agreement_report(records)
    assert report["tasks"] == {"total": 2, "compared": 1, "single_annotator": ["doc-9"]}
    lone = next(t for t in report["per_task"] if t["id"] == "doc-9")
    assert lone["agreement"] == "undefined" and "only one annotator (a@x.org)" in lone["note"]
    assert lone["disagreements"] == []


def test_latest_annotation_of_an_annotator_is_used_and_noted() -> None:
    old = record("a@x.org", [], [], annotation_id=1, updated_at="2025-01-01T00:00:00Z")
    new = annotator_a(annotation_id=2, updated_at="2025-02-01T00:00:00Z")
    articles, notes = group_articles([new, old])
    assert articles[0].records["a@x.org"] is new
    assert "using annotation 2 (latest), not 1" in notes[0]


# ---------------------------------------------------------------- files and the command


def _write(tmp_path: Path, records, name: str = "records.jsonl") -> Path:
    path = tmp_path / name
    write_jsonl(path, records)
    return path


def test_command_text_and_json(khabar, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "240")
    path = _write(tmp_path, [annotator_a(), annotator_b()])
    out = tmp_path / "report.json"
    result = khabar("agreement", path, "--json", out)
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert _kinds(report["disagreements"]) == EXPECTED_KINDS
    assert report == json.loads(json.dumps(agreement_report(load_records(path)), ensure_ascii=False))
    lines = result.stdout.splitlines()       # not a terminal: tab-separated sections with full headers
    assert "annotator A\tannotator B\ttasks compared\tentities strict F1\tentities overlap F1" in lines[2]
    assert lines[3].startswith("a@x.org\tb@x.org\t1\t0.714\t")     # strict entity F1 = 10/14
    start = lines.index(next(line for line in lines if "disputed unit(s), one row each" in line))
    assert lines[start + 1] == "article\ttask\tunit\ttext\tdisputed\ta@x.org\tb@x.org"
    rows = [line.split("\t") for line in lines[start + 2:] if line]
    # one row per unit, with each annotator's value: the kinds of the pairwise disagreements above
    assert {r[4] for r in rows} == {"label", "boundaries", "presence", "source", "claim_type"}
    assert all(r[0] == "doc-1" and len(r) == 7 for r in rows)
    assert ["doc-1", "1", "claim", CONTENT2, "presence", f"«{CONTENT2}»", "absent"] in rows
    assert not any("…" in line for line in lines)


def test_command_reads_the_import_folder(khabar, tmp_path: Path) -> None:
    _write(tmp_path, [annotator_a(), record("c@x.org", mentions_a(), claims_a())])
    result = khabar("agreement", tmp_path)
    assert result.exit_code == 0, result.output
    assert "# 0 disputed unit(s)" in result.stdout


def test_command_help(khabar) -> None:
    for command in ("agreement", "adjudicate"):
        result = khabar(command, "--help")
        assert result.exit_code == 0 and "RECORDS" in result.output


@pytest.mark.parametrize("content, expected", [
    ("this is not json\n", "records.jsonl:1: not valid JSON"),
    ('[{"id": "doc-1"}]\n', "records.jsonl:1: must be a JSON object"),
    ('{"id": "doc-1", "text": "x", "annotation": {"task": 1}}\n', "records.jsonl:1: record of doc-1 has no annotation.annotator"),
    ("\n", "no records"),
])
def test_bad_records_file(khabar, tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "records.jsonl"
    path.write_text(content, encoding="utf-8")
    result = khabar("agreement", path)
    assert result.exit_code == 1
    assert expected in result.stderr and "Traceback" not in result.stderr


def test_different_texts_for_one_article_are_an_error(khabar, tmp_path: Path) -> None:
    other = annotator_b()
    other = replace(other, article=replace(other.article, text=TEXT + " "))
    result = khabar("agreement", _write(tmp_path, [annotator_a(), other]))
    assert result.exit_code == 1 and "different article text" in result.stderr


@pytest.mark.parametrize("a, b, matched", [
    ("بوتين سيزور كوريا الشمالية", "بوتين سيزور كوريا الشمالية", True),
    ("بوتين سيزور كوريا الشمالية", "بوتين سيزور", True),  # token IoU 2/4 = 0.5: the threshold is inclusive
    ("بوتين سيزور كوريا الشمالية", "سيزور", False),  # 1/4
    ("الزيارة ستستغرق يومين", "بوتين سيزور", False),  # no overlap
])
def test_claims_match_at_token_iou_half(a: str, b: str, matched: bool) -> None:
    x = record("a", [], [claim(a, None, None)])
    y = record("b", [], [claim(b, None, None)])
    (pair,) = agreement_report([x, y])["pairs"]
    assert pair["claims"]["matched"] == int(matched)


def test_figures_per_annotator_per_label_and_progress() -> None:
    records = [replace(r, annotation={**r.annotation, "lead_time": t, "project": 4})
               for r, t in zip(_three_annotators(), (10, 20, 30, 40, 50, 60))]
    report = agreement_report(records, url="http://127.0.0.1:8080/")
    assert report["progress"] == {"a@x.org": {"tasks": 2, "median_lead_time": 25.0},
                                  "b@x.org": {"tasks": 2, "median_lead_time": 35.0},
                                  "c@x.org": {"tasks": 2, "median_lead_time": 45.0}}
    # a and c have the same mentions, so c's figures against the others equal a's
    per = report["per_annotator"]
    assert per["a@x.org"]["entities"] == per["c@x.org"]["entities"]
    assert per["b@x.org"]["entities"]["strict"]["f1"] < per["a@x.org"]["entities"]["strict"]["f1"]
    pooled = report["overall"]["entities"]["strict"]
    assert sum(p["matched"] for p in report["per_label"].values()) == pooled["matched"]
    assert report["per_label"]["GPE"]["f1"] == 1.0 and report["per_label"]["DATE"]["f1"] < 1.0  # b: a shorter date
    assert report["per_task"][0]["urls"] == ["http://127.0.0.1:8080/projects/4/data?task=1"]
    assert all(d["urls"] for d in report["disputes"])
    two = [d for d in report["disputes"] if d["id"] == "doc-2"]
    assert {(d["what"], tuple(d["values"].values())) for d in two} == {
        ("presence", (f"«{CONTENT2}»", f"«{CONTENT2}»", "absent")),
        ("claim_type", ("prediction", "opinion", "opinion")), ("check_worthy", ("true", "true", "false"))}


def test_excluded_annotators_and_review_decisions_are_left_out(khabar, tmp_path: Path) -> None:
    decision = record("lead@x.org", mentions_a(), claims_a(), annotation_id=99)
    decision = replace(decision, annotation={**decision.annotation, "review": True})
    records = _three_annotators() + [decision]
    report = agreement_report(records, exclude=["b@x.org"])
    assert report["annotators"] == ["a@x.org", "c@x.org"]
    assert any("b@x.org left out" in n for n in report["notes"])
    assert any("1 review decision(s) left out" in n for n in report["notes"])
    path = _write(tmp_path, records)
    result = khabar("agreement", path, "--adjudicator", "b@x.org", "--format", "json")
    assert json.loads(result.stdout)["annotators"] == ["a@x.org", "c@x.org"]


# A hand-made table: three annotators, one attribute, four units. a and b always agree, c differs on two.
# All three: o_xx = o_yy = 4, o_xy = o_yx = 2, n = 12, n_x = n_y = 6: alpha = 1 - 11 * 4 / 72 = 7/18.
# Without c: a and b agree on every unit: alpha = 1. Without a (or b): two of four units differ,
# o_xy = o_yx = 2, n = 8, n_x = n_y = 4: alpha = 1 - 7 * 4 / 32 = 1/8.
HAND_UNITS = [{"a": "x", "b": "x", "c": "y"}, {"a": "y", "b": "y", "c": "y"},
              {"a": "x", "b": "x", "c": "x"}, {"a": "y", "b": "y", "c": "x"}]


def test_alpha_without_each_annotator_on_a_hand_made_table() -> None:
    from annotation.review.reliability import alpha_without

    assert krippendorff_alpha_nominal([list(u.values()) for u in HAND_UNITS]) == pytest.approx(7 / 18)
    assert alpha_without(HAND_UNITS, ["a", "b", "c"]) == {"a": pytest.approx(1 / 8), "b": pytest.approx(1 / 8),
                                                          "c": pytest.approx(1.0)}


def test_alpha_without_each_annotator_in_the_report() -> None:
    report = agreement_report(_three_annotators())
    per = report["per_annotator"]
    # claim_type units (see test_alpha_with_three_annotators_matches_nltk) with b left out: a and c only
    without_b = [["prediction", "prediction"], ["prediction", "prediction"], ["prediction", "opinion"],
                 ["prediction"]]
    assert per["b@x.org"]["alpha_without"]["claim_type"] == pytest.approx(krippendorff_alpha_nominal(without_b))
    assert per["b@x.org"]["alpha_without"]["claim_type"] == pytest.approx(0.0)   # 1 - 5 * 2 / 10
    assert set(per["a@x.org"]["alpha_without"]) == {"attribution", "claim_type", "check_worthy"}
    two = agreement_report(_three_annotators()[:2])
    assert all(p["alpha_without"] is None for p in two["per_annotator"].values())
