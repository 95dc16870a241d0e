"""Reading gold and predictions for scoring: the fast reader agrees with the model's, whatever the file looks like."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import eval.inputs
from annotation.dataset import fingerprint, load_gold
from annotation.errors import KhabarError
from annotation.jsonl import read_predictions
from eval.inputs import read_gold
from eval.scoring import ScoreConfig, score, score_files
from tests.scoring_corpus import claim, gold_doc, span, text_of, write_gold, write_lines

TEXT = "قال الرئيس إن روسيا ستزيد صادراتها إلى الصين العام المقبل"


def docs(n: int = 5):
    out = []
    for i in range(n):
        text = text_of(40 + i, seed=i)
        c = [claim(TEXT, "روسيا ستزيد صادراتها", source=span(TEXT, "الرئيس", entity="p"))] if i == 2 else []
        mentions = [(0, 3, "PERS"), (5, 9, "ORG"), (12, 20, "GPE")][: i % 4]
        out.append(gold_doc(f"d{i}", TEXT if c else text, mentions, c,
                            clusters=["p"] + [None] * (len(mentions) - 1) if mentions else None))
    return out


def variants(records):
    """The same gold written in ways the model reads alike but that are not khabar's own lines."""
    compact = [json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in records]
    ascii_ = [json.dumps(r) for r in records]
    reordered = [dict(reversed(list(r.items()))) for r in records]
    sparse = []
    for r in records:
        r = {k: v for k, v in r.items() if v is not None and k not in ("annotation", "lang")}
        r["entities"] = [{k: v for k, v in e.items() if v is not None} for e in r["entities"]]
        sparse.append(r)
    with_meta = [{**r, "meta": {"group": "g"}} for r in records]
    shuffled = list(reversed(records))
    return {"compact": compact, "ascii": ascii_, "reordered": reordered, "sparse": sparse, "meta": with_meta,
            "out of order": shuffled, "mixed": [records[0], compact[1], *records[2:3], sparse[3], *records[4:]]}


@pytest.mark.parametrize("chunk", [1, 2, 4096])
def test_fingerprint_and_mentions_equal_the_models(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(eval.inputs, "CHUNK", chunk)
    from annotation.dataset import gold_record

    records = [gold_record(d) for d in docs()]
    canonical = write_lines(tmp_path / "gold.jsonl", records)
    expected = fingerprint(load_gold(canonical))
    assert read_gold(canonical).fingerprint == expected
    base = score_files(canonical, write_lines(tmp_path / "p.jsonl", []), config=ScoreConfig(bootstrap=0)).summary
    for name, lines in variants(records).items():
        path = write_lines(tmp_path / f"{name}.jsonl", lines)
        assert read_gold(path).fingerprint == fingerprint(load_gold(path)) == expected, name
        other = score_files(path, write_lines(tmp_path / "p.jsonl", []), config=ScoreConfig(bootstrap=0)).summary
        assert other["entities"] == base["entities"] and other["claims"] == base["claims"], name


def test_gold_folder_with_interleaved_splits(tmp_path):
    from annotation.dataset import write_gold_folder
    from annotation.scheme import load_scheme

    d = docs()
    write_gold_folder(tmp_path / "g", {"dev": [d[4], d[1]], "test": [d[0], d[2], d[3]]}, load_scheme(), provenance="t")
    assert read_gold(tmp_path / "g").fingerprint == fingerprint(load_gold(tmp_path / "g"))


@pytest.mark.parametrize("mutate, message", [
    (lambda r: r["entities"][0].update(start=30, end=99), "gold.jsonl:2: entities[0]: offsets [30, 99) are outside"),
    (lambda r: r["entities"][0].update(start=None), "gold.jsonl:2: entities[0]: a gold mention needs offsets"),
    (lambda r: r["entities"][0].update(label="A.B"), "gold.jsonl:2: entities[0]: label 'A.B' cannot be scored"),
    (lambda r: r["entities"][0].update(start=True), "gold.jsonl:2: entities[0]: field 'start' must be an integer"),
    (lambda r: r.update(id="d0"), "gold.jsonl:2: duplicate gold article id 'd0' (also at "),
    (lambda r: r.pop("text"), "gold.jsonl:2: missing field 'text'"),
])
def test_bad_gold_names_the_line(tmp_path, mutate, message):
    from annotation.dataset import gold_record

    records = [gold_record(d) for d in docs(3)]
    mutate(records[1])
    path = write_lines(tmp_path / "gold.jsonl", records)
    with pytest.raises(KhabarError) as info:
        read_gold(path)
    assert message in str(info.value)


def test_library_and_files_give_the_same_numbers(tmp_path):
    gold = docs()
    lines = [{"id": "d1", "entities": [{"start": 0, "end": 3, "label": "PERS"}]},
             {"id": "d2", "entities": [{"start": 0, "end": 3, "label": "ORG"}, {"label": "GPE", "text": "الصين"}],
              "claims": [{"text": "روسيا ستزيد صادراتها إلى الصين", "source": {"text": "الرئيس"},
                          "attribution": "indirect", "claim_type": "factual_event", "check_worthy": True}]},
             {"id": "d3", "entities": [{"start": 5, "end": 9, "label": "ORG"}, {"start": 12, "end": 19, "label": "GPE"}]}]
    gold_path = write_gold(tmp_path / "gold.jsonl", gold)
    pred_path = write_lines(tmp_path / "pred.jsonl", lines)
    from_files = score_files(gold_path, pred_path, config=ScoreConfig(bootstrap=0))
    from_objects = score(load_gold(gold_path), read_predictions(pred_path), config=ScoreConfig(bootstrap=0))
    for key in ("signature", "entities", "claims", "documents", "gold_fingerprint"):
        assert from_files.summary[key] == from_objects.summary[key], key
    assert from_files.summary["alignment"]["aligned"] == 3
    assert dict(from_files.per_document) == dict(from_objects.per_document)


def test_errors_for_the_report(tmp_path):
    gold_path = write_gold(tmp_path / "gold.jsonl", docs())
    pred_path = write_lines(tmp_path / "pred.jsonl", [
        {"id": "d1", "entities": [{"start": 0, "end": 3, "label": "ORG"}]},
        {"id": "d2", "claims": [{"text": "روسيا ستزيد صادراتها", "attribution": "indirect",
                                 "claim_type": "opinion", "check_worthy": True}]},
        {"id": "d3", "entities": [{"start": 0, "end": 2, "label": "PERS"}, {"start": 30, "end": 33, "label": "DATE"}]}])
    run = score_files(gold_path, pred_path, config=ScoreConfig(bootstrap=0))
    errors = run.errors
    assert [e["kind"] for e in errors["d1"]] == ["label"]
    assert errors["d1"][0]["gold"]["label"] == "PERS" and errors["d1"][0]["pred"]["label"] == "ORG"
    d2 = {(e["what"], e["kind"]) for e in errors["d2"]}
    assert ("claim", "mismatch") in d2 and ("entity", "missed") in d2
    mismatch = next(e for e in errors["d2"] if e["kind"] == "mismatch")
    assert mismatch["wrong"] == ["source", "claim_type"]
    assert sorted(e["kind"] for e in errors["d3"]) == ["boundary", "missed", "missed", "spurious"]
    assert "d0" not in errors  # nothing to find, nothing predicted
