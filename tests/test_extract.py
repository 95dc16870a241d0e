"""khabar extract with the local engine: shards, manifest, resuming, errors, bad input, reading the folder."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from annotation.io import dumps, read_articles
from eval.extract.corpus import repeat_corpus
from eval.extractors import get_extractor, run_extractor

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = ROOT / "data" / "articles.jsonl"
CLI = [sys.executable, "-c", "from eval.cli import main; main()"]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


def _shards(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.glob("part-*.jsonl"))}


def _stamps(out: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.glob("part-*.jsonl")}


def _manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def test_shards_hold_the_runners_predictions_and_the_manifest_describes_them(khabar, tmp_path):
    out = tmp_path / "out"
    result = khabar("extract", ARTICLES, "--extractor", "baseline", "--out", out, "--shard-size", "10")
    assert result.exit_code == 0, result.output
    assert sorted(_shards(out)) == ["part-00000.jsonl", "part-00001.jsonl", "part-00002.jsonl"]
    extractor = get_extractor("baseline")
    preds, _ = run_extractor(extractor, read_articles(ARTICLES))
    assert b"".join(_shards(out).values()).decode("utf-8") == "".join(dumps(p.to_dict()) + "\n" for p in preds)
    manifest = _manifest(out)
    assert manifest["identity"]["extractor"] == {"spec": "baseline", "name": "baseline",
                                                 "version": extractor.version, "options": {}}
    assert manifest["inputs"][0]["sha256"] == hashlib.sha256(ARTICLES.read_bytes()).hexdigest()
    assert [(s["first_line"], s["lines"], s["articles"], s["status"]) for s in manifest["shards"]] == [
        (1, 10, 10, "done"), (11, 10, 10, "done"), (21, 5, 5, "done")]
    assert all(s["sha256"] == hashlib.sha256((out / s["file"]).read_bytes()).hexdigest() for s in manifest["shards"])
    assert manifest["complete"] and manifest["errors"] == 0 and (out / "errors.jsonl").read_text() == ""
    assert "articles/s" not in result.stderr  # the progress bar is for terminals only


def test_bench_score_and_export_read_an_extract_folder(khabar, tmp_path):
    out = tmp_path / "out"
    assert khabar("extract", ARTICLES, "-e", "baseline", "--out", out, "--shard-size", "7").exit_code == 0
    assert khabar("bench", "--extractor", out, "--json", tmp_path / "dir.json").exit_code == 0
    assert khabar("bench", "--json", tmp_path / "direct.json").exit_code == 0
    from_dir, direct = (json.loads((tmp_path / f).read_text()) for f in ("dir.json", "direct.json"))
    assert from_dir["signature"] == direct["signature"]
    for part in ("entities", "claims", "alignment"):
        assert from_dir[part] == direct[part]
    whole = tmp_path / "all.jsonl"
    whole.write_bytes(b"".join(_shards(out).values()))
    assert khabar("score", ROOT / "data" / "gold", out, "--json", tmp_path / "s1.json").exit_code == 0
    assert khabar("score", ROOT / "data" / "gold", whole, "--json", tmp_path / "s2.json").exit_code == 0
    s1, s2 = (json.loads((tmp_path / f).read_text()) for f in ("s1.json", "s2.json"))
    assert s1["entities"] == s2["entities"] and s1["claims"] == s2["claims"] and s1["documents"] == 25
    for spec, name in ((out, "dir"), ("baseline", "direct")):
        assert khabar("export", ARTICLES, "--tasks", tmp_path / f"{name}-tasks.json", "--pre-annotate", spec).exit_code == 0

    def results(name: str) -> list:
        tasks = json.loads((tmp_path / f"{name}-tasks.json").read_text())
        return [[p["result"] for p in t.get("predictions", [])] for t in tasks]

    assert results("dir") == results("direct") and any(results("dir"))


def test_rerun_keeps_finished_shards_and_redoes_a_missing_one(khabar, tmp_path):
    out = tmp_path / "out"
    args = ("extract", ARTICLES, "-e", "baseline", "--out", out, "--shard-size", "10")
    assert khabar(*args).exit_code == 0
    before, stamps, manifest = _shards(out), _stamps(out), (out / "manifest.json").read_bytes()
    again = khabar(*args)
    assert again.exit_code == 0 and "3 kept, 0 written" in again.stdout
    assert _stamps(out) == stamps and (out / "manifest.json").read_bytes() == manifest  # nothing rewritten
    (out / "part-00001.jsonl").unlink()
    third = khabar(*args)
    assert third.exit_code == 0 and "2 kept, 1 written" in third.stdout
    assert _shards(out) == before
    now = _stamps(out)
    assert now["part-00000.jsonl"] == stamps["part-00000.jsonl"] and now["part-00002.jsonl"] == stamps["part-00002.jsonl"]


def test_a_killed_run_resumes_without_redoing_its_finished_shards(khabar, tmp_path):
    corpus = repeat_corpus(ARTICLES, 200, tmp_path / "corpus.jsonl")
    spec = ("-e", "tests.extract_helpers:SlowBaseline", "-o", "delay=0.02", "--shard-size", "20")
    out = tmp_path / "out"
    proc = subprocess.Popen([*CLI, "extract", str(corpus), *spec, "--out", str(out)], env=_env(), cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    done: list[dict] = []
    while time.monotonic() < deadline and proc.poll() is None:
        if (out / "manifest.json").exists():
            done = [s for s in _manifest(out)["shards"] if s["status"] == "done"]
            if len(done) >= 2:
                break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run ended before it could be interrupted"
    assert 2 <= len(done) < 10
    kept = {s["file"]: (out / s["file"]).stat().st_ino for s in done}
    resumed = khabar("extract", corpus, *spec, "--out", out)
    assert resumed.exit_code == 0 and f"{len(done)} kept" in resumed.stdout
    assert {f: (out / f).stat().st_ino for f in kept} == kept  # finished shards were not written again
    whole = tmp_path / "whole"
    assert khabar("extract", corpus, *spec, "--out", whole).exit_code == 0
    assert _shards(out) == _shards(whole) and len(_shards(out)) == 10
    assert (out / "errors.jsonl").read_bytes() == (whole / "errors.jsonl").read_bytes()
    assert [s["sha256"] for s in _manifest(out)["shards"]] == [s["sha256"] for s in _manifest(whole)["shards"]]


def test_a_failing_article_goes_to_errors_and_the_rest_is_written(khabar, tmp_path):
    out = tmp_path / "out"
    target = "tests.extract_helpers:FailOn"
    result = khabar("extract", ARTICLES, "-e", target, "-o", "fail=ufuq-0003", "--out", out, "--shard-size", "10")
    assert result.exit_code == 1 and "1 article(s) failed" in result.stderr
    errors = [json.loads(line) for line in (out / "errors.jsonl").read_text().splitlines()]
    line = next(n for n, a in enumerate(read_articles(ARTICLES), 1) if a.id == "ufuq-0003")
    assert [(e["id"], e["line"]) for e in errors] == [("ufuq-0003", f"{ARTICLES}:{line}")]
    assert "ValueError: cannot read article ufuq-0003" in errors[0]["reason"]
    ids = [json.loads(x)["id"] for x in b"".join(_shards(out).values()).decode().splitlines()]
    assert ids == [a.id for a in read_articles(ARTICLES) if a.id != "ufuq-0003"]
    assert _manifest(out)["complete"] and _manifest(out)["errors"] == 1

    fast = tmp_path / "fast"
    stopped = khabar("extract", ARTICLES, "-e", target, "-o", "fail=ufuq-0003", "--out", fast, "--shard-size", "10",
                     "--fail-fast")
    assert stopped.exit_code == 1 and "--fail-fast" in stopped.stderr
    assert not _manifest(fast)["complete"] and "ufuq-0003" in (fast / "errors.jsonl").read_text()


def test_a_changed_option_or_input_is_refused_without_overwrite(khabar, tmp_path):
    out = tmp_path / "out"
    corpus = tmp_path / "articles.jsonl"
    corpus.write_bytes(ARTICLES.read_bytes())
    assert khabar("extract", corpus, "-e", "baseline", "--out", out).exit_code == 0
    before = _shards(out)
    changed = khabar("extract", corpus, "-e", "baseline", "-o", "claims=false", "--out", out)
    assert changed.exit_code == 1 and "holds the output of another run" in changed.stderr
    assert "options {} → {'claims': False}" in changed.stderr and _shards(out) == before
    redone = khabar("extract", corpus, "-e", "baseline", "-o", "claims=false", "--out", out, "--overwrite")
    assert redone.exit_code == 0 and _shards(out) != before
    assert all(json.loads(x)["claims"] == [] for x in (out / "part-00000.jsonl").read_text().splitlines())
    corpus.write_bytes(ARTICLES.read_bytes()[:-200] + b"\n")
    edited = khabar("extract", corpus, "-e", "baseline", "-o", "claims=false", "--out", out)
    assert edited.exit_code == 1 and f"input {corpus} changed" in edited.stderr


def test_parquet_folders_and_globs_give_the_same_predictions(khabar, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [json.loads(x) for x in ARTICLES.read_text(encoding="utf-8").splitlines()]
    table = pa.Table.from_pylist([{**r, "meta": json.dumps(r.get("meta", {}), ensure_ascii=False)} for r in rows])
    pq.write_table(table, tmp_path / "articles.parquet", row_group_size=4)
    folder = tmp_path / "split"
    folder.mkdir()
    lines = ARTICLES.read_text(encoding="utf-8").splitlines(keepends=True)
    (folder / "a.jsonl").write_text("".join(lines[:12]), encoding="utf-8")
    (folder / "b.jsonl").write_text("".join(lines[12:]), encoding="utf-8")
    runs = {"jsonl": [ARTICLES], "parquet": [tmp_path / "articles.parquet"], "folder": [folder],
            "glob": [str(folder / "*.jsonl")]}
    texts = {}
    for name, inputs in runs.items():
        out = tmp_path / name
        assert khabar("extract", *inputs, "-e", "baseline", "--out", out, "--shard-size", "10").exit_code == 0
        texts[name] = b"".join(_shards(out).values())
    assert len(set(texts.values())) == 1
    assert len(_shards(tmp_path / "folder")) == 4  # shards never span two inputs


@pytest.mark.parametrize("content, where, what", [
    ('{"id": "a", "text": "x"}\n{"id": "b"}\n', ":2:", "text"),
    ('{"id": "a", "text": "x"}\n\nnot json\n', ":3:", "not valid JSON"),
    ('["a", "b"]\n', ":1:", "not an article"),
    ('{"id": "a", "text": "x"}\n{"id": "a", "text": "y"}\n', ":2:", "repeats"),
])
def test_input_that_is_not_article_json_lines_names_file_and_line(khabar, tmp_path, content, where, what):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(content, encoding="utf-8")
    result = khabar("extract", bad, "-e", "baseline", "--out", tmp_path / "out")
    assert result.exit_code == 1 and f"{bad}{where}" in result.stderr and what in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1


def test_unknown_extractor_other_runs_shards_and_missing_input(khabar, tmp_path):
    result = khabar("extract", ARTICLES, "-e", "baselin", "--out", tmp_path / "a")
    assert result.exit_code == 1 and "unknown extractor 'baselin'" in result.stderr and "did you mean" in result.stderr
    other = tmp_path / "other"
    other.mkdir()
    (other / "part-00000.jsonl").write_text('{"id": "x"}\n')
    result = khabar("extract", ARTICLES, "-e", "baseline", "--out", other)
    assert result.exit_code == 1 and "no manifest.json" in result.stderr
    assert (other / "part-00000.jsonl").read_text() == '{"id": "x"}\n'
    result = khabar("extract", tmp_path / "nothing*.jsonl", "-e", "baseline", "--out", tmp_path / "b")
    assert result.exit_code == 1 and "no file matches" in result.stderr


def test_a_full_disk_while_writing_a_shard_leaves_no_half_shard(khabar, tmp_path, monkeypatch):
    """No tiny filesystem can be mounted here: the full disk is an OSError(ENOSPC) injected where the
    atomic writer flushes the shard to disk (os.fsync), as a full disk reports it."""
    import annotation.io

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(annotation.io.os, "fsync", full)
    out = tmp_path / "out"
    result = khabar("extract", ARTICLES, "-e", "baseline", "--out", out, "--shard-size", "10")
    monkeypatch.undo()
    assert result.exit_code == 1
    assert "part-00000.jsonl: cannot be written (No space left on device)" in result.stderr
    assert "run the same command again to resume" in result.stderr
    assert not list(out.glob("part-*")) and not list(out.glob(".*.tmp"))
    assert khabar("extract", ARTICLES, "-e", "baseline", "--out", out, "--shard-size", "10").exit_code == 0


def test_an_address_where_no_cluster_answers_is_a_clear_error(tmp_path):
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = time.monotonic()
    proc = subprocess.run([*CLI, "extract", str(ARTICLES), "-e", "baseline", "--out", str(tmp_path / "out"),
                           "--engine", "ray", "--address", f"127.0.0.1:{port}", "--connect-timeout", "5"],
                          env=_env(), cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and time.monotonic() - started < 30
    assert f"--address 127.0.0.1:{port}: no Ray cluster answers there" in proc.stderr
    assert "Traceback" not in proc.stderr
