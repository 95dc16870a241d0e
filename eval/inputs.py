"""Scoring inputs: gold documents and predictions, checked against each other, as light columns.

The scorer reads JSON lines straight into compact columns of mentions (document, start, end,
label) and keeps model objects only for what is rare (claims, predictions that need
alignment), so that 100,000 documents score in seconds. Lines are read in chunks: the
mentions of the lines in the usual shape are checked together with whole-list operations
(types, offsets, labels); a line in any other shape goes through the model's own parser
(``Annotated.from_dict`` / ``Prediction.from_dict``), whose errors name the field.

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
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import itemgetter
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
# annotation.jsonl.dumps's encoding, without the reference-cycle check (JSON-parsed objects have no
# cycles): the same text, twice as fast for the gold fingerprint
_ENCODER = json.encoder.c_make_encoder(  # type: ignore[attr-defined]
    None, json.JSONEncoder().default, json.encoder.encode_basestring, None, ": ", ", ", False, False, True
) if json.encoder.c_make_encoder is not None else None  # type: ignore[attr-defined]


def _CANONICAL_JSON(obj: Any) -> str:  # noqa: N802
    return "".join(_ENCODER(obj, 0)) if _ENCODER is not None else json.dumps(obj, ensure_ascii=False)
CHUNK = 4096  # lines whose mentions are checked together
_START, _END, _LABEL = itemgetter("start"), itemgetter("end"), itemgetter("label")


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


def _bad_label(label: Any) -> bool:
    return not isinstance(label, str) or not label or "." in label


class _Chunk:
    """Lines on the fast path whose mentions are checked together: (document, line number, mentions)."""

    def __init__(self) -> None:
        self.docs: list[int] = []
        self.lines: list[int] = []
        self.mentions: list[list[Any]] = []
        self.objects: list[Any] = []  # gold: the parsed lines (for their canonical text)

    def __len__(self) -> int:
        return len(self.docs)

    def add(self, doc: int, line: int, obj: Any, mentions: list[Any] | None = None) -> None:
        """A line: its article, number, parsed object (gold) and mentions (by default the object's entities)."""
        self.docs.append(doc)
        self.lines.append(line)
        self.mentions.append(obj["entities"] if mentions is None else mentions)
        if mentions is None:
            self.objects.append(obj)

    def flat(self) -> tuple[list[Any], np.ndarray]:
        """Every mention of the chunk, and the position in the chunk of each one's line."""
        sizes = np.fromiter(map(len, self.mentions), dtype=np.int64, count=len(self.mentions))
        return list(itertools.chain.from_iterable(self.mentions)), np.repeat(np.arange(len(sizes)), sizes)

    def first_bad(self, bad: np.ndarray, owner: np.ndarray) -> tuple[int, int, int]:
        """(flat index, line number, index within its line) of the first flagged mention."""
        k = int(np.flatnonzero(bad)[0])
        p = int(owner[k])
        before = int(np.count_nonzero(owner[:k] == p))
        return k, self.lines[p], before


class _Column:
    """Mentions as typed arrays, gathered in pieces (no Python object per number once taken)."""

    def __init__(self) -> None:
        self._pieces: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self._size = 0

    def extend(self, doc: Sequence[int], start: Sequence[int], end: Sequence[int], label: Sequence[int]) -> None:
        piece = tuple(np.asarray(x, dtype=np.int64) for x in (doc, start, end, label))
        if len(piece[0]):
            self._pieces.append(piece)  # type: ignore[arg-type]
            self._size += len(piece[0])

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        if len(self._pieces) != 1:
            joined = tuple(np.concatenate([p[k] for p in self._pieces]) if self._pieces else np.zeros(0, np.int64)
                           for k in range(4))
            self._pieces = [joined] if self._pieces else []  # type: ignore[list-item]
            if not self._pieces:
                return joined  # type: ignore[return-value]
        return self._pieces[0]

    def __len__(self) -> int:
        return self._size


# ---------------------------------------------------------------------------- gold

@dataclass
class Gold:
    """The gold documents as columns: one entry per article, mentions as flat columns."""

    ids: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    where: list[str] = field(default_factory=list)
    claims: list[tuple[Claim, ...]] = field(default_factory=list)
    clusters: list[dict[str, list[Span]]] = field(default_factory=list)
    mentions: _Column = field(default_factory=_Column)  # label: index into label_names
    label_names: list[str] = field(default_factory=list)
    fingerprint: str = ""
    index: dict[str, int] = field(default_factory=dict)
    _code: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)

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
        n = len(text)
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
        self.clusters.append({})
        return i

    def add_mentions(self, i: int, mentions: Sequence[tuple[Any, Any, Any, Any]], where: str) -> None:
        """The mentions of article ``i``, one by one: (start, end, label, cluster)."""
        n = len(self.texts[i])
        rows = []
        for k, (s, e, label, entity) in enumerate(mentions):
            if s is None or e is None:
                raise KhabarError(f"{where}entities[{k}]: a gold mention needs offsets")
            problem = span_problem(s, e, n)
            if problem:
                raise KhabarError(f"{where}entities[{k}]: {problem}")
            if _bad_label(label):
                raise KhabarError(f"{where}entities[{k}]: label {label!r} cannot be scored (empty, or contains '.')")
            rows.append((s, e, self.code(label)))
            if self.claims[i] and entity is not None:
                self.clusters[i].setdefault(str(entity), []).append(Span(s, e))
        self.mentions.extend([i] * len(rows), [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])

    def add_document(self, doc: Annotated, where: str) -> None:
        i = self.article(doc.id, doc.text, where, doc.claims)
        self.add_mentions(i, [(m.start, m.end, m.label, m.entity) for m in doc.entities], where)

    def take_chunk(self, chunk: _Chunk, file: Path) -> list[bool]:
        """Add the mentions of a chunk of canonical-looking lines; per line: were its mentions canonical?
        Lines whose mentions are not are left to the caller (the model's parser)."""
        flat, owner = chunk.flat()
        if not flat:
            return [True] * len(chunk)
        # canonical: a dict with the model's keys in order, integer offsets, a string label (the other
        # values are not type-checked here: that is validation's job, and they do not change the text)
        if set(map(type, flat)) == {dict} and set(map(tuple, flat)) == {MENTION_KEYS}:
            ok = [True] * len(chunk)
        else:
            ok = [all(type(e) is dict and tuple(e) == MENTION_KEYS for e in mentions) for mentions in chunk.mentions]
            keep = np.asarray(ok, dtype=bool)[owner]
            flat = [e for e, k in zip(flat, keep.tolist()) if k]
            owner = owner[keep]
        if not flat:
            return ok
        start_list, end_list, labels = list(map(_START, flat)), list(map(_END, flat)), list(map(_LABEL, flat))
        if set(map(type, start_list)) != {int} or set(map(type, end_list)) != {int} or set(map(type, labels)) != {str}:
            wrong = [type(a) is not int or type(b) is not int or type(c) is not str
                     for a, b, c in zip(start_list, end_list, labels)]
            k, line, position = chunk.first_bad(np.asarray(wrong), owner)
            where = f"{file}:{line}: entities[{position}]: "
            try:
                Mention.from_dict(flat[k], where)
            except FormatError as exc:
                raise KhabarError(str(exc)) from None
            raise KhabarError(f"{where}a gold mention needs offsets")
        starts = np.asarray(start_list, dtype=np.int64)
        ends = np.asarray(end_list, dtype=np.int64)
        docs = np.asarray(chunk.docs, dtype=np.int64)[owner]
        lengths = np.asarray([len(self.texts[i]) for i in chunk.docs], dtype=np.int64)[owner]
        bad = (starts < 0) | (ends > lengths) | (starts >= ends)
        if bad.any():
            k, line, position = chunk.first_bad(bad, owner)
            raise KhabarError(f"{file}:{line}: entities[{position}]: "
                              f"{span_problem(int(starts[k]), int(ends[k]), int(lengths[k]))}")
        for label in set(labels):
            if _bad_label(label):
                k, line, position = chunk.first_bad(np.asarray([x == label for x in labels]), owner)
                raise KhabarError(f"{file}:{line}: entities[{position}]: label {label!r} cannot be scored "
                                  "(empty, or contains '.')")
        code = {label: self.code(label) for label in set(labels)}
        self.mentions.extend(docs, starts, ends, [code[label] for label in labels])
        for p, i in enumerate(chunk.docs):
            if ok[p] and self.claims[i]:
                for e in chunk.mentions[p]:
                    if e["entity"] is not None:
                        self.clusters[i].setdefault(str(e["entity"]), []).append(Span(e["start"], e["end"]))
        return ok


