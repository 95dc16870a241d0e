#!/usr/bin/env python3
"""Time ``khabar ingest`` on a synthetic corpus (no timed assertions in tests).

    .venv/bin/python benchmarks/bench_ingest.py [--articles 3000] [--outlets 5] [--pairs 100]

Paragraphs are random sequences of the words of the shipped raw articles; each article gets its
outlet's masthead and footer and a repeated caption, and ``--pairs`` articles get a rewritten copy
(every third paragraph dropped) so that the near-duplicate grouping has real work. Prints the time
and the counts (expected: every masthead/footer removed, ``--pairs`` groups of two).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from annotation.ingest.pipeline import ingest, summary  # noqa: E402


def vocabulary() -> list[str]:
    words: dict[str, None] = {}
    for path in sorted((ROOT / "data" / "raw").glob("*.txt")):
        words.update(dict.fromkeys(path.read_text(encoding="utf-8").split()))
    return list(words)


def build(folder: Path, n: int, outlets: int, pairs: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    words = vocabulary()
    originals: list[list[str]] = []
    with (folder / "corpus.jsonl").open("w", encoding="utf-8") as handle:
        for i in range(n):
            outlet = f"منفذ {i % outlets}"
            if pairs <= i < 2 * pairs:  # a rewrite of article i - pairs
                body = [p for j, p in enumerate(originals[i - pairs]) if j % 3 != 2]
            else:
                body = [" ".join(rng.choices(words, k=rng.randint(15, 45))) for _ in range(rng.randint(4, 9))]
                originals.append(body)
            lines = [f"{outlet} | صحيفة يومية", f"عنوان الخبر رقم {i}", "صورة أرشيفية", *body, "صورة أرشيفية",
                     f"جميع الحقوق محفوظة © {outlet}"]
            record = {"id": f"a{i:06d}", "source": outlet, "text": "\n".join(lines)}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--outlets", type=int, default=5)
    parser.add_argument("--pairs", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        build(Path(tmp), args.articles, args.outlets, args.pairs)
        start, cpu = time.perf_counter(), time.process_time()
        report = ingest([tmp])
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"{args.articles} articles: {wall:.1f} s wall, {cpu:.1f} s CPU ({1000 * cpu / args.articles:.2f} ms/article)")
    for line in summary(report)[:4]:
        print("  " + line[:200])


if __name__ == "__main__":
    main()
