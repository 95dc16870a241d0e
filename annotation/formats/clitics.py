"""Moving mention starts past attached proclitics, for corpora that keep them inside mentions (WojoodNER:
«وقوات», «بكردستان», «للحوثيين»), so that the converted gold follows khabar's guidelines.

The rule is the guidelines' (section 4) with the one list of proclitics, :data:`annotation.arabic.PROCLITICS`:
a mention starts after «لل» (and «ولل», «فلل») fused with the article; otherwise after a proclitic when
what follows is a word of its own. Names that merely begin with one of these letters («بوتين», «فلسطين»,
«واشنطن», «وزارة») must not lose it, so a proclitic is taken off only when what is left begins with the
article «ال» («والرئيس» → «الرئيس») or occurs as a word of its own in the corpus («وقوات» → «قوات» when
«قوات» is written alone somewhere in the converted inputs; ``khabar convert`` reads them once more for
that vocabulary). A mention whose first word starts with a proclitic letter but meets neither condition is
kept as it is and counted as ambiguous.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from annotation.arabic import PROCLITICS
from annotation.model import Annotated

FUSED = ("ولل", "فلل", "لل")  # ل fused with the article: the mention starts after it
MIN_REST = 2  # letters that must remain after a proclitic (as the aligner and the baseline require)
_WORD = re.compile(r"\w+")


def proclitic_length(word: str, vocabulary: set[str]) -> int | None:
    """How many leading characters of ``word`` are a proclitic to leave out; 0 when none; None when the
    word starts with a proclitic letter but the rule cannot tell (ambiguous, kept)."""
    for fused in FUSED:
        if word.startswith(fused) and len(word) - len(fused) >= MIN_REST:
            return len(fused)
    candidates = [p for p in PROCLITICS if word.startswith(p) and len(word) - len(p) >= MIN_REST]
    for prefix in candidates:  # longest first, as PROCLITICS is ordered
        rest = word[len(prefix):]
        if rest.startswith("ال") or rest in vocabulary:
            return len(prefix)
    return None if candidates else 0


def vocabulary(texts: Iterable[str]) -> set[str]:
    """The words written in ``texts``: what a proclitic may leave behind."""
    words: set[str] = set()
    for text in texts:
        words.update(_WORD.findall(text))
    return words


def strip_proclitics(doc: Annotated, words: set[str] | None = None) -> tuple[Annotated, int, int]:
    """``doc`` with its mentions' proclitics left out; and how many mentions changed, how many were ambiguous.
    ``words`` is the corpus's vocabulary (default: the document's own words). Mentions without offsets
    (an extractor's text-only spans) are left as they are."""
    known = words if words is not None else vocabulary([doc.text])
    changed = ambiguous = 0
    entities = []
    for m in doc.entities:
        has_offsets = m.start is not None and m.end is not None
        first = _WORD.match(doc.text[m.start:m.end] if has_offsets else "")
        cut = proclitic_length(first.group(), known) if first else 0
        if cut is None:
            ambiguous += 1
        elif cut and has_offsets and m.start + cut < m.end:
            start = m.start + cut
            m = replace(m, start=start, text=doc.text[start:m.end])
            changed += 1
        entities.append(m)
    return replace(doc, entities=tuple(entities)), changed, ambiguous
