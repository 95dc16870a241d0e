"""Benchmark of ``khabar score`` against nervaluate and seqeval on one synthetic corpus.

    .venv/bin/python benchmarks/bench_score.py            # 100,000 documents x ~10 entities
    .venv/bin/python benchmarks/bench_score.py --docs 5000  # a quick run

Generates a seeded corpus (gold and predictions as JSON lines in a temporary folder), then
runs each contender in its own process and measures wall time and peak memory (``os.wait4``
gives each child's own ``ru_maxrss``):

- ``khabar score`` as a whole process (start-up, reading and checking both files, alignment,
  scoring all four schemes per label, claims, bootstrap intervals, the table), with the
  default 1000 resamples and with none;
- nervaluate 1.2.1: the scoring call alone (``Evaluator(...).evaluate()``; its input is built
  from the same files beforehand, untimed, but its memory counts);
- seqeval: ``f1_score(mode="strict", scheme=IOB2)`` alone, on word-level IOB2 tags;
- ``json.loads`` of both files, for scale.

Predictions are perturbations of the gold mentions within their own words (so each prediction
overlaps at most one gold mention and greedy matching is optimal): the strict counts must
equal nervaluate's, and the script checks that they do. Then a scaling check: one document
with 2,000 mentions against 200 documents with 10 (the same mentions in total), in process.
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
PYTHON = sys.executable
LABELS = ("PERS", "ORG", "GPE", "LOC", "FAC", "NORP", "OCC", "EVENT", "DATE", "MONEY", "PERCENT")
WORDS = ("قال", "الرئيس", "إن", "الحكومة", "ستعمل", "على", "تعزيز", "التعاون", "مع", "الدول", "المجاورة", "في",
         "مجالات", "الاقتصاد", "والطاقة", "والأمن", "خلال", "العام", "المقبل", "وأضاف", "أن", "المفاوضات", "مستمرة",
         "بين", "الجانبين", "منذ", "أشهر", "وزير", "الخارجية", "القاهرة", "موسكو", "بكين")


# ------------------------------------------------------------------------------ corpus

def document(rng: random.Random, doc_id: str, n_entities: int) -> tuple[dict, dict]:
    """One gold line (khabar's canonical form) and its prediction line."""
    words: list[str] = []
    spans: list[tuple[int, int]] = []  # word ranges of the gold mentions
    gaps: list[int] = []  # one free word after each mention
    for _ in range(n_entities):
        words += [rng.choice(WORDS) for _ in range(rng.randint(1, 2))]
        k = rng.randint(1, 3)
        spans.append((len(words), len(words) + k))
        words += [rng.choice(WORDS) for _ in range(k)]
        gaps.append(len(words))
    words += [rng.choice(WORDS) for _ in range(2)]
    starts, pos = [], 0
    for w in words:
        starts.append(pos)
        pos += len(w) + 1
    text = " ".join(words)

    def chars(a: int, b: int) -> tuple[int, int]:
        return starts[a], starts[b - 1] + len(words[b - 1])

    entities, predicted = [], []
    for n, ((a, b), gap) in enumerate(zip(spans, gaps)):
        s, e = chars(a, b)
        label = rng.choice(LABELS)
        entities.append({"id": f"e{n + 1}", "start": s, "end": e, "text": text[s:e], "label": label, "entity": None})
        r = rng.random()
        if r < 0.75:
            predicted.append({"label": label, "start": s, "end": e})
        elif r < 0.83:  # boundary: one word more (the free word after it) or one fewer
            ps, pe = chars(a, gap + 1) if b - a == 1 or rng.random() < 0.5 else chars(a, b - 1)
            predicted.append({"label": label, "start": ps, "end": pe})
        elif r < 0.90:
            predicted.append({"label": rng.choice(LABELS), "start": s, "end": e})
        elif r < 0.95 and gap < len(words):  # missed, and a spurious mention on the free word
            ps, pe = chars(gap, gap + 1)
            predicted.append({"label": rng.choice(LABELS), "start": ps, "end": pe})
    gold = {"id": doc_id, "text": text, "title": None, "source": None, "url": None, "published": None, "lang": "ar",
            "entities": entities, "claims": [], "annotation": {}}
    return gold, {"id": doc_id, "entities": predicted}


def generate(folder: Path, docs: int, entities: int, seed: int, *, name: str = "") -> tuple[Path, Path]:
    rng = random.Random(seed)
    gold_path, pred_path = folder / f"gold{name}.jsonl", folder / f"pred{name}.jsonl"
    with gold_path.open("w", encoding="utf-8") as g, pred_path.open("w", encoding="utf-8") as p:
        for i in range(docs):
            gold, pred = document(rng, f"doc-{i:07d}", entities)
            g.write(json.dumps(gold, ensure_ascii=False) + "\n")
            p.write(json.dumps(pred, ensure_ascii=False) + "\n")
    return gold_path, pred_path


# ------------------------------------------------------------------------------ children

def _load(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def child(kind: str, gold_path: Path, pred_path: Path) -> dict:
    """Runs in a subprocess: prepare the input (untimed), time the scoring call, report."""
    if kind == "parse":
        t = time.perf_counter()
        _load(gold_path), _load(pred_path)
        return {"seconds": time.perf_counter() - t}
    gold, pred = _load(gold_path), _load(pred_path)
    if kind == "nervaluate":
        from nervaluate import Evaluator

        true = [[{"label": e["label"], "start": e["start"], "end": e["end"] - 1} for e in d["entities"]] for d in gold]
        guess = [[{"label": e["label"], "start": e["start"], "end": e["end"] - 1} for e in d["entities"]] for d in pred]
        del gold, pred
        t = time.perf_counter()
        result = Evaluator(true, guess, tags=list(LABELS), loader="dict").evaluate()
        seconds = time.perf_counter() - t
        strict = result["overall"]["strict"]
        return {"seconds": seconds, "strict": {k: getattr(strict, k) for k in
                                               ("correct", "incorrect", "partial", "missed", "spurious")}}
    if kind == "seqeval":
        from seqeval.metrics import f1_score
        from seqeval.scheme import IOB2

        def tags(text: str, entities: list[dict]) -> list[str]:
            offsets, pos = [], 0
            for w in text.split(" "):
                offsets.append(pos)
                pos += len(w) + 1
            index = {o: i for i, o in enumerate(offsets)}
            out = ["O"] * len(offsets)
            for e in entities:
                first = index[e["start"]]
                last = first
                while last + 1 < len(offsets) and offsets[last + 1] < e["end"]:
                    last += 1
                out[first] = f"B-{e['label']}"
                for k in range(first + 1, last + 1):
                    out[k] = f"I-{e['label']}"
            return out

        y_true = [tags(d["text"], d["entities"]) for d in gold]
        y_pred = [tags(g["text"], p["entities"]) for g, p in zip(gold, pred)]
        del gold, pred
        t = time.perf_counter()
        f1 = f1_score(y_true, y_pred, mode="strict", scheme=IOB2)
        return {"seconds": time.perf_counter() - t, "f1": f1}
    raise SystemExit(f"unknown child {kind}")


def measure(command: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MB) of the child alone, and its stdout."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.PIPE, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        stderr = proc.stderr.read().decode() if proc.stderr else ""
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}):\n{stderr}")
        out.seek(0)
        return seconds, usage.ru_maxrss / 1024, out.read().decode()


