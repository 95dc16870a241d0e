"""Predictions paired with the gold and checked: :class:`PredictionReader` gives :class:`Predictions`.

A predictions file is read columnar (:mod:`eval.inputs.columnar`) when it is regular -- one line per
gold article, integer offsets, no claims -- else line by line through the model's parser
(``Prediction.from_dict``); ``tests/test_inputs_fast_paths.py`` checks that both give the same on random files.

Bad input (an error naming the file and line): invalid JSON, a prediction for an article that is
not in the gold, two different lines for one article, offsets outside the text, inverted or empty
(:func:`annotation.spans.span_problem`), an unknown label (without a mapping that covers it), an
unknown attribute value. Well defined, so only a warning (see :mod:`eval.scoring.result`): an empty
predictions file (everything is missed), a gold article without a prediction line (predicted empty),
an identical repeated line or mention (counted once), a predicted span whose text differs from the
article at its offsets (the offsets count), mentions dropped by a label mapping, spans that could
not be aligned (spurious, :mod:`eval.inputs.alignment`).
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from annotation.errors import KhabarError
from annotation.gold.records import int_values, valid_mask
from annotation.io import iter_json_lines
from annotation.model import Claim, Mention, Prediction, Span
from annotation.scheme import Scheme
from annotation.spans import span_problem
from eval.engine.entities import Columns
from eval.engine.gcpause import gc_paused
from eval.inputs import columnar
from eval.inputs.alignment import AlignConfig, AlignReport, align_prediction
from eval.inputs.columnar import NotColumnar
from eval.inputs.columns import MentionColumn, drop_repeated
from eval.inputs.gold import Gold
from eval.inputs.labelmap import IDENTITY, LabelMap

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass
class Predictions:
    """Predictions paired with the gold: mentions as columns (doc = gold index; offsets -1 when
    unaligned; label = index into ``labels``), claims per gold document, and what happened on the way
    (``columnar``: the fast path read the file)."""

    labels: list[str]
    mentions: MentionColumn = field(default_factory=MentionColumn)
    claims: dict[int, tuple[Claim, ...]] = field(default_factory=dict)
    where: dict[int, str] = field(default_factory=dict)  # gold index -> its prediction line
    lines: int = 0
    duplicate_lines: list[str] = field(default_factory=list)
    dropped: Counter = field(default_factory=Counter)
    text_mismatch: list[str] = field(default_factory=list)
    alignment: AlignReport = field(default_factory=AlignReport)
    duplicate_mentions: int = 0
    duplicate_example: str = ""
    columnar: bool = False

    def columns(self) -> Columns:
        return Columns(*self.mentions.arrays())

    def mention_lists(self) -> dict[int, list[tuple[int | None, int | None, str]]]:
        out: dict[int, list[tuple[int | None, int | None, str]]] = {}
        for d, s, e, c in zip(*(col.tolist() for col in self.mentions.arrays())):
            out.setdefault(d, []).append((s if s >= 0 else None, e if e >= 0 else None, self.labels[c]))
        return out


class PredictionReader:
    """Pairs prediction lines (or ``Prediction`` objects) with the gold and checks them."""

    def __init__(self, gold: Gold, scheme: Scheme, *, labels: Sequence[str], label_map: LabelMap = IDENTITY,
                 align: AlignConfig = AlignConfig()) -> None:
        self.gold = gold
        self.scheme = scheme
        self.label_map = label_map
        self.align = align
        self.out = Predictions(labels=list(labels))
        self._code: dict[str, int] = {label: i for i, label in enumerate(labels)}
        self._label_cache: dict[str, int] = {}
        self._origin: dict[int, Any] = {}  # gold index -> the first line's number, or the first Prediction
        self._path: Path | None = None
        self._hashes: dict[int, bytes] | None = None  # line number -> content hash, once a line repeats
        self._values = {a.name: set(a.value_names) for a in scheme.attributes if not a.is_boolean}

    # ------------------------------------------------------------------ pairing with the gold

    def _label(self, label: str, where: str) -> int:
        """The column of a predicted label; -1 when the mapping drops it."""
        code = self._label_cache.get(label)
        if code is not None:
            return code
        try:
            target = self.label_map.target(label, self._code)
        except KeyError:
            if self.label_map is IDENTITY:
                raise KhabarError(f"{where}unknown label {label!r} (the scheme has {', '.join(self.scheme.labels)}) "
                                  "— give --label-map (wojood, anercorp, conll, wikiann or a JSON file) to map or drop it") from None
            raise KhabarError(f"{where}label {label!r} is neither a scheme label nor covered by the label mapping "
                              f"{self.label_map.name!r} — add it to a mapping file (null drops it)") from None
        code = -1 if target is None else self._code[target]
        self._label_cache[label] = code
        return code

    def _same_as_first(self, i: int, content: Any, lineno: int | None) -> bool:
        """Is ``content`` (a repeated article's line) the same as its first line?"""
        origin = self._origin[i]
        if not isinstance(origin, int):  # library path: the first Prediction itself
            return origin == content
        if self._hashes is None:  # the first repeat: hash every line so far, once
            assert self._path is not None and lineno is not None
            earlier = itertools.takewhile(lambda item: item[0] < lineno, iter_json_lines(self._path))
            self._hashes = {n: _content_hash(obj) for n, obj in earlier}
        return self._hashes[origin] == _content_hash(content)

    def _doc(self, doc_id: Any, where: str, content: Any, origin: Any) -> int | None:
        """The gold index of a line's article; None for an identical repeated line (skipped).

        ``content`` is the line's parsed content; ``origin`` finds it again (a line number or the object)."""
        i = self.gold.index.get(str(doc_id))
        if i is None:
            raise KhabarError(f"{where}article id {str(doc_id)!r} is not in the gold set "
                              f"({len(self.gold)} articles) — predictions must be for gold articles (right split?)")
        if self._hashes is not None and isinstance(origin, int):
            self._hashes[origin] = _content_hash(content)
        if i in self.out.where:
            earlier = self.out.where[i]
            if self._same_as_first(i, content, origin if isinstance(origin, int) else None):
                self.out.duplicate_lines.append(f"{where.rstrip(': ')} repeats {earlier}")
                return None
            raise KhabarError(f"{where}a second, different prediction line for article {str(doc_id)!r} "
                              f"(first at {earlier}) — give one line per article")
        self.out.where[i] = where.rstrip(": ")
        self._origin[i] = origin
        self.out.lines += 1
        return i

    # ------------------------------------------------------------------ reading

    def add_prediction(self, pred: Prediction, where: str) -> None:
        """A model ``Prediction`` (the library path, and the rule both file readers follow)."""
        i = self._doc(pred.id, where, pred, pred)
        if i is not None:
            self._add_prediction(i, pred, where)

    def read_file(self, path: str | Path, *, fast: bool = True) -> None:
        """Read a predictions JSON lines file: columnar when ``fast`` and the file is regular (integer
        offsets, no claims, one line per gold article), else line by line."""
        path = self._path = Path(path)
        with gc_paused():
            if fast and not self.out.lines and self.read_columnar(path):
                return
            for lineno, obj in iter_json_lines(path):
                where = f"{path}:{lineno}: "
                if type(obj) is not dict:
                    raise KhabarError(f"{where}a prediction line must be a JSON object, not {type(obj).__name__}")
                pred = Prediction.from_dict(obj, where)
                i = self._doc(pred.id, where, obj, lineno)
                if i is not None:
                    self._add_prediction(i, pred, where)

    def read_columnar(self, path: Path) -> bool:
        """Take a predictions file by the fast path; False, with nothing changed, when the line-by-line
        reader must see it: claims, a mention without offsets or label, an article that is not in the
        gold or comes twice, offsets outside the text, an unknown label, anything pyarrow refuses."""
        try:
            table = columnar.read_table(path, prediction_schema())
            docs, sizes, mention, codes = self._check_table(table)
        except NotColumnar:
            return False
        self._take(path, docs, sizes, mention, codes)
        return True

    def _check_table(self, table: pa.Table) -> tuple[np.ndarray, np.ndarray, dict[str, pa.Array], np.ndarray]:
        """The gold index of each row, its number of mentions, their fields and label codes; NotColumnar."""
        import pyarrow.compute as pc

        ids = columnar.column(table, "id")
        if ids.null_count or columnar.list_sizes(columnar.column(table, "claims")).any():
            raise NotColumnar
        position = pc.index_in(ids, value_set=self.gold.id_array())
        if position.null_count:
            raise NotColumnar
        docs = int_values(position)
        if len(np.unique(docs)) != len(docs):
            raise NotColumnar
        sizes, mention = columnar.mention_fields(columnar.column(table, "entities"))
        owner = docs[columnar.row_of_each(sizes)]
        if columnar.outside(int_values(mention["start"]), int_values(mention["end"]), self.gold.lengths()[owner]):
            raise NotColumnar
        try:
            codes = columnar.label_codes(mention["label"], lambda label: self._label(label, ""))
        except KhabarError:
            raise NotColumnar from None
        return docs, sizes, mention, codes

    def _take(self, path: Path, docs: np.ndarray, sizes: np.ndarray, mention: dict[str, pa.Array],
              codes: np.ndarray) -> None:
        out = self.out
        rows = columnar.row_of_each(sizes)
        owner, starts, ends = docs[rows], int_values(mention["start"]), int_values(mention["end"])
        texts = mention["text"]
        if texts.null_count != len(texts):
            bounds = np.concatenate([[0], np.cumsum(sizes)])
            given = texts.to_pylist()
            for k in np.flatnonzero(valid_mask(texts)).tolist():
                s, e, row = int(starts[k]), int(ends[k]), int(rows[k])
                if codes[k] >= 0 and given[k] != self.gold.texts[int(owner[k])][s:e]:
                    out.text_mismatch.append(f"{path}:{row + 1}: entities[{k - int(bounds[row])}]")
        for row, i in enumerate(docs.tolist()):
            out.where[i] = f"{path}:{row + 1}"
            self._origin[i] = row + 1
        out.lines += len(docs)
        out.columnar = True
        if (codes < 0).any():
            dropped = codes < 0
            out.dropped.update(itertools.compress(mention["label"].to_pylist(), dropped.tolist()))
            owner, starts, ends, codes = owner[~dropped], starts[~dropped], ends[~dropped], codes[~dropped]
        out.mentions.extend(owner, starts, ends, codes)

    # ------------------------------------------------------------------ one prediction

    def _add_prediction(self, i: int, pred: Prediction, where: str) -> None:
        text = self.gold.texts[i]
        self._check_prediction(pred, len(text), where)
        out = self.out
        aligned = align_prediction(pred, text, self.align, out.alignment) if _needs_alignment(pred) else pred
        repeats = self._text_repeats(pred, aligned, text, where) if aligned is not pred else set()
        rows = []
        for k, (m, given) in enumerate(zip(aligned.entities, pred.entities)):
            code = self._label(m.label, f"{where}entities[{k}]: ")
            if code < 0:
                out.dropped[m.label] += 1
                continue
            if k in repeats:
                continue
            if m.start is not None and m.end is not None:
                if given.start is not None and given.text is not None and given.text != text[m.start:m.end]:
                    out.text_mismatch.append(f"{where}entities[{k}]")
                rows.append((m.start, m.end, code))
            else:
                rows.append((-1, -1, code))
        out.mentions.extend_rows(i, rows)
        if aligned.claims:
            out.claims[i] = aligned.claims

    def _text_repeats(self, pred: Prediction, aligned: Prediction, text: str, where: str) -> set[int]:
        """The one rule for duplicates, for offset-free mentions: a copy that found no place because an
        identical mention (same label, same text) took it counts once, as a repeated offset mention does
        (reported as a duplicate, not as unaligned). Another unaligned string that the text holds is
        marked as such (``occurrences``): its places are all taken by other mentions."""
        placed = {(m.label, text[m.start:m.end]) for m in aligned.entities if m.start is not None and m.end is not None}
        unaligned = [u for u in self.out.alignment.unaligned if u.get("id") == pred.id and u.get("kind") == "entity"]
        repeats = set()
        for k, (m, given) in enumerate(zip(aligned.entities, pred.entities)):
            if m.start is not None or given.start is not None or not (given.text or "").strip():
                continue
            needle = given.text.strip()
            entry = next((u for u in unaligned if u.get("text") == given.text and "occurrences" not in u), None)
            if (m.label, needle) in placed:
                repeats.add(k)
                self.out.duplicate_mentions += 1
                self.out.duplicate_example = self.out.duplicate_example or f"{where}{m.label} {needle!r} (text only)"
                if entry is not None:
                    unaligned.remove(entry)
                    self.out.alignment.unaligned.remove(entry)
                    self.out.alignment.total -= 1
            elif entry is not None and needle in text:
                entry["occurrences"] = text.count(needle)
                unaligned.remove(entry)
        return repeats

    def _check_prediction(self, pred: Prediction, n: int, where: str) -> None:
        """Known labels (before alignment), offsets inside the text, known attribute values."""
        for k, m in enumerate(pred.entities):
            self._label(m.label, f"{where}entities[{k}]: ")
            if m.start is not None and m.end is not None:
                problem = span_problem(m.start, m.end, n)
                if problem:
                    raise KhabarError(f"{where}entities[{k}]: {problem}")
        for k, c in enumerate(pred.claims):
            self._check_claim(c, n, f"{where}claims[{k}]")

    def _check_claim(self, c: Claim, n: int, where: str) -> None:
        for name, span in (("", c.span), (" source", c.source), (" cue", c.cue)):
            if span is not None and span.start is not None and span.end is not None:
                problem = span_problem(span.start, span.end, n)
                if problem:
                    raise KhabarError(f"{where}{name}: {problem}")
        for attr, allowed in self._values.items():
            value = getattr(c, attr, None)
            if value is not None and value not in allowed:
                raise KhabarError(f"{where}: unknown {attr} value {value!r} (allowed: {', '.join(sorted(allowed))})")

    # ------------------------------------------------------------------ the end

    def finish(self) -> Predictions:
        """Remove identical repeated mentions (counted once, reported)."""
        out = self.out
        if not len(out.mentions):
            return out
        out.mentions, repeated, example = drop_repeated(out.mentions, out.labels, out.where)
        out.duplicate_mentions += repeated  # with the offset-free copies already counted (_text_repeats)
        out.duplicate_example = out.duplicate_example or example
        return out


def _content_hash(obj: Any) -> bytes:
    """Equal for equal JSON values, whatever their key order."""
    return hashlib.blake2b(json.dumps(obj, ensure_ascii=False, sort_keys=True).encode("utf-8"), digest_size=16).digest()


def _needs_alignment(pred: Prediction) -> bool:
    def missing(span: Span | Mention | Claim | None) -> bool:
        return span is not None and (span.start is None or span.end is None)

    return any(missing(m) for m in pred.entities) or any(
        missing(c) or missing(c.source) or missing(c.cue) or any(missing(v) for v in c.via) for c in pred.claims)


def prediction_schema() -> pa.Schema:
    """What the columnar path reads of a prediction line (other fields are ignored, as the model does)."""
    import pyarrow as pa

    mention = pa.struct([("label", pa.string()), ("start", pa.int64()), ("end", pa.int64()), ("text", pa.string())])
    return pa.schema([("id", pa.string()), ("entities", pa.list_(mention)), ("claims", pa.list_(pa.struct([])))])
