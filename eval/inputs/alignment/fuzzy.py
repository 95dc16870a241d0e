"""Fuzzy alignment: the stretch of whole words most like a string of at least three words.

Windows of about the string's number of words are scored by ``difflib`` character similarity on
folded text (from the windows sharing most words with the string, climbing to the best neighbour);
a window is a candidate when it reaches the threshold *and* passes ``guards.compatible`` (same
numbers, same anchor words, same word order, few words missing). Its edges are then settled on the
string's own edges: a first or last word of the string that the window missed by one or two words
is taken back in, and
punctuation the string has at an edge («… ( 1970 )») is taken when the text has it there, spaces
between allowed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from difflib import SequenceMatcher

from annotation.arabic import PROCLITICS
from eval.inputs.alignment.folding import fold_span, to_original
from eval.inputs.alignment.guards import anchor, compatible, fixed_words
from eval.inputs.alignment.index import WORD, DocIndex

FUZZY_MIN_WORDS = 3  # shorter strings align only exactly, after normalisation or with one typo
FUZZY_CANDIDATES = 5  # word windows examined in full, picked by shared words
MAX_HITS = 3  # places returned (a repeated string takes the next one)
EDGE = "%\"'.,;:!?()[]-"  # punctuation a window takes at its edges when the string has it there
_MOVES = ((-1, 0), (1, 0), (0, -1), (0, 1), (-1, 1), (1, -1))


def _extra_proclitic(word: str, key_word: str) -> int:
    """Length of a proclitic that the text's word has and the key's first word lacks (trimmed off)."""
    for prefix in PROCLITICS:
        if word.startswith(prefix) and word[len(prefix):] == key_word:
            return len(prefix)
    return 0


def _candidate_starts(words: Sequence[str], key_words: Sequence[str]) -> list[int]:
    """Word positions whose window of ``len(key_words)`` words shares the most words with the key."""
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


def _scores(index: DocIndex, key: str, key_words: Sequence[str], threshold: float) -> dict[tuple[int, int], float]:
    """Similarity of the windows (first word, number of words) visited from the candidate starts."""
    words = index.words
    n = len(key_words)
    matcher = SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(key)
    scored: dict[tuple[int, int], float] = {}
    lengths = range(max(1, n - n // 4), n + n // 4 + 1)

    def score(i: int, m: int) -> float:
        if i < 0 or m not in lengths or i + m > len(words):
            return -1.0
        if (i, m) not in scored:
            matcher.set_seq1(index.folded.text[words[i][0]:words[i + m - 1][1]])
            ok = matcher.real_quick_ratio() >= threshold and matcher.quick_ratio() >= threshold
            scored[(i, m)] = matcher.ratio() if ok else 0.0
        return scored[(i, m)]

    for i in _candidate_starts([w for _, _, w in words], key_words):
        m, best = n, score(i, n)
        while True:
            top = max(((i + di, m + dm) for di, dm in _MOVES), key=lambda im: (score(*im), -im[0], -im[1]))
            if score(*top) <= best:
                break
            (i, m), best = top, score(*top)
    return scored


def _settle_words(words: Sequence[str], key_words: Sequence[str], i: int, m: int) -> tuple[int, int]:
    """Take back the string's first or last word when it is one or two words outside the window."""
    first, last = key_words[0], key_words[-1]
    if words[i] != first and words[i][-len(first):] != first:
        for j in (1, 2):
            if i - j >= 0 and first in (words[i - j], words[i - j][-len(first):]) \
                    and compatible(key_words, words[i - j:i + m]):
                i, m = i - j, m + j
                break
    end = i + m
    if words[end - 1] != last:
        for j in (1, 2):
            if end + j <= len(words) and words[end + j - 1] == last and compatible(key_words, words[i:end + j]):
                m += j
                break
    return i, m


def _edges(key: str) -> tuple[str, str]:
    """The punctuation at the string's start and end, spaces left out."""
    lead = key[:len(key) - len(key.lstrip(EDGE + " "))].replace(" ", "")
    trail = key[len(key.rstrip(EDGE + " ")):].replace(" ", "")
    return lead, trail


def _take_punctuation(folded: str, s: int, e: int, lead: str, trail: str) -> tuple[int, int]:
    """Extend ``[s, e)`` over ``lead`` before it and ``trail`` after it, spaces between allowed."""
    j, k = e, 0
    while k < len(trail) and j < len(folded) and folded[j] in EDGE + " ":
        if folded[j] != " ":
            if folded[j] != trail[k]:
                break
            k, e = k + 1, j + 1
        j += 1
    j, k = s - 1, len(lead) - 1
    while k >= 0 and j >= 0 and folded[j] in EDGE + " ":
        if folded[j] != " ":
            if folded[j] != lead[k]:
                break
            k, s = k - 1, j
        j -= 1
    return s, e


def _fixed_words_present(key_words: Sequence[str], words: Sequence[str]) -> bool:
    """True when every number and anchor of the string is somewhere in the text (a proclitic allowed)."""
    numbers, anchors = fixed_words(key_words)
    if not numbers and not anchors:
        return True
    have = set(words)
    have.update(w[len(p):] for w in words for p in PROCLITICS if w.startswith(p))
    return set(numbers) <= have and set(anchors) <= {anchor(w) for w in have}


def fuzzy(index: DocIndex, needle: str, threshold: float) -> list[tuple[int, int, float]]:
    """Word windows like ``needle`` by at least ``threshold`` that pass the guards, best first, as
    original ``(start, end, similarity)``."""
    key = fold_span(needle)
    key_words = WORD.findall(key)
    words = index.words
    if len(key_words) < FUZZY_MIN_WORDS or not words:
        return []
    plain = [w for _, _, w in words]
    if not _fixed_words_present(key_words, plain):
        return []  # a number or an anchor word of the string is nowhere in the text: no window can agree
    lead, trail = _edges(key)
    hits: dict[tuple[int, int], float] = {}
    scored = sorted(((r, i, m) for (i, m), r in _scores(index, key, key_words, threshold).items() if r >= threshold),
                    key=lambda h: (-h[0], h[1], h[2]))
    for r, i, m in scored:  # best first; a few places that pass the guards are enough
        if not compatible(key_words, plain[i:i + m], plain[max(0, i - 2):i], plain[i + m:i + m + 2]):
            continue
        i, m = _settle_words(plain, key_words, i, m)
        s = words[i][0] + _extra_proclitic(words[i][2], key_words[0])
        s, e = _take_punctuation(index.folded.text, s, words[i + m - 1][1], lead, trail)
        hits.setdefault((s, e), r)
        if len(hits) >= MAX_HITS:
            break
    return [(*to_original(index.folded, s, e, index.text), r) for (s, e), r in hits.items()]
