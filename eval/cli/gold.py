"""Commands on the gold data: ``khabar validate``, ``khabar gold build``, ``khabar stats``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from annotation.errors import KhabarError
from annotation.scheme import DATA_DIR, load_scheme

DEFAULT_GOLD = DATA_DIR / "gold"
DEFAULT_ARTICLES = DATA_DIR / "articles.jsonl"
DEFAULT_SOURCES = DATA_DIR / "annotations"
PROVENANCE = (
    "The seed article `000_81ee36451164b183` is a real news story published by الدستور, kept verbatim "
    "in `data/raw/`. Every other article was written for this project by its team in the register of "
    "Arabic online news, with invented people, companies and outlets; they report no real events. "
    "All annotations were made for this project by its team following `data/guidelines.md`: each article "
    "was annotated once, by its writer, and checked by machine (anchors, labels, attributes, offsets); "
    "there is no second annotation, hence `adjudicated: false` and no agreement figures for this set."
)

scheme_option = click.option("--scheme", "scheme_path", type=click.Path(dir_okay=False, path_type=Path),
                             default=None, help="Scheme file (default: data/scheme.json).")


@click.command("validate")
@click.argument("gold", required=False, type=click.Path(path_type=Path), default=DEFAULT_GOLD)
@scheme_option
def validate_cmd(gold: Path, scheme_path: Path | None) -> None:
    """Check a gold file or folder against its text and the scheme; list every problem."""
    from annotation.gold.dataset import load_gold
    from annotation.gold.validation import validate_corpus

    scheme = load_scheme(scheme_path)
    docs = load_gold(gold)
    problems = validate_corpus(docs, scheme, place=f"{gold}: ")
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        raise KhabarError(f"{gold}: {len(problems)} problem(s) in {len(docs)} documents")
    click.echo(f"{gold}: {len(docs)} documents valid against scheme {scheme.name} {scheme.version}")


@click.group("gold")
def gold_group() -> None:
    """Build the shipped gold set from annotation sources."""


@gold_group.command("build")
@click.option("--articles", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_ARTICLES,
              show_default=True, help="Clean articles (output of khabar ingest).")
@click.option("--sources", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_SOURCES,
              show_default=True, help="Folder of anchored annotation sources, one <id>.json each.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_GOLD,
              show_default=True, help="Gold dataset folder to write.")
@click.option("--seed", type=int, default=None, help="Split seed (default: the dataset's).")
@scheme_option
def gold_build_cmd(articles: Path, sources: Path, out: Path, seed: int | None, scheme_path: Path | None) -> None:
    """Resolve anchored annotations against clean articles, validate, split and write the gold folder."""
    from annotation.gold.authoring import build_gold
    from annotation.gold.dataset import DEFAULT_SPLIT_SEED, split_by_group, write_gold_folder
    from annotation.io import read_articles
    from annotation.gold.validation import validate_corpus

    scheme = load_scheme(scheme_path)
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
@click.argument("gold", required=False, type=click.Path(path_type=Path), default=DEFAULT_GOLD)
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON.")
@scheme_option
def stats_cmd(gold: Path, as_json: bool, scheme_path: Path | None) -> None:
    """Dataset statistics: articles, mentions per label, claims per attribute value."""
    from rich.console import Console
    from rich.table import Table

    from annotation.gold.dataset import load_gold, statistics

    stats = statistics(load_gold(gold), load_scheme(scheme_path))
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
