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
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate, compress, count
from pathlib import Path
from typing import IO, Any

from annotation.formats.report import MAX_LISTED, InputFailed, LabelMapper, Report, gold_document
from annotation.formats.tags import decode, split_tag
from annotation.io import open_input
from annotation.model import Annotated
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
        self.columns = -1  # columns of a flat file, from its first token line (never for a nested one)
        self.separator = " "  # between the columns of its first token line: a space or a tab
        self.docstart: bool | None = None  # does the file mark documents with -DOCSTART-?
        self._tags: dict[str, tuple[str, str] | None] = {}
        self._labels: dict[str, str | None] = {}
        self.count = 0
        self.meta: dict[str, str] = {}
        self.sentences: list[_Sentence] = []
        self.tokens: list[str] = []
        self.tags: list[tuple[int, str]] = []  # (token index, tag) of the tokens not tagged O
        self.last_line = 0

    def problem(self, line: int, message: str) -> None:
        self.problems.append(Problem(f"{self.path}:{line}", message))

    def sentence(self, line: int, tokens: list[str], tags: list[tuple[int, str]]) -> _Sentence:
        """Decode a sentence's sparse tags (``(index, tag)``, O left out) into labelled chunks."""
        scheme, chunks = self.options.scheme, []
        known = self._tags
        if not self.options.nested:  # one layer: the common case, kept short
            flat = [(i, *known[tag]) if tag in known else self._tag(tag, i, line, tokens) for i, tag in tags]
            layers = {"": [t for t in flat if t is not None]} if tags else {}
        else:
            layers = self._type_layers(line, tokens, tags)
        for layer in layers.values():
            found, issues = decode(layer, scheme)
            for issue in issues:
                where = f"{self.path}:{line + issue.index}"
                message = f"token {tokens[issue.index]!r}: {issue.message}"
                if self.options.strict:
                    self.problems.append(Problem(where, message + " (strict decoding; --repair keeps the reading)"))
                else:
                    self.report.repair(Problem(where, message))
            labels = self._labels
            for first, end, typ in found:
                if typ not in labels:
                    label = self._label(typ, line + first, tokens[first])
                elif (label := labels[typ]) is None:
                    self.report.dropped_labels[typ] += 1
                if label is not None:
                    chunks.append((first, end, label))
        return _Sentence(line, tokens, chunks)

    def _label(self, typ: str, line: int, token: str) -> str | None:
        """The scheme label of a type met for the first time through the label map (remembered unless unknown;
        a dropped type is counted by the map this first time, by the caller after)."""
        label = self.mapper(typ, lambda: f"{self.path}:{line} token {token!r}")
        if label is not None or not self.mapper.problems:
            self._labels[typ] = label
        return label

    def _tag(self, tag: str, i: int, line: int, tokens: list[str]) -> tuple[int, str, str] | None:
        """``(i, prefix, type)`` of a tag not seen before (remembered); None and a problem when it is no tag."""
        scheme = self.options.scheme
        parts = self._tags.setdefault(tag, split_tag(tag, scheme))
        if parts is None:
            del self._tags[tag]
            self.problem(line + i, f"token {tokens[i]!r}: {tag!r} is not a {scheme.upper()} tag")
            return None
        return (i, *parts)

    def _type_layers(self, line: int, tokens: list[str],
                     tags: list[tuple[int, str]]) -> dict[str, list[tuple[int, str, str]]]:
        """Nested multi-tag lines: one layer of sparse tags per type; two tags of one type on a line is a problem."""
        layers: dict[str, list[tuple[int, str, str]]] = {}
        for i, tag in tags:
            parts = self._tag(tag, i, line, tokens)
            if parts is None:
                continue
            layer = layers.setdefault(parts[2], [])
            if layer and layer[-1][0] == i:
                self.problem(line + i, f"token {tokens[i]!r}: two {parts[2]} tags on one line "
                                       "(one layer per type cannot hold a mention nested in one of its own type)")
                continue
            layer.append(parts)
        return layers

    def document(self, sentences: list[_Sentence]) -> Annotated:
        self.count += 1
        ident = self.meta.get("id") or f"{self.path.stem}-{self.count:05d}"
        text = self.meta.get("text")
        if text is not None:
            mentions = [(starts[first], ends[end - 1], label)
                        for (starts, ends), sentence in zip(self._locate(text, sentences), sentences, strict=True)
                        for first, end, label in sentence.chunks]
        else:
            text = "\n".join(" ".join(s.tokens) for s in sentences)
            mentions = self._joined(sentences)
        self.problems += self.mapper.take_problems()
        self.meta = {}
        return gold_document(ident, text, mentions, self.annotation)

    @staticmethod
    def _joined(sentences: list[_Sentence]) -> list[tuple[int, int, str]]:
        """Mention offsets in the joined text (tokens by a space, sentences by a newline); the sums of token
        lengths run in C (``map``, ``accumulate``), the rest only per mention."""
        out, base = [], 0
        for s in sentences:
            lengths = list(map(len, s.tokens))
            if s.chunks:
                ends = list(accumulate(lengths))  # ends[k] + k: end of token k in the sentence
                for first, end, label in s.chunks:
                    start = base + (ends[first - 1] + first if first else 0)
                    out.append((start, base + ends[end - 1] + end - 1, label))
            base += sum(lengths) + len(lengths)
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
            try:
                yield from self._read(handle)
            except UnicodeDecodeError:
                raise InputFailed([Problem(str(self.path), "not UTF-8 text")]) from None
        if self.problems:
            raise InputFailed(self.problems)

    def _read(self, handle: IO[str]) -> Iterator[Annotated]:
        lineno, read = 0, False
        for lineno, block, newlines, final in _blocks(handle):
            read = True
            sentence = self._fast(lineno, block, newlines)
            if sentence is not None:
                self.sentences.append(sentence)
            else:
                for i, line in enumerate(block.split("\n")):
                    done = self._line(lineno + i, line)
                    if done is not None:
                        yield done
            if not final:  # the blank line after the block
                done = self._boundary(lineno + newlines + 1, [], "")
                if done is not None:
                    yield done
            if len(self.problems) > 10 * MAX_LISTED:
                self.problem(lineno, "too many problems; the rest of the file was not read")
                return
        if self.tokens:
            self.sentences.append(self.sentence(self.last_line + 1 - len(self.tokens), self.tokens, self.tags))
        if self.sentences:
            yield self.document(self.sentences)
        if not read:
            self.problems.append(Problem(str(self.path), "empty file: no tokens"))

    def _fast(self, lineno: int, block: str, newlines: int) -> _Sentence | None:
        """A block of flat token lines of the file's width as one sentence, split in C; None when the block is
        anything else (the first, a nested file, -DOCSTART-, comments, a line of another width or spacing).
        The fields are joined back with the file's separator and compared with the block, so a block is taken
        here only when every line has exactly the file's columns."""
        width = self.columns
        if width < 2 or not block or block[0] == "#" or DOCSTART in block or "\n#" in block:
            return None
        parts = block.split()
        if len(parts) != width * (newlines + 1):
            return None
        fields = [parts[k::width] for k in range(width)]
        if "\n".join(map(self.separator.join, zip(*fields))) != block:
            return None
        tags = fields[-1]
        marked = list(compress(count(), map(_NOT_O, tags)))
        self.last_line = lineno + newlines
        return self.sentence(lineno, fields[0], [(i, tags[i]) for i in marked])

    def _line(self, lineno: int, line: str) -> Annotated | None:
        self.last_line = lineno
        parts = line.split()
        if parts and parts[0] != DOCSTART and not (parts[0] == "#" and len(parts) > 2 and parts[2] == "="):
            self._token_line(parts, lineno, line)
            return None
        return self._boundary(lineno, parts, line)

    def _boundary(self, lineno: int, parts: list[str], line: str) -> Annotated | None:
        """A blank, ``-DOCSTART-`` or comment line: the sentence ends; a document may end too."""
        if self.tokens:  # token lines are consecutive: the sentence began len(tokens) lines ago
            self.sentences.append(self.sentence(lineno - len(self.tokens), self.tokens, self.tags))
            self.tokens, self.tags = [], []
        if parts and parts[0] == "#":
            self.comment(line.rstrip("\r\n"), lineno)
            return None
        starts_doc = bool(parts)  # a -DOCSTART- line
        if starts_doc and self.docstart is None:
            self.docstart = True
        per_doc = self.options.doc_sentences
        if self.sentences and (starts_doc or (not self.docstart and per_doc is None)
                               or (per_doc is not None and len(self.sentences) >= per_doc)):
            sentences, self.sentences = self.sentences, []
            return self.document(sentences)
        return None

    def _token_line(self, parts: list[str], lineno: int, line: str) -> None:
        """A token line read line by line: the file's first, a nested one, or one with the wrong columns.
        The token is kept even on a bad line, so that later tokens keep their line numbers."""
        tokens, tags = self.tokens, self.tags
        if self.docstart is None:
            self.docstart = False
        if self.options.nested:
            if len(parts) < 2:
                self.problem(lineno, "line has 1 column: a token and at least one tag expected")
            tags += [(len(tokens), tag) for tag in parts[1:] if tag != "O"]
        elif len(parts) == self.columns or (self.columns == -1 and len(parts) >= 2):
            if self.columns == -1:
                self.columns, self.separator = len(parts), "\t" if "\t" in line else " "
            if parts[-1] != "O":
                tags.append((len(tokens), parts[-1]))
        elif len(parts) < 2:
            self.problem(lineno, "line has 1 column: a token and its tag expected")
        else:
            self.problem(lineno, f"line has {len(parts)} columns; the file's first token line has {self.columns}")
        tokens.append(parts[0])


_NOT_O = "O".__ne__
CHUNK = 1 << 20


def _blocks(handle: IO[str]) -> Iterator[tuple[int, str, int, bool]]:
    """(first line number, text, its newlines, is it the last) of the blocks between blank lines, read 1 MiB
    at a time."""
    lineno, rest = 1, ""
    while chunk := handle.read(CHUNK):
        text = rest + chunk
        cut = text.rfind("\n\n")
        if cut < 0:
            rest = text
            continue
        rest = text[cut + 2:]
        for block in text[:cut].split("\n\n"):
            newlines = block.count("\n")
            yield lineno, block, newlines, False
            lineno += newlines + 2
    if rest:
        yield lineno, rest, rest.count("\n"), True


def read_conll(path: Path, options: ConllOptions, mapper: LabelMapper, report: Report,
               annotation: dict[str, Any]) -> Iterator[Annotated]:
    """Gold documents of a CoNLL file, one at a time; InputFailed at the end lists every problem."""
    return _Reader(path, options, mapper, report, annotation).read()


