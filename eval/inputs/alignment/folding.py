"""Folding an article for alignment while keeping, for every folded character, where it came from."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from annotation.arabic import fold

_ZERO_WIDTH = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"}
_QUOTES = set("\"«»“”„‟″〝〞＂")
_SEPARATORS = {"٫": ".", "٬": ",", "٪": "%", "،": ",", "؛": ";", "؟": "?"}


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    if char in _ZERO_WIDTH:
        return ""
    if char in _QUOTES:
        return '"'
    if char in _SEPARATORS:
        return _SEPARATORS[char]
    if char.isspace():
        return " "
    return fold(char)


@dataclass(frozen=True)
class Folded:
    """Folded text plus, for each folded character, the index of the original character it comes from."""

    text: str
    origin: tuple[int, ...]


_PIECES: dict[str, str] = {}  # each character's folded piece, filled as characters are met
_SPACE_RUNS = re.compile(r"^ +| {2,}")  # spaces a fold drops: at the start, and all but the first of a run


def fold_with_map(text: str) -> Folded:
    """Fold ``text`` character by character, collapsing whitespace runs, keeping the index map."""
    get = _PIECES.get
    pieces = [get(c) for c in text]
    if None in pieces:
        pieces = [p if p is not None else _PIECES.setdefault(c, _fold_char(c)) for p, c in zip(pieces, text)]
    folded = "".join(pieces)
    if len(folded) <= len(text) and all(len(p) <= 1 for p in pieces):
        origin = [i for i, p in enumerate(pieces) if p]
    else:
        origin = [i for i, p in enumerate(pieces) for _ in p]
    if folded.startswith(" ") or "  " in folded:
        kept, kept_origin, last = [], [], 0
        for m in _SPACE_RUNS.finditer(folded):
            cut = m.start() if m.start() == 0 else m.start() + 1
            kept.append(folded[last:cut])
            kept_origin.extend(origin[last:cut])
            last = m.end()
        kept.append(folded[last:])
        kept_origin.extend(origin[last:])
        folded, origin = "".join(kept), kept_origin
    return Folded(folded, tuple(origin))


@lru_cache(maxsize=8192)
def fold_span(text: str) -> str:
    return fold_with_map(text).text.strip()


def with_marks(text: str, end: int) -> int:
    """Move ``end`` past the diacritics that sit on the last letter before it."""
    while 0 < end < len(text) and unicodedata.category(text[end]) == "Mn":
        end += 1
    return end


def to_original(folded: Folded, start: int, end: int, text: str) -> tuple[int, int]:
    """Original offsets of the folded stretch ``[start, end)``."""
    return folded.origin[start], with_marks(text, folded.origin[end - 1] + 1)


def is_letter(char: str) -> bool:
    return char.isalnum() or unicodedata.category(char) == "Mn"