def gold_from_documents(docs: Sequence[Annotated]) -> Gold:
    """Gold columns from model objects (the library path)."""
    gold = Gold()
    with gc_paused():
        for i, doc in enumerate(docs):
            gold.add_document(doc, f"gold document {i + 1} ({doc.id}): ")
    gold.fingerprint = gold_fingerprint(docs)
    return gold


def _canonical_article(obj: Any) -> tuple[Claim, ...] | None:
    """The claims of a gold line whose article part and claims are in khabar's canonical form
    (what ``gold_record(Annotated.from_dict(obj))`` gives back unchanged), else None. Its
    mentions are checked afterwards, a chunk of lines at a time."""
    if type(obj) is not dict or tuple(obj) != GOLD_KEYS:
        return None
    if type(obj["id"]) is not str or type(obj["text"]) is not str or type(obj["annotation"]) is not dict:
        return None
    if not obj["lang"] or type(obj["lang"]) is not str or type(obj["claims"]) is not list \
            or type(obj["entities"]) is not list:
        return None
    for key in ("title", "source", "url", "published"):
        if obj[key] is not None and type(obj[key]) is not str:
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


def _model_line(gold: Gold | None, obj: Any, where: str) -> str:
    """A gold line through the model's parser (added to ``gold`` if given); its canonical JSON."""
    try:
        doc = Annotated.from_dict(obj, where)
    except FormatError as exc:
        raise KhabarError(str(exc)) from None
    if gold is not None:
        gold.add_document(doc, where)
    return dumps(gold_record(doc))


