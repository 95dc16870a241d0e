"""Agreement and adjudication on records written by the real Label Studio import (``annotation.labelstudio.importer``).

The export is built by hand in Label Studio's JSON format (regions, per-region choices with the
region's id, relations), so the records carry what the importer really writes: annotator e-mails,
task ids, cluster ids named after region ids.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from annotation.model import Annotated
from tests.review_records import EXPECTED_KINDS, _kinds, annotator_a, annotator_b, claims_a, mentions_a, record
from tests.helpers import ls_region

lsimport = pytest.importorskip("annotation.labelstudio.importer")


def _region(rid: str, control: str, label: str, start: int, end: int, text: str) -> dict[str, Any]:
    return ls_region(rid, control, label, start, end, text[start:end])


def _relation(a: str, b: str, role: str) -> dict[str, Any]:
    return {"from_id": a, "to_id": b, "type": "relation", "direction": "right", "labels": [role]}


def ls_result(rec: Annotated) -> list[dict[str, Any]]:
    """One annotator record as a Label Studio result (region ids unique within the annotation)."""
    text, out, rels = rec.text, [], []
    at: dict[tuple[int, int], str] = {}
    last: dict[str, str] = {}
    for i, m in enumerate(rec.entities):
        rid = f"m{i}"
        out.append(_region(rid, "entities", m.label, m.start, m.end, text))
        at[m.start, m.end] = rid
        if m.entity in last:
            rels.append(_relation(rid, last[m.entity], "same"))
        last[m.entity] = rid
    for i, c in enumerate(rec.claims):
        rid = f"k{i}"
        out.append(_region(rid, "claim_parts", "CLAIM", c.start, c.end, text))
        # the annotators of a scheme 1.1 project fill all five attributes; the records of test_agreement
        # predate stance and certainty, so their claims are asserted and certain here
        defaults = {"stance": "asserted", "certainty": "certain"}
        for attr in ("attribution", "claim_type", "check_worthy", "stance", "certainty"):
            value = getattr(c, attr) if getattr(c, attr) is not None else defaults.get(attr)
            value = ("true" if value else "false") if isinstance(value, bool) else value
            out.append({"id": rid, "from_name": attr, "to_name": "text", "type": "choices", "origin": "manual",
                        "value": {"start": c.start, "end": c.end, "text": c.text, "choices": [value]}})
        if c.source is not None:
            target = at.get((c.source.start, c.source.end))
            if target is None:
                target = f"s{i}"
                out.append(_region(target, "claim_parts", "SOURCE", c.source.start, c.source.end, text))
            rels.append(_relation(rid, target, "source"))
        if c.cue is not None:
            out.append(_region(f"q{i}", "claim_parts", "CUE", c.cue.start, c.cue.end, text))
            rels.append(_relation(rid, f"q{i}", "cue"))
    return out + rels


def import_records(tmp_path: Path, records: list[Annotated]) -> Path:
    tasks: dict[str, dict[str, Any]] = {}
    for n, rec in enumerate(records, start=1):
        task = tasks.setdefault(rec.id, {"id": len(tasks) + 1, "annotations": [], "predictions": [],
                                         "data": {"id": rec.id, "text": rec.text, "title": rec.article.title,
                                                  "source": rec.article.source}})
        who = rec.annotation["annotator"]
        task["annotations"].append({
            "id": n, "completed_by": {"id": n, "email": who}, "result": ls_result(rec), "was_cancelled": False,
            "ground_truth": bool(rec.annotation.get("ground_truth")), "task": task["id"], "project": 1,
            "created_at": "2025-01-01T00:00:00Z", "updated_at": f"2025-01-01T00:00:{n:02d}Z"})
    out = tmp_path / "imported"
    data = json.dumps(list(tasks.values()), ensure_ascii=False).encode("utf-8")
    lsimport.import_export(data, out, where="export.json")
    assert not (out / "quarantine.jsonl").exists() or (out / "quarantine.jsonl").read_text() == ""
    return out


def _partition(doc: Annotated) -> dict[str, Any]:
    """Mentions and claims with cluster ids replaced by the offsets of their cluster's mentions."""
    members: dict[str | None, list] = {}
    for m in doc.entities:
        members.setdefault(m.entity, []).append((m.start, m.end))
    name = lambda e: tuple(sorted(members.get(e, []))) if e is not None else None  # noqa: E731
    ents = sorted((m.start, m.end, m.label, name(m.entity)) for m in doc.entities)
    claims = sorted((c.start, c.end, c.attribution, c.claim_type, c.check_worthy,
                     c.source and (c.source.start, c.source.end, name(c.source.entity)),
                     c.cue and (c.cue.start, c.cue.end)) for c in doc.claims)
    return {"entities": ents, "claims": claims}


def test_agreement_on_imported_records(khabar, tmp_path: Path) -> None:
    folder = import_records(tmp_path, [annotator_a(), annotator_b()])
    out = tmp_path / "report.json"
    result = khabar("agreement", folder, "--json", out)
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert _kinds(report["disagreements"]) == EXPECTED_KINDS
    (pair,) = report["pairs"]
    assert pair["entities"]["strict"]["f1"] == pytest.approx(10 / 14)
    assert pair["claims"]["f1"] == pytest.approx(2 / 3) and pair["source"]["agreement"] == 0.0
    assert report["per_task"][0]["tasks"] == ["1"]


def test_adjudication_of_imported_records(khabar, tmp_path: Path) -> None:
    folder = import_records(tmp_path, [annotator_a(), annotator_b(), record("c@x.org", mentions_a(), claims_a())])
    result = khabar("adjudicate", folder, "--out", tmp_path / "gold")
    assert result.exit_code == 0, result.output
    from annotation.gold.records import load_gold

    (doc,) = load_gold(tmp_path / "gold")
    assert _partition(doc) == _partition(annotator_a())
    assert doc.annotation["annotators"] == ["a@x.org", "b@x.org", "c@x.org"]
