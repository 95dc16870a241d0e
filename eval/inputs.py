"""Scoring inputs: gold documents and predictions, checked against each other, as light columns.

The scorer reads JSON lines straight into columns of mentions (document, start, end, label)
and keeps model objects only for what is rare (claims, predictions that need alignment), so
that a corpus of 100,000 documents scores in seconds. A line in the usual shape is checked
with whole-list operations (types, offsets, labels); a line in any other shape goes through
the model's own parser (``Annotated.from_dict`` / ``Prediction.from_dict``), whose errors
name the field.

Bad input (an error naming the file and line): invalid JSON, a prediction for an article
that is not in the gold, two different lines for one article, offsets outside the text,
inverted or empty, an unknown label (without a mapping that covers it), an unknown attribute
value. Well defined, so only a warning (see :mod:`eval.scoring`): an empty predictions file
(everything is missed), a gold article without a prediction line (predicted empty), an
identical repeated line or mention (counted once), a predicted span whose text differs from
the article at its offsets (the offsets count), mentions dropped by a label mapping, spans
that could not be aligned (spurious).
"""

from __future__ import annotations

import gc
import hashlib
import itertools
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from annotation.dataset import fingerprint as gold_fingerprint
from annotation.dataset import gold_files, gold_record
from annotation.errors import KhabarError
from annotation.jsonl import dumps, iter_json_lines
from annotation.model import Annotated, Article, Claim, FormatError, Mention, Prediction, Span
from annotation.scheme import Scheme
from eval.alignment import AlignConfig, AlignReport, align_prediction
from eval.entities import Columns
from eval.labelmap import IDENTITY, LabelMap

GOLD_KEYS = tuple(gold_record(Annotated(Article(id="", text=""))))
MENTION_KEYS = tuple(Mention(label="").to_dict())
MAX_EXAMPLES = 5  # ids / places quoted in a warning
_NONE = type(None)
_GOLD_MENTION_TYPE_ROWS = set(itertools.product(  # the value types of a canonical gold mention, in key order
    (str, int, _NONE), (int,), (int,), (str, _NONE), (str,), (str, int, _NONE)))


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building millions of small objects (no cycles here)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def span_problem(start: int, end: int, length: int) -> str | None:
    """What is wrong with offsets ``[start, end)`` in a text of ``length`` characters, or None."""
    if start < 0 or end > length:
        return f"offsets [{start}, {end}) are outside the text (length {length})"
    if start >= end:
        return f"offsets [{start}, {end}) are inverted or empty"
    return None


def _first_bad_span(starts: list[int], ends: list[int], n: int) -> int | None:
    if all(0 <= s < e <= n for s, e in zip(starts, ends)):
        return None
    return next(k for k, (s, e) in enumerate(zip(starts, ends)) if not 0 <= s < e <= n)


def _bad_label(label: Any) -> bool:
    return not isinstance(label, str) or not label or "." in label


# ---------------------------------------------------------------------------- gold

