"""The gold documents as the scorer holds them (:class:`Gold`), read from a gold path or from model objects.

Which files a gold path holds, how a line becomes a document (:func:`annotation.gold.records.iter_gold`),
the gold features and the fingerprint (:mod:`annotation.gold.records`) are the dataset's definitions;
this module adds the scorer's columns and what the scorer needs on top of the model's checks: offsets
on every gold span, inside the text (:func:`annotation.spans.span_problem`), labels that can be scored,
unique ids. :func:`read_gold_columns` reads a gold path in one of two ways, with the same result:

- **columnar** (:mod:`eval.inputs.columnar`: pyarrow's JSON reader in the gold features' types,
  every mention checked with whole-array operations), when every file is regular;
- **line by line** through :func:`annotation.gold.records.iter_gold` otherwise; it names the file, line
  and field of any error. ``tests/test_inputs_fast_paths.py`` checks that both give the same on random
  corpora.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from annotation.errors import KhabarError
from annotation.gold.records import fingerprint, gold_files, gold_schema, int_values, iter_gold, table_fingerprint
from annotation.model import Annotated, Claim, Span
from annotation.spans import span_problem
from eval.engine.entities import Columns
from eval.engine.gcpause import gc_paused
from eval.inputs import columnar
from eval.inputs.columnar import NotColumnar
from eval.inputs.columns import MentionColumn, TextColumn, drop_repeated

if TYPE_CHECKING:
    import pyarrow as pa

MentionTuple = tuple[Any, Any, Any, Any]  # (start, end, label, cluster) as the model has them


def bad_label(label: Any) -> bool:
    """A label the scorer cannot use: not a string, empty, or with a ``.`` (count keys are dotted)."""
    return not isinstance(label, str) or not label or "." in label


def _check_claims(claims: Sequence[Claim], length: int, where: str) -> None:
    """A gold claim's content, source and cue need offsets inside the text."""
    for k, claim in enumerate(claims):
        for name, span in (("", claim.span), (" source", claim.source), (" cue", claim.cue)):
            if span is None:
                continue
            if span.start is None or span.end is None:
                raise KhabarError(f"{where}claims[{k}]{name}: a gold span needs offsets")
            problem = span_problem(span.start, span.end, length)
            if problem:
                raise KhabarError(f"{where}claims[{k}]{name}: {problem}")


