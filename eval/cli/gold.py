"""Commands on the gold data: ``khabar validate``, ``khabar gold build``, ``khabar gold diff``, ``khabar stats``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from annotation.errors import KhabarError
from annotation.locations import default_data
from annotation.scheme import SCHEME_ENV, load_scheme
from annotation.versions import not_covered, records_scheme
from eval.cli.options import SEED

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
version_option = click.option("--version", "version", default=None, metavar="X.Y.Z",
                              help="Release version (default: the folder's release, bumped by what changed: "
                                   "major for an incompatible scheme, minor for articles added or removed, "
                                   "patch for corrections; 1.0.0 for a new folder).")
date_option = click.option("--date", "date", default=None, metavar="YYYY-MM-DD",
                           help="Release date (default: kept when nothing changed, else SOURCE_DATE_EPOCH, "
                                "else today in UTC).")


gold_argument = click.argument("gold", required=False, type=click.Path(path_type=Path), default=None)


@click.command("validate")
@gold_argument
@scheme_option
def validate_cmd(gold: Path | None, scheme_path: Path | None) -> None:
    """Check a gold file or folder against its text and the scheme; list every problem.

    GOLD defaults to ./data/gold, else the checkout's data/gold."""
    from annotation.gold.records import load_gold
    from annotation.gold.validation import validate_corpus

    from annotation.gold.publish import card_problems

    scheme = load_scheme(scheme_path)
    gold = gold or default_data("gold", "a GOLD path")
    docs = load_gold(gold)
    if not docs:
        raise KhabarError(f"{gold}: no gold documents (an empty file or folder is not a gold set)")
    problems = validate_corpus(docs, scheme, place=f"{gold}: ") + card_problems(gold)
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        raise KhabarError(f"{gold}: {len(problems)} problem(s) in {len(docs)} documents")
    click.echo(f"{gold}: {len(docs)} documents valid against scheme {scheme.provenance}")


@click.group("gold")
def gold_group() -> None:
    """Build the shipped gold set from annotation sources."""


@gold_group.command("build")
@click.option("--articles", type=click.Path(path_type=Path), default=None,
              help="Clean articles (output of khabar ingest). " + IN_DATA.format("articles.jsonl"))
@click.option("--sources", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder of anchored annotation sources, one <id>.json each. "
                   + IN_DATA.format("annotations"))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Gold dataset folder to write. " + IN_DATA.format("gold"))
@click.option("--seed", type=SEED, default=None, help="Split seed (default: the dataset's).")
@version_option
@date_option
@scheme_option
def gold_build_cmd(articles: Path | None, sources: Path | None, out: Path | None, seed: int | None,
                   version: str | None, date: str | None, scheme_path: Path | None) -> None:
    """Resolve anchored annotations against clean articles, validate, split and write the gold folder
    as a release (the card's release notes list the changes since the folder's previous release)."""
    from annotation.gold.authoring import build_gold, sources_version
    from annotation.gold.dataset import DEFAULT_SPLIT_SEED, split_by_group
    from annotation.gold.publish import publish
    from annotation.io import read_articles
    from annotation.gold.validation import validate_corpus

    scheme = load_scheme(scheme_path)
    articles = articles or default_data("articles.jsonl", "--articles")
    sources = sources or default_data("annotations", "--sources")
    out = out or default_data("gold", "--out", output=True)
    followed = scheme.at(sources_version(sources))
    docs = build_gold(read_articles(articles), sources,
                      {"annotators": ["khabar-team"], "adjudicated": False, "scheme": followed.version})
    if (note := not_covered(scheme, followed, "annotated")) is not None:
        click.echo(f"warning: annotation sources {note}; the release is of scheme {followed.version}", err=True)
    problems = validate_corpus(docs, scheme)
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        raise KhabarError(f"{sources}: {len(problems)} problem(s); nothing written")
    splits = split_by_group(docs, seed=DEFAULT_SPLIT_SEED if seed is None else seed)
    published = publish(out, splits, followed, provenance=PROVENANCE, version=version, date=date)
    click.echo(f"{out}: " + ", ".join(f"{k} {len(v)}" for k, v in splits.items()) + " articles; "
               + published.message())


@click.command("stats")
@gold_argument
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON.")
@scheme_option
def stats_cmd(gold: Path | None, as_json: bool, scheme_path: Path | None) -> None:
    """Dataset statistics: articles, mentions per label, claims per attribute value.

    GOLD defaults to ./data/gold, else the checkout's data/gold."""
    from rich.console import Console
    from rich.table import Table

    from annotation.gold.card import statistics
    from annotation.gold.records import load_gold

    scheme = load_scheme(scheme_path)
    gold = gold or default_data("gold", "a GOLD path")
    docs = load_gold(gold)
    stats = statistics(docs, records_scheme(docs, scheme, str(gold)))  # the attributes of the gold's version
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


def _shown(value: object) -> str:
    """A value of a diff row on one line: a span as ``[start, end) text LABEL``, a list joined by ``;``."""
    if isinstance(value, dict):
        text = str(value.get("text")).replace("\n", " ")
        return f"[{value.get('start')}, {value.get('end')}) {text}" + (f" {value['label']}" if value.get("label") else "")
    if isinstance(value, list):
        return "; ".join(_shown(v) for v in value) or "(none)"
    return "(none)" if value is None else str(value)


