"""``khabar export``: articles -> Label Studio tasks, to a file or pushed to a server, optionally pre-annotated.

It lives on the eval side because ``--pre-annotate`` runs an extractor (``eval.extractors``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from annotation.errors import KhabarError
from annotation.labelstudio.client import DEFAULT_BATCH, DEFAULT_TIMEOUT, KEY_ENV, URL_ENV
from annotation.model import Article
from eval.cli.options import TEXT, FiniteRange


def pre_annotations(articles: Sequence[Article], spec: str) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Article id -> Label Studio prediction (model_version "<name>@<version>") from extractor ``spec``
    (a registered name or a predictions file, see ``eval.extractors.get_extractor``), and notes to print."""
    from annotation.labelstudio.tasks import prediction_payload, predictions_to_results
    from annotation.scheme import load_scheme
    from eval.inputs.alignment import AlignReport, align_prediction
    from eval.extractors import get_extractor, run_extractor

    extractor = get_extractor(spec)
    version = f"{extractor.name}@{extractor.version}"
    predictions, run = run_extractor(extractor, articles)
    by_id = {a.id: a for a in articles}
    align = AlignReport()
    scheme = load_scheme()
    out = {}
    for pred in predictions:
        article = by_id[pred.id]
        results = predictions_to_results(align_prediction(pred, article.text, report=align), article, scheme)
        out[pred.id] = prediction_payload(results, version)
    notes = [f"pre-annotations by {version}: {len(out)} of {len(articles)} articles"]
    if align.total:
        notes.append(f"aligned {align.aligned} of {align.total} offset-free spans ({align.rate:.1%}); "
                     f"{align.total - align.aligned} could not be placed and were left out")
    return out, notes


def write_tasks(path: Path, tasks: Sequence[dict[str, Any]]) -> None:
    """A JSON list of tasks, one per line (Label Studio imports it as is)."""
    from annotation.io import dumps, write_atomic

    write_atomic(path, "[\n" + ",\n".join(dumps(t) for t in tasks) + ("\n" if tasks else "") + "]\n")


@click.command("export")
@click.argument("articles", type=click.Path(path_type=Path))  # a folder: the reader says so (exit 1, as elsewhere)
@click.option("--tasks", "tasks_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the tasks to this JSON file.")
@click.option("--project", type=TEXT, default=None, help="Push the tasks to the project with this title (created when missing).")
@click.option("--url", default=None, help=f"Label Studio server (default: ${URL_ENV}).")
@click.option("--api-key", default=None, help=f"API key (default: ${KEY_ENV}; prefer the variable).")
@click.option("--pre-annotate", "pre_annotate", type=TEXT, default=None, metavar="EXTRACTOR",
              help="Attach predictions: an extractor name or a predictions file (JSON lines).")
@click.option("--timeout", type=FiniteRange(min=0.1), default=DEFAULT_TIMEOUT, show_default=True,
              help="Seconds to wait for each answer of the server.")
@click.option("--overlap", type=click.IntRange(min=1), default=None, metavar="N",
              help="Annotators per task: the project's queue gives each task to N people (with --project; "
                   "also changes an existing project). Default: a new project gives each task to one.")
@click.option("--batch-size", type=click.IntRange(min=1), default=DEFAULT_BATCH, show_default=True,
              help="Tasks per import request.")
def export_cmd(articles: Path, tasks_file: Path | None, project: str | None, url: str | None, api_key: str | None,
               pre_annotate: str | None, timeout: float, overlap: int | None, batch_size: int) -> None:
    """Turn clean articles (JSON lines) into Label Studio tasks: --tasks FILE and/or --project TITLE.

    Each task's data carries the article's id, text, title and source. Pushing is idempotent by
    article id: articles already in the project are not added again (a grown corpus adds only the
    new ones); their predictions are added only for a model version they do not have yet. A new
    project gets the labeling config generated from the scheme and the guidelines as instructions.
    Label Studio gives each task to one annotator unless --overlap N says otherwise.
    """
    from annotation.io import read_articles
    from annotation.labelstudio.tasks import article_task

    if tasks_file is None and project is None:
        raise click.UsageError("give --tasks FILE and/or --project TITLE")
    if project is None and (url or api_key or overlap):
        raise click.UsageError("--url, --api-key and --overlap go with --project")
    items = read_articles(articles)
    ids = [a.id for a in items]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise KhabarError(f"{articles}: duplicate article ids: {', '.join(dup[:5])}")
    predictions: dict[str, dict[str, Any]] = {}
    server = None
    if project is not None:
        from annotation.labelstudio.client import connect

        server = connect(url, api_key, timeout=timeout)  # fail fast, before running an extractor
    if pre_annotate:
        predictions, notes = pre_annotations(items, pre_annotate)
        for note in notes:
            click.echo(note)
    tasks = [article_task(a, [predictions[a.id]] if a.id in predictions else []) for a in items]
    if tasks_file is not None:
        write_tasks(tasks_file, tasks)
        click.echo(f"wrote {len(tasks)} task(s) to {tasks_file}")
    if server is not None:
        from annotation.labelstudio.client import push_tasks

        report = push_tasks(server, str(project), tasks, batch=batch_size, overlap=overlap)
        click.echo(f"project {project!r} (id {report.project_id}{', created' if report.created else ''}) "
                   f"at {server.url}: {report.added} task(s) added, {report.present} already there"
                   + (f", predictions added to {report.predictions_added} existing task(s)"
                      if report.predictions_added else ""))
        click.echo(f"each task goes to {report.overlap} annotator(s) from the queue"
                   + ("" if report.overlap > 1 else " (no overlap, so no agreement to measure: --overlap N)"))


COMMANDS: list[click.Command] = [export_cmd]