@dataclass
class Gold:
    """The gold documents as columns: one entry per article, mentions as flat columns (label: index
    into ``label_names``); ``columnar`` tells whether the fast path read every file."""

    ids: list[str] = field(default_factory=list)
    texts: list[str] | TextColumn = field(default_factory=list)
    where: list[str] = field(default_factory=list)
    claims: list[tuple[Claim, ...]] = field(default_factory=list)
    clusters: list[dict[str, list[Span]]] = field(default_factory=list)
    mentions: MentionColumn = field(default_factory=MentionColumn)
    label_names: list[str] = field(default_factory=list)
    fingerprint: str = ""
    index: dict[str, int] = field(default_factory=dict)
    columnar: bool = False
    duplicate_mentions: int = 0  # identical mentions (same offsets and label) counted once
    duplicate_example: str = ""
    _code: dict[str, int] = field(default_factory=dict)
    _id_arrays: list[pa.Array] = field(default_factory=list)  # the ids as Arrow arrays, when read by pyarrow

    def __len__(self) -> int:
        return len(self.ids)

    def id_array(self) -> pa.Array:
        """The article ids as an Arrow array."""
        import pyarrow as pa

        if sum(map(len, self._id_arrays)) == len(self.ids):
            return pa.concat_arrays(self._id_arrays) if self._id_arrays else pa.array(self.ids, type=pa.string())
        return pa.array(self.ids, type=pa.string())

    def lengths(self) -> np.ndarray:
        """The length of each article's text, in code points."""
        if isinstance(self.texts, TextColumn):
            return self.texts.lengths()
        return np.fromiter(map(len, self.texts), dtype=np.int64, count=len(self.texts))

    def labels(self) -> list[str]:
        """The labels of the gold mentions, sorted."""
        used = np.unique(self.mentions.arrays()[3]) if len(self.mentions) else []
        return sorted(self.label_names[i] for i in used)

    def code(self, label: str) -> int:
        code = self._code.get(label)
        if code is None:
            code = self._code[label] = len(self.label_names)
            self.label_names.append(label)
        return code

    def columns(self, labels: Sequence[str]) -> Columns:
        """The mentions, their labels as indices into ``labels``."""
        doc, start, end, label = self.mentions.arrays()
        position = {name: i for i, name in enumerate(labels)}
        remap = np.asarray([position.get(name, -1) for name in self.label_names] or [0], dtype=np.int64)
        return Columns(doc, start, end, remap[label] if len(label) else label)

    def mention_lists(self) -> dict[int, list[tuple[int, int, str]]]:
        """Per document: its mentions as (start, end, label)."""
        out: dict[int, list[tuple[int, int, str]]] = {}
        names = self.label_names
        for d, s, e, c in zip(*(col.tolist() for col in self.mentions.arrays())):
            out.setdefault(d, []).append((s, e, names[c]))
        return out

    def article(self, doc_id: str, text: str, where: str, claims: tuple[Claim, ...]) -> int:
        """Register an article (its mentions come separately); checks its claims' offsets."""
        if doc_id in self.index:
            raise KhabarError(f"{where}duplicate gold article id {doc_id!r} (also at {self.where[self.index[doc_id]]})")
        _check_claims(claims, len(text), where)
        i = len(self.ids)
        self.index[doc_id] = i
        self.ids.append(doc_id)
        self.texts.append(text)  # type: ignore[union-attr]
        self.where.append(where.rstrip(": "))
        self.claims.append(claims)
        self.clusters.append({})
        return i

    def add_mentions(self, i: int, mentions: Sequence[MentionTuple], where: str) -> None:
        """The mentions of article ``i``, one by one: (start, end, label, cluster)."""
        n = len(self.texts[i])
        rows = []
        for k, (s, e, label, entity) in enumerate(mentions):
            if s is None or e is None:
                raise KhabarError(f"{where}entities[{k}]: a gold mention needs offsets")
            problem = span_problem(s, e, n)
            if problem:
                raise KhabarError(f"{where}entities[{k}]: {problem}")
            if bad_label(label):
                raise KhabarError(f"{where}entities[{k}]: label {label!r} cannot be scored (empty, or contains '.')")
            rows.append((s, e, self.code(label)))
            if self.claims[i] and entity is not None:
                self.clusters[i].setdefault(str(entity), []).append(Span(s, e))
        self.mentions.extend_rows(i, rows)

    def drop_repeated(self) -> Gold:
        """Count identical mentions once (the rule for predictions too); the scorer warns."""
        self.mentions, self.duplicate_mentions, self.duplicate_example = drop_repeated(
            self.mentions, self.label_names, self.where)
        return self

    def add_document(self, doc: Annotated, where: str) -> None:
        """A model document (the rule: both readers give what this gives)."""
        i = self.article(doc.id, doc.text, where, doc.claims)
        self.add_mentions(i, [(m.start, m.end, m.label, m.entity) for m in doc.entities], where)

    def take_table(self, file: Path, table: pa.Table) -> None:
        """Add a gold split read by pyarrow in the gold features' types; NotColumnar (before changing
        anything) on whatever the model's parser would read differently or refuse, so that the line-by-line
        reader names it."""
        split = _GoldSplit.check(self, table)
        claims = split.claims(str(file))
        if self.texts and not isinstance(self.texts, TextColumn):
            raise NotColumnar  # articles read line by line come first: keep to that reader
        self._append(file, split, claims)

    def _append(self, file: Path, split: _GoldSplit, claims: dict[int, tuple[Claim, ...]]) -> None:
        first, n = len(self.ids), len(split.ids)
        if not isinstance(self.texts, TextColumn):
            self.texts = TextColumn()
        self.texts.extend(split.texts.chunks, split.lengths)
        self._id_arrays.append(split.id_array)
        self.index.update(zip(split.ids, range(first, first + n)))
        self.ids += split.ids
        self.where += [f"{file}:{row}" for row in range(1, n + 1)]
        self.claims += [claims.get(row, ()) for row in range(n)]
        self.clusters += [{} for _ in range(n)]
        self.mentions.extend(split.rows + first, split.starts, split.ends, columnar.label_codes(split.labels, self.code))
        for row in claims:  # the clusters of the mentions, for claim sources
            self.clusters[first + row] = split.clusters(row)