class _Digest:
    """annotation.dataset.fingerprint, fed in file order: streamed while ids come in order, else
    (from the first id out of order) every canonical line is kept and the lines are sorted at the end."""

    def __init__(self, replay: Any) -> None:
        self.hash = hashlib.sha256()
        self.last = ""
        self.count = 0
        self.replay = replay  # replay(n): (id, canonical line) of the first n articles again
        self.kept: list[tuple[str, str]] | None = None

    def feed(self, ids: list[str], lines: list[str]) -> None:
        if not ids:
            return
        if self.kept is None and (ids[0] < self.last or any(a > b for a, b in zip(ids, ids[1:]))):
            self.kept = list(self.replay(self.count))
        if self.kept is not None:
            self.kept.extend(zip(ids, lines))
        else:
            self.hash.update(("\n".join(lines) + "\n").encode("utf-8"))
            self.last = ids[-1]
        self.count += len(ids)

    def hexdigest(self) -> str:
        if self.kept is not None:
            self.hash = hashlib.sha256()
            for _, line in sorted(self.kept, key=lambda x: x[0]):
                self.hash.update(line.encode("utf-8"))
                self.hash.update(b"\n")
        return self.hash.hexdigest()[:8]


def read_gold(path: str | Path, split: str | None = None) -> Gold:
    """Read a gold split file or gold folder (all splits, or ``split``) into columns.

    The fingerprint equals :func:`annotation.dataset.fingerprint` of the same documents."""
    files = gold_files(Path(path), split)
    gold = Gold()

    def replay(n: int) -> Iterator[tuple[str, str]]:
        lines = ((f, lineno, obj) for f in files for lineno, obj in iter_json_lines(f))
        for f, lineno, obj in itertools.islice(lines, n):
            yield str(obj["id"]), _model_line(None, obj, f"{f}:{lineno}: ")

    digest = _Digest(replay)
    with gc_paused():
        for file in files:
            chunk = _Chunk()  # canonical-looking lines, their mentions checked together
            for lineno, obj in iter_json_lines(file):
                claims = _canonical_article(obj)
                if claims is None:  # the model's parser; the lines before it go first (file order)
                    _flush_gold(gold, chunk, file, digest)
                    chunk = _Chunk()
                    where = f"{file}:{lineno}: "
                    line = _model_line(gold, obj, where)
                    digest.feed([gold.ids[-1]], [line])
                    continue
                i = gold.article(obj["id"], obj["text"], f"{file}:{lineno}: ", claims)
                chunk.add(i, lineno, obj)
                if len(chunk) >= CHUNK:
                    _flush_gold(gold, chunk, file, digest)
                    chunk = _Chunk()
            _flush_gold(gold, chunk, file, digest)
    gold.fingerprint = digest.hexdigest()
    return gold