# ------------------------------------------------------------------------------ main

def scaling(folder: Path, seed: int, repeats: int = 5) -> list[tuple[str, float]]:
    """Scoring time (best of ``repeats``, in process) of 1 x 2,000 mentions vs 200 x 10."""
    sys.path.insert(0, str(ROOT))
    from eval.scoring.scorer import ScoreConfig, score_files

    cases = [("1 document x 2,000 entities", 1, 2000), ("200 documents x 10 entities", 200, 10)]
    out = []
    for label, docs, entities in cases:
        gold, pred = generate(folder, docs, entities, seed, name=f"-{docs}")
        best = float("inf")
        for _ in range(repeats):
            t = time.perf_counter()
            score_files(gold, pred, config=ScoreConfig(bootstrap=0))
            best = min(best, time.perf_counter() - t)
        out.append((label, best))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=100_000, help="documents in the corpus (default 100,000)")
    parser.add_argument("--entities", type=int, default=10, help="gold mentions per document (default 10)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-seqeval", action="store_true", help="leave seqeval out (it is slow)")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "GOLD", "PRED"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], Path(args.child[1]), Path(args.child[2]))))
        return

    khabar = [str(Path(PYTHON).parent / "khabar"), "score"]
    with tempfile.TemporaryDirectory(prefix="khabar-bench-") as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        gold, pred = generate(folder, args.docs, args.entities, args.seed)
        size = (gold.stat().st_size + pred.stat().st_size) / 1e6
        print(f"corpus: {args.docs:,} documents, ~{args.entities} entities each, {size:.0f} MB of JSON lines "
              f"(generated in {time.perf_counter() - t:.1f} s)", flush=True)
        rows = []
        result = folder / "result.json"
        s, mb, _ = measure([*khabar, str(gold), str(pred), "--json", str(result)])
        run = json.loads(result.read_text(encoding="utf-8"))
        rows.append(("khabar score (whole process, 1000 resamples, --json)", s, mb))
        print(f"  khabar score: {s:.1f} s (timing inside: {run['timing']})", flush=True)
        s, mb, _ = measure([*khabar, str(gold), str(pred), "--bootstrap", "0"])
        rows.append(("khabar score (whole process, no bootstrap)", s, mb))
        print(f"  khabar score --bootstrap 0: {s:.1f} s", flush=True)
        me = [PYTHON, __file__, "--child"]
        s, mb, out = measure([*me, "nervaluate", str(gold), str(pred)])
        nerv = json.loads(out)
        rows.append(("nervaluate Evaluator.evaluate() (call only)", nerv["seconds"], mb))
        print(f"  nervaluate: {nerv['seconds']:.1f} s (process {s:.1f} s)", flush=True)
        if not args.skip_seqeval:
            s, mb, out = measure([*me, "seqeval", str(gold), str(pred)])
            seq = json.loads(out)
            rows.append(("seqeval f1_score strict IOB2 (call only)", seq["seconds"], mb))
            print(f"  seqeval: {seq['seconds']:.1f} s (process {s:.1f} s)", flush=True)
        s, mb, out = measure([*me, "parse", str(gold), str(pred)])
        rows.append(("json.loads of both files (for scale)", json.loads(out)["seconds"], mb))

        ours = run["entities"]["strict"]["micro"]
        agree = all(ours[k] == nerv["strict"][k] for k in nerv["strict"])
        if not args.skip_seqeval:
            agree = agree and abs(ours["f1"] - seq["f1"]) < 1e-9
        reference = rows[2][1]
        print()
        print(f"{'':58} {'seconds':>9} {'peak MB':>9} {'nervaluate / this':>18}")
        for name, seconds, mb in rows:
            print(f"{name:58} {seconds:9.2f} {mb:9.0f} {reference / seconds:17.1f}x")
        print(f"\nstrict counts equal nervaluate's{' and F1 equals seqeval' if not args.skip_seqeval else ''}: "
              f"{'yes' if agree else 'NO'} ({ours})")
        whole, whole_mb = rows[0][1], rows[0][2]
        verdict = reference / whole >= 5 and whole_mb < rows[2][2]
        print(f"target (khabar score whole process >= 5x faster than nervaluate's call, less peak memory): "
              f"{'met' if verdict else 'NOT met'} ({reference / whole:.1f}x, {whole_mb:.0f} MB vs {rows[2][2]:.0f} MB)")

        print("\nscaling (scoring call in process, best of 5, no bootstrap):")
        (a_label, a), (b_label, b) = scaling(folder, args.seed)
        print(f"  {a_label}: {a * 1000:.0f} ms\n  {b_label}: {b * 1000:.0f} ms\n  ratio {a / b:.2f} "
              f"(target: within 2x) -> {'met' if max(a, b) / min(a, b) <= 2 else 'NOT met'}")


if __name__ == "__main__":
    main()
