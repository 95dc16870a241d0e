"""Commands on the gold data: ``khabar validate``, ``khabar gold build``, ``khabar stats``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from annotation.errors import KhabarError
from annotation.locations import default_data
from annotation.scheme import SCHEME_ENV, load_scheme

IN_DATA = "Default: ./data/{0}, else the checkout's data/{0}."
PROVENANCE = (
    "The seed article `000_81ee36451164b183` is a real news story published by الدستور, kept verbatim "
    "in `data/raw/`. Every other article was written for this project by its team in the register of "
    "Arabic online news, with invented people, companies and outlets; they report no real events. "
    "All annotations were made for this project by its team following `data/guidelines.md`: each article "
    "was annotated once, by its writer, and checked by machine (anchors, labels, attributes, offsets); "
    "there is no second annotation, hence `adjudicated: false` and no agreement figures for this set."
)

scheme_option = click.option("--scheme", "scheme_path", type=click.Path(dir_okay=False, path_type=Path),
                             default=None,
                             help=f"Scheme file (default: ${SCHEME_ENV}, else the scheme shipped with khabar).")


gold_argument = click.argument("gold", required=False, type=click.Path(path_type=Path), default=None)


@click.command("validate")
@gold_argument
@scheme_option
def validate_cmd(gold: Path | None, scheme_path: Path | None) -> None:
    """Check a gold file or folder against its text and the scheme; list every problem.

    GOLD defaults to ./data/gold, else the checkout's data/gold."""
    from annotation.gold.dataset import load_gold
    from annotation.gold.validation import validate_corpus

    scheme = load_scheme(scheme_path)
    gold = gold or default_data("gold", "a GOLD path")
    docs = load_gold(gold)
    problems = validate_corpus(docs, scheme, place=f"{gold}: ")
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        raise KhabarError(f"{gold}: {len(problems)} problem(s) in {len(docs)} documents")
    click.echo(f"{gold}: {len(docs)} documents valid against scheme {scheme.provenance}")


@click.group("gold")
def gold_group() -> None:
    """Build the shipped gold set from annotation sources."""


@gold_group.command("build")
@click.option("--articles", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Clean articles (output of khabar ingest). " + IN_DATA.format("articles.jsonl"))
@click.option("--sources", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder of anchored annotation sources, one <id>.json each. "
                   + IN_DATA.format("annotations"))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Gold dataset folder to write. " + IN_DATA.format("gold"))
@click.option("--seed", type=int, default=None, help="Split seed (default: the dataset's).")
@scheme_option
def gold_build_cmd(articles: Path | None, sources: Path | None, out: Path | None, seed: int | None,
                   scheme_path: Path | None) -> None:
    """Resolve anchored annotations against clean articles, validate, split and write the gold folder."""
    from annotation.gold.authoring import build_gold
    from annotation.gold.dataset import DEFAULT_SPLIT_SEED, split_by_group, write_gold_folder
    from annotation.io import read_articles
    from annotation.gold.validation import validate_corpus

    scheme = load_scheme(scheme_path)
    articles = articles or default_data("articles.jsonl", "--articles")
    sources = sources or default_data("annotations", "--sources")
    out = out or default_data("gold", "--out", output=True)
    docs = build_gold(read_articles(articles), sources,
                      {"annotators": ["khabar-team"], "adjudicated": False, "scheme": scheme.version})
    problems = validate_corpus(docs, scheme)
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        raise KhabarError(f"{sources}: {len(problems)} problem(s); nothing written")
    splits = split_by_group(docs, seed=DEFAULT_SPLIT_SEED if seed is None else seed)
    write_gold_folder(out, splits, scheme, provenance=PROVENANCE)
    click.echo(f"{out}: " + ", ".join(f"{k} {len(v)}" for k, v in splits.items()) + " articles")


@click.command("stats")
@gold_argument
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON.")
@scheme_option
def stats_cmd(gold: Path | None, as_json: bool, scheme_path: Path | None) -> None:
    """Dataset statistics: articles, mentions per label, claims per attribute value.

    GOLD defaults to ./data/gold, else the checkout's data/gold."""
    from rich.console import Console
    from rich.table import Table

    from annotation.gold.dataset import load_gold, statistics

    scheme = load_scheme(scheme_path)
    gold = gold or default_data("gold", "a GOLD path")
    stats = statistics(load_gold(gold), scheme)
    click.echo(f"scheme {scheme.provenance}", err=True)
    if as_json:
        click.echo(json.dumps(stats, ensure_ascii=False, indent=2))
        return
    console = Console()
    console.print(f"[bold]{gold}[/]: {stats['articles']} articles, {stats['mentions']} mentions, "
                  f"{stats['clusters']} clusters, {stats['claims']} claims")
    for key, counts in stats.items():
        if isinstance(counts, dict):
            table = Table(title=key.replace("_", " "))
            table.add_column("value")
            table.add_column("count", justify="right")
            for name, n in counts.items():
                table.add_row(name, str(n))
            console.print(table)


COMMANDS: list[click.Command] = [validate_cmd, gold_group, stats_cmd]
