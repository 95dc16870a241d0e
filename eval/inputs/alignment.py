"""Alignment of offset-free predicted spans to the article text.

An extractor may give a span only as a string. ``align_prediction`` finds where it is in
the article, trying in order:

1. ``exact``: the string occurs verbatim;
2. ``normalised``: it occurs once both sides are folded with ``annotation.arabic.fold``
   (NFKC, no tatweel, diacritics or bidi marks, one alef / hamza-seat / alef maqsura /
   teh marbuta form, ASCII digits, lower case) and, here, zero-width characters dropped,
   whitespace runs collapsed, quotation marks unified and Arabic punctuation (٫ ٬ ٪ ، ؛ ؟)
   turned into its Latin counterpart. An index map from every folded
   character to its original character gives exact original offsets back;
3. ``clitic`` (only with ``AlignConfig.clitics``): it occurs once a leading proclitic
   (و ف ب ل ك and their pairs) is removed from it, or its «ال» follows a fused «لل» in the text
   (``الرئيس`` in «للرئيس» aligns to ``رئيس``, as the guidelines annotate it);
4. ``fuzzy`` (``AlignConfig.fuzzy`` is the threshold), for strings of at least three words
   that no earlier step found anywhere: the most similar stretch of whole words of about the
   same number of words, by ``difflib`` character similarity on folded text, when that
   similarity reaches the threshold. A paraphrase shares few characters in order and stays
   unaligned; short strings never align fuzzily (at 0.75 «الصين» would match «اليمن»).

Which occurrence a string gets, deterministically:
- occurrences that start at a word start (possibly after a proclitic) and end at a word end
  come first, in document order; occurrences inside words come after them, in document order;
- entity mentions and claim contents each draw from their own pool: the k-th prediction of a
  string takes the k-th unused occurrence (a span given with offsets uses its place up);
- a claim's source, cue and via take, in the claim's line, the nearest occurrence before the
  claim's content, else the nearest after it (elsewhere: the nearest), and use nothing up,
  since several claims share one source.

A span that cannot be aligned keeps ``None`` offsets (the scorer counts it as spurious) and is
listed in ``AlignReport.unaligned``; nothing is dropped. Aligned spans get the article's own
text at their offsets; the report lists the predicted string of every non-exact alignment.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any

from annotation.arabic import PROCLITICS, fold
from annotation.model import Claim, Mention, Prediction, Span

STEPS = ("exact", "normalised", "clitic", "fuzzy")
DEFAULT_FUZZY = 0.75
FUZZY_MIN_WORDS = 3  # shorter strings align only exactly or after normalisation («الصين» is not «اليمن»)
FUZZY_CANDIDATES = 5  # word windows examined in full, picked by shared words

_ZERO_WIDTH = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"}
_QUOTES = set("\"«»“”„‟″〝〞＂")
_SEPARATORS = {"٫": ".", "٬": ",", "٪": "%", "،": ",", "؛": ";", "؟": "?"}
_WORD = re.compile(r"\w+")
_EDGE = "%\"'.,;:!?()[]-"  # punctuation a fuzzy window takes at its edges when the string has it there


@dataclass(frozen=True)
class AlignConfig:
    normalise: bool = True
    fuzzy: float | None = DEFAULT_FUZZY
    clitics: bool = False

    def describe(self) -> str:
        """A short name for signatures: ``exact``, ``norm``, ``fuzzy0.75``, ``+clitics``."""
        name = f"fuzzy{self.fuzzy:g}" if self.fuzzy else ("norm" if self.normalise else "exact")
        return name + ("+clitics" if self.clitics else "")


@dataclass
class AlignReport:
    """How many offset-free spans there were, how many were aligned and by which step; the failures."""

    total: int = 0
    aligned: int = 0
    by_step: dict[str, int] = field(default_factory=dict)
    unaligned: list[dict] = field(default_factory=list)  # {"id": doc id, "kind": "entity"|"claim"|..., "text": ...}
    non_exact: list[dict] = field(default_factory=list)  # {"id", "kind", "text", "aligned", "step", "start", "end"}

    @property
    def rate(self) -> float:
        return self.aligned / self.total if self.total else 1.0

    def step_rates(self) -> dict[str, float]:
        """Share of the offset-free spans aligned by each step (they add up to ``rate``)."""
        return {step: (self.by_step.get(step, 0) / self.total if self.total else 0.0) for step in STEPS}

    def merge(self, other: AlignReport) -> AlignReport:
        self.total += other.total
        self.aligned += other.aligned
        for step, n in other.by_step.items():
            self.by_step[step] = self.by_step.get(step, 0) + n
        self.unaligned.extend(other.unaligned)
        self.non_exact.extend(other.non_exact)
        return self

    def to_dict(self) -> dict[str, Any]:
        return {"total": self.total, "aligned": self.aligned, "rate": self.rate,
                "by_step": {step: self.by_step.get(step, 0) for step in STEPS},
                "by_step_rate": self.step_rates(),
                "clitic": [d for d in self.non_exact if d["step"] == "clitic"],
                "unaligned": list(self.unaligned), "non_exact": list(self.non_exact)}


# --- folding with an index map -------------------------------------------------------------


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


def fold_with_map(text: str) -> Folded:
    """Fold ``text`` character by character, collapsing whitespace runs, keeping the index map."""
    out: list[str] = []
    origin: list[int] = []
    for i, char in enumerate(text):
        piece = _fold_char(char)
        if piece == " " and (not out or out[-1] == " "):
            continue
        for c in piece:
            out.append(c)
            origin.append(i)
    return Folded("".join(out), tuple(origin))


def fold_span(text: str) -> str:
    return fold_with_map(text).text.strip()


def _with_marks(text: str, end: int) -> int:
    """Move ``end`` past the diacritics that sit on the last letter before it."""
    while 0 < end < len(text) and unicodedata.category(text[end]) == "Mn":
        end += 1
    return end


def _to_original(folded: Folded, start: int, end: int, text: str) -> tuple[int, int]:
    return folded.origin[start], _with_marks(text, folded.origin[end - 1] + 1)


# --- candidate occurrences ------------------------------------------------------------------


def _is_letter(char: str) -> bool:
    return char.isalnum() or unicodedata.category(char) == "Mn"


def _tier(text: str, start: int, end: int) -> int:
    """0: whole words (a proclitic before the start allowed); 1: inside a word."""
    at_end = end >= len(text) or not _is_letter(text[end]) or not _is_letter(text[end - 1])
    word_start = start
    while word_start > 0 and _is_letter(text[word_start - 1]):
        word_start -= 1
    prefix = "".join(c for c in text[word_start:start] if unicodedata.category(c) != "Mn")
    at_start = prefix == "" or prefix in PROCLITICS or prefix in ("لل", "ولل", "فلل") \
        or not _is_letter(text[start])
    return 0 if at_start and at_end else 1


def _ranked(spans: Iterable[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    return sorted(set(spans), key=lambda se: (_tier(text, *se), se))


def _find_all(haystack: str, needle: str) -> list[int]:
    found, pos = [], haystack.find(needle)
    while needle and pos != -1:
        found.append(pos)
        pos = haystack.find(needle, pos + 1)
    return found


def _extra_proclitic(word: str, key_word: str) -> int:
    """Length of a proclitic that the text's word has and the key's first word lacks (trimmed off)."""
    for prefix in PROCLITICS:
        if word.startswith(prefix) and word[len(prefix):] == key_word:
            return len(prefix)
    return 0


class DocIndex:
    """One article prepared for alignment: its text, folded text and words (built once per document)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.folded = fold_with_map(text)
        self._words: list[tuple[int, int, str]] | None = None

    @property
    def words(self) -> list[tuple[int, int, str]]:
        if self._words is None:
            self._words = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(self.folded.text)]
        return self._words

    def exact(self, needle: str) -> list[tuple[int, int]]:
        return _ranked(((p, _with_marks(self.text, p + len(needle))) for p in _find_all(self.text, needle)),
                       self.text)

    def normalised(self, needle: str) -> list[tuple[int, int]]:
        key = fold_span(needle)
        spans = (_to_original(self.folded, p, p + len(key), self.text) for p in _find_all(self.folded.text, key))
        return _ranked(spans, self.text)

    def clitic(self, needle: str, *, normalise: bool) -> list[tuple[int, int]]:
        """Occurrences of ``needle`` without a leading proclitic, or of its «ال» fused into «لل»."""
        key = fold_span(needle) if normalise else needle.strip()
        found: list[tuple[int, int]] = []
        for prefix in PROCLITICS:
            if key.startswith(prefix) and len(key) - len(prefix) >= 2:
                rest = key[len(prefix):]
                found += self.normalised(rest) if normalise else self.exact(rest)
                break
        if key.startswith("ال") and len(key) > 3:
            rest = key[2:]
            for s, e in (self.normalised(rest) if normalise else self.exact(rest)):
                before = fold(self.text[max(0, s - 4):s])
                if before.endswith("لل"):
                    found.append((s, e))
        return _ranked(found, self.text)

    def fuzzy(self, needle: str, threshold: float) -> list[tuple[int, int, float]]:
        """Word windows whose folded text is at least ``threshold`` similar, best first."""
        key = fold_span(needle)
        key_words = _WORD.findall(key)
        words = self.words
        n = len(key_words)
        if n < FUZZY_MIN_WORDS or not words:
            return []
        matcher = SequenceMatcher(None, autojunk=False)
        matcher.set_seq2(key)
        scored: dict[tuple[int, int], float] = {}
        spread = n // 4
        lengths = range(max(1, n - spread), n + spread + 1)

        def score(i: int, m: int) -> float:
            if i < 0 or m not in lengths or i + m > len(words):
                return -1.0
            if (i, m) not in scored:
                matcher.set_seq1(self.folded.text[words[i][0]:words[i + m - 1][1]])
                ok = matcher.real_quick_ratio() >= threshold and matcher.quick_ratio() >= threshold
                scored[(i, m)] = matcher.ratio() if ok else 0.0
            return scored[(i, m)]

        # From each candidate start, climb to the best neighbouring window (start and length +-1 word).
        for i in self._candidate_starts(key_words):
            m, best = n, score(i, n)
            while True:
                moves = [(i + di, m + dm) for di, dm in ((-1, 0), (1, 0), (0, -1), (0, 1), (-1, 1), (1, -1))]
                top = max(moves, key=lambda im: (score(*im), -im[0], -im[1]))
                if score(*top) <= best:
                    break
                (i, m), best = top, score(*top)
        lead = key[:len(key) - len(key.lstrip(_EDGE))]
        trail = key[len(key.rstrip(_EDGE)):]
        hits = []
        for (i, m), r in scored.items():
            if r >= threshold:
                s = words[i][0] + _extra_proclitic(words[i][2], key_words[0])
                e = words[i + m - 1][1]
                s -= len(lead) if lead and self.folded.text[max(0, s - len(lead)):s] == lead else 0
                e += len(trail) if trail and self.folded.text[e:e + len(trail)] == trail else 0
                hits.append((s, e, r))
        hits.sort(key=lambda h: (-h[2], h[0], h[1]))
        return [(*_to_original(self.folded, s, e, self.text), r) for s, e, r in hits]

    def _candidate_starts(self, key_words: Sequence[str]) -> list[int]:
        """Word positions whose window of ``len(key_words)`` words shares the most words with the key."""
        words = [w for _, _, w in self.words]
        n = len(key_words)
        need = Counter(key_words)
        have = dict.fromkeys(need, 0)
        shared = 0
        best: list[tuple[int, int]] = []
        for j, word in enumerate(words):
            if word in have:
                have[word] += 1
                if have[word] <= need[word]:
                    shared += 1
            if j >= n:
                old = words[j - n]
                if old in have:
                    if have[old] <= need[old]:
                        shared -= 1
                    have[old] -= 1
            i = j - n + 1
            if i >= 0 and shared > 0:
                best.append((-shared, i))
        if not best and len(words) < n:
            return [0]
        best.sort()
        return [i for _, i in best[:FUZZY_CANDIDATES]]


