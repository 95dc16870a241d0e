"""Word lists of the baseline and matching them on Arabic text, proclitics included.

Text is cut into tokens (runs of letters, digits, diacritics and tatweel; a decimal number is one
token). Each token has a folded key (``annotation.arabic.fold``). A phrase list matches on keys
word by word; the first word may carry an attached proclitic (و ف ب ل ك and pairs), which the
mention leaves out, or «لل» standing for «ال» (the mention then starts after «لل», as the
guidelines annotate «للرئيس الروسي» → «رئيس الروسي»).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

from annotation.arabic import PROCLITICS, fold

GAZETTEERS = files("eval.extractors.baseline").joinpath("gazetteers")  # package data
TOKEN = re.compile(r"[\w\u064b-\u065f\u0670\u0640]+(?:[.,٫٬][0-9٠-٩]+)*")
MAX_PHRASE = 8


@dataclass(frozen=True)
class Token:
    start: int
    end: int
    text: str
    key: str  # folded
    gap: str = ""  # the characters between the previous token and this one

    @property
    def definite(self) -> bool:
        return self.key.startswith("ال") and len(self.key) > 3


def tokenize(text: str) -> list[Token]:
    out: list[Token] = []
    for m in TOKEN.finditer(text):
        gap = text[out[-1].end:m.start()] if out else text[:m.start()]
        out.append(Token(m.start(), m.end(), m.group(), fold(m.group()), gap))
    return out


def original_prefix(token: Token, folded_chars: int) -> int:
    """How many characters of the token's text make up its first ``folded_chars`` folded characters."""
    count, i = 0, 0
    while i < len(token.text) and count < folded_chars:
        if unicodedata.category(token.text[i]) != "Mn" and token.text[i] != "\u0640":
            count += 1
        i += 1
    return i


def variants(token: Token) -> list[tuple[int, str]]:
    """(characters to skip at the token's start, key) readings of a token: as is, without a proclitic,
    and «لل…» read as «ال…»."""
    return _variants(token.text, token.key)


@lru_cache(maxsize=65536)
def _variants(text: str, key: str) -> list[tuple[int, str]]:
    token = Token(0, len(text), text, key)
    out = [(0, token.key)]
    key = token.key
    for fused in ("ولل", "فلل", "لل"):
        if key.startswith(fused) and len(key) - len(fused) >= 2:
            out.append((original_prefix(token, len(fused)), "ال" + key[len(fused):]))
            break
    for prefix in PROCLITICS:
        if key.startswith(prefix) and len(key) - len(prefix) >= 2:
            out.append((original_prefix(token, len(prefix)), key[len(prefix):]))
    return out


def read_list(name: str) -> list[str]:
    """Entries of a gazetteer file (comments and blank lines skipped)."""
    lines = (GAZETTEERS / name).read_text(encoding="utf-8").splitlines()
    return [line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip()]


@lru_cache(maxsize=1)
def gazetteer_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted((p for p in GAZETTEERS.iterdir() if p.name.endswith(".txt")), key=lambda p: p.name):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:8]


def phrase_key(phrase: str) -> tuple[str, ...]:
    return tuple(TOKEN.findall(fold(phrase)))


class PhraseList:
    """Phrases (word tuples of folded keys) with a value each; longest match at a token."""

    def __init__(self, entries: dict[tuple[str, ...], str] | None = None) -> None:
        self.entries: dict[tuple[str, ...], str] = {}
        self.firsts: set[str] = set()
        for words, value in (entries or {}).items():
            self.add(words, value)

    def add(self, words: tuple[str, ...], value: str) -> None:
        if words and len(words) <= MAX_PHRASE:
            self.entries.setdefault(words, value)
            self.firsts.add(words[0])

    def add_phrase(self, phrase: str, value: str) -> None:
        self.add(phrase_key(phrase), value)

    def match(self, tokens: list[Token], i: int, *, proclitics: bool = True) -> tuple[int, int, str] | None:
        """(character offset of the match start, index after the last token, value) of the longest match."""
        best: tuple[int, int, str] | None = None
        readings = variants(tokens[i]) if proclitics else [(0, tokens[i].key)]
        for skip, first in readings:
            if first not in self.firsts:
                continue
            words = [first]
            for j in range(i, min(len(tokens), i + MAX_PHRASE)):
                if j > i:
                    if not adjacent(tokens[j]):
                        break
                    words.append(tokens[j].key)
                value = self.entries.get(tuple(words))
                if value is not None and (best is None or j + 1 > best[1]):
                    best = (tokens[i].start + skip, j + 1, value)
        return best

    def __contains__(self, key: object) -> bool:
        return (key,) in self.entries


_JOIN = re.compile(r"[ \t\u00a0\-\u0640]{1,3}")


def adjacent(b: Token) -> bool:
    """Is ``b`` in one phrase with the token before it: only spaces (or a hyphen) between them?"""
    return bool(_JOIN.fullmatch(b.gap))


def nationality_forms(stem: str) -> list[str]:
    """«روسي» → الروسي، الروسية، روسي، روسية، الروس… (masculine, feminine, plurals; with and without ال)."""
    forms = [stem, stem + "ة", stem + "ون", stem + "ين", stem + "ان", stem + "تان", stem + "تين"]
    return forms + ["ال" + f for f in forms]


@lru_cache(maxsize=1)
def lexicon() -> dict[str, object]:
    """Every list the baseline uses, loaded once."""
    entities = PhraseList()
    for name, label in (("persons.txt", "PERS"), ("org.txt", "ORG"), ("gpe.txt", "GPE"), ("loc.txt", "LOC"),
                        ("groups.txt", "NORP")):
        for entry in read_list(name):
            entities.add_phrase(entry, label)
    for stem in read_list("nationalities.txt"):
        for form in nationality_forms(stem):
            entities.add_phrase(form, "NORP")
    titles = PhraseList()
    for entry in read_list("titles.txt"):
        base, _, flag = entry.partition("+")
        titles.add_phrase(base.strip(), "OCC")
        if flag.strip() == "suffix":
            for suffix in ("ه", "ها", "هم", "هما", "ا"):
                titles.add_phrase(base.strip() + suffix, "OCC")
    events = PhraseList()
    for entry in read_list("event_heads.txt"):
        head, _, alone = entry.partition("=")
        events.add_phrase(head.strip(), "alone" if alone.strip() == "alone" else "head")
    cues: dict[str, str] = {}
    for entry in read_list("cues.txt"):
        kind, _, forms = entry.partition(":")
        for form in forms.split():
            cues.setdefault(fold(form), kind.strip())
    return {
        "entities": entities, "titles": titles,
        "single_names": {w[0] for w, v in entities.entries.items() if v in ("GPE", "ORG") and len(w) == 1}, "events": events, "cues": cues,
        "org_heads": PhraseList({phrase_key(e): "ORG" for e in read_list("org_heads.txt")}),
        "fac_heads": PhraseList({phrase_key(e): "FAC" for e in read_list("fac_heads.txt")}),
        "complements": {fold(e) for e in read_list("title_complements.txt")},
        "honorifics": PhraseList({phrase_key(e): "HON" for e in read_list("honorifics.txt")}),
        "first_names": PhraseList({phrase_key(e): "PERS" for e in read_list("first_names.txt")}),
        "stopwords": {fold(e) for e in read_list("stopwords.txt")},
        "raw_stopwords": set(read_list("stopwords.txt")),
    }
