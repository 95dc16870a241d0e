"""Label Studio without a server: the config, tasks and pre-annotations, offsets, the import of exports.

The real payloads in tests/data/labelstudio/ come from a Label Studio 1.23.2 server whose config uses
other names (PER, said_by, statement, yes/no): the import must refuse them as a config mismatch, and
convert copies rewritten to the scheme's names.
"""

from __future__ import annotations

import copy
import json
import os
import socket
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from annotation.errors import KhabarError
from annotation.labelstudio.annotations import annotation_to_record
from annotation.labelstudio.config import (CLAIM_PARTS, ENTITIES, check_config, config_vocabulary, instructions,
                                 label_config, vocabulary)
from annotation.labelstudio.importer import import_export, import_file
from annotation.model import Article, Claim, Mention, Prediction, Span
from annotation.labelstudio.offsets import OffsetResolver
from annotation.labelstudio.tasks import article_task, predictions_to_results
from annotation.scheme import load_scheme
from tests.helpers import SAMPLES, encode, sample


def records(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "records.jsonl").read_text(encoding="utf-8").splitlines()]


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --- the labeling config ---------------------------------------------------------------------------


def test_config_follows_the_scheme():
    scheme = load_scheme()
    root = ET.fromstring(label_config(scheme))
    assert root.tag == "View" and root.get("style") == "direction: rtl; text-align: right;"
    text = root.find("Text")
    assert text is not None and text.get("name") == "text" and text.get("value") == "$text"
    assert text.get("granularity") == "symbol"
    labels = {e.get("name"): e for e in root.iter("Labels")}
    assert [l.get("value") for l in labels[ENTITIES]] == list(scheme.labels)
    assert [l.get("value") for l in labels[CLAIM_PARTS]] == ["CLAIM", "SOURCE", "CUE"]
    assert [l.get("background") for l in labels[ENTITIES]] == [i.color for i in scheme.entity_labels]
    for item, element in zip(scheme.entity_labels, labels[ENTITIES]):
        assert item.ar in element.get("html") and element.get("hint")
    assert [r.get("value") for r in root.iter("Relation")] == ["source", "cue", "via", "same"]
    shown_when = [v for v in root.iter("View") if v.get("visibleWhen")]
    assert len(shown_when) == 1
    assert (shown_when[0].get("visibleWhen"), shown_when[0].get("whenTagName"), shown_when[0].get("whenLabelValue")) \
        == ("region-selected", "claim_parts", "CLAIM")
    choices = list(shown_when[0].iter("Choices"))
    assert [c.get("name") for c in choices] == ["attribution", "claim_type", "check_worthy", "stance", "certainty"]
    for attr, element in zip(scheme.attributes, choices):
        assert element.get("perRegion") == "true" and element.get("choice") == "single"
        assert [c.get("value") for c in element] == list(attr.value_names)
    # alias would replace the stored value: the scheme's names must be what results store
    assert not [e for e in root.iter() if e.get("alias")]
    assert config_vocabulary(label_config(scheme)) == vocabulary(scheme)


def test_config_comes_from_the_scheme_file(tmp_path):
    obj = json.loads((Path(__file__).resolve().parent.parent / "data" / "scheme.json").read_text(encoding="utf-8"))
    obj["entity_labels"].append({"name": "PRODUCT", "ar": "منتج", "en": "Product", "color": "#000000",
                                 "definition": "A product."})
    path = tmp_path / "scheme.json"
    path.write_text(json.dumps(obj, ensure_ascii=False), encoding="utf-8")
    scheme = load_scheme(path)
    assert "PRODUCT" in config_vocabulary(label_config(scheme))[ENTITIES]
    with pytest.raises(KhabarError, match="scheme values missing: PRODUCT"):
        check_config(label_config(), scheme)


def test_a_foreign_config_is_named_as_a_mismatch():
    with pytest.raises(KhabarError) as info:
        check_config((SAMPLES / "label_config.xml").read_text(encoding="utf-8"))
    message = str(info.value)
    for part in ("entities: values not in the scheme: PER", "relations: values not in the scheme: said_by",
                 "control 'attribution' of the scheme is missing"):
        assert part in message


