"""khabar extract --engine ray on a real local Ray (2 CPUs, started once per test run): the same bytes as local."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from eval.extract.corpus import repeat_corpus

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = ROOT / "data" / "articles.jsonl"


def _files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.name.startswith("part-") or p.name == "errors.jsonl"}


def _both(khabar, tmp_path: Path, inputs: Path, *args: str) -> tuple[dict[str, bytes], dict[str, bytes]]:
    runs = []
    for engine in ("local", "ray"):
        out = tmp_path / engine
        result = khabar("extract", inputs, *args, "--out", out, "--engine", engine, "--jobs", "2")
        runs.append((result.exit_code, _files(out)))
    assert runs[0][0] == runs[1][0]
    return runs[0][1], runs[1][1]


def test_ray_and_local_write_identical_shards_of_the_shipped_articles(khabar, tmp_path, ray_local):
    local, ray = _both(khabar, tmp_path, ARTICLES, "-e", "baseline", "--shard-size", "4")
    assert len(local) == 8 and local == ray


def test_ray_and_local_write_identical_shards_and_errors_of_a_generated_corpus(khabar, tmp_path, ray_local):
    """600 articles, one of which makes the extractor fail: the same shards and the same errors.jsonl."""
    corpus = repeat_corpus(ARTICLES, 600, tmp_path / "corpus.jsonl")
    local, ray = _both(khabar, tmp_path, corpus, "-e", "tests.extract_helpers:FailOn", "-o", "fail=ufuq-0003~297",
                       "--shard-size", "50")
    assert len(local) == 13 and local == ray  # 12 shards and errors.jsonl
    assert local["errors.jsonl"].count(b"\n") == 1 and b'"ufuq-0003~297"' in local["errors.jsonl"]
    assert sum(part.count(b"\n") for name, part in local.items() if name.startswith("part-")) == 599


def test_address_joins_a_running_cluster(khabar, tmp_path, ray_local):
    """A second process joins the test run's Ray instance with --address, as a driver joins a cluster."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    out = tmp_path / "joined"
    proc = subprocess.run([sys.executable, "-c", "from eval.cli import main; main()", "extract", str(ARTICLES),
                           "-e", "baseline", "--out", str(out), "--engine", "ray", "--jobs", "2", "--shard-size", "10",
                           "--address", ray_local], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert khabar("extract", ARTICLES, "-e", "baseline", "--out", tmp_path / "local", "--shard-size", "10").exit_code == 0
    assert _files(out) == _files(tmp_path / "local")


def test_a_ray_run_resumes_what_a_local_run_left(khabar, tmp_path, ray_local):
    """The engines share the output folder: shards written by one are kept by the other."""
    out = tmp_path / "out"
    args = ("extract", ARTICLES, "-e", "baseline", "--out", out, "--shard-size", "10")
    assert khabar(*args).exit_code == 0
    before = _files(out)
    kept = (out / "part-00000.jsonl").stat().st_ino
    (out / "part-00001.jsonl").unlink()
    resumed = khabar(*args, "--engine", "ray", "--jobs", "2")
    assert resumed.exit_code == 0 and "2 kept, 1 written" in resumed.stdout
    assert _files(out) == before and (out / "part-00000.jsonl").stat().st_ino == kept
