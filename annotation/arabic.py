"""Arabic script: which characters are Arabic letters, and folding text into comparison keys.

``fold`` is for comparing and hashing text (near-duplicate shingles), never for stored text:
it removes diacritics and tatweel, unifies alef / alef maqsura / teh marbuta forms, turns
Arabic-Indic digits into ASCII digits and drops bidi marks, so «٦٣٠» and «630» or «إلى» and
«الى» compare equal.
"""

from __future__ import annotations

import re
import unicodedata

_ARABIC_BLOCKS = ((0x0600, 0x06FF), (0x0750, 0x077F), (0x0870, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))

# Harakat, Quranic marks, superscript alef and tatweel.
_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
# Bidi controls and the Arabic letter mark: invisible, they only steer rendering.
BIDI_MARKS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي",
                       **{c: None for c in BIDI_MARKS},
                       **{chr(0x0660 + d): str(d) for d in range(10)},  # Arabic-Indic digits
                       **{chr(0x06F0 + d): str(d) for d in range(10)}})  # extended (Persian) digits
_WORD = re.compile(r"\w+")

# Attached proclitics that mentions leave out (و ف ب ل ك and their pairs), longest first: the guidelines'
# rule, used by the baseline, the aligner and the converters alike («وروسيا» → «روسيا»).
PROCLITICS = ("وب", "ول", "وك", "فب", "فل", "فك", "و", "ف", "ب", "ل", "ك")


def is_arabic_letter(char: str) -> bool:
    code = ord(char)
    return any(lo <= code <= hi for lo, hi in _ARABIC_BLOCKS) and unicodedata.category(char).startswith("L")


def has_arabic(text: str) -> bool:
    """True when ``text`` contains at least one Arabic letter."""
    return any(is_arabic_letter(c) for c in text)


def fold(text: str) -> str:
    """A comparison key for ``text`` (see the module docstring); not for stored text."""
    text = unicodedata.normalize("NFKC", text)
    return _MARKS.sub("", text).translate(_FOLD).lower()


def words(text: str) -> list[str]:
    """The folded words of ``text``: maximal runs of letters and digits (punctuation dropped)."""
    return _WORD.findall(fold(text).replace("_", " "))
