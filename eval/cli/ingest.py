"""``khabar ingest``: raw scraped articles (.txt, .html, .jsonl) → clean articles (JSON lines)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from annotation.ingest.cleaning import MAX_REPEATED_WORDS, OUTLET_MIN_ARTICLES, OUTLET_MIN_SHARE
from annotation.ingest.dedup import NEAR_DUPLICATE_THRESHOLD
from annotation.errors import KhabarError
from annotation.ingest.rawfiles import DEFAULT_TEXT_FIELD, RAW_SUFFIXES, RawInput
from eval.cli.options import FRACTION, TEXT

if TYPE_CHECKING:
    from annotation.ingest.pipeline import IngestReport

PROGRESS_MIN_FILES = 20


@click.command("ingest")
@click.argument("raw", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Clean articles file to write (JSON lines, one article per line, sorted by id).")
@click.option("--text-field", type=TEXT, default=DEFAULT_TEXT_FIELD, show_default=True,
              help="Field holding the article text in .jsonl input.")
@click.option("--outlet-min-articles", type=click.IntRange(min=2), default=OUTLET_MIN_ARTICLES, show_default=True,
              help="A line found in this many articles (story groups) of one outlet is outlet boilerplate.")
@click.option("--outlet-min-share", type=FRACTION, default=OUTLET_MIN_SHARE, show_default=True,
              help="...or in at least this share of the outlet's articles (and in at least 2).")
@click.option("--max-repeated-words", type=click.IntRange(min=1), default=MAX_REPEATED_WORDS, show_default=True,
              help="A line repeated within one article is dropped (all copies) when it has at most this many words.")
@click.option("--near-duplicate-threshold", type=FRACTION, default=NEAR_DUPLICATE_THRESHOLD,
              show_default=True, help="Word 3-gram containment at which two articles are one story group.")
def ingest_cmd(raw: tuple[Path, ...], out: Path, text_field: str, outlet_min_articles: int,
               outlet_min_share: float, max_repeated_words: int, near_duplicate_threshold: float) -> None:
    """Clean raw articles: files or folders of .txt, .html and .jsonl (a `text` field per line).

    Metadata (source, url, published) comes from a `<stem>.meta.json` sidecar next to each raw file.
    Boilerplate (mastheads, repeated captions, lines recurring across an outlet), blank lines and
    exact duplicates are removed and recorded in each article's `meta`; near-duplicate stories share
    `meta.group`. A bad file is reported (file and line) and the rest is still written; the exit
    status is then 1.
    """
    from annotation.ingest.pipeline import discover, summary, write_articles

    _check_output(out, raw)
    inputs, problems, skipped = discover(raw)
    options = dict(text_field=text_field, outlet_min_articles=outlet_min_articles, outlet_min_share=outlet_min_share,
                   max_repeated_words=max_repeated_words, near_duplicate_threshold=near_duplicate_threshold)
    report = _run_with_progress(inputs, options)
    report.problems[:0] = problems
    report.skipped = skipped
    if report.articles:
        write_articles(out, report.articles)
    for problem in report.problems:
        click.echo(f"error: {problem}", err=True)
    for line in summary(report):
        click.echo(line)
    if not report.articles:
        raise KhabarError(f"no articles ingested; {out} not written")
    if report.problems:
        raise KhabarError(f"{len(report.problems)} bad input(s), listed above; "
                          f"the other {len(report.articles)} articles were written to {out}")
    click.echo(f"wrote {out}")


def _check_output(out: Path, raw: tuple[Path, ...]) -> None:
    """The output must not be read back as input by this run or the next one."""
    target = out.resolve()
    for arg in raw:
        inside = arg.is_dir() and target.is_relative_to(arg.resolve()) and out.suffix.lower() in RAW_SUFFIXES
        if inside or target == arg.resolve():
            raise KhabarError(f"{out}: the output would be read as a raw input ({arg}); "
                              "write it outside the raw folders")


def _run_with_progress(inputs: list[RawInput], options: dict[str, Any]) -> IngestReport:
    """Run the ingestion, with a progress bar on stderr when there are many files and stderr is a terminal."""
    from rich.console import Console

    from annotation.ingest.pipeline import ingest_inputs

    console = Console(stderr=True)
    if len(inputs) < PROGRESS_MIN_FILES or not console.is_terminal:
        return ingest_inputs(inputs, **options)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn("ingesting"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                  console=console, transient=True) as progress:
        task = progress.add_task("", total=len(inputs))

        def advance(raw: RawInput) -> None:
            progress.update(task, advance=1, description=raw.origin)

        return ingest_inputs(inputs, on_input=advance, **options)


COMMANDS: list[click.Command] = [ingest_cmd]
