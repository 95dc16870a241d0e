"""Commands ``khabar agreement`` (inter-annotator agreement) and ``khabar adjudicate`` (records -> gold)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from eval.cli.options import OPEN_FRACTION, SEED, TEXT

from annotation.review.agreement import CLAIM_IOU
from annotation.errors import KhabarError
from annotation.scheme import load_scheme
from eval.cli.gold import date_option, version_option

UNRESOLVED_NAME = "unresolved.jsonl"
SHOWN_UNRESOLVED = 20

records_argument = click.argument("records", type=click.Path(exists=True, path_type=Path))
scheme_option = click.option("--scheme", "scheme_path", type=click.Path(dir_okay=False, path_type=Path),
                             default=None,
                             help="Scheme file (default: $KHABAR_SCHEME, else the scheme shipped with khabar).")


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def render_report(report: dict[str, Any]) -> None:
    """The agreement report as readable text (rich tables) on stdout."""
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    tasks = report["tasks"]
    console.print(f"[bold]records: {report['records']}[/]; annotators: {len(report['annotators'])} "
                  f"({', '.join(report['annotators'])}); tasks: {tasks['total']}, {tasks['compared']} with two "
                  "annotators or more. "
                  f"F1 takes the first annotator of a pair as the reference (F1 is symmetric).")
    attributes = list(report["overall"]["kappa"])
    table = Table(title="Agreement per pair of annotators")
    for name in ["pair", "tasks", "entities strict F1", "entities overlap F1", "claims F1", "source agreement"]:
        table.add_column(name, justify="left" if name == "pair" else "right")
    for attr in attributes:
        table.add_column(f"κ {attr}", justify="right")

    def row(name: str, n: str, part: dict[str, Any], kappas: list[str]) -> None:
        table.add_row(name, n, _num(part["entities"]["strict"]["f1"]), _num(part["entities"]["overlap"]["f1"]),
                      _num(part["claims"]["f1"]), _num(part["source"]["agreement"]), *kappas)

    for pair in report["pairs"]:
        row(" / ".join(pair["annotators"]), str(pair["tasks"]), pair, [_num(pair["kappa"][a]["kappa"]) for a in attributes])
    overall = report["overall"]
    row("overall (pooled; κ: mean of pairs)", "", overall, [_num(overall["kappa"][a]["mean"]) for a in attributes])
    console.print(table)
    if overall["alpha"]:
        alpha = Table(title="Krippendorff's alpha (nominal) on claims aligned across all annotators")
        for name in ("attribute", "alpha", "units", "pairable values", "ambiguous units"):
            alpha.add_column(name, justify="left" if name == "attribute" else "right")
        for attr, a in overall["alpha"].items():
            alpha.add_row(attr, _num(a["alpha"]), str(a["units"]), str(a["pairable_values"]), str(a["ambiguous_units"]))
        console.print(alpha)
    for task in report["per_task"]:
        name = f"task {task['id']}" + (f" (Label Studio {', '.join(task['tasks'])})" if task["tasks"] else "")
        if task["agreement"] == "undefined":
            console.print(f"{name}: {task['note']}")
        elif not task["disagreements"]:
            console.print(f"{name}: no disagreement")
        else:
            table = Table(title=f"{name}: {len(task['disagreements'])} disagreements")
            table.add_column("kind")
            table.add_column("annotators")
            table.add_column("detail")
            for d in task["disagreements"]:
                table.add_row(d["kind"], " / ".join(d["annotators"]), d["detail"])
            console.print(table)
    for note in report["notes"]:
        console.print(f"note: {note}")


@click.command("agreement")
@records_argument
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the report as JSON to this file.")
@click.option("--claim-iou", type=OPEN_FRACTION, default=CLAIM_IOU, show_default=True,
              help="Token IoU at which two claims match.")
@scheme_option
def agreement_cmd(records: Path, json_out: Path | None, claim_iou: float, scheme_path: Path | None) -> None:
    """Inter-annotator agreement: F1, kappa, alpha and every disagreement.

    RECORDS is the records.jsonl written by `khabar import`, or its folder. Per pair of annotators and overall: entity F1 (strict, overlap), claim F1, source
    agreement, Cohen's kappa per claim attribute, Krippendorff's alpha with more than two
    annotators; then every disagreement, task by task.
    """
    from annotation.review.agreement import agreement_report
    from annotation.review.records import load_records
    from annotation.io import write_atomic

    report = agreement_report(load_records(records), scheme=load_scheme(scheme_path), claim_iou=claim_iou)
    if json_out is not None:
        write_atomic(json_out, json.dumps(report, ensure_ascii=False, indent=1) + "\n")
    render_report(report)


def _provenance(result: Any, records: int, annotators: list[str], adjudicator: str | None) -> str:
    rules = ", ".join(f"{rule} {result.rules[rule]}" for rule in ("ground_truth", "adjudicator", "majority")
                      if result.rules[rule])
    text = (f"Adjudicated with `khabar adjudicate` from {records} Label Studio annotations by "
            f"{len(annotators)} annotators ({', '.join(annotators)}). Articles per rule: {rules or 'none'}. "
            "Rules: a ground-truth annotation wins; else the adjudicator's"
            + (f" ({adjudicator})" if adjudicator else "")
            + "; else a mention or claim is kept when more than half of the article's annotators have it, "
            "its values by majority among them.")
    if result.unresolved:
        text += (f" {len(result.unresolved)} contested units were left out; they are listed in "
                 f"`{UNRESOLVED_NAME}` for a person to resolve.")
    return text


@click.command("adjudicate")
@records_argument
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Gold dataset folder to write (split files, README.md card, unresolved.jsonl).")
@click.option("--adjudicator", type=TEXT, default=None, help="Annotator whose annotation wins where there is no ground truth.")
@click.option("--articles", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Clean articles (output of khabar ingest): full metadata and story groups for the split.")
@click.option("--allow-unresolved", is_flag=True,
              help="Write the gold set even if some disagreements are unresolved (those units are left out).")
@click.option("--seed", type=SEED, default=None, help="Split seed (default: the dataset's).")
@version_option
@date_option
@scheme_option
def adjudicate_cmd(records: Path, out_dir: Path, adjudicator: str | None, articles: Path | None,
                   allow_unresolved: bool, seed: int | None, version: str | None, date: str | None,
                   scheme_path: Path | None) -> None:
    """Adjudicate annotator records into the gold dataset folder.

    RECORDS is the records.jsonl written by `khabar import`, or its folder. Per task: a ground-truth annotation wins; else the --adjudicator's; else the majority
    over units matched across annotators. What the majority cannot settle is listed in
    OUT/unresolved.jsonl and stops the command (exit 1) unless --allow-unresolved.
    """
    from annotation.review.adjudication import adjudicate
    from annotation.review.records import load_records
    from annotation.gold.dataset import DEFAULT_SPLIT_SEED, split_by_group
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
    result = adjudicate(recs, scheme, adjudicator=adjudicator, articles=by_id, articles_name=str(articles))
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
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
            raise KhabarError(f"{listed}; resolve them (mark one annotation of the task as ground truth in "
                              "Label Studio and import again, or name an --adjudicator), or pass "
                              "--allow-unresolved to leave those units out; gold not written")
        click.echo(f"{listed}; those units are left out of the gold set", err=True)
    if not result.docs:
        raise KhabarError(f"{records}: no task could be adjudicated; gold not written")
    annotators = sorted({a for d in result.docs for a in d.annotation["annotators"]})
    splits = split_by_group(result.docs, seed=DEFAULT_SPLIT_SEED if seed is None else seed)
    published = publish(out_dir, splits, scheme, provenance=_provenance(result, len(recs), annotators, adjudicator),
                        version=version, date=date,
                        agreement=agreement_figures(agreement_report(recs, scheme=scheme)))
    rules = ", ".join(f"{rule} {n}" for rule, n in sorted(result.rules.items()))
    click.echo(f"{out_dir}: " + ", ".join(f"{k} {len(v)}" for k, v in splits.items())
               + f" articles (rules: {rules}; scheme {scheme.version}); {published.message()}")


COMMANDS: list[click.Command] = [agreement_cmd, adjudicate_cmd]
