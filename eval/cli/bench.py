"""``khabar bench``: run an extractor over the gold articles and score it (a thin layer over eval.extractors.bench)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from annotation.errors import KhabarError
from eval.cli.options import FRACTION, JOBS, RESAMPLES, SECONDS, SEED, SPLIT, TEXT
from eval.extractors.base import DEFAULT_BATCH_SIZE
from eval.extractors.bench import DEFAULT_EXTRACTOR, DEFAULT_SPLIT
from eval.extractors.runner import DEFAULT_JOBS
from eval.extractors.targets import spec_usages
from eval.scoring.defaults import DEFAULT_RESAMPLES, DEFAULT_SEED

HEADLINE = [
    ("entities (strict) F1", "entities.strict.micro.f1"),
    ("entities (partial) F1", "entities.partial.micro.f1"),
    ("claims detection F1", "claims.detection.f1"),
    ("claims source accuracy", "claims.source.accuracy"),
    ("claims end-to-end F1", "claims.end_to_end.f1"),
]


def parse_options(pairs: tuple[str, ...]) -> dict[str, Any]:
    """``KEY=VALUE`` pairs; a VALUE that is JSON (numbers, true/false, lists, objects) is parsed."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--option")
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out


def _get(result: dict[str, Any], path: str) -> Any:
    node: Any = result
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _number(value: Any) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _table(result: dict[str, Any]) -> Any:
    from rich.table import Table

    table = Table(title=f"{result['extractor']['name']} {result['extractor']['version']} — "
                        f"{result['documents']} articles", title_justify="left")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_column("95% CI", justify="right")
    detection = _get(result, "claims.detection") or {}
    no_gold_claims = not (detection.get("tp", 0) + detection.get("fn", 0))
    for name, path in HEADLINE:
        if no_gold_claims and path.startswith("claims."):
            table.add_row(name, "no gold claims", "" if path != "claims.detection.f1" else
                          f"{detection.get('fp', 0)} predicted")
            continue
        ci = _get(result, path + "_ci")
        table.add_row(name, _number(_get(result, path)),
                      f"[{_number(ci[0])}, {_number(ci[1])}]" if isinstance(ci, list | tuple) else "")
    alignment = result.get("alignment") or {}
    if alignment.get("total"):
        table.add_row("alignment rate", _number(alignment.get("rate")), f"{alignment['total']} offset-free spans")
    return table


@click.command("bench")
@click.option("--extractor", "-e", "spec", type=TEXT, default=None, metavar="NAME",
              help=f"A registered name (baseline, oracle, empty, …), {spec_usages()}. Default: {DEFAULT_EXTRACTOR}.")
@click.option("--command", "command", type=TEXT, default=None, metavar="CMD",
              help="An external command that reads articles as JSON lines and writes predictions (same as "
                   "--extractor 'cmd:CMD'). It runs without a shell.")
@click.option("--option", "-o", "options", multiple=True, metavar="KEY=VALUE",
              help="An option for the extractor (repeatable), e.g. -o model=gpt-4o-mini -o temperature=0.")
@click.option("--gold", "gold_path", type=click.Path(path_type=Path), default=None,
              help="Gold folder (dataset with split files) or a gold JSON lines file. "
                   "Default: ./data/gold, else the checkout's data/gold.")
@click.option("--split", type=SPLIT, default=DEFAULT_SPLIT, show_default=True, help="Split of a gold folder: dev, test or all.")
@click.option("--json", "json_out", type=click.Path(path_type=Path), default=None,
              help="Write the result JSON here (the scorer's result plus the extractor and the run).")
@click.option("--predictions-out", type=click.Path(path_type=Path), default=None,
              help="Write the extractor's raw predictions here (JSON lines, khabar score reads them).")
@click.option("--jobs", "-j", type=JOBS, default=DEFAULT_JOBS, show_default=True,
              help="Worker processes for the extractor; 0 uses every core.")
