"""CoNLL-style token columns, read into gold documents and written from them.

Reading: one token a line, the token first and its tag last (``flat``: ANERcorp, CoNLL-2003), or the
token followed by any number of tags (``nested`` multi-tag lines, WojoodNER: «فلسطين I-ORG B-GPE»),
decoded one layer per type, as Wojood's own scorer does. Blank lines end sentences, ``-DOCSTART-``
lines end documents; a file that does not start with ``-DOCSTART-`` makes one document per sentence,
unless ``doc_sentences`` groups N sentences into a document. Tokens are joined by a space, sentences
by a newline, so every mention satisfies ``text[start:end] == span.text``; a document preceded by
``# id = …`` and ``# text = "…"`` (JSON) comment lines, as the writer puts them with
``text_comments``, keeps that id and that exact text instead.

Reading is streamed: one document in memory at a time. Every problem (a tag sequence the scheme
does not allow, a line with the wrong number of columns, a tag that is not a tag, an unknown label)
is listed with its file, line and token; with ``strict=False`` tag sequences are repaired and each
repair is listed in the report instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Any

from annotation.errors import KhabarError
from annotation.formats.report import MAX_LISTED, InputFailed, LabelMapper, Report, gold_document
from annotation.formats.tags import decode, encode, split_tag
from annotation.formats.tokens import nesting_layers, token_chunks, tokenize, type_layers
from annotation.io import open_input
from annotation.model import Annotated, Mention
from annotation.spans import Problem

DOCSTART = "-DOCSTART-"


@dataclass(frozen=True)
class ConllOptions:
    scheme: str = "iob2"
    nested: bool = False
    strict: bool = True
    doc_sentences: int | None = None  # documents of N sentences (also cut at -DOCSTART-)


@dataclass
class _Sentence:
    line: int  # line number of its first token
    tokens: list[str]
    chunks: list[tuple[int, int, str]]  # token ranges with scheme labels


class _Reader:
    def __init__(self, path: Path, options: ConllOptions, mapper: LabelMapper, report: Report,
                 annotation: dict[str, Any]) -> None:
        self.path, self.options, self.mapper, self.report = path, options, mapper, report
        self.annotation = annotation
        self.problems: list[Problem] = []
        self.columns = 0  # columns of a flat file, from its first token line
        self.count = 0
        self.meta: dict[str, str] = {}

    def problem(self, line: int, message: str) -> None:
        self.problems.append(Problem(f"{self.path}:{line}", message))

    def sentence(self, line: int, tokens: list[str], tags: list[tuple[int, str]]) -> _Sentence:
        """Decode a sentence's sparse tags (``(index, tag)``, O left out) into labelled chunks."""
        scheme, chunks = self.options.scheme, []
        layers: dict[str, list[tuple[int, str, str]]] = {}
        for i, tag in tags:
            parts = split_tag(tag, scheme)
            if parts is None:
                self.problem(line + i, f"token {tokens[i]!r}: {tag!r} is not a {scheme.upper()} tag")
                continue
            layer = layers.setdefault(parts[1] if self.options.nested else "", [])
            if layer and layer[-1][0] == i:
                self.problem(line + i, f"token {tokens[i]!r}: two {parts[1]} tags on one line "
                                       "(one layer per type cannot hold a mention nested in one of its own type)")
                continue
            layer.append((i, *parts))
        for layer in layers.values():
            found, issues = decode(layer, scheme)
            for issue in issues:
                where = f"{self.path}:{line + issue.index}"
                message = f"token {tokens[issue.index]!r}: {issue.message}"
                if self.options.strict:
                    self.problems.append(Problem(where, message + " (strict decoding; --repair keeps the reading)"))
                else:
                    self.report.repair(Problem(where, message))
            for first, end, typ in found:
                label = self.mapper(typ, lambda: f"{self.path}:{line + first} token {tokens[first]!r}")
                if label is not None:
                    chunks.append((first, end, label))
        return _Sentence(line, tokens, chunks)

    def document(self, sentences: list[_Sentence]) -> Annotated:
        self.count += 1
        ident = self.meta.get("id") or f"{self.path.stem}-{self.count:05d}"
        text = self.meta.get("text")
        if text is not None:
            offsets = self._locate(text, sentences)
        else:
            text = "\n".join(" ".join(s.tokens) for s in sentences)
            offsets = self._joined(sentences)
        mentions = [(starts[first], ends[end - 1], label)
                    for (starts, ends), sentence in zip(offsets, sentences, strict=True)
                    for first, end, label in sentence.chunks]
        self.problems += self.mapper.take_problems()
        self.meta = {}
        return gold_document(ident, text, mentions, self.annotation)

    @staticmethod
    def _joined(sentences: list[_Sentence]) -> list[tuple[list[int], list[int]]]:
        out, base = [], 0
        for s in sentences:
            if s.chunks:
                ends = list(accumulate((len(t) + 1 for t in s.tokens), initial=base - 1))[1:]
                starts = [e - len(t) for e, t in zip(ends, s.tokens)]
                out.append((starts, ends))
            else:
                out.append(([], []))
            base += sum(len(t) for t in s.tokens) + len(s.tokens)
        return out

    def _locate(self, text: str, sentences: list[_Sentence]) -> list[tuple[list[int], list[int]]]:
        """Token offsets in the document's text comment: tokens in order, only whitespace between them."""
        out, pos = [], 0
        for s in sentences:
            starts, ends = [], []
            for i, token in enumerate(s.tokens):
                while pos < len(text) and text[pos].isspace():
                    pos += 1
                if not text.startswith(token, pos):
                    self.problem(s.line + i, f"token {token!r} is not the text comment's next word "
                                             f"(at offset {pos}: {text[pos:pos + len(token)]!r})")
                    return [([0] * len(x.tokens), [0] * len(x.tokens)) for x in sentences]
                starts.append(pos)
                pos += len(token)
                ends.append(pos)
            out.append((starts, ends))
        return out

    def comment(self, line: str, lineno: int) -> None:
        key, _, value = line[2:].partition(" = ")
        if key == "text":
            try:
                self.meta["text"] = json.loads(value)
            except json.JSONDecodeError:
                self.problem(lineno, "the '# text = ' comment must hold a JSON string")
        elif key == "id":
            self.meta["id"] = value.strip()

    def read(self) -> Iterator[Annotated]:
        with open_input(self.path, "a CoNLL file") as handle:
            yield from self._lines(handle)
        if self.problems:
            raise InputFailed(self.problems)

    def _lines(self, handle: Iterable[str]) -> Iterator[Annotated]:
        per_doc = self.options.doc_sentences
        docstart: bool | None = None  # does the file mark documents with -DOCSTART-?
        nested, sentences = self.options.nested, []
        tokens: list[str] = []
        tags: list[tuple[int, str]] = []
        first = 0
        lineno = 0
        for lineno, line in enumerate(handle, start=1):
            parts = line.split()
            if parts and parts[0] != DOCSTART and not (parts[0] == "#" and len(parts) > 2 and parts[2] == "="):
                if not tokens:
                    first = lineno
                    if docstart is None:
                        docstart = False
                if nested:
                    if len(parts) < 2:
                        self.problem(lineno, f"line has {len(parts)} column: a token and at least one tag expected")
                        continue
                    tags += [(len(tokens), tag) for tag in parts[1:] if tag != "O"]
                else:
                    if len(parts) != self.columns:
                        if self.columns:
                            self.problem(lineno, f"line has {len(parts)} columns; the file's first token line has "
                                                 f"{self.columns}")
                            continue
                        if len(parts) < 2:
                            self.problem(lineno, "line has 1 column: a token and its tag expected")
                            continue
                        self.columns = len(parts)
                    if parts[-1] != "O":
                        tags.append((len(tokens), parts[-1]))
                tokens.append(parts[0])
                continue
            if tokens:
                sentences.append(self.sentence(first, tokens, tags))
                tokens, tags = [], []
            if parts and parts[0] == "#":
                self.comment(line.rstrip("\n"), lineno)
                continue
            starts_doc = bool(parts)  # a -DOCSTART- line
            if starts_doc and docstart is None:
                docstart = True
            if sentences and (starts_doc or (not docstart and per_doc is None)
                              or (per_doc is not None and len(sentences) >= per_doc)):
                yield self.document(sentences)
                sentences = []
            if len(self.problems) > 10 * MAX_LISTED:
                self.problem(lineno, "too many problems; the rest of the file was not read")
                return
        if tokens:
            sentences.append(self.sentence(first, tokens, tags))
        if sentences:
            yield self.document(sentences)
        if not lineno:
            self.problems.append(Problem(str(self.path), "empty file: no tokens"))


