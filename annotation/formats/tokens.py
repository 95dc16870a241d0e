"""Between character offsets and tokens: cutting a gold text into tokens, and nested mentions into layers.

Token formats (CoNLL, Hugging Face token classification) need every mention to start and end at a
token boundary. :func:`tokenize` cuts a text at whitespace, one sentence per line, and also wherever a
mention starts or ends inside a word («وروسيا» with the mention «روسيا» becomes «و» «روسيا»), so no
mention is lost to tokenization; the text comment of a CoNLL file (or the tokens' ``spaces``) records
which cuts had no space, so that reading the tokens back gives the same text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from annotation.model import Mention

_NON_SPACE = re.compile(r"\S+")


@dataclass(frozen=True)
class Tokens:
    """A text cut into sentences of tokens: ``(start, end)`` character offsets per token."""

    text: str
    sentences: list[list[tuple[int, int]]]

    def words(self, sentence: int) -> list[str]:
        return [self.text[s:e] for s, e in self.sentences[sentence]]


def tokenize(text: str, mentions: Sequence[Mention]) -> Tokens:
    """Sentences (lines of ``text``) of whitespace tokens, cut again at every mention boundary."""
    cuts = {m.start for m in mentions if m.start is not None} | {m.end for m in mentions if m.end is not None}
    sentences: list[list[tuple[int, int]]] = []
    line_start = 0
    for line in text.split("\n"):
        tokens: list[tuple[int, int]] = []
        for match in _NON_SPACE.finditer(line):
            start, end = line_start + match.start(), line_start + match.end()
            inner = sorted(c for c in cuts if start < c < end) if cuts else []
            for cut in inner:
                tokens.append((start, cut))
                start = cut
            tokens.append((start, end))
        if tokens:
            sentences.append(tokens)
        line_start += len(line) + 1
    return Tokens(text, sentences)


def token_chunks(tokens: Tokens, mentions: Sequence[Mention]) -> tuple[list[list[tuple[int, int, Mention]]],
                                                                       list[Mention]]:
    """Per sentence, ``(first, end, mention)`` token ranges; and the mentions no sentence holds whole
    (a mention across a line break, or one that starts or ends in whitespace)."""
    by_start: dict[int, tuple[int, int]] = {}
    by_end: dict[int, tuple[int, int]] = {}
    for s, sentence in enumerate(tokens.sentences):
        for t, (start, end) in enumerate(sentence):
            by_start[start] = (s, t)
            by_end[end] = (s, t)
    out: list[list[tuple[int, int, Mention]]] = [[] for _ in tokens.sentences]
    lost: list[Mention] = []
    for m in mentions:
        first = by_start.get(-1 if m.start is None else m.start)
        last = by_end.get(-1 if m.end is None else m.end)
        if first is None or last is None or first[0] != last[0]:
            lost.append(m)
        else:
            out[first[0]].append((first[1], last[1] + 1, m))
    return out, lost


def _order(m: Mention) -> tuple[int, int, str]:
    return (m.start or 0, -(m.end or 0), m.label)


def nesting_layers(mentions: Sequence[Mention]) -> list[list[Mention]]:
    """Mentions by depth: layer 0 holds those inside no other mention, layer 1 those inside one of layer 0…

    A mention that overlaps another without being inside it (a crossing) goes one layer deeper than the
    one it crosses, so that no layer holds two overlapping mentions."""
    layers: list[list[Mention]] = []
    for m in sorted(mentions, key=_order):
        depth = 0
        while depth < len(layers) and any(_overlap(m, other) for other in _tail(layers[depth], m)):
            depth += 1
        if depth == len(layers):
            layers.append([])
        layers[depth].append(m)
    return layers


def _tail(layer: list[Mention], m: Mention) -> list[Mention]:
    """The mentions of a layer that can still overlap ``m`` (the layer is sorted by start): its last."""
    return layer[-1:]  # a layer's mentions do not overlap, so their ends grow with their starts


def _overlap(a: Mention, b: Mention) -> bool:
    return (a.start or 0) < (b.end or 0) and (b.start or 0) < (a.end or 0)


def type_layers(mentions: Sequence[Mention]) -> tuple[list[Mention], list[Mention]]:
    """Mentions that a multi-tag (one IOB2 layer per type) file can hold, and those it cannot: a mention
    that overlaps an earlier one of its own type."""
    kept: list[Mention] = []
    refused: list[Mention] = []
    last_end: dict[str, int] = {}
    for m in sorted(mentions, key=_order):
        if last_end.get(m.label, -1) > (m.start or 0):
            refused.append(m)
            continue
        kept.append(m)
        last_end[m.label] = m.end or 0
    return kept, refused