def test_guidelines_become_html_instructions():
    html = instructions()
    assert html.startswith('<div dir="auto">') and "<h2>" in html and "<h1>" in html
    assert "الإحالة المشتركة" in html and '<div dir="rtl" lang="ar">' in html


# --- tasks and pre-annotations --------------------------------------------------------------------


TEXT = "قال بوتين\nقال المتحدث ديمتري بيسكوف إن مصادر مطلعة ذكرت أن بوتين سيزور موسكو، بحسب وكالات الأنباء."


def _se(needle: str, occurrence: int = 1) -> tuple[int, int]:
    pos = -1
    for _ in range(occurrence):
        pos = TEXT.index(needle, pos + 1)
    return pos, pos + len(needle)


def test_task_carries_the_article():
    art = Article(id="a1", text=TEXT, title="قال بوتين", source="الدستور", url="http://x")
    assert article_task(art) == {"data": {"id": "a1", "text": TEXT, "title": "قال بوتين", "source": "الدستور"}}


def test_predictions_round_trip_through_results_to_the_same_record():
    art = Article(id="a1", text=TEXT, title="قال بوتين")
    putin1, putin2, peskov, moscow = _se("بوتين", 1), _se("بوتين", 2), _se("ديمتري بيسكوف"), _se("موسكو")
    sources, agencies, cue, claim = _se("مصادر مطلعة"), _se("وكالات الأنباء"), _se("ذكرت"), _se("بوتين سيزور موسكو")
    pred = Prediction(id="a1", entities=(
        Mention("PERS", *putin2, entity="putin"), Mention("PERS", *putin1, entity="putin"),
        Mention("PERS", *peskov, entity="peskov"), Mention("GPE", *moscow),
    ), claims=(Claim(*claim, source=Span(*sources, entity="peskov"), cue=Span(*cue), via=(Span(*agencies),),
                     attribution="indirect", claim_type="prediction", check_worthy=False),))
    results = predictions_to_results(pred, art)
    relations = sorted((r["from_id"], r["to_id"], r["labels"][0]) for r in results if r["type"] == "relation")
    assert relations == [("c1", "q1", "cue"), ("c1", "s1", "source"), ("c1", "s2", "via"),
                         ("e3", "e1", "same"), ("s1", "e2", "same")]
    annotation = {"id": 7, "task": 3, "completed_by": 2, "result": results, "updated_at": "2026-01-01T00:00:00Z"}
    record, problems, repairs = annotation_to_record(art, annotation)
    assert problems == [] and repairs == []
    assert [(m.label, m.start, m.end, m.entity) for m in record.entities] == [
        ("PERS", *putin1, "بوتين"), ("PERS", *peskov, "ديمتري-بيسكوف"), ("PERS", *putin2, "بوتين"),
        ("GPE", *moscow, "موسكو")]                    # clusters named after their longest mention
    (c,) = record.claims
    assert (c.start, c.end, c.attribution, c.claim_type, c.check_worthy) == (*claim, "indirect", "prediction", False)
    assert c.source == Span(*sources, TEXT[slice(*sources)], "ديمتري-بيسكوف")   # a SOURCE joined to peskov's cluster
    assert c.cue == Span(*cue, "ذكرت") and c.via == (Span(*agencies, "وكالات الأنباء", None),)
    assert record.annotation == {"annotator": "2", "task": 3, "annotation_id": 7, "ground_truth": False,
                                 "updated_at": "2026-01-01T00:00:00Z", "scheme": load_scheme().version}


def test_source_on_a_mention_points_to_the_mention():
    art = Article(id="a1", text=TEXT)
    peskov = _se("ديمتري بيسكوف")
    pred = Prediction(id="a1", entities=(Mention("PERS", *peskov),),
                      claims=(Claim(*_se("بوتين سيزور موسكو"), source=Span(*peskov)),))
    results = predictions_to_results(pred, art)
    assert [r["labels"] for r in results if r["type"] == "relation"] == [["source"]]
    assert results[-1]["to_id"] == "e1" and not any(r["value"]["labels"] == ["SOURCE"] for r in results
                                                    if r["type"] == "labels")


