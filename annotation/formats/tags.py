"""Token tag schemes: decoding tag sequences into chunks, and encoding chunks back into tags.

A chunk is ``(first, end, type)`` over token indices, end-exclusive. Schemes (as seqeval and
conlleval name them):

- ``iob1``: ``I-X`` inside a chunk; ``B-X`` only where a chunk follows another of the same type;
- ``iob2``: ``B-X`` begins every chunk, ``I-X`` continues it;
- ``ioe1``: ``I-X`` inside; ``E-X`` only where a chunk is followed by another of the same type;
- ``ioe2``: ``E-X`` ends every chunk;
- ``iobes``: ``S-X`` a one-token chunk, else ``B-X`` ``I-X``… ``E-X``; ``bilou`` is the same with U and L.

Decoding is strict: a sequence the scheme does not allow (``I-X`` after ``O`` in IOB2, a type change
inside a chunk, an IOBES chunk that is never closed) is an :class:`Issue`. The decoder also repairs it
the way conlleval reads such sequences (a stray inside tag begins a chunk; a type change ends one and
begins another), so the caller decides: refuse the file (strict), or keep the repair and list it.

Tags are given sparsely, as ``(index, tag)`` for the tokens whose tag is not ``O``, in index order:
a corpus is mostly ``O`` and the decoders never look at those tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

SCHEMES = ("iob1", "iob2", "ioe1", "ioe2", "iobes", "bilou")
ALIASES = {"iob": "iob2", "bio": "iob2", "ioe": "ioe2", "bioes": "iobes", "bioul": "bilou"}
_BILOU = {"U": "S", "L": "E"}

Chunk = tuple[int, int, str]


@dataclass(frozen=True)
class Issue:
    """A tag sequence the scheme does not allow, at token ``index``, and how it was read."""

    index: int
    message: str


def scheme_name(name: str) -> str:
    """The canonical name of a tag scheme (``iob`` -> ``iob2``); ValueError for an unknown one."""
    key = name.lower()
    key = ALIASES.get(key, key)
    if key not in SCHEMES:
        raise ValueError(f"unknown tag scheme {name!r} (known: {', '.join(SCHEMES)}, or {', '.join(ALIASES)})")
    return key


def split_tag(tag: str, scheme: str) -> tuple[str, str] | None:
    """``"B-PER"`` -> ``("B", "PER")``; None when the tag has no prefix the scheme knows."""
    if len(tag) < 3 or tag[1] != "-":
        return None
    prefix = tag[0]
    if scheme == "bilou":
        if prefix not in "BILU":
            return None
        prefix = _BILOU.get(prefix, prefix)
    elif prefix not in _PREFIXES[scheme]:
        return None
    return prefix, tag[2:]


_PREFIXES = {"iob1": "IB", "iob2": "IB", "ioe1": "IE", "ioe2": "IE", "iobes": "BIES", "bilou": "BIES"}


def decode(tags: Sequence[tuple[int, str, str]], scheme: str) -> tuple[list[Chunk], list[Issue]]:
    """Chunks of sparse ``(index, prefix, type)`` tags (prefixes as :func:`split_tag` gives them)."""
    if scheme in ("iob1", "iob2"):
        return _decode_iob(tags, scheme == "iob1")
    if scheme in ("ioe1", "ioe2"):
        return _decode_ioe(tags, scheme == "ioe1")
    return _decode_iobes(tags)


def _decode_iob(tags: Sequence[tuple[int, str, str]], iob1: bool) -> tuple[list[Chunk], list[Issue]]:
    chunks: list[Chunk] = []
    issues: list[Issue] = []
    first, last, kind = -2, -2, ""  # the open chunk: first and last token, type
    for i, prefix, typ in tags:
        follows = last == i - 1 and first >= 0
        if prefix == "I" and follows and typ == kind:
            last = i
            continue
        if first >= 0:
            chunks.append((first, last + 1, kind))
        if prefix == "I" and not iob1:
            issues.append(Issue(i, f"I-{typ} after {'O' if not follows else kind + ' (a type change inside a chunk)'}"
                                   "; read as the start of a chunk"))
        elif prefix == "B" and iob1 and not (follows and typ == kind):
            issues.append(Issue(i, f"B-{typ} does not follow a {typ} chunk (IOB1 begins chunks with I-); "
                                   "read as the start of a chunk"))
        first, last, kind = i, i, typ
    if first >= 0:
        chunks.append((first, last + 1, kind))
    return chunks, issues


def _decode_ioe(tags: Sequence[tuple[int, str, str]], ioe1: bool) -> tuple[list[Chunk], list[Issue]]:
    chunks: list[Chunk] = []
    issues: list[Issue] = []
    first, last, kind = -1, -2, ""
    for i, prefix, typ in tags:
        if first >= 0 and not (last == i - 1 and typ == kind):  # the open chunk stops here without its end tag
            chunks.append((first, last + 1, kind))
            if not ioe1:
                issues.append(Issue(last, f"{kind} chunk not closed by E-{kind}; read as ending here"))
            first = -1
        if first < 0:
            first, kind = i, typ
        last = i
        if prefix == "E":
            if ioe1 and not _next_is(tags, i, typ):
                issues.append(Issue(i, f"E-{typ} not followed by another {typ} chunk (IOE1 ends chunks with I-)"))
            chunks.append((first, i + 1, typ))
            first = -1
    if first >= 0:
        chunks.append((first, last + 1, kind))
        if not ioe1:
            issues.append(Issue(last, f"{kind} chunk not closed by E-{kind}; read as ending here"))
    return chunks, issues


def _next_is(tags: Sequence[tuple[int, str, str]], i: int, typ: str) -> bool:
    for j, _prefix, other in tags:
        if j == i + 1:
            return other == typ
        if j > i + 1:
            return False
    return False


def _decode_iobes(tags: Sequence[tuple[int, str, str]]) -> tuple[list[Chunk], list[Issue]]:
    chunks: list[Chunk] = []
    issues: list[Issue] = []
    first, last, kind = -1, -2, ""
    for i, prefix, typ in tags:
        if first >= 0 and (prefix in "BS" or last != i - 1 or typ != kind):
            chunks.append((first, last + 1, kind))
            issues.append(Issue(last, f"{kind} chunk not closed by E-{kind}; read as ending here"))
            first = -1
        if prefix == "S":
            chunks.append((i, i + 1, typ))
            continue
        if first < 0:
            if prefix != "B":
                issues.append(Issue(i, f"{prefix}-{typ} outside a chunk; read as the start of a chunk"))
            first, kind = i, typ
        last = i
        if prefix == "E":
            chunks.append((first, i + 1, typ))
            first = -1
    if first >= 0:
        chunks.append((first, last + 1, kind))
        issues.append(Issue(last, f"{kind} chunk not closed by E-{kind}; read as ending here"))
    return chunks, issues


def encode(chunks: Sequence[Chunk], length: int, scheme: str) -> list[str]:
    """Tags for ``length`` tokens holding non-overlapping ``chunks`` (sorted by first token)."""
    tags = ["O"] * length
    ends = {end: typ for _first, end, typ in chunks}
    starts = {first: typ for first, _end, typ in chunks}
    for first, end, typ in chunks:
        for i in range(first, end):
            tags[i] = f"I-{typ}"
        if scheme == "iob2" or (scheme == "iob1" and ends.get(first) == typ):
            tags[first] = f"B-{typ}"
        elif scheme == "ioe2" or (scheme == "ioe1" and starts.get(end) == typ):
            tags[end - 1] = f"E-{typ}"
        elif scheme in ("iobes", "bilou"):
            single, begin, close = ("U", "B", "L") if scheme == "bilou" else ("S", "B", "E")
            if end - first == 1:
                tags[first] = f"{single}-{typ}"
            else:
                tags[first], tags[end - 1] = f"{begin}-{typ}", f"{close}-{typ}"
    return tags
