"""``khabar compare``: paired significance tests between two runs scored on the same gold."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from eval.cli.options import SEED, FiniteRange
from eval.scoring.defaults import DEFAULT_ALPHA, DEFAULT_RESAMPLES, DEFAULT_SEED, DEFAULT_TRIALS

if TYPE_CHECKING:
    from eval.statistics.paired import Comparison


def compare_files(path_a: str, path_b: str, *, metrics: tuple[str, ...] = (), resamples: int = DEFAULT_RESAMPLES,
                  trials: int = DEFAULT_TRIALS, seed: int = DEFAULT_SEED, alpha: float = DEFAULT_ALPHA) -> Comparison:
    """Read two result JSONs and run the paired tests (every F1 and accuracy unless ``metrics`` are given)."""
    from eval.statistics.paired import paired_tests
    from eval.statistics.runs import read_run

    run_a, run_b = read_run(path_a), read_run(path_b)
    return paired_tests(run_a, run_b, n=resamples, trials=trials, seed=seed, alpha=alpha,
                        metric_paths=list(metrics) or None, names=(str(path_a), str(path_b)))


def _num(value: float | None, digits: int = 3, *, sign: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"


def print_comparison(result: Comparison, console: Any, *, all_paths: bool = False) -> None:
    """The table a reviewer reads: metric, A, B, B - A with its interval, and the two p-values."""
    from rich.table import Table

    alpha = result["alpha"]
    level = f"{1 - alpha:.0%}"
    name_a, name_b = result["names"]
    table = Table(title=f"B − A on {result['documents']} documents (gold {result['gold_fingerprint']})",
                  title_justify="left", caption=f"A = {name_a}\nB = {name_b}", caption_justify="left")
    for col in ("metric", "A", "B", "B − A", f"{level} interval", "p (paired bootstrap)", "p (randomization)"):
        table.add_column(col, justify="left" if col == "metric" else "right")
    hidden = 0
    for path, entry in result["metrics"].items():
        if not all_paths and ".per_label." in path:
            hidden += 1
            continue
        ci = entry["difference_ci"]
        p_values = [entry["p_bootstrap"], entry["p_randomization"]]
        significant = all(p is not None and p < alpha for p in p_values)
        style = "bold" if significant else None
        table.add_row(path, _num(entry["a"]), _num(entry["b"]), _num(entry["difference"], sign=True),
                      f"[{_num(ci[0], sign=True)}, {_num(ci[1], sign=True)}]" if ci else "–",
                      _num(p_values[0], 4), _num(p_values[1], 4), style=style)
    console.print(table)
    notes = [f"bold: both p < {alpha:g}; paired bootstrap with {result['resamples']} resamples, approximate "
             f"randomization with {result['trials']} trials, seed {result['seed']}"]
    if hidden:
        notes.append(f"{hidden} per-label metric(s) are in the JSON output (or ask for them with --metric)")
    for note in notes:
        console.print(note, soft_wrap=True)
    console.print(f"signature A: {result['signature_a']}", soft_wrap=True)
    console.print(f"signature B: {result['signature_b']}", soft_wrap=True)


@click.command("compare")
@click.argument("run_a", metavar="RUN_A.json")
@click.argument("run_b", metavar="RUN_B.json")
@click.option("--json", "json_out", type=click.Path(dir_okay=False), help="Write the comparison as JSON here.")
@click.option("--metric", "metrics", multiple=True, metavar="PATH",
              help="A result path to test, e.g. entities.strict.micro.f1 (repeatable; default: every F1 and "
                   "accuracy).")
@click.option("--resamples", type=click.IntRange(min=1), default=DEFAULT_RESAMPLES, show_default=True,
              help="Paired bootstrap resamples of documents.")
@click.option("--trials", type=click.IntRange(min=1), default=DEFAULT_TRIALS, show_default=True,
              help="Approximate randomization trials.")
@click.option("--seed", type=SEED, default=DEFAULT_SEED, show_default=True, help="Seed of both tests.")
@click.option("--alpha", type=FiniteRange(0, 1, min_open=True, max_open=True), default=DEFAULT_ALPHA,
              show_default=True, help="1 - the interval's confidence level; the significance level.")
def compare_command(run_a: str, run_b: str, json_out: str | None, metrics: tuple[str, ...], resamples: int,
                    trials: int, seed: int, alpha: float) -> None:
    """Is system B better than system A? Paired tests on two result JSONs of `khabar score --json`.

    Both runs must be scored on the same gold (same fingerprint and documents) with the same
    settings (the signature may differ only in the system and the bootstrap). For each metric:
    A, B, the difference B − A with its paired bootstrap interval, the paired bootstrap p-value
    and the approximate randomization p-value (documents' counts swapped between the systems).
    """
    from rich.console import Console

    from annotation.io import write_atomic

    result = compare_files(run_a, run_b, metrics=metrics, resamples=resamples, trials=trials, seed=seed, alpha=alpha)
    print_comparison(result, Console(width=160, highlight=False), all_paths=bool(metrics))
    if json_out:
        write_atomic(json_out, json.dumps(result, ensure_ascii=False, indent=2) + "\n")
        click.echo(f"comparison: {json_out}")


COMMANDS: list[click.Command] = [compare_command]
