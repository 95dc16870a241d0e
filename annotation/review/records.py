"""Per-annotator records (the ``records.jsonl`` of ``khabar import``): reading, grouping, aligning.

A record is an :class:`~annotation.model.Annotated` whose ``annotation`` carries
``annotator`` (e-mail or id), ``task``, ``annotation_id``, ``ground_truth`` and ``updated_at``.
Agreement and adjudication both work article by article: :func:`group_articles` gives each
article's records, one per annotator, and :func:`align` lines up the mentions or claims of
several annotators with the one span matcher (:func:`annotation.matching.match`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotation.errors import KhabarError
from annotation.io import iter_json_lines
from annotation.labelstudio.annotations import annotator_of
from annotation.matching import match
from annotation.model import Annotated, FormatError, Span
from annotation.spans import check_span

RECORDS_NAME = "records.jsonl"

def records_path(path: str | Path) -> Path:
    """A records file, or the folder ``khabar import --out`` wrote (its ``records.jsonl``)."""
    path = Path(path)
    return path / RECORDS_NAME if path.is_dir() else path


def load_records(path: str | Path, *, allow_empty: bool = False) -> list[Annotated]:
    """Read per-annotator records (the one reader, used by the import, agreement and adjudication).

    Every record must parse, name its annotator and have offsets on every mention and claim; every
    defect names the file and line. An empty file is an error unless ``allow_empty``.
    """
    path = records_path(path)
    hint = "expected JSON lines of per-annotator records (the records.jsonl written by khabar import)"
    out = []
    for lineno, obj in iter_json_lines(path):
        where = f"{path}:{lineno}: "
        try:
            record = Annotated.from_dict(obj, where)
        except FormatError as exc:
            raise KhabarError(f"{exc} — {hint}") from None
        if record.annotation.get("annotator") in (None, ""):
            raise KhabarError(f"{where}record of {record.id} has no annotation.annotator — {hint}")
        _check_offsets(record, where)
        out.append(record)
    if not out and not allow_empty:
        raise KhabarError(f"{path}: no records — {hint}")
    return out


def _check_offsets(record: Annotated, where: str) -> None:
    """The offsets of every mention and claim part, by the one span check (as ``khabar validate``)."""
    for kind, items in (("entities", record.entities), ("claims", record.claims)):
        for i, item in enumerate(items):
            if item.start is None or item.end is None:
                raise KhabarError(f"{where}{kind}[{i}] of {record.id} has no offsets — re-run khabar import")
            parts = [("", item)] + [(f" {name}", part) for name, part in _claim_parts(item)]
            for name, span in parts:
                problems = check_span(span, record.text, f"{where}{kind}[{i}]{name} of {record.id}")
                if problems:
                    raise KhabarError(str(problems[0]))


def _claim_parts(item: Any) -> list[tuple[str, Span]]:
    parts = [(name, getattr(item, name, None)) for name in ("source", "cue")]
    parts += [(f"via[{j}]", v) for j, v in enumerate(getattr(item, "via", None) or ())]
    return [(name, span) for name, span in parts if span is not None]


@dataclass
class ArticleRecords:
    """The records of one article: one per annotator."""

    id: str
    text: str
    tasks: list[str]
    records: dict[str, Annotated]

    @property
    def annotators(self) -> list[str]:
        return sorted(self.records)


def _recency(record: Annotated) -> tuple[str, str]:
    return (str(record.annotation.get("updated_at") or ""), str(record.annotation.get("annotation_id") or ""))


def group_articles(records: Iterable[Annotated]) -> tuple[list[ArticleRecords], list[str]]:
    """Group records by article id, one per annotator (the latest when an annotator has several).

    Cancelled annotations (``was_cancelled``) are skipped. Returns the articles (sorted by
    id) and notes on what was skipped or replaced.
    """
    notes: list[str] = []
    articles: dict[str, ArticleRecords] = {}
    for record in records:
        who = annotator_of(record.annotation)
        task = str(record.annotation.get("task", ""))
        if record.annotation.get("was_cancelled"):
            notes.append(f"{record.id} (task {task}): cancelled annotation by {who} skipped")
            continue
        art = articles.setdefault(record.id, ArticleRecords(record.id, record.text, [], {}))
        if record.text != art.text:
            raise KhabarError(f"{record.id} (task {task}): the record of {who} has a different article text "
                              "from another record of the same article — offsets cannot be compared")
        if task and task not in art.tasks:
            art.tasks.append(task)
        old = art.records.get(who)
        if old is not None:
            keep, drop = (record, old) if _recency(record) >= _recency(old) else (old, record)
            notes.append(f"{record.id}: {who} has several annotations; using annotation "
                         f"{keep.annotation.get('annotation_id')} (latest), not {drop.annotation.get('annotation_id')}")
            record = keep
        art.records[who] = record
    return [articles[k] for k in sorted(articles)], notes


# ---------------------------------------------------------------- alignment across annotators


@dataclass
class Unit:
    """Items aligned across annotators: annotator -> indices of that annotator's items (normally one)."""

    members: dict[str, list[int]] = field(default_factory=dict)

    @property
    def ambiguous(self) -> bool:
        return any(len(v) > 1 for v in self.members.values())

    @property
    def annotators(self) -> list[str]:
        return sorted(self.members)


def align(items: Mapping[str, Sequence[Any]], weight: Callable[[Any, Any], Any]) -> list[Unit]:
    """Align the items (spans) of several annotators: connected components of the pairwise matches.

    Every pair of annotators is matched one-to-one with :func:`annotation.matching.match`;
    an item matched with nothing is a unit of its own. The result does not depend on the
    order of annotators or items; units are sorted by their earliest (start, end).
    """
    parent: dict[tuple[str, int], tuple[str, int]] = {(a, i): (a, i) for a in items for i in range(len(items[a]))}

    def find(x: tuple[str, int]) -> tuple[str, int]:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    names = sorted(items)
    for a, b in itertools.combinations(names, 2):
        for i, j in match(items[a], items[b], weight):
            ra, rb = find((a, i)), find((b, j))
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    groups: dict[tuple[str, int], Unit] = {}
    for node in sorted(parent):
        unit = groups.setdefault(find(node), Unit())
        unit.members.setdefault(node[0], []).append(node[1])

    def position(unit: Unit) -> tuple:
        return min((items[a][i].start, items[a][i].end, a, i) for a, idx in unit.members.items() for i in idx)

    return sorted(groups.values(), key=position)