@dataclass
class Gold:
    """The gold documents as columns: one entry per article, mentions as flat columns."""

    ids: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    where: list[str] = field(default_factory=list)
    claims: list[tuple[Claim, ...]] = field(default_factory=list)
    clusters: list[dict[str, list[Span]]] = field(default_factory=list)
    ent_doc: list[int] = field(default_factory=list)
    ent_start: list[int] = field(default_factory=list)
    ent_end: list[int] = field(default_factory=list)
    ent_label: list[str] = field(default_factory=list)
    fingerprint: str = ""
    index: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)

    def labels(self) -> list[str]:
        return sorted(set(self.ent_label))

    def columns(self, labels: Sequence[str]) -> Columns:
        code = {label: i for i, label in enumerate(labels)}
        return Columns(np.asarray(self.ent_doc, dtype=np.int64), np.asarray(self.ent_start, dtype=np.int64),
                       np.asarray(self.ent_end, dtype=np.int64),
                       np.asarray([code[label] for label in self.ent_label], dtype=np.int64))

    def add(self, doc_id: str, text: str, where: str, claims: tuple[Claim, ...],
            starts: list[Any], ends: list[Any], labels: list[Any], clusters: list[Any]) -> None:
        """One article: its mentions as parallel lists (offsets, labels, cluster ids)."""
        if doc_id in self.index:
            raise KhabarError(f"{where}duplicate gold article id {doc_id!r} (also at {self.where[self.index[doc_id]]})")
        n = len(text)
        if None in starts or None in ends:
            k = next(k for k, (s, e) in enumerate(zip(starts, ends)) if s is None or e is None)
            raise KhabarError(f"{where}entities[{k}]: a gold mention needs offsets")
        k = _first_bad_span(starts, ends, n)
        if k is not None:
            raise KhabarError(f"{where}entities[{k}]: {span_problem(starts[k], ends[k], n)}")
        for label in set(labels):
            if _bad_label(label):
                raise KhabarError(f"{where}entities[{labels.index(label)}]: label {label!r} cannot be scored "
                                  "(empty, or contains '.')")
        for k, claim in enumerate(claims):
            for name, span in (("", claim.span), (" source", claim.source), (" cue", claim.cue)):
                if span is None:
                    continue
                if span.start is None or span.end is None:
                    raise KhabarError(f"{where}claims[{k}]{name}: a gold span needs offsets")
                problem = span_problem(span.start, span.end, n)
                if problem:
                    raise KhabarError(f"{where}claims[{k}]{name}: {problem}")
        i = len(self.ids)
        self.index[doc_id] = i
        self.ids.append(doc_id)
        self.texts.append(text)
        self.where.append(where.rstrip(": "))
        self.claims.append(claims)
        groups: dict[str, list[Span]] = {}
        if claims:
            for s, e, entity in zip(starts, ends, clusters):
                if entity is not None:
                    groups.setdefault(str(entity), []).append(Span(s, e))
        self.clusters.append(groups)
        self.ent_doc.extend([i] * len(starts))
        self.ent_start.extend(starts)
        self.ent_end.extend(ends)
        self.ent_label.extend(labels)

    def add_document(self, doc: Annotated, where: str) -> None:
        ms = doc.entities
        self.add(doc.id, doc.text, where, doc.claims, [m.start for m in ms], [m.end for m in ms],
                 [m.label for m in ms], [m.entity for m in ms])


def gold_from_documents(docs: Sequence[Annotated]) -> Gold:
    """Gold columns from model objects (the library path)."""
    gold = Gold()
    with gc_paused():
        for i, doc in enumerate(docs):
            gold.add_document(doc, f"gold document {i + 1} ({doc.id}): ")
    gold.fingerprint = gold_fingerprint(docs)
    return gold


def _canonical_claims(obj: Any) -> tuple[Claim, ...] | None:
    """The claims of a gold line in khabar's canonical form -- exactly what
    ``dumps(gold_record(Annotated.from_dict(obj)))`` writes, so the line is its own
    fingerprint input -- or None (then the model parses it)."""
    if type(obj) is not dict or tuple(obj) != GOLD_KEYS:
        return None
    if type(obj["id"]) is not str or type(obj["text"]) is not str or type(obj["annotation"]) is not dict:
        return None
    if not obj["lang"] or type(obj["lang"]) is not str or type(obj["claims"]) is not list:
        return None
    for key in ("title", "source", "url", "published"):
        if obj[key] is not None and type(obj[key]) is not str:
            return None
    mentions = obj["entities"]
    if type(mentions) is not list:
        return None
    if mentions:
        if set(map(type, mentions)) != {dict} or {tuple(e) for e in mentions} != {MENTION_KEYS} \
                or not {tuple(map(type, e.values())) for e in mentions} <= _GOLD_MENTION_TYPE_ROWS:
            return None
    claims = []
    for c in obj["claims"]:
        try:
            claim = Claim.from_dict(c)
        except FormatError:
            return None
        if dumps(claim.to_dict()) != dumps(c):
            return None
        claims.append(claim)
    return tuple(claims)