@pytest.mark.parametrize("pred, message", [
    (Prediction("a1", entities=(Mention("PERS", 5, 500),)), "outside the text"),
    (Prediction("a1", entities=(Mention("PERS", 4, 9, text="كيم"),)), "does not match the text"),
    (Prediction("a1", entities=(Mention("PERSON", 4, 9),)), "unknown entity label 'PERSON'"),
    (Prediction("a1", claims=(Claim(0, 3, claim_type="rumour"),)), "unknown claim_type value 'rumour'"),
])
def test_bad_predictions_are_named(pred, message):
    with pytest.raises(KhabarError, match=message):
        predictions_to_results(pred, Article(id="a1", text=TEXT))


def test_unaligned_spans_are_left_out():
    pred = Prediction("a1", entities=(Mention("PERS", text="غير موجود"), Mention("PERS", 4, 9)))
    results = predictions_to_results(pred, Article(id="a1", text=TEXT))
    assert [r["value"]["text"] for r in results] == ["بوتين"]


# --- offsets ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, start, end, value, expected", [
    ("قال بوتين", 4, 9, "بوتين", ((4, 9), None)),
    ("قال بوتين", 4, 9, None, ((4, 9), None)),
    ("😀 بوتين", 3, 8, "بوتين", ((2, 7), "utf16")),                      # UTF-16 offsets after an emoji
    ("🇸🇦 بوتين", 5, 10, "بوتين", ((3, 8), "utf16")),                    # a flag is two astral code points
    ("أ\r\nبوتين", 2, 7, "بوتين", ((3, 8), "newlines")),                 # offsets on \n-normalised text
    ("😀😀\r\nبوتين", 5, 10, "بوتين", ((4, 9), "utf16+newlines")),
    ("😀😀😀XX\r\nXX", 6, 8, "XX", "ambiguous"),                           # two readings, two places
    ("قال بوتين", 4, 9, "كيم", "does not match the text at [4, 9): 'بوتين'"),
    ("قال بوتين", 4, 90, "بوتين", "does not match the text at [4, 90): nothing"),
    ("قال بوتين", 4, 90, None, "outside the text"),
    ("قال بوتين", 5, 5, None, "offsets [5, 5) are inverted or empty"),
    ("قال بوتين", "4", 9, "بوتين", "no integer start/end"),
])
def test_offsets_are_checked_and_repaired_only_when_unambiguous(text, start, end, value, expected):
    got = OffsetResolver(text).locate(start, end, value)
    if isinstance(expected, tuple):
        assert not isinstance(got, str), got
        (se, repair), (want_se, want_repair) = got, expected
        assert se == want_se and text[se[0]:se[1]] == (value or text[se[0]:se[1]])
        assert (repair.split(" ")[0] if repair else None) == want_repair
    else:
        assert isinstance(got, str) and expected in got


# --- one annotation -> record: what is quarantined ----------------------------------------------


def _region(rid: str, control: str, label: str, needle: str, occurrence: int = 1, labels: list | None = None) -> dict:
    start, end = _se(needle, occurrence)
    return {"id": rid, "from_name": control, "to_name": "text", "type": "labels",
            "value": {"start": start, "end": end, "text": needle, "labels": labels or [label]}}


def _rel(a: str, b: str, *labels: str) -> dict:
    return {"from_id": a, "to_id": b, "type": "relation", "direction": "right", "labels": list(labels)}


def _choice(rid: str, attr: str, *values: str) -> dict:
    return {"id": rid, "from_name": attr, "to_name": "text", "type": "choices", "value": {"choices": list(values)}}


BASE = [_region("m1", ENTITIES, "PERS", "ديمتري بيسكوف"), _region("m2", ENTITIES, "GPE", "موسكو"),
        _region("c1", CLAIM_PARTS, "CLAIM", "بوتين سيزور موسكو"), _region("q1", CLAIM_PARTS, "CUE", "ذكرت"),
        _region("q2", CLAIM_PARTS, "CUE", "قال", 2)]


