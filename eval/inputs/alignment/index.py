"""One article prepared for alignment, and the places a string occurs in it, step by step.

Each finder returns ranked occurrences as original ``(start, end)`` offsets. An occurrence is of
tier 0 when it covers whole words (a proclitic of the text before its start allowed: «روسيا» in
«وروسيا»), of tier 1 when it starts or ends inside a word.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable

from annotation.arabic import PROCLITICS, fold
from eval.inputs.alignment.folding import fold_span, fold_with_map, is_letter, to_original, with_marks
from eval.inputs.alignment.guards import one_edit_inside

WORD = re.compile(r"\w+")
_FUSED = ("لل", "ولل", "فلل")  # ل + ال written together: «للرئيس» is ل + «الرئيس»


def _definite(proclitic: str, rest: str) -> bool:
    """«ال» and three letters or more after a proclitic other than ل (ل + ال is written «لل»)."""
    return proclitic != "ل" and rest.startswith("ال") and len(rest) >= 5


def _find_all(haystack: str, needle: str) -> list[int]:
    found, pos = [], haystack.find(needle)
    while needle and pos != -1:
        found.append(pos)
        pos = haystack.find(needle, pos + 1)
    return found


class DocIndex:
    """An article's text, folded text and words (built once per document), with the finders."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.folded = fold_with_map(text)
        self._words: list[tuple[int, int, str]] | None = None
        self.cache: dict[tuple[str, ...], object] = {}  # per-article results, keyed by finder and string

    @property
    def words(self) -> list[tuple[int, int, str]]:
        """(start, end, word) in the folded text."""
        if self._words is None:
            self._words = [(m.start(), m.end(), m.group()) for m in WORD.finditer(self.folded.text)]
        return self._words

    # --- where an occurrence sits -------------------------------------------------------------

    def tier(self, start: int, end: int) -> int:
        """0: whole words (a proclitic before the start allowed); 1: inside a word."""
        text = self.text
        at_end = end >= len(text) or not is_letter(text[end]) or not is_letter(text[end - 1])
        prefix = self.word_prefix(start)
        at_start = prefix == "" or prefix in PROCLITICS or prefix in _FUSED or not is_letter(text[start])
        return 0 if at_start and at_end else 1

    def word_prefix(self, start: int) -> str:
        """The letters of the word before ``start`` (diacritics left out)."""
        word_start = start
        while word_start > 0 and is_letter(self.text[word_start - 1]):
            word_start -= 1
        return "".join(c for c in self.text[word_start:start] if unicodedata.category(c) != "Mn")

    def ranked(self, spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
        return sorted(set(spans), key=lambda se: (self.tier(*se), se))

    def stands_alone(self, key: str) -> bool:
        """True when the folded ``key`` is a whole word somewhere, nothing attached before or after it."""
        folded, n = self.folded.text, len(key)
        return any((p == 0 or not is_letter(folded[p - 1])) and (p + n == len(folded) or not is_letter(folded[p + n]))
                   for p in _find_all(folded, key))

    # --- the finders ------------------------------------------------------------------------

    def exact(self, needle: str) -> list[tuple[int, int]]:
        return self.ranked((p, with_marks(self.text, p + len(needle))) for p in _find_all(self.text, needle))

    def normalised(self, needle: str, *, key: str | None = None) -> list[tuple[int, int]]:
        key = fold_span(needle) if key is None else key
        return self.ranked(to_original(self.folded, p, p + len(key), self.text)
                           for p in _find_all(self.folded.text, key))

    def clitic(self, needle: str, *, normalise: bool) -> list[tuple[int, int]]:
        """Occurrences of ``needle`` without a leading proclitic, the remainder being a whole word of the
        text with nothing attached before it (the shortest proclitic whose remainder is: «فبوتين» is
        ف + «بوتين», never فب + «وتين»; «كوريا» is never ك + «وريا»), or of its «ال» fused into «لل»
        (``الرئيس`` in «للرئيس» → «رئيس»)."""
        key = fold_span(needle) if normalise else needle.strip()
        find = (lambda s: self.normalised(s, key=s)) if normalise else self.exact
        readings = [key[len(p):] for p in reversed(PROCLITICS)
                    if key.startswith(p) and len(key) - len(p) >= 2 and is_letter(key[len(p)])]
        found: list[tuple[int, int]] = []
        for rest in readings:
            found = [se for se in find(rest) if self.tier(*se) == 0 and self.word_prefix(se[0]) == ""]
            if found:
                break
        if key.startswith("ال") and len(key) > 3:
            for s, e in find(key[2:]):
                if fold(self.text[max(0, s - 4):s]).endswith("لل"):
                    found.append((s, e))
        return self.ranked(found)

    def trim(self, span: tuple[int, int]) -> tuple[int, int] | None:
        """The span without a proclitic its first word starts with, when the rest of that word stands
        alone elsewhere in the article («وروسيا» → «روسيا» when «روسيا» stands alone somewhere; «وزارة»
        and «وكالة» stay whole) or is a definite noun of at least three letters after «ال» («بالمديرية» →
        «المديرية»), else None."""
        s, e = span
        first = WORD.match(self.folded.text, self._folded_index(s))
        if first is None:
            return None
        word = first.group()
        if self.folded.origin[first.end() - 1] >= e:  # the span ends inside its first word
            return None
        for p in PROCLITICS:
            rest = word[len(p):]
            if word.startswith(p) and len(rest) >= 3 and (self.stands_alone(rest) or _definite(p, rest)):
                start = self.folded.origin[first.start() + len(p)]
                return (start, e) if start < e else None
        return None

    def _folded_index(self, original: int) -> int:
        return bisect_left(self.folded.origin, original)

    def typo(self, needle: str) -> list[tuple[int, int]]:
        """Occurrences of a short string with one letter wrong inside one of its words (see
        ``guards.one_edit_inside``); all of them must be of one and the same text, else none."""
        key_words = WORD.findall(fold_span(needle))
        n = len(key_words)
        words = self.words
        hits: list[tuple[int, int]] = []
        for i in range(len(words) - n + 1):
            window = [w for _, _, w in words[i:i + n]]
            differ = [(a, b) for a, b in zip(key_words, window) if a != b]
            if len(differ) == 1 and one_edit_inside(*differ[0]) and self._joined(i, n):
                hits.append((words[i][0], words[i + n - 1][1]))
        if len({self.folded.text[s:e] for s, e in hits}) != 1:
            return []
        return self.ranked(to_original(self.folded, s, e, self.text) for s, e in hits)

    def _joined(self, i: int, n: int) -> bool:
        """True when words ``i .. i+n`` are separated by single spaces only."""
        words = self.words
        return all(self.folded.text[words[k][1]:words[k + 1][0]] == " " for k in range(i, i + n - 1))
