"""Benchmark of the alignment of offset-free strings, beside langextract's aligner, on cases built
from the shipped gold (``benchmarks/align_cases.py``: one class per rewrite, positives and negatives).

    .venv/bin/python benchmarks/bench_align.py                  # khabar (default, and with the clitic step
                                                                # switched the other way), langextract if installed
    .venv/bin/python benchmarks/bench_align.py --no-langextract --json out.json

For every scored string: ``exact`` (the gold offsets), ``boundary`` (overlaps the gold span, other
offsets), ``place`` (aligned where the gold span is not), ``unaligned``; on negatives (strings that are
not in the article) any alignment is a ``false`` alignment. In the ``repeated`` class (an article's
whole list of mentions) the places of each string are compared with its gold places as sets.
Each aligner gets each case on its own (one call per case, the article prepared anew), and the
strings aligned per second are timed over all cases.
langextract 1.7.1 (``pip install 'khabar[bench]'``) runs its ``WordAligner`` with its defaults (exact
token matching, then LCS fuzzy alignment at 0.75, partial matches accepted) and once without partial
matches; it has no context input, so it gets the strings alone.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from align_cases import NEGATIVE, POSITIVE, Case, build_cases  # noqa: E402

from annotation.gold.dataset import load_gold  # noqa: E402
from annotation.model import Prediction  # noqa: E402
from eval.inputs.alignment import AlignConfig, align_prediction  # noqa: E402

Aligner = Callable[[str, Case], list[tuple[int, int] | None]]


def khabar_aligner(config: AlignConfig) -> Aligner:
    def run(text: str, case: Case) -> list[tuple[int, int] | None]:
        if case.kind == "entity":
            obj = {"id": "d", "entities": [{"label": "X", "text": i.text,
                                            **({"context": i.context} if i.context else {})} for i in case.items]}
        else:
            obj = {"id": "d", "claims": [{"text": i.text, **({"context": i.context} if i.context else {})}
                                         for i in case.items]}
        out = align_prediction(Prediction.from_dict(obj), text, config)
        spans = out.entities if case.kind == "entity" else out.claims
        return [(s.start, s.end) if s.start is not None else None for s in spans]
    return run


def langextract_aligner(accept_lesser: bool) -> Aligner | None:
    try:
        from langextract.core.data import Extraction
        from langextract.resolver import WordAligner
    except ImportError:
        return None

    def run(text: str, case: Case) -> list[tuple[int, int] | None]:
        group = [Extraction(extraction_class="x", extraction_text=i.text) for i in case.items]
        [aligned] = WordAligner().align_extractions([group], text, accept_match_lesser=accept_lesser)
        return [(e.char_interval.start_pos, e.char_interval.end_pos)
                if e.char_interval is not None and e.char_interval.start_pos is not None else None for e in aligned]
    return run


def outcome(found: tuple[int, int] | None, gold: tuple[int, int] | None) -> str:
    if gold is None:
        return "correct" if found is None else "false"
    if found is None:
        return "unaligned"
    if found == gold:
        return "exact"
    return "boundary" if found[0] < gold[1] and gold[0] < found[1] else "place"


def repeated_outcomes(case: Case, found: Sequence[tuple[int, int] | None]) -> Counter:
    """For a list with repeated strings: per string, its places against its gold places as sets (which
    copy takes which occurrence does not change a score; which occurrences are taken does)."""
    out: Counter = Counter()
    groups: dict[str, list[int]] = defaultdict(list)
    for k, _ in case.expect:
        groups[case.items[k].text].append(k)
    gold_of = dict(case.expect)
    for ks in groups.values():
        gold = {gold_of[k] for k in ks}
        places = [found[k] for k in ks]
        hit = gold & {p for p in places if p is not None}
        out["exact"] += len(hit)
        left = gold - hit
        for p in places:
            if p is None:
                out["unaligned"] += 1
            elif p not in hit:
                out["boundary" if any(p[0] < g[1] and g[0] < p[1] for g in left) else "place"] += 1
    return out


def measure(aligner: Aligner, texts: Sequence[str], cases: Sequence[Case]) -> dict:
    counts: dict[str, Counter] = defaultdict(Counter)
    strings = 0
    began = time.perf_counter()
    found_all = [aligner(texts[case.doc], case) for case in cases]
    seconds = time.perf_counter() - began
    for case, found in zip(cases, found_all):
        strings += len(case.items)
        if case.cls == "repeated":
            counts[case.cls].update(repeated_outcomes(case, found))
            continue
        for k, gold in case.expect:
            counts[case.cls][outcome(found[k], gold)] += 1
    return {"per_class": {cls: dict(c) for cls, c in counts.items()}, "strings_per_second": strings / seconds,
            "cases_per_second": len(cases) / seconds, "seconds": seconds}


def _rates(c: dict[str, int], negative: bool) -> dict[str, float]:
    n = sum(c.values()) or 1
    if negative:
        return {"n": n, "false": c.get("false", 0) / n}
    return {"n": n, **{k: c.get(k, 0) / n for k in ("exact", "boundary", "place", "unaligned")}}


def summarise(result: dict) -> dict:
    per = result["per_class"]
    pos, neg = Counter(), Counter()
    for cls, c in per.items():
        (neg if cls in NEGATIVE else pos).update(c)
    return {"positive": _rates(pos, False), "negative": _rates(neg, True),
            "classes": {cls: _rates(per[cls], cls in NEGATIVE) for cls in (*POSITIVE, *NEGATIVE) if cls in per}}


def print_table(results: dict[str, dict]) -> None:
    names = list(results)
    print(f"{'class':22} {'n':>5}  " + "  ".join(f"{name:>28}" for name in names))
    print(f"{'':22} {'':>5}  " + "  ".join(f"{'exact bound place unal':>28}" for _ in names))
    summaries = {name: summarise(r) for name, r in results.items()}
    first = summaries[names[0]]
    for cls in (*POSITIVE, *NEGATIVE):
        if cls not in first["classes"]:
            continue
        cells = []
        for name in names:
            r = summaries[name]["classes"].get(cls, {})
            if cls in NEGATIVE:
                cells.append(f"{'false ' + format(r.get('false', 0), '6.1%'):>28}")
            else:
                cells.append(f"{r.get('exact', 0):6.1%} {r.get('boundary', 0):5.1%} {r.get('place', 0):5.1%} "
                             f"{r.get('unaligned', 0):6.1%}".rjust(28))
        print(f"{cls:22} {first['classes'][cls]['n']:>5}  " + "  ".join(cells))
    print(f"{'positives (exact)':22} {first['positive']['n']:>5}  "
          + "  ".join(f"{summaries[n]['positive']['exact']:>28.1%}" for n in names))
    print(f"{'negatives (false)':22} {first['negative']['n']:>5}  "
          + "  ".join(f"{summaries[n]['negative']['false']:>28.1%}" for n in names))
    print(f"{'strings/s':22} {'':>5}  " + "  ".join(f"{results[n]['strings_per_second']:>28,.0f}" for n in names))
    print(f"{'cases/s':22} {'':>5}  " + "  ".join(f"{results[n]['cases_per_second']:>28,.0f}" for n in names))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", default=str(ROOT / "data" / "gold"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-langextract", action="store_true")
    parser.add_argument("--json", help="Write the counts and rates here.")
    args = parser.parse_args(argv)
    docs = load_gold(args.gold)
    texts = [doc.text for doc in docs]
    cases = build_cases(docs, args.seed)
    default = AlignConfig()
    other = replace(default, clitics=not default.clitics)
    contenders: dict[str, Aligner | None] = {"khabar": khabar_aligner(default),
                                             f"khabar {other.describe()}": khabar_aligner(other)}
    if not args.no_langextract:
        contenders["langextract"] = langextract_aligner(True)
        contenders["langextract (no partial)"] = langextract_aligner(False)
        if contenders["langextract"] is None:
            print("langextract is not installed (pip install 'khabar[bench]'): khabar alone", file=sys.stderr)
    results = {name: measure(run, texts, cases) for name, run in contenders.items() if run is not None}
    print(f"{len(cases)} cases from {len(docs)} articles ({args.gold})")
    print_table(results)
    if args.json:
        Path(args.json).write_text(json.dumps({name: {**r, **summarise(r)} for name, r in results.items()},
                                              ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