@pytest.mark.parametrize("extra, problems", [
    ([{**_region("m9", ENTITIES, "PERS", "بوتين"), "value": {**_region("m9", ENTITIES, "PERS", "بوتين")["value"],
                                                               "text": "كيم"}}],
     [("m9", "region text 'كيم' does not match the text")]),
    ([_rel("c1", "m7", "source")], [("relation c1->m7", "source relation to region m7, which is missing")]),
    ([_rel("m1", "m2")], [("relation m1->m2", "needs exactly one label, it has [] (only via and same")]),
    ([_rel("c1", "q2", "source", "cue")], [("relation c1->q2", "needs exactly one label, it has ['source', 'cue']")]),
    ([_rel("c1", "m1", "source"), _rel("c1", "m2", "source")], [("c1", "claim has 2 source relations (m1, m2)")]),
    ([_rel("c1", "m1", "cue")], [("relation c1->m1", "cue relation to a PERS region")]),
    ([_rel("c1", "q1", "source")], [("relation c1->q1", "source relation to a CUE region")]),
    ([_rel("m1", "m2", "source")], [("relation m1->m2", "goes from one CLAIM to its target")]),
    ([_rel("c1", "m1", "same")], [("relation c1->m1", "same links entity mentions or SOURCE regions only")]),
    ([_choice("m1", "claim_type", "opinion")], [("m1", "claim_type choice on a PERS region")]),
    ([_choice("c1", "claim_type", "opinion", "causal")], [("c1", "claim_type needs exactly one value")]),
    ([_choice("zz", "claim_type", "opinion")], [("zz", "choice for a region that is missing")]),
    ([_region("m5", ENTITIES, "PERS", "بوتين", labels=["PERS", "ORG"])], [("m5", "exactly one label")]),
    ([_region("m1", ENTITIES, "ORG", "موسكو")], [("m1", "two regions have this id")]),
])
def test_bad_items_are_quarantined_and_the_rest_imported(extra, problems):
    art = Article(id="a1", text=TEXT)
    result = BASE + extra + [_rel("q1", "c1", "cue"), _choice("c1", "check_worthy", "true")]
    record, found, _ = annotation_to_record(art, {"id": 1, "task": 1, "completed_by": 1, "result": result})
    assert [p.where for p in found] == [f"task 1 annotation 1 region {region}" for region, _ in problems]
    for problem, (_, reason) in zip(found, problems):
        assert reason in problem.message
    kept = {m.id for m in record.entities}
    assert {"m2"} <= kept and [c.id for c in record.claims] == ["c1"]
    assert record.claims[0].cue == Span(*_se("ذكرت"), "ذكرت")  # drawn from the CUE to the claim: still the cue
    assert record.claims[0].check_worthy is True


def test_a_relation_without_a_label_takes_the_role_its_target_implies():
    art = Article(id="a1", text=TEXT)
    result = BASE + [_rel("c1", "m1"), _rel("q1", "c1")]      # the claim's source, and its cue drawn backwards
    record, found, _ = annotation_to_record(art, {"id": 1, "task": 1, "completed_by": 1, "result": result})
    assert found == []
    (claim,) = record.claims
    assert claim.source == Span(*_se("ديمتري بيسكوف"), "ديمتري بيسكوف", "ديمتري-بيسكوف")
    assert claim.cue == Span(*_se("ذكرت"), "ذكرت")


# --- importing exports -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["export_JSON.json", "export_snapshot_full.json"])
def test_real_exports_of_another_config_are_refused(name, tmp_path):
    out = tmp_path / "out"
    with pytest.raises(KhabarError) as info:
        import_file(SAMPLES / name, out)
    message = str(info.value)
    assert "labeling config that does not match the scheme" in message and "nothing imported" in message
    assert "entities: values not in the scheme: PER" in message and "said_by" in message
    assert not out.exists()