def _gold_line(gold: Gold, obj: Any, where: str) -> str:
    """Add one gold line; return its canonical JSON (the fingerprint's input)."""
    claims = _canonical_claims(obj)
    if claims is None:
        try:
            doc = Annotated.from_dict(obj, where)
        except FormatError as exc:
            raise KhabarError(str(exc)) from None
        gold.add_document(doc, where)
        return dumps(gold_record(doc))
    ms = obj["entities"]
    gold.add(obj["id"], obj["text"], where, claims, [e["start"] for e in ms], [e["end"] for e in ms],
             [e["label"] for e in ms], [e["entity"] for e in ms] if claims else [])
    return dumps(obj)


def read_gold(path: str | Path, split: str | None = None) -> Gold:
    """Read a gold split file or gold folder (all splits, or ``split``) into columns.

    The fingerprint equals :func:`annotation.dataset.fingerprint` of the same documents:
    hashed as the lines come when they come in id order, else over the sorted lines."""
    gold = Gold()
    digest = hashlib.sha256()
    kept: list[tuple[str, bytes]] | None = None
    last = ""
    with gc_paused():
        for file in gold_files(Path(path), split):
            for lineno, obj in iter_json_lines(file):
                line = _gold_line(gold, obj, f"{file}:{lineno}: ").encode("utf-8")
                doc_id = gold.ids[-1]
                if kept is None and doc_id < last:
                    kept = []  # out of order: re-read the earlier lines, then sort
                    for f in gold_files(Path(path), split):
                        for n, o in iter_json_lines(f):
                            if len(kept) == len(gold.ids) - 1:
                                break
                            kept.append((str(o["id"]), _canonical_line(o)))
                if kept is not None:
                    kept.append((doc_id, line))
                else:
                    digest.update(line)
                    digest.update(b"\n")
                    last = doc_id
    if kept is not None:
        digest = hashlib.sha256()
        for _, line in sorted(kept, key=lambda x: x[0]):
            digest.update(line)
            digest.update(b"\n")
    gold.fingerprint = digest.hexdigest()[:8]
    return gold


def _canonical_line(obj: Any) -> bytes:
    return _gold_line(Gold(), obj, "").encode("utf-8")


# ---------------------------------------------------------------------------- predictions

