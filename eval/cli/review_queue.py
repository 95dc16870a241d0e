"""``khabar review push``: the articles whose disagreements the majority cannot settle -> a review project."""

from __future__ import annotations

from pathlib import Path

import click

from annotation.labelstudio.client import DEFAULT_BATCH, DEFAULT_TIMEOUT, KEY_ENV, URL_ENV
from annotation.scheme import load_scheme
from eval.cli.options import FiniteRange


@click.group("review")
def review_group() -> None:
    """The review queue: settle disagreements in Label Studio (Community has no reviewer stream)."""


@review_group.command("push")
@click.argument("records", type=click.Path(exists=True, path_type=Path))
@click.option("--project", required=True, help="Title of the review project (created when missing).")
@click.option("--url", default=None, help=f"Label Studio server (default: ${URL_ENV}).")
@click.option("--api-key", default=None, help=f"API key (default: ${KEY_ENV}; prefer the variable).")
@click.option("--timeout", type=FiniteRange(min=0.1), default=DEFAULT_TIMEOUT, show_default=True,
              help="Seconds to wait for each answer of the server.")
@click.option("--scheme", "scheme_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Scheme file (default: data/scheme.json).")
def push_cmd(records: Path, project: str, url: str | None, api_key: str | None, timeout: float,
             scheme_path: Path | None) -> None:
    """Push one review task per article with unresolved disagreements to the project --project.

    RECORDS is the records.jsonl written by `khabar import`, or its folder. Each task shows the
    disputed units in words; its draft is the majority proposal and each annotator's version is a
    prediction named after the annotator. The adjudicator edits the draft and submits. Then
    `khabar import --project TITLE --out RECORDS_DIR` (the same folder) marks those annotations as
    review decisions, and `khabar adjudicate` takes them over the majority. Pushing again adds
    only articles not yet in the project.
    """
    from annotation.labelstudio.client import connect, push_tasks, show_every_prediction
    from annotation.review.queue import review_tasks
    from annotation.review.records import load_records

    tasks, notes = review_tasks(load_records(records), load_scheme(scheme_path))
    for note in notes:
        click.echo(f"note: {note}", err=True)
    if not tasks:
        click.echo("no unresolved disagreement: nothing to review (`khabar adjudicate` can write the gold set)")
        return
    server = connect(url, api_key, timeout=timeout)
    report = push_tasks(server, project, tasks, batch=DEFAULT_BATCH, review=True)
    show_every_prediction(server, report.project_id)
    click.echo(f"review project {project!r} (id {report.project_id}{', created' if report.created else ''}) at "
               f"{server.url}: {report.added} task(s) added, {report.present} already there")
    click.echo(f"next: adjudicate them at {server.url}/projects/{report.project_id}/data, then "
               f"`khabar import --project {project!r} --out <the records folder>` and `khabar adjudicate`")


COMMANDS: list[click.Command] = [review_group]