# --- aligning one prediction ----------------------------------------------------------------


def _first_unused(spans: Iterable[tuple[int, int]], used: set[tuple[int, int]]) -> tuple[int, int] | None:
    for span in spans:
        if span not in used:
            return span
    return None


def _nearest(spans: Iterable[tuple[int, int]], near: tuple[int, int] | None, text: str) -> tuple[int, int] | None:
    """The occurrence for a claim part: in the claim's line, the nearest one before the claim, else the
    nearest one after it; outside that line, the nearest one; without a placed claim, the first one."""
    spans = list(spans)
    if not spans:
        return None
    if near is None:
        return spans[0]
    line_start = text.rfind("\n", 0, near[0]) + 1
    line_end = text.find("\n", near[1])
    line_end = len(text) if line_end == -1 else line_end

    def rank(se: tuple[int, int]) -> tuple[int, int, int]:
        s, e = se
        in_line = line_start <= s and e <= line_end
        if e <= near[0]:
            return (0 if in_line else 2, near[0] - e, s)
        if s >= near[1]:
            return (1 if in_line else 2, s - near[1], s)
        return (0, 0, s)  # inside or overlapping the claim

    return min(spans, key=rank)


class _Aligner:
    def __init__(self, pred_id: str, index: DocIndex, config: AlignConfig, report: AlignReport) -> None:
        self.pred_id = pred_id
        self.index = index
        self.config = config
        self.report = report
        self.found_any = False

    def candidates(self, needle: str) -> Iterable[tuple[str, list[tuple[int, int]]]]:
        """(step, ranked occurrences) for each step in order; later steps are computed only if asked."""
        self.found_any = False
        for step, spans in self._exactish(needle):
            self.found_any = self.found_any or bool(spans)
            yield step, spans
        if self.config.fuzzy and not self.found_any:
            # Only for a string that occurs nowhere: extra copies of a string that does occur are duplicates.
            yield "fuzzy", [(s, e) for s, e, _ in self.index.fuzzy(needle, self.config.fuzzy)]

    def _exactish(self, needle: str) -> Iterable[tuple[str, list[tuple[int, int]]]]:
        yield "exact", self.index.exact(needle)
        if self.config.normalise:
            yield "normalised", self.index.normalised(needle)
        if self.config.clitics:
            yield "clitic", self.index.clitic(needle, normalise=self.config.normalise)

    def locate(self, needle: str | None, kind: str, *, used: set[tuple[int, int]] | None = None,
               near: tuple[int, int] | None = None) -> tuple[int, int] | None:
        self.report.total += 1
        found: tuple[int, int] | None = None
        step = ""
        if needle and needle.strip():
            for step, spans in self.candidates(needle.strip()):
                found = _first_unused(spans, used) if used is not None else _nearest(spans, near, self.index.text)
                if found is not None:
                    break
        if found is None:
            self.report.unaligned.append({"id": self.pred_id, "kind": kind, "text": needle})
            return None
        if used is not None:
            used.add(found)
        self.report.aligned += 1
        self.report.by_step[step] = self.report.by_step.get(step, 0) + 1
        if step != "exact":
            self.report.non_exact.append({"id": self.pred_id, "kind": kind, "text": needle, "step": step,
                                          "aligned": self.index.text[found[0]:found[1]],
                                          "start": found[0], "end": found[1]})
        return found

    def span(self, span: Span | None, kind: str, near: tuple[int, int] | None) -> Span | None:
        if span is None or span.has_offsets:
            return span
        found = self.locate(span.text, kind, near=near)
        if found is None:
            return replace(span, start=None, end=None)
        return replace(span, start=found[0], end=found[1], text=self.index.text[found[0]:found[1]])