def read_conll(path: Path, options: ConllOptions, mapper: LabelMapper, report: Report,
               annotation: dict[str, Any]) -> Iterator[Annotated]:
    """Gold documents of a CoNLL file, one at a time; InputFailed at the end lists every problem."""
    return _Reader(path, options, mapper, report, annotation).read()


@dataclass(frozen=True)
class ConllWriteOptions:
    scheme: str = "iob2"
    nested: bool = False  # multi-tag lines (one IOB2 layer per type) instead of one tag
    layer: int = 0  # flat: the nesting layer written (0 = outermost)
    text_comments: bool = False  # '# id =' and '# text =' before each document
    cut_all: bool = False  # cut tokens at every mention's boundaries, not only the written ones (layer files)


def conll_lines(docs: Iterable[Annotated], options: ConllWriteOptions, report: Report) -> Iterator[str]:
    """The CoNLL text of ``docs``, one document at a time; what the format cannot hold is counted."""
    for doc in docs:
        mentions = _writable(doc, options, report)
        tokens = tokenize(doc.text, list(doc.entities) if options.cut_all else mentions)
        chunks, lost = token_chunks(tokens, mentions)
        for m in lost:
            report.cannot_hold("mention across a line break or whitespace at its edge", f"{doc.id} {m.id}")
        parts = [f"{DOCSTART} O\n"]
        if options.text_comments:
            parts.append(f"# id = {doc.id}\n# text = {json.dumps(doc.text, ensure_ascii=False)}\n")
        for s, sentence in enumerate(tokens.sentences):
            words = tokens.words(s)
            if options.nested:
                columns = _multi_tags(chunks[s], len(words))
            else:
                columns = [[t] for t in encode(sorted((f, e, m.label) for f, e, m in chunks[s]), len(words),
                                               options.scheme)]
            parts.append("\n" + "".join(f"{w} {' '.join(c)}\n" for w, c in zip(words, columns)))
        yield "".join(parts) + "\n"


