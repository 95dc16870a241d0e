"""``khabar score``: score a predictions file against the gold set; a table, a signature, a result JSON."""

from __future__ import annotations

from typing import Any

import click

from eval.cli.options import OPEN_FRACTION, RESAMPLES, SEED, SPLIT, TEXT, FiniteRange
from eval.scoring.defaults import DEFAULT_CLAIM_IOU, DEFAULT_RESAMPLES, DEFAULT_SEED
SCHEME_ORDER = ("strict", "exact", "partial", "type")


def _num(value: Any) -> str:
    return "–" if value is None else f"{value:.3f}"


def _with_ci(node: dict[str, Any], name: str) -> str:
    value, ci = node.get(name), node.get(f"{name}_ci")
    text = _num(value)
    if ci:
        text += f" [{ci[0]:.3f}, {ci[1]:.3f}]"
    return text


def print_summary(summary: dict[str, Any], console: Any) -> None:
    """Readable tables of a result: entity schemes, strict per label, claims; then the signature."""
    from rich.table import Table

    entities = summary.get("entities", {})
    table = Table(title=f"Entities ({summary['documents']} documents)", title_justify="left")
    for col in ("scheme", "precision", "recall", "F1 [95% CI]", "macro F1 [95% CI]", "correct", "incorrect",
                "partial", "missed", "spurious"):
        table.add_column(col, justify="left" if col == "scheme" else "right")
    for scheme in SCHEME_ORDER:
        node = entities.get(scheme, {})
        micro, macro = node.get("micro", {}), node.get("macro", {})
        table.add_row(scheme, _num(micro.get("precision")), _num(micro.get("recall")), _with_ci(micro, "f1"),
                      _with_ci(macro, "f1"), *(str(micro.get(k, 0)) for k in
                                                 ("correct", "incorrect", "partial", "missed", "spurious")))
    console.print(table)
    per_label = entities.get("strict", {}).get("per_label", {})
    if per_label:
        table = Table(title="Entities per label (strict)", title_justify="left")
        for col in ("label", "gold", "predicted", "correct", "precision", "recall", "F1 [95% CI]"):
            table.add_column(col, justify="left" if col == "label" else "right")
        for label, node in per_label.items():
            table.add_row(label, str(node.get("possible", 0)), str(node.get("actual", 0)), str(node.get("correct", 0)),
                          _num(node.get("precision")), _num(node.get("recall")), _with_ci(node, "f1"))
        console.print(table)
    claims = summary.get("claims", {})
    detection = claims.get("detection", {})
    if detection.get("fp") and not (detection.get("tp") or detection.get("fn")):
        console.print(f"claims: no gold claims ({detection['fp']} predicted claim(s) not scored against any)")
    elif any(detection.get(k) for k in ("tp", "fp", "fn")):
        iou = summary.get("config", {}).get("iou", DEFAULT_CLAIM_IOU)
        table = Table(title="Claims", title_justify="left")
        for col in ("measure", "precision", "recall", "score [95% CI]", "counts"):
            table.add_column(col, justify="left" if col == "measure" else "right")
        for part, name in (("detection", f"detection (token IoU ≥ {iou:g})"), ("exact", "detection (exact)"),
                           ("cue", "cue F1"), ("check_worthy", "check-worthy F1 (positive class)"),
                           ("end_to_end", "end to end F1")):
            node = claims.get(part, {})
            table.add_row(name, _num(node.get("precision")), _num(node.get("recall")), _with_ci(node, "f1"),
                          f"tp {node.get('tp', 0)} fp {node.get('fp', 0)} fn {node.get('fn', 0)}")
        source = claims.get("source", {})
        table.add_row("source accuracy (matched claims)", "", "", _with_ci(source, "accuracy"),
                      f"{source.get('correct', 0)} / {source.get('total', 0)}")
        for attr in ("claim_type", "attribution", "stance", "certainty"):
            if attr not in claims:  # stance and certainty: not scored on gold of scheme 1.0
                continue
            node = claims[attr]
            table.add_row(f"{attr} accuracy / macro F1", "", "",
                          f"{_with_ci(node, 'accuracy')} / {_with_ci(node, 'macro_f1')}",
                          f"{node.get('correct', 0)} / {node.get('total', 0)}")
        console.print(table)
    alignment = summary.get("alignment", {})
    if alignment.get("total"):
        steps = ", ".join(f"{step} {n}" for step, n in alignment.get("by_step", {}).items() if n)
        console.print(f"alignment of offset-free spans: {alignment['aligned']} / {alignment['total']} "
                      f"({alignment['rate']:.1%}{'; ' + steps if steps else ''})")
    console.print(f"signature: {summary['signature']}", soft_wrap=True)


