"""A bounded fuzz run: generated JSON lines, valid and broken, through every reader of the command
line. Each run must end with a result or one clean error (exit 0 or 1, a message, no traceback)."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "data" / "gold" / "test.jsonl"
SEED_ID = "000_81ee36451164b183"

leaf = st.one_of(st.none(), st.booleans(), st.integers(-3, 3000), st.floats(allow_nan=True), st.text(max_size=12),
                 st.sampled_from(["PERS", "GPE", "", SEED_ID, "\ud800", "indirect", "true"]))
values = st.recursive(leaf, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                    st.dictionaries(st.sampled_from(
                                                        ["id", "text", "entities", "claims", "label", "start", "end",
                                                         "source", "cue", "via", "entity", "attribution"]), inner,
                                                        max_size=5)), max_leaves=12)
mention = st.fixed_dictionaries({"label": st.sampled_from(["PERS", "GPE", "ORG", "FOO", 3]),
                                 "start": st.one_of(st.integers(-2, 2400), st.none(), st.text(max_size=2)),
                                 "end": st.one_of(st.integers(-2, 2400), st.none())},
                                optional={"text": st.one_of(st.text(max_size=8), st.just("بوتين"))})
prediction = st.fixed_dictionaries({"id": st.one_of(st.just(SEED_ID), st.text(max_size=4), st.integers())},
                                   optional={"entities": st.one_of(st.lists(mention, max_size=4), values),
                                             "claims": st.one_of(st.lists(values, max_size=2), values)})


def _breakage(rng: random.Random, line: str) -> str:
    """One way a line is broken in the wild."""
    kind = rng.randrange(6)
    if kind == 0 and line:
        return line[: rng.randrange(len(line))]  # truncated
    if kind == 1:
        return "[" * rng.choice([3, 1000, 100_000])
    if kind == 2:
        return line.replace('"', "'", 1)
    if kind == 3:
        return "\ufeff" + line
    if kind == 4:
        return line + " " + line  # two objects on one line
    return line


lines = st.lists(st.one_of(prediction.map(json.dumps), values.map(json.dumps)), min_size=0, max_size=4)


def _run(khabar, *args) -> None:
    result = khabar(*args)
    assert result.exit_code in (0, 1), (args, result.exit_code, result.output)
    if result.exit_code == 1:
        assert result.output.strip(), "an error without a message"
    assert "Traceback" not in result.output


def _write(path: Path, rows: list[str], rng: random.Random, *, raw: bytes | None = None) -> Path:
    text = "\n".join(_breakage(rng, r) if rng.random() < 0.3 else r for r in rows) + ("\n" if rows else "")
    data = text.encode("utf-8", "surrogatepass")
    if rng.random() < 0.1:
        data += b'{"id": "\xff"}\n'  # invalid UTF-8 inside a string
    path.write_bytes(raw if raw is not None else data)
    return path


SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@SETTINGS
@given(rows=lines, seed=st.integers(0, 10_000))
def test_score_reads_any_predictions_file_cleanly(khabar, tmp_path, rows, seed):
    pred = _write(tmp_path / f"p{seed}.jsonl", rows, random.Random(seed))
    _run(khabar, "score", GOLD, pred)


@SETTINGS
@given(rows=lines, seed=st.integers(0, 10_000))
def test_validate_and_stats_read_any_gold_file_cleanly(khabar, tmp_path, rows, seed):
    rng = random.Random(seed)
    gold_lines = GOLD.read_text(encoding="utf-8").splitlines()[:2] + rows
    gold = _write(tmp_path / f"g{seed}.jsonl", gold_lines, rng)
    _run(khabar, "validate", gold)
    _run(khabar, "stats", gold)
    _run(khabar, "score", gold, gold)


@SETTINGS
@given(rows=lines, seed=st.integers(0, 10_000))
def test_import_reads_any_export_cleanly(khabar, tmp_path, rows, seed):
    rng = random.Random(seed)
    export = tmp_path / f"e{seed}.json"
    body = "[" + ",".join(rows) + "]" if rng.random() < 0.7 else (rows[0] if rows else "")
    export.write_bytes(_breakage(rng, body).encode("utf-8", "surrogatepass"))
    out = tmp_path / f"out{seed}"
    _run(khabar, "import", export, "--out", out)
    shutil.rmtree(out, ignore_errors=True)


@SETTINGS
@given(rows=lines, seed=st.integers(0, 10_000))
def test_ingest_and_compare_read_anything_cleanly(khabar, tmp_path, rows, seed):
    rng = random.Random(seed)
    raw = _write(tmp_path / f"r{seed}.jsonl", rows, rng)
    _run(khabar, "ingest", raw, "--out", tmp_path / f"a{seed}.jsonl")
    run = tmp_path / f"run{seed}.json"
    run.write_bytes(_breakage(rng, rows[0] if rows else "{}").encode("utf-8", "surrogatepass"))
    _run(khabar, "compare", run, run)


@pytest.mark.parametrize("raw", [b"", b"\n\n", b"\xff\xfe\n", b"[" * 100_000, b'{"id": "\\ud800"}\n'])
def test_edge_files_through_every_reader(khabar, tmp_path, raw):
    path = tmp_path / "in.jsonl"
    path.write_bytes(raw)
    for args in (("score", GOLD, path), ("validate", path), ("ingest", path, "--out", tmp_path / "a.jsonl"),
                 ("import", path, "--out", tmp_path / "imp"), ("compare", path, path), ("stats", path)):
        _run(khabar, *args)
