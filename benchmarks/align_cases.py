"""Alignment cases built from the shipped gold: each gold span rewritten as an LLM rewrites it.

Every case is one article, the model's list of strings in order (entities or claims, text only,
an optional context string per item) and, for the items it scores, the offsets the alignment must
find (``None`` for a negative: the string is not in the article and must stay unaligned). Classes
are built separately, each by its own rewrite; a rewrite that does not apply to a span, or whose
result occurs in the article anyway, makes no case. Seeded: the same gold gives the same cases.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from annotation.arabic import PROCLITICS, fold
from annotation.model import Annotated
from eval.inputs.alignment import fold_span

POSITIVE = ("exact", "diacritics", "hamza_alef", "teh_marbuta", "alef_maqsura", "tatweel", "indic_digits",
            "proclitic_kept", "proclitic_added", "al_restored", "typo", "claim_word_dropped",
            "claim_word_replaced", "repeated", "repeated_context")
NEGATIVE = ("absent", "changed_number", "reordered", "start_end_swap", "extra_copy")
SWAPS = {"بداية": "نهاية", "نهاية": "بداية", "مطلع": "نهاية", "منتصف": "نهاية", "أول": "آخر", "آخر": "أول",
         "أوائل": "أواخر", "أواخر": "أوائل", "الأول": "الأخير", "الأخير": "الأول", "الماضي": "المقبل",
         "المقبل": "الماضي", "الماضية": "المقبلة", "المقبلة": "الماضية", "قبل": "بعد", "بعد": "قبل"}
_WORD = re.compile(r"\w+")
_MARK = re.compile("[\u064b-\u0652]")
_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
_LATIN = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")


@dataclass(frozen=True)
class Item:
    text: str
    context: str | None = None


@dataclass(frozen=True)
class Case:
    cls: str
    doc: int  # index of the article
    kind: str  # "entity" or "claim"
    items: tuple[Item, ...]  # the model's list, in order
    expect: tuple[tuple[int, tuple[int, int] | None], ...]  # (item index, gold offsets or None)


def _absent(doc: Annotated, string: str) -> bool:
    """Not in the article, even after folding (the aligner's folding: digits, separators, spaces)."""
    return fold_span(string) not in fold_span(doc.text)


def _first_place(doc: Annotated, start: int, string: str) -> bool:
    """The gold span is the first place its folded string occurs (so a lone string can find it)."""
    folded = fold(doc.text[:start + len(string)])
    return folded.find(fold(string)) >= len(fold(doc.text[:start]))


# --- rewrites of one span (None: the rewrite does not apply) --------------------------------------


def _diacritics(s: str, rng: random.Random) -> str | None:
    if _MARK.search(s):
        return _MARK.sub("", s)
    words = s.split(" ")
    i = rng.randrange(len(words))
    return " ".join(w + "ُ" if k == i and w[-1:].isalpha() else w for k, w in enumerate(words))


def _hamza(s: str, rng: random.Random) -> str | None:
    if any(c in s for c in "أإآ"):
        return s.translate(str.maketrans("أإآ", "ااا"))
    return re.sub(r"(?<!\w)ا(?!ل)", "أ", s) if re.search(r"(?<!\w)ا(?!ل)", s) else None


def _teh(s: str, rng: random.Random) -> str | None:
    return s.replace("ة", "ه") if "ة" in s else None


def _maqsura(s: str, rng: random.Random) -> str | None:
    if "ى" in s:
        return s.replace("ى", "ي")
    return re.sub(r"ي\b", "ى", s, count=1) if re.search(r"\wي\b", s) else None


def _tatweel(s: str, rng: random.Random) -> str | None:
    places = [i for i in range(1, len(s) - 1)
              if s[i - 1] in _LETTERS[1:] and s[i] in _LETTERS and s[i - 1] not in "دذرزو"]
    if not places:
        return None
    i = rng.choice(places)
    return s[:i] + "ـ" + s[i:]


def _digits(s: str, rng: random.Random) -> str | None:
    if re.search("[0-9]", s):
        return s.translate(_INDIC)
    return s.translate(_LATIN) if re.search("[٠-٩]", s) else None


def _typo(s: str, rng: random.Random) -> str | None:
    words = [m for m in _WORD.finditer(s) if len(m.group()) >= 4 and m.group().isalpha()]
    if not words:
        return None
    m = rng.choice(words)
    i = rng.randrange(m.start() + 1, m.end() - 1)  # inside the word: not its first or last letter
    old = fold(s[i])
    new = rng.choice([c for c in _LETTERS if fold(c) != old])
    return s[:i] + new + s[i + 1:]


def _reorder(s: str, rng: random.Random) -> str | None:
    words = s.split(" ")
    pairs = [i for i in range(len(words) - 1) if _WORD.fullmatch(words[i]) and _WORD.fullmatch(words[i + 1])
             and words[i] != words[i + 1]]
    if not pairs:
        return None
    i = rng.choice(pairs)
    words[i], words[i + 1] = words[i + 1], words[i]
    return " ".join(words)


def _number(s: str, rng: random.Random) -> str | None:
    found = list(re.finditer("[0-9]+|[٠-٩]+", s))
    if not found:
        return None
    m = rng.choice(found)
    value = int(m.group().translate(_LATIN)) + rng.randint(1, 9)
    digits = str(value) if m.group()[0] in "0123456789" else str(value).translate(_INDIC)
    return s[:m.start()] + digits + s[m.end():]


def _swap(s: str, rng: random.Random) -> str | None:
    words = s.split(" ")
    for i, w in enumerate(words):
        for prefix in ("", *PROCLITICS):
            if w.startswith(prefix) and w[len(prefix):] in SWAPS:
                words[i] = prefix + SWAPS[w[len(prefix):]]
                return " ".join(words)
    return None


SPAN_REWRITES: dict[str, Callable[[str, random.Random], str | None]] = {
    "exact": lambda s, rng: s, "diacritics": _diacritics, "hamza_alef": _hamza, "teh_marbuta": _teh,
    "alef_maqsura": _maqsura, "tatweel": _tatweel, "indic_digits": _digits, "typo": _typo}
NEGATIVE_REWRITES = {"changed_number": _number, "reordered": _reorder, "start_end_swap": _swap}


# --- building the cases ------------------------------------------------------------------------


def _spans(doc: Annotated) -> Iterator[tuple[str, int, int, str]]:
    for m in doc.entities:
        yield "entity", m.start, m.end, m.text
    for c in doc.claims:
        yield "claim", c.start, c.end, c.text


def _single(cls: str, d: int, kind: str, string: str, gold: tuple[int, int] | None) -> Case:
    return Case(cls, d, kind, (Item(string),), ((0, gold),))


def span_cases(docs: list[Annotated], rng: random.Random) -> Iterator[Case]:
    """One case per span and rewrite: the rewritten string alone must align to the span's offsets."""
    for d, doc in enumerate(docs):
        for kind, start, end, text in _spans(doc):
            unique = _first_place(doc, start, text)
            for cls, rewrite in SPAN_REWRITES.items():
                new = rewrite(text, rng)
                if unique and new is not None and (cls == "exact" or new != text) \
                        and (cls in ("exact", "diacritics", "tatweel", "hamza_alef", "teh_marbuta", "alef_maqsura",
                                     "indic_digits") or _absent(doc, new)):
                    yield _single(cls, d, kind, new, (start, end))
            for cls, rewrite in NEGATIVE_REWRITES.items():
                new = rewrite(text, rng)
                if new is not None and new != text and _absent(doc, new):
                    yield _single(cls, d, kind, new, None)
            if unique:
                yield from _clitic_cases(d, doc, kind, start, end, text)
                if kind == "claim":
                    yield from _claim_word_cases(d, doc, start, end, text, rng)


def _clitic_cases(d: int, doc: Annotated, kind: str, start: int, end: int, text: str) -> Iterator[Case]:
    before = doc.text[max(0, start - 3):start]
    for prefix in PROCLITICS:
        if before.endswith(prefix) and (start - len(prefix) == 0 or not doc.text[start - len(prefix) - 1].isalnum()):
            yield _single("proclitic_kept", d, kind, prefix + text, (start, end))
            break
    else:
        if before.endswith("لل") and not text.startswith("ال"):
            yield _single("al_restored", d, kind, "ال" + text, (start, end))
        elif kind == "entity" and (start == 0 or not doc.text[start - 1].isalnum()):
            added = ("ف" if text[0] == "ب" else "و") + text
            if _absent(doc, added):
                yield _single("proclitic_added", d, kind, added, (start, end))


def _fixed(word: str) -> bool:
    """A number or a start/end word: dropping or replacing it makes another claim, not a positive case."""
    return bool(re.search(r"\d", word)) or word.strip(".,،\"'«»()") in SWAPS


def _claim_word_cases(d: int, doc: Annotated, start: int, end: int, text: str, rng: random.Random) -> Iterator[Case]:
    words = text.split(" ")
    free = [k for k in range(1, len(words) - 1) if not _fixed(words[k])]
    if len(words) < 5 or not free:
        return  # a number or an anchor word dropped or replaced makes another claim: not a positive
    i = rng.choice(free)
    dropped = " ".join(words[:i] + words[i + 1:])
    if _absent(doc, dropped):
        yield _single("claim_word_dropped", d, "claim", dropped, (start, end))
    vocabulary = [w for w in _WORD.findall(doc.text) if w.isalpha() and len(w) >= 3 and not _fixed(w)]
    j = rng.choice(free)
    if words[j].isalpha() and vocabulary:
        replaced = " ".join(words[:j] + [rng.choice(vocabulary)] + words[j + 1:])
        if replaced != text and _absent(doc, replaced):
            yield _single("claim_word_replaced", d, "claim", replaced, (start, end))


def _occurrences(doc: Annotated, text: str) -> int:
    """Whole-word occurrences of ``text`` (folded; a proclitic before it allowed)."""
    pattern = r"(?<!\w)(?:" + "|".join(PROCLITICS) + r")?" + re.escape(fold(text)) + r"(?!\w)"
    return len(re.findall(pattern, fold(doc.text)))


def repeat_cases(docs: list[Annotated], rng: random.Random) -> Iterator[Case]:
    """The model lists every gold mention of an article in order; the repeated strings are scored.
    Then a later occurrence given once with a context string, and one copy more than the text holds."""
    for d, doc in enumerate(docs):
        mentions = sorted(doc.entities, key=lambda m: (m.start, -m.end))
        items = tuple(Item(m.text) for m in mentions)
        counts: dict[str, int] = {}
        for m in mentions:
            counts[fold(m.text)] = counts.get(fold(m.text), 0) + 1
        scored = tuple((k, (m.start, m.end)) for k, m in enumerate(mentions) if _occurrences(doc, m.text) >= 2)
        if scored:
            yield Case("repeated", d, "entity", items, scored)
        seen: dict[str, int] = {}
        for m in mentions:
            key = fold(m.text)
            seen[key] = seen.get(key, 0) + 1
            if seen[key] >= 2:
                context = doc.text[max(0, m.start - 25):min(len(doc.text), m.end + 25)]
                yield Case("repeated_context", d, "entity", (Item(m.text, context),), ((0, (m.start, m.end)),))
        for key, n in counts.items():
            text = next(m.text for m in mentions if fold(m.text) == key)
            have = fold_span(doc.text).count(fold_span(text))  # every occurrence, inside words too
            if have == n and len(key) >= 3:
                yield Case("extra_copy", d, "entity", tuple(Item(text) for _ in range(n + 1)), ((n, None),))


def absent_cases(docs: list[Annotated], rng: random.Random) -> Iterator[Case]:
    """Plausible strings absent from the article: mentions and claims of other articles that share a
    word with it."""
    for d, doc in enumerate(docs):
        words = set(_WORD.findall(fold(doc.text)))
        others = [(k, t) for e, other in enumerate(docs) if e != d for k, _, _, t in _spans(other)]
        rng.shuffle(others)
        taken = 0
        for kind, text in others:
            if taken >= 40:
                break
            if len(fold(text)) >= 4 and _absent(doc, text) and words & set(_WORD.findall(fold(text))):
                taken += 1
                yield _single("absent", d, kind, text, None)


def build_cases(docs: list[Annotated], seed: int = 7) -> list[Case]:
    rng = random.Random(seed)
    return [*span_cases(docs, rng), *repeat_cases(docs, rng), *absent_cases(docs, rng)]
