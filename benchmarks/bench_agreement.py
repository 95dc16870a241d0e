#!/usr/bin/env python3
"""Time ``agreement_report`` and ``adjudicate`` on synthetic annotator records (no timed assertions in tests).

    .venv/bin/python benchmarks/bench_agreement.py [--articles 200] [--annotators 3] [--mentions 60] [--claims 10]

Each article is a random text from the words of the shipped raw articles. A reference
annotation places ``--mentions`` mentions (some in shared clusters) and ``--claims`` claims with
sources, cues and attributes; every annotator copies it with noise (a mention dropped, a
label changed, a boundary moved, an attribute changed, each with probability 0.1). Prints the
times and a few numbers (F1, kappa, alpha, unresolved).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from annotation.review.adjudication import adjudicate  # noqa: E402
from annotation.review.agreement import agreement_report  # noqa: E402
from annotation.model import Annotated, Article, Claim, Mention, Span  # noqa: E402
from annotation.scheme import load_scheme  # noqa: E402

LABELS = ("PERS", "ORG", "GPE", "DATE")
TYPES = ("factual_event", "numerical", "opinion", "prediction")


def vocabulary() -> list[str]:
    words: dict[str, None] = {}
    for path in sorted((ROOT / "data" / "raw").glob("*.txt")):
        words.update(dict.fromkeys(w for w in path.read_text(encoding="utf-8").split() if w.isalpha()))
    return list(words) or ["كلمة"]


def reference(rng: random.Random, words: list[str], doc: str, n_mentions: int, n_claims: int) -> Annotated:
    tokens = [rng.choice(words) for _ in range(n_mentions * 3 + n_claims * 12 + 10)]
    text = " ".join(tokens)
    starts, pos = [], 0
    for t in tokens:
        starts.append(pos)
        pos += len(t) + 1

    def span(i: int, n: int) -> tuple[int, int]:
        return starts[i], starts[i + n - 1] + len(tokens[i + n - 1])

    mentions = []
    for k in range(n_mentions):
        s, e = span(3 * k, rng.choice((1, 2)))
        mentions.append(Mention(label=rng.choice(LABELS), start=s, end=e, text=text[s:e], entity=f"k{k % (n_mentions // 2 + 1)}"))
    claims, base = [], n_mentions * 3
    for k in range(n_claims):
        s, e = span(base + 12 * k + 2, 8)
        src = rng.choice(mentions)
        cs, ce = span(base + 12 * k, 1)
        claims.append(Claim(start=s, end=e, text=text[s:e], source=Span(src.start, src.end, src.text, src.entity),
                            cue=Span(cs, ce, text[cs:ce]), attribution="indirect", claim_type=rng.choice(TYPES),
                            check_worthy=rng.random() < 0.5))
    return Annotated(article=Article(id=doc, text=text), entities=tuple(mentions), claims=tuple(claims))


def noisy(rng: random.Random, ref: Annotated, who: str, n: int) -> Annotated:
    mentions = []
    for m in ref.entities:
        if rng.random() < 0.1:
            continue
        if rng.random() < 0.1:
            m = replace(m, label=rng.choice(LABELS))
        if rng.random() < 0.1 and m.end - m.start > 2:
            m = replace(m, end=m.end - 1, text=ref.text[m.start:m.end - 1])
        mentions.append(m)
    claims = [replace(c, claim_type=rng.choice(TYPES)) if rng.random() < 0.1 else c for c in ref.claims]
    return replace(ref, entities=tuple(mentions), claims=tuple(claims),
                   annotation={"annotator": who, "task": n, "annotation_id": n, "ground_truth": False})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--annotators", type=int, default=3)
    parser.add_argument("--mentions", type=int, default=60)
    parser.add_argument("--claims", type=int, default=10)
    args = parser.parse_args()
    rng = random.Random(11)
    words = vocabulary()
    records = []
    for i in range(args.articles):
        ref = reference(rng, words, f"doc-{i}", args.mentions, args.claims)
        records += [noisy(rng, ref, f"annotator-{j}", i) for j in range(args.annotators)]
    scheme = load_scheme()
    t0 = time.perf_counter()
    report = agreement_report(records, scheme=scheme)
    t1 = time.perf_counter()
    result = adjudicate(records, scheme)
    t2 = time.perf_counter()
    overall = report["overall"]
    print(f"{len(records)} records ({args.articles} articles x {args.annotators} annotators, "
          f"{args.mentions} mentions and {args.claims} claims each)")
    print(f"agreement_report: {t1 - t0:.2f} s; strict F1 {overall['entities']['strict']['f1']:.3f}, "
          f"claim F1 {overall['claims']['f1']:.3f}, kappa claim_type {overall['kappa']['claim_type']['mean']:.3f}"
          + (f", alpha claim_type {overall['alpha']['claim_type']['alpha']:.3f}" if overall["alpha"] else "")
          + f", {len(report['disagreements'])} disagreements")
    print(f"adjudicate: {t2 - t1:.2f} s; {len(result.docs)} gold articles, {len(result.unresolved)} unresolved")


if __name__ == "__main__":
    main()