@dataclass
class _GoldSplit:
    """One gold file read by pyarrow, checked as arrays: what :meth:`Gold.take_table` adds."""

    table: pa.Table
    ids: list[str]
    id_array: pa.Array
    texts: pa.ChunkedArray
    lengths: np.ndarray
    sizes: np.ndarray
    mention: dict[str, pa.Array]
    rows: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    bounds: np.ndarray  # row k's mentions are [bounds[k], bounds[k + 1])

    @property
    def labels(self) -> pa.Array:
        return self.mention["label"]

    @classmethod
    def check(cls, gold: Gold, table: pa.Table) -> _GoldSplit:
        """The arrays of a split; NotColumnar where the model would fill in, refuse or differ."""
        import pyarrow.compute as pc

        ids, texts, lang = columnar.column(table, "id"), table["text"], columnar.column(table, "lang")
        if ids.null_count or texts.null_count or lang.null_count or (int_values(pc.utf8_length(lang)) == 0).any():
            raise NotColumnar  # the model fills in a missing language; ids and texts are required
        sizes, mention = columnar.mention_fields(columnar.column(table, "entities"))
        starts, ends = int_values(mention["start"]), int_values(mention["end"])
        lengths = int_values(pc.utf8_length(texts).combine_chunks())
        rows = columnar.row_of_each(sizes)
        if columnar.outside(starts, ends, lengths[rows]):
            raise NotColumnar
        if any(bad_label(name) for name in mention["label"].unique().to_pylist()):
            raise NotColumnar
        doc_ids = ids.to_pylist()
        if len(set(doc_ids)) != len(doc_ids) or not gold.index.keys().isdisjoint(doc_ids):
            raise NotColumnar  # a duplicate id
        bounds = np.concatenate([[0], np.cumsum(sizes)])
        return cls(table, doc_ids, ids, texts, lengths, sizes, mention, rows, starts, ends, bounds)

    def claims(self, name: str) -> dict[int, tuple[Claim, ...]]:
        """The claims of the rows that have any, parsed by the model and checked."""
        claims: dict[int, tuple[Claim, ...]] = {}
        for row in np.flatnonzero(columnar.list_sizes(columnar.column(self.table, "claims"))).tolist():
            where = f"{name}:{row + 1}: "
            claims[row] = tuple(Claim.from_dict(c, f"{where}claims[{k}]: ")
                                for k, c in enumerate(self.table["claims"][row].as_py()))
            _check_claims(claims[row], int(self.lengths[row]), where)
        return claims

    def clusters(self, row: int) -> dict[str, list[Span]]:
        """The spans of each entity cluster of one row."""
        lo, hi = int(self.bounds[row]), int(self.bounds[row + 1])
        out: dict[str, list[Span]] = {}
        entity = self.mention["entity"][lo:hi].to_pylist()
        for s, e, cluster in zip(self.starts[lo:hi].tolist(), self.ends[lo:hi].tolist(), entity):
            if cluster is not None:
                out.setdefault(str(cluster), []).append(Span(s, e))
        return out


def gold_from_documents(docs: Sequence[Annotated]) -> Gold:
    """Gold columns from model objects (the library path)."""
    gold = Gold()
    with gc_paused():
        for i, doc in enumerate(docs):
            gold.add_document(doc, f"gold document {i + 1} ({doc.id}): ")
    gold.fingerprint = fingerprint(docs)
    return gold.drop_repeated()


def read_gold_columns(path: str | Path, split: str | None = None, *, fast: bool = True) -> Gold:
    """Read a gold split file or gold folder (all splits, or ``split``) into columns: columnar when
    ``fast`` and every file is regular, else line by line. The fingerprint is
    :func:`annotation.gold.records.fingerprint` of the same documents."""
    files = gold_files(Path(path), split)
    with gc_paused():
        if fast:
            try:
                return _columnar_gold(files).drop_repeated()
            except (NotColumnar, KhabarError):
                pass
        return _line_by_line_gold(files).drop_repeated()


def _columnar_gold(files: list[Path]) -> Gold:
    import pyarrow as pa

    gold = Gold(columnar=True)
    tables = []
    for file in files:
        table = columnar.read_table(file, gold_schema())
        gold.take_table(file, table)
        tables.append(table)
    gold.fingerprint = table_fingerprint(pa.concat_tables(tables))
    return gold


def _line_by_line_gold(files: list[Path]) -> Gold:
    gold = Gold()

    def documents() -> Iterator[Annotated]:  # each document into the columns, then into the fingerprint
        for where, doc in iter_gold(files):
            gold.add_document(doc, where)
            yield doc

    gold.fingerprint = fingerprint(documents())
    return gold
