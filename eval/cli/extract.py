"""``khabar extract``: an extractor over a corpus, into a resumable folder of shards (a thin layer over eval.extract)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from eval.cli.options import JOBS, SECONDS, TEXT, FiniteRange
from eval.extract.plan import DEFAULT_SHARD_SIZE
from eval.extractors.base import DEFAULT_BATCH_SIZE


def _progress_display() -> tuple[Any, Any]:
    """A rich progress bar on stderr (articles/s, time left) when stderr is a terminal; else nothing shown."""
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn,
                               TimeRemainingColumn)
    from rich.text import Text

    from eval.extract import Progress as Callbacks

    class Speed(ProgressColumn):
        def render(self, task: Any) -> Text:
            return Text(f"{task.speed:,.0f} articles/s" if task.speed else "– articles/s")

    console = Console(stderr=True)
    bar = Progress(TextColumn("[bold]extract"), BarColumn(), MofNCompleteColumn(), Speed(), TimeRemainingColumn(),
                   console=console, transient=True, disable=not console.is_terminal)
    task = bar.add_task("extract", total=None)
    return bar, Callbacks(start=lambda total, done: bar.update(task, total=total, completed=done),
                          advance=lambda n: bar.advance(task, n))


@click.command("extract")
@click.argument("articles", nargs=-1, required=True)
@click.option("--extractor", "-e", "spec", type=TEXT, required=True, metavar="NAME",
              help="A registered name (baseline, …), cmd:COMMAND, openai:MODEL, hf:MODEL_DIR, an http(s):// URL "
                   "or module:attr, as for khabar bench.")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path),
              help="Output folder: part-NNNNN.jsonl shards, manifest.json, errors.jsonl.")
@click.option("--option", "-o", "options", multiple=True, metavar="KEY=VALUE",
              help="An option for the extractor (repeatable); a changed option is a different run.")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="local: worker processes on this machine; ray: Ray Data on a local or joined Ray cluster.")
@click.option("--jobs", "-j", type=JOBS, default=1, show_default=True,
              help="Worker processes (local) or actors (ray); 0 uses every core (every CPU of the cluster).")
@click.option("--address", default=None, metavar="ADDRESS",
              help="With --engine ray: join this cluster (auto, HOST:PORT, ray://HOST:PORT) instead of starting "
                   "a local Ray for the run.")
@click.option("--connect-timeout", type=SECONDS, default=10.0, show_default=True,
              help="Seconds to wait for the cluster at --address to answer.")
@click.option("--worker-cpus", type=FiniteRange(min=0, min_open=True), default=1.0, show_default=True,
              help="With --engine ray: CPUs reserved per actor; below 1 runs more actors than CPUs, for an "
                   "extractor that waits on a service (openai:, http://).")
@click.option("--batch-size", type=click.IntRange(min=1), default=DEFAULT_BATCH_SIZE, show_default=True,
              help="Articles per call of the extractor.")
@click.option("--shard-size", type=click.IntRange(min=1), default=DEFAULT_SHARD_SIZE, show_default=True,
              help="Input lines (or parquet rows) per output shard.")
@click.option("--overwrite", is_flag=True, help="Start over in an output folder that holds another run.")
@click.option("--fail-fast", is_flag=True, help="Stop at the first article that makes the extractor fail.")
def extract_cmd(articles: tuple[str, ...], spec: str, out: Path, options: tuple[str, ...], engine: str, jobs: int,
                address: str | None, connect_timeout: float, worker_cpus: float, batch_size: int, shard_size: int, overwrite: bool,
                fail_fast: bool) -> None:
    """Run an extractor over ARTICLES (JSON lines files, globs, folders, parquet) into a folder of shards.

    Re-running the same command resumes: finished shards are kept, the rest are done. A changed
    extractor, option or input is refused unless --overwrite. An article that makes the extractor
    fail goes to OUT/errors.jsonl and the run goes on (exit status 1 at the end). khabar score,
    khabar bench --extractor OUT and khabar export --pre-annotate OUT read the folder.
    """
    from eval.cli.bench import parse_options
    from eval.extract import extract

    if (address or worker_cpus != 1.0) and engine != "ray":
        raise click.UsageError("--address and --worker-cpus are for --engine ray")
    bar, callbacks = _progress_display()
    with bar:
        report = extract(list(articles), spec, out, options=parse_options(options), engine=engine, jobs=jobs,
                         batch_size=batch_size, shard_size=shard_size, overwrite=overwrite, fail_fast=fail_fast,
                         address=address, connect_timeout=connect_timeout, worker_cpus=worker_cpus,
                         progress=callbacks)
    rate = report.articles / report.seconds if report.written and report.seconds else 0
    click.echo(f"{report.out}: {report.shards} shard(s), {report.kept} kept, {report.written} written; "
               f"{report.predictions} prediction line(s) for {report.articles} article(s)"
               + (f" ({rate:,.0f} articles/s)" if rate else ""))
    if report.errors:
        stop = " (stopped: --fail-fast)" if report.stopped else ""
        click.echo(f"error: {report.errors} article(s) failed{stop}: see {report.out / 'errors.jsonl'}", err=True)
        sys.exit(1)


COMMANDS: list[click.Command] = [extract_cmd]
