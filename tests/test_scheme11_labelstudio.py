"""Scheme 1.1 round trip against the real Label Studio server (the session fixture ``label_studio``):
the generated config -> a project -> an annotation with stance and certainty on each claim -> import ->
adjudication into a gold folder -> ``datasets`` features -> score."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from annotation.labelstudio.config import CLAIM_PARTS, ENTITIES, label_config
from annotation.scheme import load_scheme

PROJECT = "khabar scheme 1.1 round trip"
TEXT = "نفى الوزير أن تكون الحكومة رفعت الأسعار، وقال إن التضخم قد يتراجع العام المقبل."
DENIED = "تكون الحكومة رفعت الأسعار"
HEDGED = "التضخم قد يتراجع العام المقبل"
OTHER = "افتتح الوزير المعرض أمس."  # a second article, so that both splits of the gold folder have one


def run(*args: Any, env: dict[str, str] | None = None) -> Result:
    from eval.cli import cli

    return CliRunner().invoke(cli, [str(a) for a in args], env=env, catch_exceptions=False)


def at(needle: str, text: str = TEXT) -> tuple[int, int]:
    start = text.index(needle)
    return start, start + len(needle)


def region(rid: str, control: str, label: str, needle: str, text: str = TEXT) -> dict[str, Any]:
    start, end = at(needle, text)
    return {"id": rid, "from_name": control, "to_name": "text", "type": "labels", "origin": "manual",
            "value": {"start": start, "end": end, "text": needle, "labels": [label]}}


def choices(rid: str, needle: str, **values: str) -> list[dict[str, Any]]:
    start, end = at(needle)
    return [{"id": rid, "from_name": name, "to_name": "text", "type": "choices", "origin": "manual",
             "value": {"start": start, "end": end, "text": needle, "choices": [value]}} for name, value in values.items()]


def relation(a: str, b: str, role: str) -> dict[str, Any]:
    return {"from_id": a, "to_id": b, "type": "relation", "direction": "right", "labels": [role]}


RESULT = [
    region("m1", ENTITIES, "OCC", "الوزير"),
    region("m2", ENTITIES, "DATE", "العام المقبل"),
    region("c1", CLAIM_PARTS, "CLAIM", DENIED),
    region("q1", CLAIM_PARTS, "CUE", "نفى"),
    *choices("c1", DENIED, attribution="indirect", claim_type="factual_event", check_worthy="true",
             stance="denied", certainty="certain"),
    relation("c1", "m1", "source"), relation("c1", "q1", "cue"),
    region("c2", CLAIM_PARTS, "CLAIM", HEDGED),
    region("q2", CLAIM_PARTS, "CUE", "قال"),
    *choices("c2", HEDGED, attribution="indirect", claim_type="prediction", check_worthy="false",
             stance="asserted", certainty="hedged"),
    relation("c2", "m1", "source"), relation("c2", "q2", "cue"),
]


@pytest.fixture(scope="module")
def studio_env(label_studio) -> dict[str, str]:
    return {"LABEL_STUDIO_URL": label_studio.url, "LABEL_STUDIO_API_KEY": label_studio.api_key}


def test_config_label_studio_import_gold_features_score(label_studio, studio_env, tmp_path: Path) -> None:
    from label_studio_sdk import LabelStudio

    scheme = load_scheme()
    root = ET.fromstring(label_config(scheme))
    per_region = {c.get("name"): [v.get("value") for v in c] for c in root.iter("Choices")
                  if c.get("perRegion") == "true"}
    assert per_region["stance"] == ["asserted", "denied"] and per_region["certainty"] == ["certain", "hedged"]

    articles = tmp_path / "articles.jsonl"
    articles.write_text("".join(json.dumps({"id": ident, "text": text, "title": text, "source": "khabar-test"},
                                           ensure_ascii=False) + "\n" for ident, text in (("s11", TEXT), ("s12", OTHER))),
                        encoding="utf-8")
    pushed = run("export", articles, "--project", PROJECT, env=studio_env)
    assert pushed.exit_code == 0, pushed.output
    sdk = LabelStudio(base_url=label_studio.url, api_key=label_studio.api_key)
    project = next(p for p in sdk.projects.list() if p.title == PROJECT)
    assert sdk.projects.get(id=project.id).label_config.strip() == label_config(scheme).strip()
    tasks = {t.data["id"]: t for t in sdk.tasks.list(project=project.id, fields="all")}
    me = sdk.users.whoami().id
    sdk.annotations.create(id=tasks["s11"].id, result=RESULT, completed_by=me, ground_truth=True)
    sdk.annotations.create(id=tasks["s12"].id, result=[region("m1", ENTITIES, "OCC", "الوزير", OTHER)],
                           completed_by=me, ground_truth=True)

    records = tmp_path / "records"
    pulled = run("import", "--project", PROJECT, "--out", records, env=studio_env)
    assert pulled.exit_code == 0, pulled.output
    (record,) = [r for line in (records / "records.jsonl").read_text(encoding="utf-8").splitlines()
                 if (r := json.loads(line))["id"] == "s11"]
    assert record["annotation"]["scheme"] == "1.1.0"
    assert [(c["text"], c["stance"], c["certainty"]) for c in record["claims"]] == [
        (DENIED, "denied", "certain"), (HEDGED, "asserted", "hedged")]

    gold = tmp_path / "gold"
    adjudicated = run("adjudicate", records, "--out", gold, "--date", "2026-12-04")
    assert adjudicated.exit_code == 0, adjudicated.output
    assert run("validate", gold).exit_code == 0

    from datasets import load_dataset

    ds = load_dataset(str(gold))
    (split,) = [s for s in ds if "s11" in ds[s]["id"]]
    features = json.dumps(ds[split].features.to_dict())
    assert '"stance"' in features and '"certainty"' in features  # declared by the card, from the scheme
    row_claims = ds[split][ds[split]["id"].index("s11")]["claims"]
    got = list(zip(row_claims["stance"], row_claims["certainty"])) if isinstance(row_claims, dict) else \
        [(c["stance"], c["certainty"]) for c in row_claims]
    assert got == [("denied", "certain"), ("asserted", "hedged")]

    predictions = tmp_path / "predictions.jsonl"
    predicted = [{"text": DENIED, "source": {"text": "الوزير"}, "cue": {"text": "نفى"}, "attribution": "indirect",
                  "claim_type": "factual_event", "check_worthy": True, "stance": "asserted", "certainty": "certain"},
                 {"text": HEDGED, "source": {"text": "الوزير"}, "cue": {"text": "قال"}, "attribution": "indirect",
                  "claim_type": "prediction", "check_worthy": False, "stance": "asserted", "certainty": "hedged"}]
    predictions.write_text(json.dumps({"id": "s11", "claims": predicted}, ensure_ascii=False) + "\n", encoding="utf-8")
    out = tmp_path / "run.json"
    scored = run("score", gold, predictions, "--bootstrap", "0", "--json", out)
    assert scored.exit_code == 0, scored.output
    assert "stance accuracy / macro F1" in scored.output and "not scored" not in scored.output
    result = json.loads(out.read_text(encoding="utf-8"))["claims"]
    assert result["stance"]["accuracy"] == 0.5 and result["certainty"]["accuracy"] == 1.0  # the denial missed
    assert (result["end_to_end"]["tp"], result["end_to_end"]["fn"]) == (1, 1)
