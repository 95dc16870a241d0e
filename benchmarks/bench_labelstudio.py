"""Push and pull of N small articles against a local Label Studio (not a test: it prints timings).

    .venv/bin/python benchmarks/bench_labelstudio.py [--articles 1000] [--url URL]

Without --url (and without LABEL_STUDIO_URL) it starts a throwaway local server with the code of
``khabar studio`` and stops it at the end. Steps, each timed:

1. push: ``khabar export ARTICLES --project … --pre-annotate PREDICTIONS`` (the library calls it makes:
   pre-annotation from a predictions file, then ``push_tasks``) into a new project;
2. push again (idempotent: lists the project's tasks and predictions, adds nothing);
3. (set-up) the same articles with one annotation each, imported into a second project;
4. pull: ``khabar import --project … --out DIR`` (snapshot export, download, conversion, atomic writes);
5. pull again (same export: nothing changes).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from annotation.io import read_articles  # noqa: E402
from annotation.labelstudio.tasks import article_task  # noqa: E402
from annotation.labelstudio.client import connect, pull_export, push_tasks  # noqa: E402
from annotation.labelstudio.importer import import_export  # noqa: E402
from annotation.labelstudio.server import start_server  # noqa: E402
from eval.cli.export import pre_annotations  # noqa: E402

SENTENCE = "قال الوزير محمد علي إن الاقتصاد المصري سينمو بنسبة 5% هذا العام، بحسب وكالة الأنباء."


def article_text(i: int) -> str:
    return f"خبر رقم {i:05d} 📰\n{SENTENCE}"


def write_inputs(folder: Path, n: int) -> tuple[Path, Path]:
    articles, predictions = folder / "articles.jsonl", folder / "predictions.jsonl"
    with articles.open("w", encoding="utf-8") as a, predictions.open("w", encoding="utf-8") as p:
        for i in range(n):
            text = article_text(i)
            a.write(json.dumps({"id": f"bench-{i:05d}", "text": text, "title": text.split("\n")[0],
                                "source": "bench"}, ensure_ascii=False) + "\n")
            p.write(json.dumps({"id": f"bench-{i:05d}", "entities": [
                {"label": "PERS", "text": "محمد علي"}, {"label": "NORP", "text": "المصري"},
                {"label": "PERCENT", "text": "5%"}], "claims": [
                {"text": "الاقتصاد المصري سينمو بنسبة 5% هذا العام", "source": {"text": "محمد علي"},
                 "cue": {"text": "قال"}, "claim_type": "prediction", "check_worthy": True}]},
                ensure_ascii=False) + "\n")
    return articles, predictions


def annotation_result(text: str) -> list[dict]:
    def region(rid: str, control: str, label: str, needle: str) -> dict:
        start = text.index(needle)
        return {"id": rid, "from_name": control, "to_name": "text", "type": "labels",
                "value": {"start": start, "end": start + len(needle), "text": needle, "labels": [label]}}

    claim = "الاقتصاد المصري سينمو بنسبة 5% هذا العام"
    start = text.index(claim)
    choices = [{"id": "c1", "from_name": name, "to_name": "text", "type": "choices",
                "value": {"start": start, "end": start + len(claim), "text": claim, "choices": [value]}}
               for name, value in (("attribution", "indirect"), ("claim_type", "prediction"), ("check_worthy", "true"))]
    return [region("m1", "entities", "PERS", "محمد علي"), region("m2", "entities", "NORP", "المصري"),
            region("m3", "entities", "PERCENT", "5%"), region("c1", "claim_parts", "CLAIM", claim),
            region("q1", "claim_parts", "CUE", "قال"), *choices,
            {"from_id": "c1", "to_id": "m1", "type": "relation", "direction": "right", "labels": ["source"]},
            {"from_id": "c1", "to_id": "q1", "type": "relation", "direction": "right", "labels": ["cue"]}]


def timed(label: str, timings: dict[str, float], fn, *args, **kwargs):
    started = time.perf_counter()
    value = fn(*args, **kwargs)
    timings[label] = time.perf_counter() - started
    print(f"{label:<44} {timings[label]:8.2f} s", flush=True)
    return value


def run(n: int, url: str | None, api_key: str | None, folder: Path) -> dict[str, float]:
    timings: dict[str, float] = {}
    title = f"bench {n} articles {int(time.time())}"
    articles_path, predictions_path = write_inputs(folder, n)
    server = connect(url, api_key, timeout=300)

    def push() -> tuple:
        articles = read_articles(articles_path)
        preds, _ = pre_annotations(articles, str(predictions_path))
        tasks = [article_task(a, [preds[a.id]] if a.id in preds else []) for a in articles]
        return push_tasks(server, title, tasks)

    report = timed(f"push {n} articles with pre-annotations", timings, push)
    assert report.added == n, report
    again = timed("push again (nothing to add)", timings, push)
    assert again.added == 0 and again.predictions_added == 0, again

    # Label Studio community edition has no bulk annotation endpoint and one request per annotation
    # takes ~0.3 s here, so the annotated copy of the corpus is imported with its annotations instead
    annotated = f"{title} annotated"
    result = annotation_result(article_text(0))   # every text has the same layout: one result fits all

    def annotate() -> None:
        tasks = [{**article_task(a), "annotations": [{"result": result, "ground_truth": False}]}
                 for a in read_articles(articles_path)]
        push_tasks(server, annotated, tasks)

    timed(f"(set-up) import {n} annotated tasks", timings, annotate)
    out = folder / "records"

    def pull() -> object:
        return import_export(pull_export(server, annotated), out, where=annotated)

    first = timed(f"pull + import {n} annotations", timings, pull)
    assert first.added == n and not first.quarantined, first.summary()
    second = timed("pull + import again (nothing changes)", timings, pull)
    assert second.unchanged == n, second.summary()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--url", default=os.environ.get("LABEL_STUDIO_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="khabar-bench-ls-") as tmp:
        folder = Path(tmp)
        if args.url:
            timings = run(args.articles, args.url, os.environ.get("LABEL_STUDIO_API_KEY"), folder)
        else:
            started = time.perf_counter()
            with start_server(folder / "studio") as studio:
                print(f"{'server start (first start: migrations)':<44} {time.perf_counter() - started:8.2f} s")
                timings = run(args.articles, studio.url, studio.api_key, folder)
    print(json.dumps({k: round(v, 2) for k, v in timings.items()}, ensure_ascii=False))


if __name__ == "__main__":
    main()
