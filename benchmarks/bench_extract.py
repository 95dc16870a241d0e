#!/usr/bin/env python3
"""Throughput and memory of ``khabar extract`` with the built-in baseline (one run, ratios).

    .venv/bin/python benchmarks/bench_extract.py [--articles 100000] [--small 10000]

The corpus is the shipped articles repeated with new ids. Each configuration runs as its own
``khabar extract`` process (whole process: start-up, planning, extraction, writing); peak memory
is sampled every 0.1 s over the process and its children (worker processes, the local Ray
instance): the sum of their resident sets, and the largest single one. CPU seconds (of every
process the run started and reaped) over wall seconds tells how many cores a run really got on a
shared machine. Prints articles/s, peak
memory and the ratios the design aims at: local --jobs 2 >= 1.7x --jobs 1; Ray with 2 workers
>= 0.8x local --jobs 2; peak memory that does not grow with the corpus (--small vs --articles);
re-running a finished run < 2% of the run's time; and the extractor's own time per article.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eval.extract.corpus import repeat_corpus  # noqa: E402

CLI = [sys.executable, "-c", "from eval.cli import main; main()"]
PAGE = os.sysconf("SC_PAGE_SIZE")


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(parent, []).append(int(entry))
    return tree


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * PAGE
    except OSError:
        return 0


def _tree_rss(root: int) -> tuple[int, int]:
    """(sum, largest) resident set of ``root`` and its descendants."""
    tree, todo, sizes = _children(), [root], []
    while todo:
        pid = todo.pop()
        sizes.append(_rss(pid))
        todo += tree.get(pid, [])
    return sum(sizes), max(sizes)


def run(args: list[str]) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    started = time.perf_counter()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen([*CLI, "extract", *args], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    peak_sum = peak_one = 0
    while proc.poll() is None:
        total, largest = _tree_rss(proc.pid)
        peak_sum, peak_one = max(peak_sum, total), max(peak_one, largest)
        time.sleep(0.1)
    out, err = proc.communicate()
    seconds = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    if proc.returncode != 0:
        raise SystemExit(f"khabar extract {' '.join(args)} failed ({proc.returncode}):\n{out}\n{err}")
    return {"seconds": seconds, "cpu": cpu, "peak_sum_mb": peak_sum / 2**20, "peak_one_mb": peak_one / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--shard-size", type=int, default=1000)
    args = parser.parse_args()
    rows: list[tuple[str, int, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        big = repeat_corpus(ROOT / "data" / "articles.jsonl", args.articles, folder / "big.jsonl")
        small = repeat_corpus(ROOT / "data" / "articles.jsonl", args.small, folder / "small.jsonl")
        common = ["-e", "baseline", "--shard-size", str(args.shard_size)]
        configs = [("local --jobs 1", small, ["--jobs", "1"]), ("local --jobs 1", big, ["--jobs", "1"]),
                   ("local --jobs 2", small, ["--jobs", "2"]), ("local --jobs 2", big, ["--jobs", "2"]),
                   ("ray, 2 workers", big, ["--engine", "ray", "--jobs", "2"])]
        outs = {}
        for name, corpus, extra in configs:
            n = args.small if corpus == small else args.articles
            out = folder / f"out-{len(rows)}"
            rows.append((name, n, run([str(corpus), *common, *extra, "--out", str(out)])))
            outs[(name, n)] = out
            print(f"  {name:16} {n:>7} articles: {rows[-1][2]['seconds']:.1f} s", file=sys.stderr, flush=True)
        resume = run([str(big), *common, "--jobs", "2", "--out", str(outs[("local --jobs 2", args.articles)])])
        manifest = json.loads((outs[("local --jobs 1", args.articles)] / "manifest.json").read_text())
        shard_parts = [(outs[k] / "part-00000.jsonl").read_bytes() for k in outs if k[1] == args.articles]
    own = sum(s["extract_seconds"] for s in manifest["shards"]) / manifest["articles"]
    print(f"{'configuration':16} {'articles':>9} {'seconds':>8} {'articles/s':>11} {'peak MB (sum)':>14} "
          f"{'peak MB (largest)':>18} {'CPU s':>7} {'CPU/wall':>9}")
    for name, n, r in rows:
        print(f"{name:16} {n:>9,} {r['seconds']:>8.1f} {n / r['seconds']:>11.0f} {r['peak_sum_mb']:>14.0f} "
              f"{r['peak_one_mb']:>18.0f} {r['cpu']:>7.0f} {r['cpu'] / r['seconds']:>9.2f}")
    rate = {(name, n): n / r["seconds"] for name, n, r in rows}
    mem = {(name, n): r["peak_sum_mb"] for name, n, r in rows}
    big_n, small_n = args.articles, args.small
    j1, j2, ray = rate[("local --jobs 1", big_n)], rate[("local --jobs 2", big_n)], rate[("ray, 2 workers", big_n)]
    j2_seconds = next(r["seconds"] for name, n, r in rows if name == "local --jobs 2" and n == big_n)
    print(f"\nlocal --jobs 2 / --jobs 1: {j2 / j1:.2f}x (target >= 1.7)")
    print(f"ray 2 workers / local --jobs 2: {ray / j2:.2f}x (target >= 0.8)")
    for name in ("local --jobs 1", "local --jobs 2"):
        print(f"peak memory {name}, {big_n:,} vs {small_n:,} articles: {mem[(name, big_n)] / mem[(name, small_n)]:.2f}x "
              "(target: about 1)")
    print(f"re-running the finished --jobs 2 run: {resume['seconds']:.2f} s = "
          f"{resume['seconds'] / j2_seconds:.1%} of the run (target < 2%)")
    print(f"the baseline's own time per article: {own * 1000:.2f} ms (in extract(), per worker)")
    print(f"first shard identical in every {big_n:,}-article run: {len(set(shard_parts)) == 1}")


if __name__ == "__main__":
    main()