def render_diff(diff: dict) -> None:
    """The diff as readable text: one line per side, then per changed article one aligned line per change
    (kind, id, change and field, old -> new), then the summary."""
    for side in ("old", "new"):
        s = diff[side]
        click.echo(f"{side}: {s['path']} — release {s['version'] or '(none)'}, fingerprint {s['fingerprint']}, "
                   f"scheme {s['scheme_version'] or '(unknown)'}, {s['articles']} articles")
    if diff["not_compared"]:
        click.echo(f"not compared (the schemes define them differently): {', '.join(diff['not_compared'])}")
    for article in diff["articles"]:
        sizes = "" if article["status"] == "changed" else f" ({article['mentions']} mentions, {article['claims']} claims)"
        click.echo(f"{article['id']}: {article['status']}{sizes}")
        for name in article["fields"]:
            click.echo(f"  {'article':<7} {'':<6} field {name}")
        for row in article["changes"]:
            change = row["change"] + (f" {row['field']}" if row["field"] and row["field"] != row["change"] else "")
            click.echo(f"  {row['kind']:<7} {str(row['id'] or ''):<6} {change:<22} "
                       f"{_shown(row['old'])} -> {_shown(row['new'])}")
    summary = ", ".join(f"{k} {v}" for k, v in diff["summary"].items() if v)
    click.echo(f"summary: {summary or 'no articles'}")


@gold_group.command("diff")
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the diff as JSON here (stable keys).")
def gold_diff_cmd(old: Path, new: Path, json_out: Path | None) -> None:
    """What changed from gold OLD to gold NEW (folders or files), per article: articles added or removed;
    mentions added, removed, relabelled, re-bounded, re-clustered; claims added, removed, re-bounded,
    with a changed source, cue, via or attribute. Exit 0 whatever changed; 1 for bad input."""
    from annotation.gold.diff import diff_gold
    from annotation.gold.publish import gold_side
    from annotation.gold.release import scheme_fields
    from annotation.io import write_atomic

    sides = [gold_side(path) for path in (old, new)]
    diff = diff_gold(sides[0], sides[1], scheme_fields(load_scheme()))
    render_diff(diff)
    if diff["not_compared"]:
        raise KhabarError(f"{new}: scheme {sides[1].scheme_version} differs from {old}'s {sides[0].scheme_version}; "
                          f"these fields cannot be compared: {', '.join(diff['not_compared'])} (the rest is "
                          "compared above); no JSON written")
    if json_out is not None:
        write_atomic(json_out, json.dumps(diff, ensure_ascii=False, indent=1) + "\n")


COMMANDS: list[click.Command] = [validate_cmd, gold_group, stats_cmd]


MIGRATION_LIST = "migration.jsonl"


def _provenance(folder: Path, previous_version: str, scheme_version: str) -> str:
    """The provenance of the folder's card, and a sentence on the migration."""
    import re

    card = folder / "README.md"
    text = card.read_text(encoding="utf-8") if card.is_file() else ""
    found = re.search(r"## Provenance\n\n(.*?)\n\n## ", text, re.S)
    return ((found.group(1) if found else PROVENANCE) + f" Brought from scheme {previous_version} to "
            f"{scheme_version} by `khabar gold migrate`: stance and certainty were proposed by rule, and every "
            f"claim whose values need a person's decision is listed in `{MIGRATION_LIST}`.")


@gold_group.command("migrate")
@click.argument("folder", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Gold folder to write (default: FOLDER itself, as a new release).")
@click.option("--list", "listing", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help=f"Where to list the claims that need a person's decision (default: OUT/{MIGRATION_LIST}).")
@version_option
@date_option
@scheme_option
def gold_migrate_cmd(folder: Path, out: Path | None, listing: Path | None, version: str | None,
                     date: str | None, scheme_path: Path | None) -> None:
    """Bring a gold folder of an earlier scheme (1.0) to the current one (1.1): propose stance (denied on a
    denial cue, else asserted) and certainty (hedged on a hedge, else certain), keep every value already
    present, and list each claim whose new attributes need a person's decision."""
    from annotation.gold.migrate import migrate
    from annotation.gold.publish import preflight, publish
    from annotation.gold.records import SPLITS, load_gold
    from annotation.gold.release import bump, read_release
    from annotation.io import write_atomic

    scheme = load_scheme(scheme_path)
    out = out or folder
    listing = listing or out / MIGRATION_LIST
    splits = {s: load_gold(folder, s) for s in SPLITS}
    docs = [d for s in SPLITS for d in splits[s]]
    before = records_scheme(docs, scheme, str(folder))
    result = migrate(docs, scheme)
    if not result.counts["migrated"]:
        click.echo(f"{folder}: every record is of scheme {scheme.version} already; nothing written")
        return
    previous = read_release(folder)
    if version is None and previous is not None and read_release(out) is None:
        version = bump(previous.version, "minor")  # a new folder continues the release it came from
    preflight(out, version, date)
    migrated = iter(result.docs)
    new_splits = {s: [next(migrated) for _ in splits[s]] for s in SPLITS}
    published = publish(out, new_splits, scheme, provenance=_provenance(folder, before.version, scheme.version),
                        version=version, date=date)
    write_atomic(listing, "".join(json.dumps(x.to_dict(), ensure_ascii=False) + "\n" for x in result.listed))
    click.echo(f"{out}: {result.summary()}; listed in {listing}; " + published.message())
