"""Commands ``khabar agreement`` (inter-annotator agreement) and ``khabar adjudicate`` (records -> gold)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from annotation.errors import KhabarError
from annotation.labelstudio.client import URL_ENV
from annotation.redact import redact
from annotation.review.units import CLAIM_IOU
from annotation.scheme import load_scheme
from annotation.gold.dataset import SPLIT_CHOICES
from eval.cli.agreement_tables import FORMATS
from eval.cli.gold import date_option, version_option
from eval.cli.options import OPEN_FRACTION, SEED, TEXT

UNRESOLVED_NAME = "unresolved.jsonl"
SHOWN_UNRESOLVED = 20

records_argument = click.argument("records", type=click.Path(path_type=Path))  # the reader names what is wrong
scheme_option = click.option("--scheme", "scheme_path", type=click.Path(dir_okay=False, path_type=Path),
                             default=None,
                             help="Scheme file (default: $KHABAR_SCHEME, else the scheme shipped with khabar).")


@click.command("agreement")
@records_argument
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the report as JSON to this file.")
@click.option("--html", "html_out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the report as a page (right to left, each annotator's version of every article "
                   "with disputed units side by side, the disputed spans highlighted; no script).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="auto", show_default=True,
              help="Output: rich tables (table), tab-separated sections (tsv) or JSON; auto: tables on a "
                   "terminal, TSV in a pipe or file.")
@click.option("--exclude", multiple=True, metavar="ANNOTATOR", help="Leave this annotator out (repeatable).")
@click.option("--adjudicator", default=None, help="The adjudicator: left out, since agreement is between annotators.")
@click.option("--url", default=None, help=f"Label Studio server for the task links (default: ${URL_ENV}).")
@click.option("--claim-iou", type=OPEN_FRACTION, default=CLAIM_IOU, show_default=True,
              help="Token IoU at which two claims match.")
@scheme_option
def agreement_cmd(records: Path, json_out: Path | None, html_out: Path | None, fmt: str, exclude: tuple[str, ...], adjudicator: str | None,
                  url: str | None, claim_iou: float, scheme_path: Path | None) -> None:
    """Inter-annotator agreement: F1, kappa, alpha, per annotator and per label, and every disputed unit.

    RECORDS is the records.jsonl written by `khabar import`, or its folder. Per pair of annotators
    and overall: entity F1 (strict, overlap), claim F1, source agreement, Cohen's kappa per claim
    attribute, Krippendorff's alpha with more than two annotators; each annotator's figures and
    progress (tasks done, median lead time); then one row per disputed unit with every annotator's
    value and the task's page. Review decisions (`khabar review`) are never counted.
    """
    import os

    from annotation.io import write_atomic
    from annotation.review.agreement import agreement_report
    from annotation.review.records import load_records
    from eval.cli.agreement_tables import render

    left_out = tuple(exclude) + ((adjudicator,) if adjudicator else ())
    recs = load_records(records)
    _warn_version(recs, load_scheme(scheme_path), records, "compared")
    report = agreement_report(recs, scheme=load_scheme(scheme_path), claim_iou=claim_iou,
                              exclude=left_out,  # the task links never carry a password
                              url=redact(url or os.environ.get(URL_ENV) or "") or None)
    if json_out is not None:
        write_atomic(json_out, json.dumps(report, ensure_ascii=False, indent=1) + "\n")
    if html_out is not None:
        from eval.agreement_html import write_agreement_html

        click.echo(f"report: {write_agreement_html(html_out, report, recs)}", err=True)
    render(report, fmt)


def _warn_version(recs: Any, scheme: Any, records: Path, doing: str) -> None:
    """Records of two scheme versions are an error naming the file; records of 1.0 a warning."""
    from annotation.versions import not_covered, records_scheme

    note = not_covered(scheme, records_scheme(recs, scheme, str(records)), doing)
    if note is not None:
        click.echo(f"warning: {records}: records {note}", err=True)


def _provenance(result: Any, records: int, annotators: list[str], adjudicator: str | None) -> str:
    from annotation.review.adjudication import RULES

    rules = ", ".join(f"{rule} {result.rules[rule]}" for rule in RULES if result.rules[rule])
    text = (f"Adjudicated with `khabar adjudicate` from {records} Label Studio annotations by "
            f"{len(annotators)} annotators ({', '.join(annotators)}). Articles per rule: {rules or 'none'}. "
            "Rules: the adjudicator's decision in the review project wins on every unit they changed (the "
            "units they left as drafted keep the majority rule); else a ground-truth annotation; "
            "else the adjudicator's annotation"
            + (f" ({adjudicator})" if adjudicator else "")
            + "; else a mention or claim is kept when more than half of the article's annotators have it, "
            "its values by majority among them.")
    if result.pre_annotation:
        text += (f" The annotators started from the pre-annotations of {', '.join(result.pre_annotation)}: "
                 "scoring that model against this gold set flatters it.")
    if result.unresolved:
        text += (f" {len(result.unresolved)} contested units were left out; they are listed in "
                 f"`{UNRESOLVED_NAME}` for a person to resolve.")
    return text


@click.command("adjudicate")
@records_argument
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Gold dataset folder to write (split files, README.md card, unresolved.jsonl).")
@click.option("--adjudicator", type=TEXT, default=None, help="Annotator whose annotation wins where there is no ground truth.")
@click.option("--articles", type=click.Path(path_type=Path), default=None,
              help="Clean articles (output of khabar ingest): full metadata and story groups for the split.")
@click.option("--allow-unresolved", is_flag=True,
              help="Write the gold set even if some disagreements are unresolved (those units are left out).")
@click.option("--seed", type=SEED, default=None, help="Split seed (default: the dataset's).")
@click.option("--split", "split_how", type=click.Choice(SPLIT_CHOICES), default="auto", show_default=True,
              help="auto: dev and test by story group (seeded); dev or test: every article in that split; "
                   "all: every article in test (the split khabar bench scores).")
@version_option
@date_option
@scheme_option
def adjudicate_cmd(records: Path, out_dir: Path, adjudicator: str | None, articles: Path | None,
                   allow_unresolved: bool, seed: int | None, split_how: str, version: str | None,
                   date: str | None, scheme_path: Path | None) -> None:
    """Adjudicate annotator records into the gold dataset folder.

    RECORDS is the records.jsonl written by `khabar import`, or its folder. Per task: a ground-truth annotation wins; else the --adjudicator's; else the majority
    over units matched across annotators. What the majority cannot settle is listed in
    OUT/unresolved.jsonl and stops the command (exit 1) unless --allow-unresolved: settle them with
    `khabar review push` (a review project in Label Studio), import it, and adjudicate again; the
    adjudicator's decision there wins over everything else.
    """
    from annotation.review.adjudication import adjudicate
    from annotation.review.records import load_records
    from annotation.gold.dataset import DEFAULT_SPLIT_SEED, assign_splits
    from annotation.gold.publish import preflight, publish
    from annotation.gold.release import agreement_figures
    from annotation.io import read_articles, write_jsonl
    from annotation.review.agreement import agreement_report
    from annotation.gold.validation import validate_corpus

    scheme = load_scheme(scheme_path)
    preflight(out_dir, version, date)
    recs = load_records(records)
    by_id = None
    if articles is not None:
        by_id = {a.id: a for a in read_articles(articles)}
    _warn_version(recs, scheme, records, "adjudicated")
    result = adjudicate(recs, scheme, adjudicator=adjudicator, articles=by_id, articles_name=str(articles))
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    if result.review_units:
        click.echo(f"review decisions: {result.review_units['decided']} unit(s) decided by the adjudicator, "
                   f"{result.review_units['majority']} left as drafted (by majority)", err=True)
    problems = validate_corpus(result.docs, scheme)
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        raise KhabarError(f"{records}: the adjudicated gold has {len(problems)} problem(s); nothing written")
    write_jsonl(out_dir / UNRESOLVED_NAME, result.unresolved)
    if result.unresolved:
        for item in result.unresolved[:SHOWN_UNRESOLVED]:
            click.echo(f"unresolved: {item['id']}: {item['detail']}", err=True)
        if len(result.unresolved) > SHOWN_UNRESOLVED:
            click.echo(f"unresolved: … and {len(result.unresolved) - SHOWN_UNRESOLVED} more", err=True)
        listed = f"{len(result.unresolved)} unresolved disagreement(s) listed in {out_dir / UNRESOLVED_NAME}"
        if not allow_unresolved:
            raise KhabarError(f"{listed}; settle them in a review project: `khabar review push {records} "
                              "--project 'TITLE review'`, adjudicate there, `khabar import --project 'TITLE review' "
                              "--out <the records folder>`, then adjudicate again (or pass --allow-unresolved to "
                              "leave those units out); gold not written")
        click.echo(f"{listed}; those units are left out of the gold set", err=True)
    if not result.docs:
        raise KhabarError(f"{records}: no task could be adjudicated; gold not written")
    annotators = sorted({a for d in result.docs for a in d.annotation["annotators"]})
    splits = assign_splits(result.docs, split_how, seed=DEFAULT_SPLIT_SEED if seed is None else seed)
    published = publish(out_dir, splits, scheme, provenance=_provenance(result, len(recs), annotators, adjudicator),
                        version=version, date=date,
                        agreement=agreement_figures(agreement_report(recs, scheme=scheme)))
    rules = ", ".join(f"{rule} {n}" for rule, n in sorted(result.rules.items()))
    click.echo(f"{out_dir}: " + ", ".join(f"{k} {len(v)}" for k, v in splits.items())
               + f" articles (rules: {rules}; scheme {scheme.version}); {published.message()}")


COMMANDS: list[click.Command] = [agreement_cmd, adjudicate_cmd]
