"""The TypedDicts of eval/scoring/result.py describe the result JSON that ``khabar score`` writes."""

from __future__ import annotations

from pathlib import Path

from eval.scoring import result as schema
from eval.scoring.scorer import ScoreConfig, score_files

ROOT = Path(__file__).resolve().parent.parent


def _keys(typed) -> tuple[set[str], set[str]]:
    return set(typed.__required_keys__), set(typed.__optional_keys__)


def _fits(value: dict, typed, where: str) -> None:
    required, optional = _keys(typed)
    assert required <= set(value) <= required | optional, (where, set(value) ^ required)


def test_the_result_of_the_shipped_example_fits_its_schema():
    run = score_files(ROOT / "data" / "gold", ROOT / "data" / "examples" / "seed-predictions.jsonl",
                      config=ScoreConfig(bootstrap=20))
    summary = run.summary
    assert list(summary) == list(schema.Summary.__annotations__)
    for name in ("predictions", "timing", "alignment"):
        _fits(summary[name], getattr(schema, {"predictions": "PredictionsSummary", "timing": "Timing",
                                               "alignment": "Alignment"}[name]), name)
    _fits(summary["config"], schema.ConfigSummary, "config")
    assert set(summary["entities"]) == {"strict", "exact", "partial", "type"}
    for scheme, node in summary["entities"].items():
        _fits(node, schema.EntityScheme, scheme)
        _fits(node["micro"], schema.EntityCounts, f"{scheme}.micro")
        _fits(node["macro"], schema.PRF, f"{scheme}.macro")
        for label, counts in node["per_label"].items():
            _fits(counts, schema.EntityCounts, f"{scheme}.per_label.{label}")
    claims = summary["claims"]
    assert list(claims) == list(schema.ClaimsResult.__annotations__)
    kinds = schema.ClaimsResult.__annotations__
    for part, node in claims.items():
        kind = kinds[part]
        _fits(node, getattr(schema, kind) if isinstance(kind, str) else kind, part)
    assert "f1_ci" in claims["detection"] and "accuracy_ci" in claims["source"]