@dataclass
class Predictions:
    """Predictions paired with the gold: mentions as columns (doc = gold index; offsets -1 when
    unaligned), claims per gold document, and what happened on the way."""

    labels: list[str]
    ent_doc: list[int] = field(default_factory=list)
    ent_start: list[int] = field(default_factory=list)
    ent_end: list[int] = field(default_factory=list)
    ent_label: list[int] = field(default_factory=list)  # index into ``labels``
    claims: dict[int, tuple[Claim, ...]] = field(default_factory=dict)
    where: dict[int, str] = field(default_factory=dict)  # gold index -> its prediction line
    lines: int = 0
    duplicate_lines: list[str] = field(default_factory=list)
    dropped: Counter = field(default_factory=Counter)
    text_mismatch: list[str] = field(default_factory=list)
    alignment: AlignReport = field(default_factory=AlignReport)
    duplicate_mentions: int = 0
    duplicate_example: str = ""

    def columns(self) -> Columns:
        return Columns(np.asarray(self.ent_doc, dtype=np.int64), np.asarray(self.ent_start, dtype=np.int64),
                       np.asarray(self.ent_end, dtype=np.int64), np.asarray(self.ent_label, dtype=np.int64))


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
        self._first: dict[int, Callable[[], Any]] = {}
        self._values = {a.name: set(a.value_names) for a in scheme.attributes if not a.is_boolean}

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
                                  "— give --label-map (wojood, anercorp, conll or a JSON file) to map or drop it") from None
            raise KhabarError(f"{where}label {label!r} is neither a scheme label nor covered by the label mapping "
                              f"{self.label_map.name!r} — add it to a mapping file (null drops it)") from None
        code = -1 if target is None else self._code[target]
        self._label_cache[label] = code
        return code

    def _doc(self, doc_id: Any, where: str, content: Any, first: Callable[[], Any]) -> int | None:
        """The gold index of a line's article; None for an identical repeated line (skipped).

        ``content`` is this line's parsed content, ``first`` gives the first line's again."""
        i = self.gold.index.get(str(doc_id))
        if i is None:
            raise KhabarError(f"{where}article id {str(doc_id)!r} is not in the gold set "
                              f"({len(self.gold)} articles) — predictions must be for gold articles (right split?)")
        if i in self.out.where:
            earlier = self.out.where[i]
            if self._first[i]() == content:
                self.out.duplicate_lines.append(f"{where.rstrip(': ')} repeats {earlier}")
                return None
            raise KhabarError(f"{where}a second, different prediction line for article {str(doc_id)!r} "
                              f"(first at {earlier}) — give one line per article")
        self.out.where[i] = where.rstrip(": ")
        self._first[i] = first
        self.out.lines += 1
        return i

    def add_prediction(self, pred: Prediction, where: str) -> None:
        """A model ``Prediction`` (the library path)."""
        i = self._doc(pred.id, where, pred, lambda: pred)
        if i is not None:
            self._add_prediction(i, pred, where)

    def read_file(self, path: str | Path) -> None:
        """Read a predictions JSON lines file."""
        path = Path(path)

        def line_of(n: int) -> Callable[[], Any]:
            return lambda: next(obj for lineno, obj in iter_json_lines(path) if lineno == n)

        with gc_paused():
            for lineno, obj in iter_json_lines(path):
                where = f"{path}:{lineno}: "
                if type(obj) is not dict:
                    raise KhabarError(f"{where}a prediction line must be a JSON object, not {type(obj).__name__}")
                mentions = obj.get("entities") or []
                if type(obj.get("id")) is str and not obj.get("claims") and type(mentions) is list:
                    i = self._doc(obj["id"], where, obj, line_of(lineno))
                    if i is None or self._fast(i, mentions, where):
                        continue
                    self._add_prediction(i, self._parse(obj, where), where)
                else:
                    pred = self._parse(obj, where)
                    i = self._doc(pred.id, where, obj, line_of(lineno))
                    if i is not None:
                        self._add_prediction(i, pred, where)

    @staticmethod
    def _parse(obj: Any, where: str) -> Prediction:
        try:
            return Prediction.from_dict(obj, where)
        except FormatError as exc:
            raise KhabarError(str(exc)) from None

    def _fast(self, i: int, mentions: list[Any], where: str) -> bool:
        """Take a line whose mentions all have integer offsets and a label; False (nothing taken) otherwise."""
        if not mentions:
            return True
        if set(map(type, mentions)) != {dict}:
            return False
        starts = [e.get("start") for e in mentions]
        ends = [e.get("end") for e in mentions]
        labels = [e.get("label") for e in mentions]
        if set(map(type, starts)) != {int} or set(map(type, ends)) != {int} or set(map(type, labels)) != {str}:
            return False
        text = self.gold.texts[i]
        n = len(text)
        k = _first_bad_span(starts, ends, n)
        if k is not None:
            raise KhabarError(f"{where}entities[{k}]: {span_problem(starts[k], ends[k], n)}")
        cache = self._label_cache
        codes = [cache.get(label) for label in labels]
        if None in codes:
            codes = [self._label(label, f"{where}entities[{k}]: ") for k, label in enumerate(labels)]
        out = self.out
        for k, e in enumerate(mentions):
            t = e.get("text")
            if t is not None and codes[k] >= 0 and t != text[starts[k]:ends[k]]:
                out.text_mismatch.append(f"{where}entities[{k}]")
        if -1 in codes:
            keep = [k for k, c in enumerate(codes) if c >= 0]
            out.dropped.update(labels[k] for k, c in enumerate(codes) if c < 0)
            starts, ends, codes = [starts[k] for k in keep], [ends[k] for k in keep], [codes[k] for k in keep]
        out.ent_doc.extend([i] * len(starts))
        out.ent_start.extend(starts)
        out.ent_end.extend(ends)
        out.ent_label.extend(codes)
        return True

    def _add_prediction(self, i: int, pred: Prediction, where: str) -> None:
        text = self.gold.texts[i]
        n = len(text)
        out = self.out
        for k, m in enumerate(pred.entities):
            self._label(m.label, f"{where}entities[{k}]: ")  # unknown labels fail before alignment
            if m.start is not None and m.end is not None:
                problem = span_problem(m.start, m.end, n)
                if problem:
                    raise KhabarError(f"{where}entities[{k}]: {problem}")
        for k, c in enumerate(pred.claims):
            self._check_claim(c, n, f"{where}claims[{k}]")
        aligned = align_prediction(pred, text, self.align, out.alignment) if _needs_alignment(pred) else pred
        for k, (m, given) in enumerate(zip(aligned.entities, pred.entities)):
            code = self._label(m.label, f"{where}entities[{k}]: ")
            if code < 0:
                out.dropped[m.label] += 1
                continue
            if m.start is not None and m.end is not None:
                if given.start is not None and given.text is not None and given.text != text[m.start:m.end]:
                    out.text_mismatch.append(f"{where}entities[{k}]")
                out.ent_start.append(m.start)
                out.ent_end.append(m.end)
            else:
                out.ent_start.append(-1)
                out.ent_end.append(-1)
            out.ent_doc.append(i)
            out.ent_label.append(code)
        if aligned.claims:
            out.claims[i] = aligned.claims

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

    def finish(self) -> Predictions:
        """Remove identical repeated mentions (counted once, reported)."""
        out = self.out
        if not out.ent_doc:
            return out
        doc, start, end, label = (np.asarray(x, dtype=np.int64) for x in
                                  (out.ent_doc, out.ent_start, out.ent_end, out.ent_label))
        width = int(max(end.max(), 0)) + 2
        if (int(doc.max()) + 1) * width * width * max(len(out.labels), 1) < 2 ** 62:
            key = ((doc * width + (start + 1)) * width + (end + 1)) * len(out.labels) + label
            order = np.argsort(key, kind="stable")
            k = key[order]
            same_key = k[1:] == k[:-1]
        else:
            order = np.lexsort((label, end, start, doc))
            d, s, e, lab = doc[order], start[order], end[order], label[order]
            same_key = (d[1:] == d[:-1]) & (s[1:] == s[:-1]) & (e[1:] == e[:-1]) & (lab[1:] == lab[:-1])
        same = np.zeros(len(doc), dtype=bool)
        same[1:] = same_key & (start[order][1:] >= 0)
        if same.any():
            drop = order[same]
            keep = np.ones(len(doc), dtype=bool)
            keep[drop] = False
            out.duplicate_mentions = int(same.sum())
            first = int(drop.min())
            out.duplicate_example = (f"{out.where[int(doc[first])]}: {out.labels[int(label[first])]} "
                                     f"[{int(start[first])}, {int(end[first])})")
            out.ent_doc, out.ent_start, out.ent_end, out.ent_label = (x[keep].tolist() for x in (doc, start, end, label))
        return out


def _needs_alignment(pred: Prediction) -> bool:
    def missing(span: Span | Mention | Claim | None) -> bool:
        return span is not None and (span.start is None or span.end is None)

    return any(missing(m) for m in pred.entities) or any(
        missing(c) or missing(c.source) or missing(c.cue) or any(missing(v) for v in c.via) for c in pred.claims)