def align_prediction(pred: Prediction, text: str, config: AlignConfig = AlignConfig(),
                     report: AlignReport | None = None, *, index: DocIndex | None = None) -> Prediction:
    """Give offsets to every span that has only text; spans that cannot be aligned keep None offsets
    (the scorer counts them as spurious) and are listed in ``report.unaligned``.

    ``index`` may be passed to reuse a prepared ``DocIndex(text)`` across calls."""
    report = report if report is not None else AlignReport()
    aligner = _Aligner(pred.id, index if index is not None and index.text == text else DocIndex(text),
                       config, report)
    used_entities = {(m.start, m.end) for m in pred.entities if m.start is not None and m.end is not None}
    used_claims = {(c.start, c.end) for c in pred.claims if c.start is not None and c.end is not None}

    entities: list[Mention] = []
    for m in pred.entities:
        if m.start is not None and m.end is not None:
            entities.append(m)
            continue
        found = aligner.locate(m.text, "entity", used=used_entities)
        entities.append(replace(m, start=None, end=None) if found is None
                        else replace(m, start=found[0], end=found[1], text=text[found[0]:found[1]]))

    claims: list[Claim] = []
    for c in pred.claims:
        where: tuple[int, int] | None
        if c.start is not None and c.end is not None:
            where, claim = (c.start, c.end), c
        else:
            where = aligner.locate(c.text, "claim", used=used_claims)
            claim = (replace(c, start=None, end=None) if where is None
                     else replace(c, start=where[0], end=where[1], text=text[where[0]:where[1]]))
        claims.append(replace(claim, source=aligner.span(c.source, "source", where),
                              cue=aligner.span(c.cue, "cue", where),
                              via=tuple(aligner.span(v, "via", where) for v in c.via)))
    return replace(pred, entities=tuple(entities), claims=tuple(claims))