def _print_clitic_gap(gold: str, predictions: str, split: str | None, summary: dict[str, Any], config: Any) -> None:
    from annotation.gold.records import load_gold
    from annotation.io import read_predictions
    from eval.scoring.clitic_gap import SCHEMES, clitic_gap

    gap = clitic_gap(load_gold(gold, split), read_predictions(predictions), summary, config)
    click.echo(f"clitic boundaries ({gap.moved_gold} gold and {gap.moved_predicted} predicted mention starts "
               "moved past a proclitic):")
    for scheme in SCHEMES:
        before, after = gap.as_scored[scheme], gap.clitic_free[scheme]
        click.echo(f"  {scheme:<8} F1 {before:.3f} as scored, {after:.3f} clitic-free ({after - before:+.3f})")


@click.command("score")
@click.argument("gold")
@click.argument("predictions")
@click.option("--json", "json_out", type=click.Path(dir_okay=False), help="Write the result JSON here.")
@click.option("--split", type=SPLIT, help="With a gold folder: the split to score (dev, test); default: every split.")
@click.option("--iou", type=OPEN_FRACTION, default=DEFAULT_CLAIM_IOU, show_default=True,
              help="Token IoU for a predicted claim (and its source and cue) to match a gold one.")
@click.option("--label-map", type=TEXT, help="Map predicted entity labels: wojood, anercorp, conll, wikiann, or a JSON file "
                                  "{\"PREDICTED\": \"SCHEME_LABEL\" or null}.")
@click.option("--bootstrap", type=RESAMPLES, default=DEFAULT_RESAMPLES, show_default=True,
              help="Bootstrap resamples of documents for the confidence intervals (0: none).")
@click.option("--seed", type=SEED, default=DEFAULT_SEED, show_default=True, help="Seed of the bootstrap.")
@click.option("--clitics/--no-clitics", default=True, show_default=True,
              help="Align offset-free spans that differ from the text by a proclitic (reported as the clitic step).")
@click.option("--report", "report_dir", type=click.Path(file_okay=False),
              help="Write an error report here: errors.jsonl and report.html (errors highlighted in the articles).")
@click.option("--min-overlap-percentage", "min_overlap", type=FiniteRange(0, 100, min_open=True), default=None,
              help="nervaluate's min_overlap_percentage: a gold and a predicted mention overlap when they share at "
                   "least this percent of the gold mention's characters (default: any shared character).")
@click.option("--clitic-gap", is_flag=True, help="Also score with proclitics (و ف ب ل ك) left out of gold and predicted "
                                                "mentions alike: how much of the gap is clitic boundaries alone.")
@click.option("--extractor", "extractor", type=TEXT, metavar="NAME@VERSION", default=None,
              help="The extractor that made the predictions: warned about when the gold was pre-annotated by it.")
def score_command(gold: str, predictions: str, json_out: str | None, split: str | None, iou: float,
                  label_map: str | None, bootstrap: int, seed: int, clitics: bool, report_dir: str | None,
                  min_overlap: float | None, clitic_gap: bool, extractor: str | None) -> None:
    """Score a PREDICTIONS JSON lines file against GOLD (a gold folder or a split file).

    Entities under the four SemEval-2013 schemes (strict, exact, partial, type) with
    nervaluate's counts, per label, micro and macro; claims (detection, source, cue,
    attributes, end to end); 95% bootstrap intervals over documents; the signature line
    that fixes how the numbers were obtained.
    """
    from rich.console import Console

    from eval.inputs.alignment import AlignConfig
    from eval.scoring.scorer import ScoreConfig, score_files

    config = ScoreConfig(iou=iou, label_map=label_map, bootstrap=bootstrap, seed=seed,
                         align=AlignConfig(clitics=clitics), min_overlap=min_overlap)
    from eval.scoring.provenance import models_of_path, provenance_warnings

    run = score_files(gold, predictions, config=config, split=split)
    about_gold = provenance_warnings(models_of_path(gold), extractor, documents=run.summary["documents"],
                                     bootstrap=bootstrap)
    for warning in [*run.warnings, *about_gold]:
        click.echo(f"warning: {warning}", err=True)
    print_summary(run.summary, Console(width=160, highlight=False))
    if clitic_gap:
        _print_clitic_gap(gold, predictions, split, run.summary, config)
    if json_out:
        run.write_json(json_out)
        click.echo(f"result: {json_out}")
    if report_dir:
        from eval.report import write_report

        files = write_report(run, report_dir)
        click.echo(f"report: {files.html} ({files.count} errors in {files.errors})")


COMMANDS: list[click.Command] = [score_command]
