"""The data model: JSON lines round trips and validation of every kind of defect."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from annotation.errors import KhabarError
from annotation.gold.records import load_gold
from annotation.io import dumps, read_predictions, write_jsonl
from annotation.model import Annotated, Span
from annotation.scheme import load_scheme
from annotation.gold.validation import validate_corpus, validate_document
from tests.documents import TEXT, good_doc, span_of

def test_good_document_is_valid() -> None:
    assert validate_document(good_doc(), load_scheme()) == []


def _with_entity(doc: Annotated, i: int, **changes) -> Annotated:
    ents = list(doc.entities)
    ents[i] = replace(ents[i], **changes)
    return replace(doc, entities=tuple(ents))


def _with_claim(doc: Annotated, **changes) -> Annotated:
    return replace(doc, claims=(replace(doc.claims[0], **changes),))


DEFECTS = [
    ("offsets outside", lambda d: _with_entity(d, 0, end=len(TEXT) + 3), "outside the text"),
    ("negative start", lambda d: _with_entity(d, 0, start=-1), "outside the text"),
    ("inverted", lambda d: _with_entity(d, 0, start=5, end=2), "inverted"),
    ("text mismatch", lambda d: _with_entity(d, 0, text="بوتن"), "does not match"),
    ("unknown label", lambda d: _with_entity(d, 0, label="PER"), "unknown label 'PER'"),
    ("duplicate entity id", lambda d: _with_entity(d, 1, id="e1"), "duplicate entity id 'e1'"),
    ("unknown attribute value", lambda d: _with_claim(d, claim_type="statement"), "unknown claim_type value"),
    ("boolean given as string", lambda d: _with_claim(d, check_worthy="yes"), "unknown check_worthy value"),
    ("missing attribute", lambda d: _with_claim(d, attribution=None), "missing attribute 'attribution'"),
    ("source points nowhere", lambda d: _with_claim(d, source=Span(200, 210, "x")), "outside the text"),
    ("source cluster unknown", lambda d: _with_claim(d, source=span_of(TEXT, "ديمتري بيسكوف", "nobody")),
     "no mention has"),
    ("cue text mismatch", lambda d: _with_claim(d, cue=Span(0, 3, "قال")), "does not match"),
    ("source without attribution", lambda d: _with_claim(d, attribution="none"), "attribution 'none'"),
    ("claim without offsets", lambda d: _with_claim(d, start=None), "no offsets"),
]


@pytest.mark.parametrize("name,corrupt,expected", DEFECTS, ids=[d[0] for d in DEFECTS])
def test_each_defect_is_reported_with_its_place(name, corrupt, expected) -> None:
    problems = validate_document(corrupt(good_doc()), load_scheme())
    assert problems, name
    assert any(expected in p.message for p in problems), [str(p) for p in problems]
    assert all(p.where.startswith("doc-1") for p in problems)


def test_duplicate_article_ids_across_corpus() -> None:
    problems = validate_corpus([good_doc(), good_doc()], load_scheme())
    assert [p.message for p in problems] == ["duplicate article id (2 times)"]


def test_jsonl_round_trip_is_byte_stable(tmp_path: Path) -> None:
    first = tmp_path / "a.jsonl"
    second = tmp_path / "b.jsonl"
    write_jsonl(first, [good_doc(), replace(good_doc(), article=replace(good_doc().article, id="doc-2"))])
    write_jsonl(second, load_gold(first))
    assert first.read_bytes() == second.read_bytes()
    assert load_gold(second)[0] == good_doc()


def test_spec_example_prediction_parses_without_offsets(tmp_path: Path) -> None:
    line = {"id": "dostor-0001",
            "entities": [{"label": "PERS", "start": 0, "end": 5}, {"label": "GPE", "text": "كوريا الشمالية"}],
            "claims": [{"text": "لا توجد حاليًا خطط", "source": {"text": "بيسكوف"},
                        "claim_type": "factual_event", "check_worthy": True}]}
    path = tmp_path / "p.jsonl"
    path.write_text(dumps(line) + "\n", encoding="utf-8")
    (pred,) = read_predictions(path)
    assert pred.entities[1].start is None and pred.entities[1].text == "كوريا الشمالية"
    assert pred.claims[0].source == Span(text="بيسكوف")
    assert json.loads(dumps(pred.to_dict())) == line


@pytest.mark.parametrize("content,message", [
    ('{"id": 1, "text": "x"\n', "a.jsonl:1: not valid JSON"),
    ('{"id": "a", "text": "x"}\n\n{"text": "y"}\n', "a.jsonl:3: missing field 'id'"),
    ('{"id": "a", "text": "x", "entities": [{"start": 0}]}\n', "a.jsonl:1: entities[0]: missing field 'label'"),
    ('{"id": "a", "text": 5}\n', "a.jsonl:1: field 'text' must be str"),
    ('{"id": "a", "text": "x", "entities": [{"label": "PERS", "start": true}]}\n', "must be an integer"),
])
def test_bad_lines_name_file_and_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(KhabarError, match=re.escape(message)):
        load_gold(path)


@pytest.mark.parametrize("expected", ["a JSON lines file", "a Label Studio JSON export", "a result JSON file"])
def test_input_files_missing_or_a_folder_are_named(tmp_path, expected):
    """The readers of JSON lines, Label Studio exports and result JSONs share one way to open a file."""
    from annotation.io import iter_json_lines
    from annotation.labelstudio.importer import import_file
    from eval.statistics.runs import read_run

    read = {"a JSON lines file": lambda p: list(iter_json_lines(p)),
            "a Label Studio JSON export": lambda p: import_file(p, tmp_path / "out"),
            "a result JSON file": read_run}[expected]
    with pytest.raises(KhabarError, match=re.escape(f"{tmp_path / 'none.json'}: no such file") + "$"):
        read(tmp_path / "none.json")
    with pytest.raises(KhabarError, match=re.escape(f"{tmp_path}: is a directory, expected {expected}") + "$"):
        read(tmp_path)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("changes, message", [
    ({"id": 7}, "field 'id' must be a non-empty string, not 7"),
    ({"id": ""}, "field 'id' must be a non-empty string, not ''"),
    ({"entity": 3}, "field 'entity' must be a non-empty string, not 3"),
    ({"entity": " "}, "field 'entity' must be a non-empty string, not ' '"),
])
def test_gold_ids_and_clusters_must_be_strings(changes, message) -> None:
    problems = validate_document(_with_entity(good_doc(), 1, **changes), load_scheme())
    assert [p.message for p in problems if p.where.endswith("entities[1]")] == [message]


def test_an_empty_article_id_is_refused() -> None:
    doc = good_doc()
    doc = replace(doc, article=replace(doc.article, id=""))
    assert any("article id must be a non-empty string" in p.message for p in validate_document(doc, load_scheme()))


def test_a_mention_written_twice_is_reported() -> None:
    doc = good_doc()
    twice = replace(doc.entities[1], id="e9")
    problems = validate_document(replace(doc, entities=doc.entities + (twice,)), load_scheme())
    assert [str(p) for p in problems] == [
        "doc-1 entities[4] (e9): the same mention as entities[1] (PERS [%d, %d)); keep one" % (twice.start, twice.end)]
