"""The inputs of a conversion (a gold folder is its split files, a folder of CoNLL files is its files),
and ``--from auto``: the format of an input guessed from its name and first lines, with the reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from annotation.errors import KhabarError

SAMPLE_LINES = 2000


@dataclass(frozen=True)
class Source:
    """One input: its path, the split it feeds (None: its name decides) and its name in outputs and messages."""

    path: Path
    split: str | None
    name: str
    format: str = "auto"
    part: str | None = None  # the split inside a Hugging Face set


def _is_gold_folder(path: Path) -> bool:
    return (path / "dev.jsonl").is_file() and (path / "test.jsonl").is_file()


def expand(path: Path, fmt: str) -> list[Source]:
    """The inputs that ``path`` stands for: a gold folder's split files, a CoNLL folder's files, else itself."""
    if not path.exists():
        raise KhabarError(f"{path}: no such file or folder")
    if path.is_dir() and (fmt == "gold" or (fmt == "auto" and _is_gold_folder(path))):
        files = [path / f"{s}.jsonl" for s in ("train", "dev", "test") if (path / f"{s}.jsonl").is_file()]
        return [Source(f, f.stem, f.stem) for f in files]
    if path.is_dir() and fmt in ("conll", "conll-nested"):
        files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
        return [Source(f, None, f.stem) for f in files]
    return [Source(path, None, path.stem if path.is_file() else path.name)]


def guess_format(path: Path) -> tuple[str, str]:
    """(format, why) for an input; an input that fits no format is an error naming it."""
    if path.is_dir():
        names = {p.suffix for p in path.iterdir()}
        if ".ann" in names:
            return "brat", "a folder of .ann files"
        if _is_gold_folder(path):
            return "gold", "a folder with dev.jsonl and test.jsonl"
        if {".arrow", ".parquet", ".jsonl", ".json", ".csv"} & names or (path / "dataset_info.json").is_file():
            return "hf", "a folder of dataset files"
        raise KhabarError(f"{path}: cannot guess the format of this folder; give --from")
    if path.suffix == ".spacy":
        return "spacy", "the .spacy suffix"
    if path.suffix == ".ann":
        return "brat", "the .ann suffix"
    if path.suffix in (".parquet", ".arrow"):
        return "hf", f"the {path.suffix} suffix"
    try:
        with path.open(encoding="utf-8") as handle:
            lines = [line.split() for line in islice(handle, SAMPLE_LINES)]
    except UnicodeDecodeError:
        raise KhabarError(f"{path}: not UTF-8 text; cannot guess its format, give --from") from None
    first = next((" ".join(p) for p in lines if p), "")
    if first.startswith("{"):
        try:
            obj = json.loads(first)
        except json.JSONDecodeError:
            obj = {}
        if isinstance(obj, dict) and "tokens" in obj:
            return "hf", "JSON lines with 'tokens'"
        if isinstance(obj, dict) and "text" in obj:
            return "gold", "JSON lines with 'text'"
    rows = [p for p in lines if p and p[0] != "-DOCSTART-" and p[0] != "#"]
    if rows and all(len(p) >= 2 for p in rows):
        widths = {len(p) for p in rows}
        tagged = any(len(p) > 2 and all(_tag_like(t) for t in p[1:]) for p in rows)
        if len(widths) > 1 and tagged:
            return "conll-nested", "token lines with a varying number of tags"
        return "conll", f"token lines of {widths.pop()} columns"
    raise KhabarError(f"{path}: cannot guess its format from its first lines; give --from")


def _tag_like(tag: str) -> bool:
    return tag == "O" or (len(tag) > 2 and tag[1] == "-" and tag[0] in "BIESLU")


def guess_tags(path: Path) -> str:
    """The tag scheme of a flat CoNLL sample: IOBES/BILOU by their prefixes, IOE by E-, IOB1 when an I-
    tag begins a chunk, else IOB2."""
    with path.open(encoding="utf-8") as handle:
        tags = [p[-1] for p in (line.split() for line in islice(handle, SAMPLE_LINES)) if len(p) >= 2]
    prefixes = {t[0] for t in tags if len(t) > 2 and t[1] == "-"}
    if prefixes & {"U", "L"}:
        return "bilou"
    if "S" in prefixes or ("B" in prefixes and "E" in prefixes):
        return "iobes"
    if "E" in prefixes:
        return "ioe2"
    previous = "O"
    for tag in tags:
        if tag.startswith("I-") and previous[2:] != tag[2:]:
            return "iob1"
        previous = tag
    return "iob2"