def _writable(doc: Annotated, options: ConllWriteOptions, report: Report) -> list[Mention]:
    if doc.claims:
        report.cannot_hold("claims (token tags hold entity mentions only)", doc.id, len(doc.claims))
    for m in doc.entities:
        if m.entity is not None:
            report.unrepresentable["coreference clusters (mentions kept, cluster ids dropped)"] += 1
    if options.nested:
        kept, refused = type_layers(list(doc.entities))
        for m in refused:
            report.cannot_hold("mention overlapping another of its own type (one layer per type)",
                               f"{doc.id} {m.id} {m.text!r}")
        return kept
    layers = nesting_layers(list(doc.entities))
    for depth, layer in enumerate(layers):
        if depth != options.layer:
            for m in layer:
                report.cannot_hold(f"mention of nesting layer {depth} (layer {options.layer} written)",
                                   f"{doc.id} {m.id} {m.text!r}")
    return layers[options.layer] if options.layer < len(layers) else []


def _multi_tags(chunks: list[tuple[int, int, Mention]], length: int) -> list[list[str]]:
    """Per token, the IOB2 tag of every mention over it, outer (earlier, longer) mentions first."""
    columns: list[list[str]] = [[] for _ in range(length)]
    for first, end, m in sorted(chunks, key=lambda c: (c[0], -c[1], c[2].label)):
        columns[first].append(f"B-{m.label}")
        for i in range(first + 1, end):
            columns[i].append(f"I-{m.label}")
    return [c or ["O"] for c in columns]


def layer_count(docs: Iterable[Annotated]) -> int:
    """How many nesting layers the documents' mentions have (at least 1)."""
    return max([len(nesting_layers(list(d.entities))) for d in docs] + [1])


def check_scheme(name: str) -> str:
    from annotation.formats.tags import scheme_name

    try:
        return scheme_name(name)
    except ValueError as exc:
        raise KhabarError(str(exc)) from None