def test_json_min_and_csv_exports_are_refused_with_the_reason(tmp_path):
    with pytest.raises(KhabarError, match="JSON_MIN export: JSON_MIN and CSV exports lose relations"):
        import_file(SAMPLES / "export_JSON_MIN.json", tmp_path / "out")
    csv = tmp_path / "export.csv"
    csv.write_text("text,id,entities\nقال,1,[]\n", encoding="utf-8")
    with pytest.raises(KhabarError, match="CSV export is not accepted"):
        import_file(csv, tmp_path / "out")
    renamed_csv = tmp_path / "export.json"
    renamed_csv.write_text("text,id,entities\nقال,1,[]\n", encoding="utf-8")
    with pytest.raises(KhabarError, match="a CSV export\\?"):
        import_file(renamed_csv, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_truncated_export_is_one_message_and_nothing_written(tmp_path):
    data = (SAMPLES / "export_snapshot_full.json").read_bytes()
    path = tmp_path / "cut.json"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(KhabarError, match="cut.json:\\d+: not valid JSON .* the file is truncated"):
        import_file(path, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def _by_annotation(out: Path) -> dict[int, dict[str, Any]]:
    return {r["annotation"]["annotation_id"]: r for r in records(out)}


def test_rewritten_real_export_converts(tmp_path):
    out = tmp_path / "out"
    report = import_export(encode(sample("export_snapshot_full.json")), out, where="snapshot.json")
    assert (report.annotations, report.cancelled, report.added, report.quarantined) == (5, 1, 4, [])
    got = _by_annotation(out)
    assert sorted(got) == [1, 2, 3, 4]                     # annotation 5 was cancelled
    one = got[1]
    assert one["id"] == "ar-001" and one["source"] == "news"
    assert one["annotation"] == {"annotator": "admin@example.com", "task": 1, "annotation_id": 1,
                                 "ground_truth": True, "updated_at": "2026-11-29T04:58:42.521718Z",
                                 "project": 1, "lead_time": 42.5,
                                 "scheme": load_scheme().version}  # the scheme it was imported with
    assert got[3]["annotation"]["pre_annotation"] == "baseline-v0"      # made from that model's prediction
    assert "pre_annotation" not in got[2]["annotation"]
    assert [(e["id"], e["label"], e["start"], e["end"], e["text"], e["entity"]) for e in one["entities"]] == [
        ("e1", "GPE", 6, 20, "كوريا الشمالية", "كوريا-الشمالية"), ("e2", "DATE", 22, 34, "اليوم الخميس", "اليوم-الخميس"),
        ("e3", "PERS", 46, 58, "كيم جونج أون", "كيم-جونج-أون"), ("e4", "PERS", 82, 96, "فلاديمير بوتين", "فلاديمير-بوتين"),
        ("e5", "GPE", 104, 118, "كوريا الشمالية", "كوريا-الشمالية~2")]   # no same relation: two clusters
    assert one["claims"] == [{
        "id": "c1", "start": 36, "end": 118, "text": one["text"][36:118],
        "source": {"start": 6, "end": 20, "text": "كوريا الشمالية", "entity": None}, "cue": None, "via": [],
        "attribution": None, "claim_type": "factual_event", "check_worthy": True}]
    assert got[2]["annotation"]["annotator"] == "annotator2@example.com"
    assert got[2]["claims"][0]["claim_type"] == "opinion" and got[2]["claims"][0]["check_worthy"] is False
    emoji = got[3]
    assert emoji["text"][emoji["entities"][0]["start"]:emoji["entities"][0]["end"]] == "الرياض"
    crlf = got[4]   # regions without value.text, on a text with \r\n: code points on the raw text
    assert [e["text"] for e in crlf["entities"]] == ["محمد", "القاهرة"]


def test_plain_json_export_names_annotators_by_id(tmp_path):
    import_export(encode(sample("export_JSON.json")), tmp_path, where="export.json")
    assert [r["annotation"]["annotator"] for r in records(tmp_path)] == ["1", "2", "1", "1"]


def _utf16(text: str, offset: int) -> int:
    return len(text[:offset].encode("utf-16-le")) // 2


def _normalised(text: str, offset: int) -> int:
    return offset - text[:offset].count("\r\n")


@pytest.mark.parametrize("task_id, convert, repair", [(2, _utf16, "utf16"), (3, _normalised, "newlines")])
def test_exports_with_other_offsets_are_repaired(tmp_path, task_id, convert, repair):
    tasks = sample("export_snapshot_full.json")
    reference = tmp_path / "reference"
    import_export(encode(tasks), reference, where="x.json")
    broken = copy.deepcopy(tasks)
    for task in broken:
        if task["id"] != task_id:
            continue
        text = task["data"]["text"]
        for ann in task["annotations"]:
            for item in ann["result"]:
                if "value" in item and "start" in item["value"]:
                    value = item["value"]
                    value.setdefault("text", text[value["start"]:value["end"]])
                    value["start"], value["end"] = convert(text, value["start"]), convert(text, value["end"])
    report = import_export(encode(broken), tmp_path / "repaired", where="x.json")
    assert report.repairs and all(repair in r for r in report.repairs)
    assert report.quarantined == []
    assert records(tmp_path / "repaired") == [
        {**r, "entities": [{**e} for e in r["entities"]]} for r in records(reference)]


def test_same_export_twice_changes_nothing(tmp_path):
    data = encode(sample("export_snapshot_full.json"))
    import_export(data, tmp_path, where="x.json")
    before = files(tmp_path)
    report = import_export(data, tmp_path, where="x.json")
    assert (report.added, report.updated, report.unchanged) == (0, 0, 4)
    assert files(tmp_path) == before
    assert [p for p in before if p.startswith("raw/")] == [f"raw/{report.raw_path.name}"]
    assert (tmp_path / "raw" / report.raw_path.name).read_bytes() == data   # verbatim


def test_newer_export_updates_only_what_changed(tmp_path):
    tasks = sample("export_snapshot_full.json")
    import_export(encode(tasks), tmp_path, where="x.json")
    before = (tmp_path / "records.jsonl").read_text(encoding="utf-8").splitlines()
    newer = copy.deepcopy(tasks)
    ann = newer[0]["annotations"][1]
    ann["result"] = [r for r in ann["result"] if r.get("id") != "x3"]       # annotator 2 drops a mention
    ann["updated_at"] = "2026-11-30T10:00:00.000000Z"
    report = import_export(encode(newer), tmp_path, where="y.json")
    assert (report.added, report.updated, report.unchanged) == (0, 1, 3)
    after = (tmp_path / "records.jsonl").read_text(encoding="utf-8").splitlines()
    assert [i for i, (a, b) in enumerate(zip(before, after)) if a != b] == [1]
    assert "x3" not in after[1] and len(list((tmp_path / "raw").iterdir())) == 2
    # the older export again: the newer records stay
    report = import_export(encode(tasks), tmp_path, where="x.json")
    assert (report.stale, report.updated) == (1, 0)
    assert (tmp_path / "records.jsonl").read_text(encoding="utf-8").splitlines() == after


def test_an_annotation_cancelled_later_is_removed(tmp_path):
    tasks = sample("export_snapshot_full.json")
    import_export(encode(tasks), tmp_path, where="x.json")
    later = copy.deepcopy(tasks)
    later[1]["annotations"][0].update(was_cancelled=True, result=[], updated_at="2026-12-01T00:00:00Z")
    report = import_export(encode(later), tmp_path, where="y.json")
    assert report.removed == 1 and sorted(_by_annotation(tmp_path)) == [1, 2, 4]


def test_task_without_article_is_quarantined_whole(tmp_path):
    tasks = sample("export_snapshot_full.json")
    del tasks[2]["data"]["id"]
    report = import_export(encode(tasks), tmp_path, where="x.json")
    assert [(q["task"], q["annotation"], q["region"]) for q in report.quarantined] == [(3, 4, None)]
    assert "no article 'id'" in report.quarantined[0]["reason"]
    assert sorted(_by_annotation(tmp_path)) == [1, 2, 3]
    again = import_export(encode(tasks), tmp_path, where="x.json")
    assert again.quarantined == report.quarantined and again.unchanged == 4


def test_another_projects_export_into_the_same_folder_is_refused(tmp_path):
    tasks = sample("export_snapshot_full.json")
    import_export(encode(tasks), tmp_path, where="x.json")
    before = files(tmp_path)
    other = copy.deepcopy(tasks)
    other[0]["data"]["id"] = "another-article"
    other[0]["annotations"][0]["updated_at"] = "2027-01-01T00:00:00Z"
    with pytest.raises(KhabarError, match="task 1 annotation 1 is about article 'another-article'"):
        import_export(encode(other), tmp_path, where="y.json")
    assert files(tmp_path) == before


def test_unknown_label_refuses_the_whole_export(tmp_path):
    tasks = sample("export_snapshot_full.json")
    tasks[0]["annotations"][0]["result"][0]["value"]["labels"] = ["PERSON"]
    with pytest.raises(KhabarError, match="entities: values not in the scheme: PERSON"):
        import_export(encode(tasks), tmp_path / "out", where="x.json")
    assert not (tmp_path / "out").exists()


# --- the commands, in-process --------------------------------------------------------------------


@pytest.mark.parametrize("command", ["export", "import", "studio"])
def test_help(khabar, command):
    result = khabar(command, "--help")
    assert result.exit_code == 0 and f" {command} [OPTIONS]" in result.output


def test_import_command(khabar, tmp_path):
    export = tmp_path / "export.json"
    export.write_bytes(encode(sample("export_snapshot_full.json")))
    result = khabar("import", export, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "records: 4 added, 0 updated, 0 unchanged" in result.output
    bad = sample("export_snapshot_full.json")
    bad[0]["annotations"][0]["result"].append(_rel("c1", "nowhere", "source"))
    bad[0]["annotations"][0]["updated_at"] = "2027-01-01T00:00:00Z"
    export.write_bytes(encode(bad))
    result = khabar("import", export, "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert "quarantined: task 1 annotation 1 (admin@example.com) region relation c1->nowhere" in result.output
    assert "error: 1 item(s) quarantined" in result.output and "Traceback" not in result.output
    (line,) = (tmp_path / "out" / "quarantine.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["region"] == "relation c1->nowhere"


@pytest.mark.parametrize("args", [("--out", "x"), ("e.json", "--project", "p", "--out", "x"),
                                  ("e.json", "--url", "http://h", "--out", "x")])
def test_import_usage_errors(khabar, args):
    assert khabar("import", *args).exit_code == 2


def test_import_command_refuses_a_foreign_export(khabar, tmp_path):
    result = khabar("import", SAMPLES / "export_JSON.json", "--out", tmp_path / "out")
    assert result.exit_code == 1 and result.output.startswith("error: ") and "PER" in result.output
    assert not (tmp_path / "out").exists()


def test_export_tasks_file_with_pre_annotations(khabar, tmp_path):
    arts = tmp_path / "articles.jsonl"
    arts.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in [
        {"id": "a1", "text": TEXT, "title": "قال بوتين", "source": "الدستور"},
        {"id": "a2", "text": "نص آخر", "title": "نص آخر"}]), encoding="utf-8")
    preds = tmp_path / "preds.jsonl"
    preds.write_text(json.dumps({"id": "a1", "entities": [{"label": "PERS", "text": "ديمتري بيسكوف"},
                                                          {"label": "GPE", "text": "لا يوجد"}]},
                                ensure_ascii=False) + "\n", encoding="utf-8")
    out = tmp_path / "tasks.json"
    result = khabar("export", arts, "--tasks", out, "--pre-annotate", preds)
    assert result.exit_code == 0, result.output
    assert "1 of 2 offset-free spans" in result.output
    tasks = json.loads(out.read_text(encoding="utf-8"))
    assert [t["data"] for t in tasks] == [{"id": "a1", "text": TEXT, "title": "قال بوتين", "source": "الدستور"},
                                          {"id": "a2", "text": "نص آخر", "title": "نص آخر", "source": None}]
    (pred,) = tasks[0]["predictions"]
    assert pred["model_version"].startswith("file:preds.jsonl@")
    assert [r["value"]["text"] for r in pred["result"]] == ["ديمتري بيسكوف"]
    assert "predictions" not in tasks[1]


def test_export_needs_a_destination_and_unique_ids(khabar, tmp_path):
    arts = tmp_path / "articles.jsonl"
    arts.write_text('{"id": "a", "text": "x"}\n{"id": "a", "text": "y"}\n', encoding="utf-8")
    assert khabar("export", arts).exit_code == 2
    result = khabar("export", arts, "--tasks", tmp_path / "t.json")
    assert result.exit_code == 1 and "duplicate article ids: a" in result.output
    assert not (tmp_path / "t.json").exists()


def test_server_commands_need_url_and_key(khabar, tmp_path, monkeypatch):
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    result = khabar("import", "--project", "p", "--out", tmp_path / "out")
    assert result.exit_code == 1 and "no Label Studio URL" in result.output
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://127.0.0.1:9")
    result = khabar("import", "--project", "p", "--out", tmp_path / "out")
    assert result.exit_code == 1 and "no Label Studio API key: set LABEL_STUDIO_API_KEY" in result.output


# --- the local server's pieces that need no server ------------------------------------------------


def test_credentials_file_is_private_and_secrets_stay_out_of_repr(tmp_path):
    from annotation.labelstudio.server import load_credentials, new_credentials, save_credentials

    creds = new_credentials()
    assert len(creds.api_key) == 40 and int(creds.api_key, 16) >= 0
    path = save_credentials(tmp_path, creds)
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    assert load_credentials(tmp_path) == creds
    assert creds.api_key not in repr(creds) and creds.password not in repr(creds)


def test_studio_without_the_server_extra_says_how_to_install(khabar, tmp_path, monkeypatch):
    # no label-studio beside this Python nor on PATH (the environment is changed, the code is not)
    monkeypatch.setattr("sys.executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    result = khabar("studio", "--data-dir", tmp_path / "studio")
    assert result.exit_code == 1
    assert "error: the Label Studio server is not installed" in result.output
    assert "pip install 'khabar[server]'" in result.output


# --- a server that is down or stuck (real sockets on loopback) -----------------------------------


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A real socket on loopback that accepts connections and never answers (a stuck server)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(sock.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    sock.close()


def test_slow_and_down_servers_are_one_clear_message(khabar, silent_server, tmp_path):
    from annotation.labelstudio.server import free_port

    down = f"http://127.0.0.1:{free_port()}"
    cases = [(silent_server, "no answer within 0.5 s"), (down, "cannot reach Label Studio")]
    for url, message in cases:
        result = khabar("import", "--url", url, "--api-key", "k" * 40, "--project", "p",
                     "--out", tmp_path / "out", "--timeout", "0.5")
        assert result.exit_code == 1 and message in result.output, result.output
        assert "k" * 40 not in result.output
    assert not (tmp_path / "out").exists()


def test_an_annotation_deleted_in_label_studio_leaves_the_records(tmp_path):
    tasks = sample("export_snapshot_full.json")
    import_export(encode(tasks), tmp_path, where="x.json")
    later = copy.deepcopy(tasks)
    del later[0]["annotations"][1]                      # annotation 2, deleted in the UI
    later = [t for t in later if t["id"] != 3]          # task 3: its only annotation (4) deleted, the task left out
    report = import_export(encode(later), tmp_path, where="y.json")
    assert report.deleted == 2 and (report.added, report.updated, report.unchanged) == (0, 0, 2)
    assert "2 removed (annotation deleted in Label Studio)" in report.summary()[1]
    assert sorted(_by_annotation(tmp_path)) == [1, 3]
    again = import_export(encode(later), tmp_path, where="y.json")
    assert again.deleted == 0 and sorted(_by_annotation(tmp_path)) == [1, 3]


@pytest.mark.parametrize("attribution, source, reason", [
    ("none", True, "attribution 'none' but the claim has a source"),
    ("direct_quote", False, "attribution 'direct_quote' but no source"),
])
def test_a_claim_that_breaks_the_scheme_is_quarantined_at_import(attribution, source, reason):
    art = Article(id="a1", text=TEXT)
    result = BASE + [_choice("c1", "attribution", attribution), _rel("q1", "c1", "cue")]
    if source:
        result.append(_rel("c1", "m1", "source"))
    record, found, _ = annotation_to_record(art, {"id": 7, "task": 3, "completed_by": 1, "result": result})
    assert [(p.where, p.message) for p in found] == [("task 3 annotation 7 region c1", reason)]
    assert record.claims == () and {m.id for m in record.entities} == {"m1", "m2"}
