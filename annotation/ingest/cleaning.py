"""Cleaning one article's lines: normalisation, boilerplate removal and title detection.

Every removed line is recorded (``Removals``) with its reason, so nothing disappears silently:

- ``blank``: empty, whitespace-only and non-breaking-space-only lines (counted);
- ``invisible-characters``: BOMs, zero-width spaces, soft hyphens, bidi marks (counted);
- ``no-text``: lines of punctuation or symbols only («***», «|»);
- ``outlet-boilerplate``: lines that recur across articles of one outlet (``outlet_boilerplate``);
- ``masthead``: a block before the title that repeats itself (the seed's «رئيس مجلسى الإدارة والتحرير /
  محمد الباز» twice), with any later copies;
- ``title-repeated``: later copies of the title line (a title repeated as a caption);
- ``repeated-in-article``: short lines (≤ ``MAX_REPEATED_WORDS`` words) that occur twice or more,
  all copies (photo captions such as «بويتن وكيم»);
- ``duplicate-paragraph``: later copies of a longer paragraph that occurs twice;
- ``html-not-main-text``: page text outside the article body of an HTML page.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from annotation.arabic import BIDI_MARKS

MAX_REPEATED_WORDS = 12
OUTLET_MIN_ARTICLES = 3
OUTLET_MIN_SHARE = 0.5
MASTHEAD_MAX_LINES = 12

_NEWLINES = re.compile("\r\n|[\r\u2028\u2029\x85\x0b\x0c]")
_INVISIBLE = re.compile(f"[\ufeff\u200b\u00ad\u2060{BIDI_MARKS}]|[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_SPACES = re.compile("[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")


class Removals:
    """What was removed from one article, in order of first appearance: reason, line, count."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, str | None], int] = {}

    def add(self, reason: str, line: str | None = None, count: int = 1) -> None:
        if count > 0:
            key = (reason, line)
            self._counts[key] = self._counts.get(key, 0) + count

    def entries(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for (reason, line), count in self._counts.items():
            entry: dict[str, Any] = {"reason": reason, "count": count} if line is None else \
                {"line": line, "reason": reason, "count": count}
            out.append(entry)
        return out

    def by_reason(self) -> Counter[str]:
        totals: Counter[str] = Counter()
        for (reason, _), count in self._counts.items():
            totals[reason] += count
        return totals


@dataclass(frozen=True)
class CleanText:
    title: str
    body: tuple[str, ...]

    @property
    def text(self) -> str:
        """The clean text: the title as the first line, then the paragraphs, one per line."""
        return "\n".join((self.title, *self.body))


def squash(line: str) -> str:
    """One line with its spaces (including non-breaking ones) collapsed and stripped."""
    return _SPACES.sub(" ", line).strip()


def split_lines(text: str, removals: Removals) -> list[str]:
    """NFC text → stripped, non-empty content lines; blanks, invisible characters and symbol lines recorded."""
    text = unicodedata.normalize("NFC", _NEWLINES.sub("\n", text))
    invisible = len(_INVISIBLE.findall(text))
    text = _INVISIBLE.sub("", text)
    lines = []
    blank = 0
    for raw in text.split("\n"):
        line = squash(raw)
        if not line:
            blank += 1
        elif not any(c.isalnum() for c in line):
            removals.add("no-text", line)
        else:
            lines.append(line)
    # A trailing newline ends the last line; it does not make a blank line.
    if text.endswith("\n"):
        blank -= 1
    removals.add("blank", count=blank)
    removals.add("invisible-characters", count=invisible)
    return lines


def outlet_boilerplate(articles: Iterable[tuple[str | None, str, Sequence[str]]], *,
                       min_articles: int = OUTLET_MIN_ARTICLES,
                       min_share: float = OUTLET_MIN_SHARE) -> dict[str | None, set[str]]:
    """Lines that recur across one outlet's articles, CCNet-style.

    ``articles`` gives (outlet, story group, lines) per article. A line is boilerplate for its outlet
    when it occurs in at least 2 story groups of that outlet and either in ``min_articles`` groups or in
    at least ``min_share`` of the outlet's groups. Counting story groups (near-duplicate articles count
    once) keeps two versions of one story from stripping each other's paragraphs.
    """
    groups: dict[str | None, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for outlet, group, lines in articles:
        groups[outlet][group].update(lines)
    out: dict[str | None, set[str]] = {}
    for outlet, by_group in groups.items():
        frequency: Counter[str] = Counter(line for lines in by_group.values() for line in lines)
        n = len(by_group)
        out[outlet] = {line for line, df in frequency.items()
                       if df >= 2 and (df >= min_articles or df >= min_share * n)}
    return out


def masthead_length(lines: Sequence[str]) -> int:
    """Length of the leading block in which every line occurs at least twice (0 when there is none)."""
    for k in range(min(MASTHEAD_MAX_LINES, len(lines) - 1), 1, -1):
        counts = Counter(lines[:k])
        if all(c >= 2 for c in counts.values()):
            return k
    return 0


def clean_lines(lines: Sequence[str], removals: Removals, *, title: str | None = None,
                boilerplate: set[str] | frozenset[str] = frozenset(),
                max_repeated_words: int = MAX_REPEATED_WORDS) -> CleanText | None:
    """Remove boilerplate from an article's content lines and find its title (None when nothing is left).

    ``title`` is an explicit title (HTML heading, record or sidecar field); without one the title is the
    first line after the outlet boilerplate and the masthead.
    """
    body = []
    for line in lines:
        if line in boilerplate:
            removals.add("outlet-boilerplate", line)
        else:
            body.append(line)
    if title is not None:
        title = squash(title)
        copies = body.count(title)
        body = [line for line in body if line != title]
        removals.add("title-repeated", title, copies - 1)
    k = masthead_length(body)
    masthead = set(body[:k])
    kept = []
    for line in body:
        if line in masthead:
            removals.add("masthead", line)
        else:
            kept.append(line)
    body = kept
    if title is None:
        if not body:
            return None
        title, body = body[0], body[1:]
        removals.add("title-repeated", title, body.count(title))
        body = [line for line in body if line != title]
    counts = Counter(body)
    seen: set[str] = set()
    kept = []
    for line in body:
        if counts[line] > 1 and len(line.split()) <= max_repeated_words:
            removals.add("repeated-in-article", line)
        elif line in seen:
            removals.add("duplicate-paragraph", line)
        else:
            seen.add(line)
            kept.append(line)
    if not title:
        return None
    return CleanText(title, tuple(kept))