@click.option("--batch-size", type=click.IntRange(min=1), default=DEFAULT_BATCH_SIZE, show_default=True,
              help="Articles per call of the extractor.")
@click.option("--timeout", type=SECONDS, default=None,
              help="Seconds a command or service may take per batch (commands, http, openai).")
@click.option("--fuzzy", type=FRACTION, default=None,
              help="Fuzzy alignment threshold for offset-free spans (0 turns fuzzy alignment off).")
@click.option("--clitics/--no-clitics", default=True, show_default=True,
              help="Align offset-free spans that differ from the text by a proclitic (the clitic step).")
@click.option("--bootstrap", type=RESAMPLES, default=DEFAULT_RESAMPLES, show_default=True,
              help="Bootstrap resamples for the confidence intervals (0: none).")
@click.option("--seed", type=SEED, default=DEFAULT_SEED, show_default=True, help="Seed of the bootstrap.")
def bench_cmd(spec: str | None, command: str | None, options: tuple[str, ...], gold_path: Path | None, split: str,
              json_out: Path | None, predictions_out: Path | None, jobs: int, batch_size: int, timeout: float | None,
              fuzzy: float | None, clitics: bool, bootstrap: int, seed: int) -> None:
    """Run an extractor over the gold articles and score it.

    With no options: the built-in rule-based baseline on the test split of the shipped gold set
    (data/gold). Outputs are written only after a complete run; a failing extractor (crash,
    timeout, output that is not JSON, an unknown article id, offsets outside the text) stops the
    run with a message naming the extractor and the article, and exit status 1.
    """
    from dataclasses import replace

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from annotation.io import dumps, write_atomic, write_jsonl
    from eval.extractors import get_extractor
    from eval.extractors.bench import bench, load_bench_gold
    from eval.scoring.scorer import ScoreConfig

    if spec and command:
        raise click.UsageError("give either --extractor or --command, not both")
    spec = f"cmd:{command}" if command else (spec or DEFAULT_EXTRACTOR)
    extractor_options = parse_options(options)
    if timeout is not None:
        extractor_options.setdefault("timeout", timeout)
    config = ScoreConfig(bootstrap=bootstrap, seed=seed)
    if fuzzy is not None or clitics != config.align.clitics:
        config = replace(config, align=replace(config.align, fuzzy=(fuzzy or None) if fuzzy is not None
                                                else config.align.fuzzy, clitics=clitics))

    gold = load_bench_gold(gold_path, split)
    extractor = get_extractor(spec, **extractor_options)
    err = Console(stderr=True)
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True) as progress:
        task = progress.add_task(f"{getattr(extractor, 'name', spec)}", total=len(gold))
        try:
            run = bench(gold, extractor, spec=spec, config=config, batch_size=batch_size, jobs=jobs,
                        progress=lambda n: progress.advance(task, n))
        except KhabarError as exc:
            raise KhabarError(f"bench failed, nothing written: {exc}") from None
    from eval.scoring.provenance import models_of_docs, provenance_warnings

    result = run.result
    identity = f"{result['extractor']['name']}@{result['extractor']['version']}"
    about_gold = provenance_warnings(models_of_docs(gold), identity, documents=len(gold), bootstrap=bootstrap)
    if predictions_out:
        write_jsonl(predictions_out, run.predictions)
    if json_out:
        write_atomic(json_out, dumps(result) + "\n")
    out = Console()
    out.print(_table(result))
    out.print(result["signature"], markup=False, highlight=False, soft_wrap=True)
    if run.run.missing:
        err.print(f"{len(run.run.missing)} article(s) got no prediction (scored as empty): "
                  + ", ".join(run.run.missing[:5]), markup=False, soft_wrap=True)
    for warning in [*result.get("warnings", []), *about_gold]:
        err.print(f"warning: {warning}", markup=False, soft_wrap=True)


COMMANDS: list[click.Command] = [bench_cmd]
