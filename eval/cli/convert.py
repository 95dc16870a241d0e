"""``khabar convert``: the field's corpus formats in and out of khabar gold (a thin layer over annotation.formats)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from annotation.errors import KhabarError

if TYPE_CHECKING:
    from annotation.formats.report import Report

FORMAT_NAMES = ("conll", "conll-nested", "hf", "brat", "spacy", "gold")
TAG_SCHEMES = ("iob1", "iob2", "ioe1", "ioe2", "iobes", "bilou", "iob", "ioe", "bio")


def _layer(value: str) -> int | None:
    if value == "all":
        return None
    if not value.isdigit():
        raise click.BadParameter("a layer number (0 = outermost) or 'all'", param_hint="--layer")
    return int(value)


@click.command("convert")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--from", "source", required=True, type=click.Choice(("auto", *FORMAT_NAMES)),
              help="Format of the inputs; auto guesses from names and first lines and says what it guessed.")
@click.option("--to", "target", required=True, type=click.Choice(FORMAT_NAMES), help="Format to write.")
@click.option("--out", required=True, type=click.Path(path_type=Path),
              help="Output: a file (gold .jsonl, .spacy, any CoNLL file name) or a folder (a gold dataset "
                   "folder, one file per input, brat files, a Hugging Face dataset folder).")
@click.option("--label-map", help="Map the corpus's labels onto the scheme: wojood, anercorp, conll, wikiann, "
                                  "or a JSON file {\"LABEL\": \"SCHEME_LABEL\" or null}; dropped labels are counted.")
@click.option("--tags", type=click.Choice(TAG_SCHEMES), default=None,
              help="Tag scheme of token formats (default iob2; with --from auto, guessed from a CoNLL file).")
@click.option("--repair", is_flag=True, help="Repair tag sequences the scheme does not allow (as conlleval "
                                             "reads them) and list each repair, instead of refusing the input.")
@click.option("--doc-sentences", type=click.IntRange(min=1), default=None,
              help="CoNLL input: documents of N sentences (also cut at -DOCSTART-). Default: -DOCSTART- "
                   "documents, or one document per sentence in a file without -DOCSTART-.")
@click.option("--strip-proclitics", is_flag=True,
              help="Move mention starts past attached و ف ب ل ك (the guidelines' rule) and count the changes.")
@click.option("--layer", default="0", show_default=True,
              help="Flat token output of nested gold: the nesting layer to write (0 = outermost), or 'all' "
                   "for one file per layer.")
@click.option("--text-comments", is_flag=True,
              help="CoNLL output: write '# id =' and '# text =' before each document so that reading it back "
                   "gives the same ids, text and offsets (other tools may not skip comment lines).")
@click.option("--spans-key", "spans_keys", multiple=True, default=("khabar",), show_default=True,
              help="spaCy input: doc.spans groups read beside doc.ents (repeatable).")
@click.option("--split", type=click.Choice(("dev", "test", "train")), default="test", show_default=True,
              help="Gold folder output: the split of inputs whose file name names none.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the conversion report (counts, repairs, failures) as JSON here.")
def convert_cmd(inputs: tuple[Path, ...], source: str, target: str, out: Path, label_map: str | None,
                tags: str | None, repair: bool, doc_sentences: int | None, strip_proclitics: bool, layer: str,
                text_comments: bool, spans_keys: tuple[str, ...], split: str, json_out: Path | None) -> None:
    """Convert INPUTS from one corpus format into another (khabar gold, CoNLL, Hugging Face, brat, spaCy).

    A bad input is named with every problem and its place (file, line, token); the other inputs are
    converted, nothing half-written is left, and the exit status is 1.
    """
    from annotation.formats.convert import ConvertOptions, convert
    from annotation.formats.tags import scheme_name
    from annotation.io import dumps, write_atomic

    options = ConvertOptions(source=source, target=target, label_map=label_map,
                             tags=scheme_name(tags or "iob2"), tags_given=tags is not None, strict=not repair,
                             doc_sentences=doc_sentences, strip_proclitics=strip_proclitics, layer=_layer(layer),
                             text_comments=text_comments, spans_keys=spans_keys, split=split)
    report = convert(list(inputs), out, options)
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    _summary(report, out)
    if json_out:
        write_atomic(json_out, dumps(report.to_dict()) + "\n")
    if report.failed:
        for name, problems in report.failed.items():
            for problem in problems[:20]:
                click.echo(f"{problem}", err=True)
            if len(problems) > 20:
                click.echo(f"{name}: … and {len(problems) - 20} more problem(s)", err=True)
        converted = "nothing written" if not report.documents else f"the other inputs were written to {out}"
        raise KhabarError(f"{len(report.failed)} input(s) not converted ({', '.join(report.failed)}); {converted}")


def _summary(report: Report, out: Path) -> None:
    click.echo(f"{out}: {report.documents} documents, {report.mentions} mentions")
    if report.dropped_labels:
        click.echo("labels dropped (not in the scheme): " + ", ".join(
            f"{label} {n}" for label, n in sorted(report.dropped_labels.items(), key=lambda kv: -kv[1])))
    if report.repaired:
        click.echo(f"tag sequences repaired: {report.repaired}")
        for problem in report.repairs:
            click.echo(f"  {problem}")
    if report.proclitics_stripped or report.proclitics_ambiguous:
        click.echo(f"proclitics: {report.proclitics_stripped} mention start(s) moved past a proclitic; "
                   f"{report.proclitics_ambiguous} ambiguous (a name that may begin with و ف ب ل ك) kept")
    for what, n in report.unrepresentable.items():
        click.echo(f"not held by the output format: {n} × {what}")
    if report.examples:
        click.echo("  e.g. " + "; ".join(str(p.where) for p in report.examples[:5]))


COMMANDS: list[click.Command] = [convert_cmd]
