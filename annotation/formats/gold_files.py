"""khabar gold as a conversion's input and output: JSON lines files, and gold dataset folders.

A converted gold folder is an ordinary khabar gold folder (``dev.jsonl``, ``test.jsonl`` and a dataset
card), so ``khabar validate``, ``stats``, ``score``, ``bench`` and ``datasets.load_dataset`` read it.
Inputs go to the split their file name says (``train``, ``dev``/``valid``/``validation``, ``test``); a
``train`` split is written beside them as ``train.jsonl`` and declared in the card. When the inputs do
not give both a dev and a test split, their documents are split by story as ``khabar gold build`` splits
(seeded), and the report says so. The card records the source format and the clitic convention.
"""

from __future__ import annotations

import hashlib

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from annotation.errors import FormatError
from annotation.formats.report import InputFailed, LabelMapper, Report
from annotation.io import dumps, iter_json_lines, write_atomic
from annotation.model import Annotated
from annotation.spans import Problem

SPLIT_NAMES = {"train": "train", "dev": "dev", "valid": "dev", "validation": "dev", "val": "dev", "test": "test"}


def split_of(path: Path) -> str | None:
    """The split a file's name says (``wojood-dev.txt`` -> dev), or None."""
    for word in re.split(r"[^a-z]+", path.stem.lower()):
        if word in SPLIT_NAMES:
            return SPLIT_NAMES[word]
    return None


def read_gold_lines(path: Path, mapper: LabelMapper, report: Report) -> Iterator[Annotated]:
    """Gold documents of a JSON lines file, their labels through the label map; every bad line is listed."""
    from dataclasses import replace

    problems: list[Problem] = []
    for lineno, obj in iter_json_lines(path):
        try:
            doc = Annotated.from_dict(obj, "")
        except FormatError as exc:
            problems.append(Problem(f"{path}:{lineno}", str(exc)))
            continue
        entities = []
        for i, m in enumerate(doc.entities):
            label = mapper(m.label, lambda: f"{path}:{lineno} {doc.id} entities[{i}] ({m.id})")
            if label is not None:
                entities.append(replace(m, label=label))
        problems += mapper.take_problems()
        yield replace(doc, entities=tuple(entities))
    if problems:
        raise InputFailed(problems)


def gold_lines(docs: Iterable[Annotated]) -> Iterator[str]:
    """The lines of a gold split file: each document's record without its ingestion ``meta``, as
    ``annotation.gold.dataset.gold_record`` makes it (the tests hold the two to the same bytes); written
    here so that streaming a large corpus does not import NumPy and pyarrow's helpers for it."""
    for doc in docs:
        record = doc.to_dict()
        del record["meta"]
        yield dumps(record) + "\n"


def write_gold_folder_converted(folder: Path, splits: dict[str, list[Annotated]], report: Report, *,
                                provenance: str, converted: dict[str, Any]) -> None:
    """A gold dataset folder of converted documents (see the module docstring); each file atomic."""
    import yaml

    from annotation.gold.dataset import split_by_group, write_gold_folder
    from annotation.scheme import load_scheme

    scheme = load_scheme()
    train = splits.get("train", [])
    dev, test = splits.get("dev", []), splits.get("test", [])
    if not dev and not test:  # a corpus with a train split only: that is what there is to score on
        dev, train = train, []
    if not dev or not test:
        docs = sorted(dev + test, key=lambda d: d.id)
        halves = split_by_group(docs)
        dev, test = halves["dev"], halves["test"]
        report.notes.append(f"the inputs give no {'dev' if not splits.get('dev') else 'test'} split: their "
                            f"{len(docs)} documents were split by story, seeded (dev {len(dev)}, test {len(test)})")
    write_gold_folder(folder, {"dev": dev, "test": test}, scheme, provenance=provenance)
    _, header, body = (folder / "README.md").read_text(encoding="utf-8").split("---\n", 2)
    meta = yaml.safe_load(header)
    meta["khabar"]["converted"] = converted
    if train:
        lines = "".join(gold_lines(train))
        write_atomic(folder / "train.jsonl", lines)
        config = meta["configs"][0]
        config["data_files"].insert(0, {"split": "train", "path": "train.jsonl"})
        # the train file's hash joins the cache key's description (the card's hash covers dev and test)
        config["description"] += f"; train.jsonl sha256 {hashlib.sha256(lines.encode('utf-8')).hexdigest()[:16]}"
        body += f"\nA `train` split of {len(train)} articles is declared beside them (`train.jsonl`).\n"
    write_atomic(folder / "README.md", "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)
                 + "---\n" + body)
