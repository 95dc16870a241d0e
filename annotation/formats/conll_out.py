"""CoNLL-style token columns written from gold documents: flat (one tag a line, in any tag scheme, one
nesting layer) or nested multi-tag lines (one IOB2 layer per type, Wojood's shape).

Each document starts with ``-DOCSTART- O``; its sentences are the lines of its text, cut into tokens at
whitespace and at the written mentions' boundaries. ``text_comments`` adds ``# id = …`` and ``# text = "…"``
(JSON) so that :mod:`annotation.formats.conll` reads back the same ids, text and offsets. What a file cannot
hold (claims, clusters, other layers, a mention nested in one of its own type) is counted in the report.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from annotation.formats.report import Report
from annotation.formats.tags import encode
from annotation.formats.tokens import nesting_layers, token_chunks, tokenize, type_layers
from annotation.model import Annotated, Mention

DOCSTART = "-DOCSTART-"


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
