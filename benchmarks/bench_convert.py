#!/usr/bin/env python3
"""Time ``khabar convert`` of a CoNLL file into gold against a plain Python read and split of its lines.

    .venv/bin/python benchmarks/bench_convert.py [--tokens 1000000] [--repeat 3]

Writes synthetic IOB2 files of a quarter, half and all of ``--tokens`` tokens (words of the shipped gold,
documents of 20 sentences of about 25 tokens, about one token in six inside a mention), then runs, each as
its own process, timed whole (start-up included) and with its peak memory (``ru_maxrss``):

- the floor: ``for line in open(file): line.split()`` in a plain ``python``;
- ``khabar convert FILE --from conll --to gold --out OUT.jsonl``.

Prints, per size, the best of ``--repeat`` runs of each, the ratio to the floor, and the peak memory, so
that linearity in tokens and memory that does not grow with the file can be read off.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LABELS = ("PERS", "ORG", "GPE", "LOC", "DATE")
FLOOR = "import sys\nfor line in open(sys.argv[1], encoding='utf-8'):\n    line.split()\n"
CONVERT = "import sys\nfrom eval.cli import main\nsys.argv[0] = 'khabar'\nmain()\n"


def vocabulary() -> list[str]:
    words: dict[str, None] = {}
    for split in ("dev", "test"):
        for line in (ROOT / "data" / "gold" / f"{split}.jsonl").open(encoding="utf-8"):
            words.update(dict.fromkeys(json.loads(line)["text"].split()))
    return list(words)


def build(path: Path, tokens: int, seed: int = 7) -> int:
    rng = random.Random(seed)
    words = vocabulary()
    written = 0
    with path.open("w", encoding="utf-8") as handle:
        while written < tokens:
            lines = ["-DOCSTART- O\n"]
            for _ in range(20):
                lines.append("\n")
                length, i = rng.randint(15, 35), 0
                while i < length:
                    if rng.random() < 0.08:
                        label, n = rng.choice(LABELS), rng.randint(1, 3)
                        lines += [f"{rng.choice(words)} {'B' if k == 0 else 'I'}-{label}\n" for k in range(n)]
                        i += n
                    else:
                        lines.append(f"{rng.choice(words)} O\n")
                        i += 1
                written += i
            lines.append("\n")
            handle.write("".join(lines))
    return written


def timed(cmd: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system: what a shared machine's load does not inflate) and peak
    resident memory (MiB) of one process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.read().decode() if proc.stderr else status}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'tokens':>9} {'MB':>6} {'floor s':>8} {'convert s':>10} {'ratio':>6} {'floor cpu':>10} "
          f"{'convert cpu':>12} {'ratio':>6} {'floor MiB':>10} {'convert MiB':>12} {'cpu us/token':>13}")
    with tempfile.TemporaryDirectory() as tmp:
        for fraction in (4, 2, 1):
            source, out = Path(tmp) / f"corpus{fraction}.conll", Path(tmp) / f"gold{fraction}.jsonl"
            tokens = build(source, args.tokens // fraction)
            floors = [timed([sys.executable, "-c", FLOOR, str(source)]) for _ in range(args.repeat)]
            converts = [timed([sys.executable, "-c", CONVERT, "convert", str(source), "--from", "conll",
                               "--to", "gold", "--out", str(out)]) for _ in range(args.repeat)]
            wall = (min(f[0] for f in floors), min(c[0] for c in converts))
            cpu = (min(f[1] for f in floors), min(c[1] for c in converts))
            print(f"{tokens:>9} {source.stat().st_size / 1e6:>6.1f} {wall[0]:>8.2f} {wall[1]:>10.2f} "
                  f"{wall[1] / wall[0]:>6.2f} {cpu[0]:>10.2f} {cpu[1]:>12.2f} {cpu[1] / cpu[0]:>6.2f} "
                  f"{max(f[2] for f in floors):>10} {max(c[2] for c in converts):>12} "
                  f"{cpu[1] / tokens * 1e6:>13.2f}")


if __name__ == "__main__":
    main()
