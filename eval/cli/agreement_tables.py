"""The tables of ``khabar agreement``: rich tables on a terminal, plain TSV (or JSON) in a pipe.

Every table has full column headers; TSV sections start with a ``# title`` line and end with a
blank line, so that ``awk``/``cut`` and spreadsheets read them as they are.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

import click

Table = tuple[str, list[str], list[list[str]]]
FORMATS = ("auto", "table", "tsv", "json")


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def _figures(part: dict[str, Any]) -> list[str]:
    return [_num(part["entities"]["strict"]["f1"]), _num(part["entities"]["overlap"]["f1"]),
            _num(part["claims"]["f1"]), _num(part["source"]["agreement"])]


FIGURES = ["entities strict F1", "entities overlap F1", "claims F1", "source agreement"]


def pair_table(report: dict[str, Any]) -> Table:
    attributes = list(report["overall"]["kappa"])
    header = ["annotator A", "annotator B", "tasks compared", *FIGURES, *(f"kappa {a}" for a in attributes)]
    rows = [[*p["annotators"], str(p["tasks"]), *_figures(p), *(_num(p["kappa"][a]["kappa"]) for a in attributes)]
            for p in report["pairs"]]
    overall = report["overall"]
    rows.append(["all pairs (pooled)", "", str(report["tasks"]["compared"]), *_figures(overall),
                 *(_num(overall["kappa"][a]["mean"]) for a in attributes)])
    return "agreement per pair of annotators (F1 = 2 matched / (A + B), symmetric; kappa overall: mean of pairs)", \
        header, rows


def annotator_table(report: dict[str, Any]) -> Table:
    attributes = list(report["overall"]["kappa"])
    alphas = attributes if report["overall"]["alpha"] else []
    header = ["annotator", "tasks done", "median lead time (s)", *FIGURES, *(f"mean kappa {a}" for a in attributes),
              *(f"alpha {a} without them" for a in alphas)]
    rows = []
    for who, progress in report["progress"].items():
        part = report["per_annotator"].get(who)
        figures = _figures(part) if part else [""] * len(FIGURES)
        kappas = [_num(part["kappa"][a]["mean"]) if part else "" for a in attributes]
        without = [_num(part["alpha_without"][a]) if part and part["alpha_without"] else "" for a in alphas]
        rows.append([who, str(progress["tasks"]), _num(progress["median_lead_time"]), *figures, *kappas, *without])
    return "each annotator against the others (pooled over their pairs)", header, rows


def label_table(report: dict[str, Any]) -> Table:
    header = ["label", "mentions A", "mentions B", "matched", "precision", "recall", "F1"]
    rows = [[label, str(p["a"]), str(p["b"]), str(p["matched"]), _num(p["precision"]), _num(p["recall"]),
             _num(p["f1"])] for label, p in report["per_label"].items()]
    return "entity agreement per label (strict, pooled over pairs)", header, rows


def alpha_table(report: dict[str, Any]) -> Table | None:
    if not report["overall"]["alpha"]:
        return None
    header = ["attribute", "Krippendorff alpha", "units", "pairable values", "ambiguous units"]
    rows = [[attr, _num(a["alpha"]), str(a["units"]), str(a["pairable_values"]), str(a["ambiguous_units"])]
            for attr, a in report["overall"]["alpha"].items()]
    return "Krippendorff's alpha (nominal) on claims aligned across all annotators", header, rows


def dispute_table(report: dict[str, Any]) -> Table:
    names = report["annotators"]
    header = ["article", "task", "unit", "text", "disputed", *names]
    rows = [[d["id"], " ".join(d["urls"]) or ", ".join(d["tasks"]), d["unit"], d["text"], d["what"],
             *(d["values"].get(n, "") for n in names)] for d in report["disputes"]]
    return f"{len(rows)} disputed unit(s), one row each, with every annotator's value", header, rows


def tables(report: dict[str, Any]) -> list[Table]:
    found = [pair_table(report), annotator_table(report), label_table(report), alpha_table(report),
             dispute_table(report)]
    return [t for t in found if t is not None]


def _cell(value: str) -> str:
    return value.replace("\t", " ").replace("\r", " ").replace("\n", " ")


def print_tsv(found: Sequence[Table]) -> None:
    for title, header, rows in found:
        click.echo(f"# {title}")
        for row in [header, *rows]:
            click.echo("\t".join(_cell(c) for c in row))
        click.echo("")


def print_rich(found: Sequence[Table]) -> None:
    from rich.console import Console
    from rich.table import Table as RichTable

    console = Console(highlight=False)
    for title, header, rows in found:
        table = RichTable(title=title)
        for i, name in enumerate(header):
            table.add_column(name, overflow="fold", justify="left" if i == 0 or not rows else "left")
        for row in rows:
            table.add_row(*row)
        console.print(table)


def render(report: dict[str, Any], fmt: str) -> None:
    """Print the report: ``auto`` is rich tables on a terminal and TSV otherwise."""
    if fmt == "auto":
        fmt = "table" if sys.stdout.isatty() else "tsv"
    if fmt == "json":
        click.echo(json.dumps(report, ensure_ascii=False, indent=1))
        return
    head = (f"records: {report['records']}; annotators: {len(report['annotators'])} "
            f"({', '.join(report['annotators'])}); tasks: {report['tasks']['total']}, "
            f"{report['tasks']['compared']} with two annotators or more")
    click.echo(head if fmt == "table" else f"# {head}")
    (print_rich if fmt == "table" else print_tsv)(tables(report))
    for note in report["notes"]:
        click.echo(f"note: {note}" if fmt == "table" else f"# note: {note}")
