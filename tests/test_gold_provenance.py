"""Gold that says how it was made: the pre-annotation model on every gold record and in the card, the
warnings of score and bench about it and about small gold sets, and adjudicate --split."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from annotation.gold.records import fingerprint, load_gold
from annotation.io import write_jsonl
from tests.review_records import annotator_a, claims_a, mentions_a, record

ROOT = Path(__file__).resolve().parent.parent
B = "b@x.org"
MODEL = "baseline@1+2a57ebe1"


def _records(pre_annotation: str | None, docs: int = 1) -> list:
    out = []
    for i in range(docs):
        pair = [annotator_a(doc=f"doc-{i}", task=i + 1), record(B, mentions_a(), claims_a(), doc=f"doc-{i}", task=i + 1)]
        out += [replace(r, annotation={**r.annotation, **({"pre_annotation": pre_annotation} if pre_annotation
                                                           else {})}) for r in pair]
    return out


def _adjudicate(khabar, tmp_path: Path, records: list, *args: str) -> Path:
    path = tmp_path / "records.jsonl"
    write_jsonl(path, [r.to_dict() for r in records])
    out = tmp_path / "gold"
    result = khabar("adjudicate", path, "--out", out, *args)
    assert result.exit_code == 0, result.output
    return out


def _card(folder: Path) -> dict:
    text = (folder / "README.md").read_text(encoding="utf-8")
    return yaml.safe_load(text[4:text.index("\n---\n", 4)])


def test_every_gold_record_and_the_card_name_the_pre_annotation_model(khabar, tmp_path: Path) -> None:
    gold = _adjudicate(khabar, tmp_path, _records(MODEL), "--split", "test")
    docs = load_gold(gold)
    assert [d.annotation["pre_annotation"] for d in docs] == [MODEL]
    card = _card(gold)
    assert card["khabar"]["pre_annotation"] == [MODEL]
    annotation = next(f for f in card["dataset_info"]["features"] if f["name"] == "annotation")
    assert {"name": "pre_annotation", "dtype": "string"} in annotation["struct"]
    assert "the predictions of `baseline@1\\+2a57ebe1`" in (gold / "README.md").read_text(encoding="utf-8")
    # the model is part of the gold content: the fingerprint differs from the same gold made without it
    plain = [replace(d, annotation={k: v for k, v in d.annotation.items() if k != "pre_annotation"}) for d in docs]
    assert fingerprint(docs) != fingerprint(plain)


def test_gold_made_without_pre_annotations_keeps_its_card_and_fingerprint(khabar, tmp_path: Path) -> None:
    gold = _adjudicate(khabar, tmp_path, _records(None))
    assert "pre_annotation" not in _card(gold)["khabar"]
    assert all("pre_annotation" not in d.annotation for d in load_gold(gold))
    assert fingerprint(load_gold(ROOT / "data" / "gold", "test")) == "4cfe67c2"   # the shipped gold, as before


LOAD = """
import json, sys
from datasets import load_dataset
ds = load_dataset(sys.argv[1])
print(json.dumps({"rows": {s: len(ds[s]) for s in ds}, "pre_annotation": ds["test"][0]["annotation"]["pre_annotation"]}))
"""


def test_a_pre_annotated_gold_folder_with_one_split_loads_in_datasets(khabar, tmp_path: Path) -> None:
    gold = _adjudicate(khabar, tmp_path, _records(MODEL, docs=3), "--split", "all")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(HF_HOME=str(tmp_path / "hf"), HF_HUB_OFFLINE="1")
    done = subprocess.run([sys.executable, "-c", LOAD, str(gold)], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"rows": {"test": 3}, "pre_annotation": MODEL}   # an empty split is not declared


@pytest.mark.parametrize("how, rows", [("all", {"dev": 0, "test": 3}), ("test", {"dev": 0, "test": 3}),
                                       ("dev", {"dev": 3, "test": 0}), ("auto", {"dev": 1, "test": 2})])
def test_adjudicate_split(khabar, tmp_path: Path, how: str, rows: dict) -> None:
    gold = _adjudicate(khabar, tmp_path, _records(None, docs=3), "--split", how)
    assert {s: len(load_gold(gold, s)) for s in ("dev", "test")} == rows
    card = (gold / "README.md").read_text(encoding="utf-8")
    assert ("Articles are split by story group" in card) == (how == "auto")


def _score(khabar, gold: Path, tmp_path: Path, *args: str):
    preds = tmp_path / "preds.jsonl"
    write_jsonl(preds, [{"id": d.id, "entities": [], "claims": []} for d in load_gold(gold)])
    result = khabar("score", gold, preds, "--bootstrap", "20", *args)
    assert result.exit_code == 0, result.output
    return result.stderr


def test_score_warns_about_the_pre_annotation_model_and_few_documents(khabar, tmp_path: Path) -> None:
    gold = _adjudicate(khabar, tmp_path, _records(MODEL, docs=3))
    same = _score(khabar, gold, tmp_path, "--extractor", MODEL)
    assert f"pre-annotated by {MODEL}, the extractor scored here" in same
    assert "rest on 3 document(s), fewer than 10" in same
    unknown = _score(khabar, gold, tmp_path)
    assert f"pre-annotated by {MODEL}: if these predictions are that model's" in unknown
    other = _score(khabar, gold, tmp_path, "--extractor", "baseline@0.0")
    assert "pre-annotated" not in other
    assert "pre-annotated" not in _score(khabar, ROOT / "data" / "gold", tmp_path, "--extractor", MODEL)
    assert "fewer than 10" not in _score(khabar, ROOT / "data" / "gold", tmp_path)   # 25 documents


def test_bench_warns_when_the_extractor_pre_annotated_the_gold(khabar, tmp_path: Path) -> None:
    from eval.extractors import get_extractor

    baseline = get_extractor("baseline")
    model = f"{baseline.name}@{baseline.version}"
    gold = _adjudicate(khabar, tmp_path, _records(model, docs=2))
    result = khabar("bench", "--gold", gold, "--split", "all", "--bootstrap", "20", "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert f"pre-annotated by {model}, the extractor scored here" in result.stderr
    assert "rest on 2 document(s)" in result.stderr
    empty = khabar("bench", "-e", "empty", "--gold", gold, "--split", "all", "--bootstrap", "20", "--jobs", "1")
    assert "pre-annotated" not in empty.stderr