def _flush_gold(gold: Gold, chunk: _Chunk, file: Path, digest: _Digest) -> None:
    """Take a chunk's mentions and feed its canonical lines to the digest, in order."""
    try:
        ok = gold.take_chunk(chunk, file)
        lines = []
        for p, obj in enumerate(chunk.objects):
            if ok[p]:
                lines.append(_CANONICAL_JSON(obj))
                continue
            # mentions not in the canonical form: the model checks them and gives the canonical line
            where = f"{file}:{chunk.lines[p]}: "
            mentions = [Mention.from_dict(m, f"{where}entities[{k}]: ") for k, m in enumerate(obj["entities"])]
            gold.add_mentions(chunk.docs[p], [(m.start, m.end, m.label, m.entity) for m in mentions], where)
            lines.append(_model_line(None, obj, where))
    except FormatError as exc:
        raise KhabarError(str(exc)) from None
    digest.feed([gold.ids[i] for i in chunk.docs], lines)


# ---------------------------------------------------------------------------- predictions

@dataclass
class Predictions:
    """Predictions paired with the gold: mentions as columns (doc = gold index; offsets -1 when
    unaligned; label = index into ``labels``), claims per gold document, and what happened on the way."""

    labels: list[str]
    mentions: _Column = field(default_factory=_Column)
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

    def add_prediction(self, pred: Prediction, where: str) -> None:
        """A model ``Prediction`` (the library path)."""
        i = self._doc(pred.id, where, pred, pred)
        if i is not None:
            self._add_prediction(i, pred, where)

    def read_file(self, path: str | Path) -> None:
        """Read a predictions JSON lines file."""
        path = self._path = Path(path)
        chunk = _Chunk()
        index, seen, out = self.gold.index, self.out.where, self.out
        with gc_paused():
            for lineno, obj in iter_json_lines(path):
                if type(obj) is dict and type(obj.get("id")) is str and self._hashes is None:  # the usual line
                    i = index.get(obj["id"])
                    mentions = obj.get("entities") or []
                    if i is not None and i not in seen and not obj.get("claims") and type(mentions) is list:
                        seen[i] = f"{path}:{lineno}"
                        self._origin[i] = lineno
                        out.lines += 1
                        chunk.add(i, lineno, None, mentions)
                        if len(chunk) >= CHUNK:
                            self._take_chunk(chunk, path)
                            chunk = _Chunk()
                        continue
                where = f"{path}:{lineno}: "
                if type(obj) is not dict:
                    raise KhabarError(f"{where}a prediction line must be a JSON object, not {type(obj).__name__}")
                mentions = obj.get("entities") or []
                if type(obj.get("id")) is str and not obj.get("claims") and type(mentions) is list:
                    i = self._doc(obj["id"], where, obj, lineno)
                    if i is not None:
                        chunk.add(i, lineno, None, mentions)
                else:
                    pred = self._parse(obj, where)
                    i = self._doc(pred.id, where, obj, lineno)
                    if i is not None:
                        self._add_prediction(i, pred, where)
                if len(chunk) >= CHUNK:
                    self._take_chunk(chunk, path)
                    chunk = _Chunk()
            self._take_chunk(chunk, path)

    @staticmethod
    def _parse(obj: Any, where: str) -> Prediction:
        try:
            return Prediction.from_dict(obj, where)
        except FormatError as exc:
            raise KhabarError(str(exc)) from None

    def _take_chunk(self, chunk: _Chunk, path: Path) -> None:
        """Take the mentions of a chunk of lines; a line whose mentions are not all in the usual
        shape (integer offsets and a label) goes through the model's parser and alignment."""
        flat, owner = chunk.flat()
        if not flat:
            return
        starts = ends = labels = None
        try:  # dict.get refuses anything that is not a dict
            starts = list(map(dict.get, flat, itertools.repeat("start")))
            ends = list(map(dict.get, flat, itertools.repeat("end")))
            labels = list(map(dict.get, flat, itertools.repeat("label")))
        except TypeError:
            starts = None
        else:
            if set(map(type, starts)) != {int} or set(map(type, ends)) != {int} or set(map(type, labels)) != {str}:
                starts = None
        if starts is None:  # not all in the usual shape: line by line
            for i, lineno, mentions in zip(chunk.docs, chunk.lines, chunk.mentions):
                one = _Chunk()
                one.add(i, lineno, None, mentions)
                usual = all(type(e) is dict and type(e.get("start")) is int and type(e.get("end")) is int
                            and type(e.get("label")) is str for e in mentions)
                if usual:
                    self._take_chunk(one, path)
                else:
                    where = f"{path}:{lineno}: "
                    self._add_prediction(i, self._parse({"id": self.gold.ids[i], "entities": mentions}, where), where)
            return
        assert ends is not None and labels is not None
        s, e = np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64)
        lengths = np.asarray([len(self.gold.texts[i]) for i in chunk.docs], dtype=np.int64)[owner]
        bad = (s < 0) | (e > lengths) | (s >= e)
        if bad.any():
            k, line, position = chunk.first_bad(bad, owner)
            raise KhabarError(f"{path}:{line}: entities[{position}]: "
                              f"{span_problem(int(s[k]), int(e[k]), int(lengths[k]))}")
        for label in set(labels):
            if label not in self._label_cache:
                k, line, position = chunk.first_bad(np.asarray([x == label for x in labels]), owner)
                self._label(label, f"{path}:{line}: entities[{position}]: ")
        codes = np.fromiter(map(self._label_cache.__getitem__, labels), dtype=np.int64, count=len(labels))
        texts = list(map(dict.get, flat, itertools.repeat("text")))
        out = self.out
        if texts.count(None) != len(texts):
            for k, t in enumerate(texts):
                if t is not None and codes[k] >= 0 and t != self.gold.texts[chunk.docs[owner[k]]][starts[k]:ends[k]]:
                    _, line, position = chunk.first_bad(np.arange(len(texts)) == k, owner)
                    out.text_mismatch.append(f"{path}:{line}: entities[{position}]")
        docs = np.asarray(chunk.docs, dtype=np.int64)[owner]
        if (codes < 0).any():
            out.dropped.update(labels[k] for k in np.flatnonzero(codes < 0).tolist())
            keep = codes >= 0
            docs, s, e, codes = docs[keep], s[keep], e[keep], codes[keep]
        out.mentions.extend(docs, s, e, codes)

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
        rows = []
        for k, (m, given) in enumerate(zip(aligned.entities, pred.entities)):
            code = self._label(m.label, f"{where}entities[{k}]: ")
            if code < 0:
                out.dropped[m.label] += 1
                continue
            if m.start is not None and m.end is not None:
                if given.start is not None and given.text is not None and given.text != text[m.start:m.end]:
                    out.text_mismatch.append(f"{where}entities[{k}]")
                rows.append((m.start, m.end, code))
            else:
                rows.append((-1, -1, code))
        out.mentions.extend([i] * len(rows), [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])
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
        if not len(out.mentions):
            return out
        doc, start, end, label = out.mentions.arrays()
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
            column = _Column()
            column.extend(doc[keep], start[keep], end[keep], label[keep])
            out.mentions = column
        return out


def _content_hash(obj: Any) -> bytes:
    """Equal for equal JSON values, whatever their key order."""
    return hashlib.blake2b(json.dumps(obj, ensure_ascii=False, sort_keys=True).encode("utf-8"), digest_size=16).digest()


def _needs_alignment(pred: Prediction) -> bool:
    def missing(span: Span | Mention | Claim | None) -> bool:
        return span is not None and (span.start is None or span.end is None)

    return any(missing(m) for m in pred.entities) or any(
        missing(c) or missing(c.source) or missing(c.cue) or any(missing(v) for v in c.via) for c in pred.claims)
