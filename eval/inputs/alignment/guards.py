"""What a near match may not change: numbers, the words that fix a date's or a place's side, word order.

Edit distance alone would take «نهاية العام» for «بداية العام», «250 ألف دينار» for «20 ألف درهم» or
«اليوم فجر الثلاثاء» for «فجر اليوم الثلاثاء». A fuzzy or typo candidate must therefore

- agree on every number (folded digits, so «٢٠٢٤» is «2024»), in the same order;
- agree on every *anchor* word, in the same order, a proclitic set aside: the words that name one end
  of a range or one side (start / middle / end, first / last, past / next, before / after, morning /
  evening, north / south, east / west), the days and months, and numbers written as words (ألف /
  مليون / مليار, ثلاث, عامين …);
- keep word order: the words it shares with the string come in the same order, and a word near the
  string's start or end that the candidate leaves out does not stand just outside it;
- miss few words: every word of the string has a counterpart in the candidate (the same word or a
  near spelling of it), but for one in four beyond the first three («المتحدث باسم الوزارة» is not
  «المتحدث باسم الاتحاد»; a claim of eight words may have one word replaced or dropped).

Words are folded (``annotation.arabic.fold``) before these checks.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from difflib import SequenceMatcher
from functools import lru_cache

from annotation.arabic import PROCLITICS, fold

_ANCHORS = ("بداية", "نهاية", "مطلع", "منتصف", "أوائل", "أواسط", "أواخر", "أول", "آخر", "الأول", "الأخير", "الأولى",
            "الأخيرة", "أولى", "أخيرة", "الماضي", "الماضية", "المقبل", "المقبلة", "القادم", "القادمة", "السابق",
            "السابقة", "اللاحق", "التالي", "الحالي", "الجاري", "قبل", "بعد", "أمس", "غدا", "اليوم", "صباح", "مساء",
            "ظهر", "فجر", "شمال", "جنوب", "شرق", "غرب", "الشمالي", "الجنوبي", "الشرقي", "الغربي", "الشمالية",
            "الجنوبية", "الشرقية", "الغربية")
_DAYS_MONTHS = ("السبت", "الأحد", "الاثنين", "الإثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "يناير", "فبراير",
                "مارس", "أبريل", "إبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر",
                "كانون", "شباط", "آذار", "نيسان", "أيار", "حزيران", "تموز", "آب", "أيلول", "تشرين", "جانفي", "فيفري",
                "أفريل", "ماي", "جوان", "جويلية", "أوت")
_NUMBER_WORDS = ("واحد", "واحدة", "اثنان", "اثنين", "اثنتين", "ثلاث", "ثلاثة", "أربع", "أربعة", "خمس", "خمسة", "ست",
                 "ستة", "سبع", "سبعة", "ثمان", "ثماني", "ثمانية", "تسع", "تسعة", "عشر", "عشرة", "عشرين", "عشرون",
                 "ثلاثين", "أربعين", "خمسين", "مئة", "مائة", "مئات", "ألف", "آلاف", "ألفا", "مليون", "ملايين", "مليار",
                 "مليارات", "ترليون", "عامين", "شهرين", "أسبوعين", "يومين", "نصف", "ربع", "ثلث")
ANCHORS = frozenset(fold(w) for w in (*_ANCHORS, *_DAYS_MONTHS, *_NUMBER_WORDS))
_DIGIT = re.compile(r"\d")
MIN_TYPO_LETTERS = 4  # a typo is forgiven only inside a word at least this long
NEAR_WORD = 0.75  # two words this similar (difflib) count as the same word spelt differently


@lru_cache(maxsize=65536)
def anchor(word: str) -> str | None:
    """The anchor ``word`` is (folded), a proclitic set aside, or None."""
    if word in ANCHORS:
        return word
    for prefix in PROCLITICS:
        if word.startswith(prefix) and word[len(prefix):] in ANCHORS:
            return word[len(prefix):]
    return None


def fixed_words(words: Sequence[str]) -> tuple[list[str], list[str]]:
    """The numbers and the anchors of ``words``, in order."""
    return [w for w in words if _DIGIT.search(w)], [a for a in map(anchor, words) if a is not None]


def _common_in_order(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence of two word lists."""
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b):
            current.append(previous[j] + 1 if x == y else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


def _near(word: str, others: Sequence[str]) -> bool:
    if word in others:
        return True
    matcher = SequenceMatcher(None, "", word, autojunk=False)
    for other in others:
        matcher.set_seq1(other)
        if matcher.real_quick_ratio() >= NEAR_WORD and matcher.ratio() >= NEAR_WORD:
            return True
    return False


def in_order(key: Sequence[str], words: Sequence[str]) -> bool:
    """True when the words ``key`` shares with ``words`` come in the same order in both."""
    shared = sum((Counter(key) & Counter(words)).values())
    return _common_in_order(key, words) == shared


def _misspelt_anchors(key: Sequence[str], window: Sequence[str]) -> list[str]:
    """The string's words, a word one typo away from an anchor of the window read as that anchor
    («انلول» for «أيلول»)."""
    anchors = [w for w in window if anchor(w) is not None]
    if not anchors:
        return list(key)
    return [w if anchor(w) is not None else next((a for a in anchors if one_edit_inside(w, a)), w) for w in key]


def _as_key(wanted: set[str], words: Sequence[str]) -> list[str]:
    """The text's words, each without a proclitic when that makes it a word of the string
    («والمركزي» → «المركزي» against «يثبت المركزي»)."""
    out = []
    for w in words:
        if w not in wanted:
            w = next((w[len(p):] for p in PROCLITICS if w.startswith(p) and w[len(p):] in wanted), w)
        out.append(w)
    return out


def _moved_out(key: Sequence[str], window: Sequence[str], before: Sequence[str], after: Sequence[str]) -> bool:
    """True when a word of the string's first (last) three that the window lacks stands just before
    (after) it: the window left out a word the string has elsewhere, e.g. «الجهوية المديرية للوقاية»
    against «المديرية الجهوية للوقاية»."""
    have = Counter(window)
    n = len(key)
    for k, word in enumerate(key):
        if have[word]:
            have[word] -= 1
        elif (k < 3 and word in before) or (k >= n - 3 and word in after):
            return True
    return False


def compatible(key: Sequence[str], window: Sequence[str], before: Sequence[str] = (),
               after: Sequence[str] = ()) -> bool:
    """True when ``window`` (words of the text) may stand for ``key`` (words of the string): same
    numbers, same anchors, shared words in the same order (none of the string's edge words left out
    while standing in ``before`` or ``after``, the words next to the window), few words without a
    counterpart."""
    wanted = set(key)
    window, before, after = (_as_key(wanted, words) for words in (window, before, after))
    if fixed_words(_misspelt_anchors(key, window)) != fixed_words(window) or not in_order(key, window):
        return False
    if _moved_out(key, window, before, after):
        return False
    missing = sum(1 for w in key if not _near(w, window))
    return missing <= max(0, len(key) - 1) // 4


def one_edit_inside(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by one letter substituted, added or dropped strictly inside a
    word of at least four letters (not its first or last letter), neither being a number and not both
    anchors (a misspelt «الماضي» is «الماضي»; «الأولى» is not «الأول»)."""
    if a == b or abs(len(a) - len(b)) > 1 or min(len(a), len(b)) < MIN_TYPO_LETTERS:
        return False
    if not (a.isalpha() and b.isalpha()) or (anchor(a) is not None and anchor(b) is not None):
        return False
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        same_rest = a[i + 1:] == b[i + 1:]
    else:
        longer, shorter = (a, b) if len(a) > len(b) else (b, a)
        same_rest = longer[i + 1:] == shorter[i:]
    return same_rest and 0 < i < max(len(a), len(b)) - 1
