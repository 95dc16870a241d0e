"""Checking a region's offsets against the article text, and repairing them when that is unambiguous.

Label Studio 1.23 reports code-point offsets on the raw text (``\\r\\n`` counts as two characters),
which are khabar's offsets. Older exports and other tools may count UTF-16 code units, or count
on text whose line breaks were normalised to ``\\n``. When ``value.text`` does not match the text at
the offsets, each of these readings is tried; the region is repaired only when exactly one reading
puts ``value.text`` there, and otherwise reported.
"""

from __future__ import annotations

from bisect import bisect_left
from functools import cached_property

from annotation.spans import span_problem

UTF16 = "utf16"
NEWLINES = "newlines"


class OffsetResolver:
    """Offset readings of one text; ``locate`` checks one region."""

    def __init__(self, text: str) -> None:
        self.text = text

    @cached_property
    def _utf16_starts(self) -> list[int]:
        """UTF-16 offset of each code point, plus the total length."""
        out, pos = [], 0
        for char in self.text:
            out.append(pos)
            pos += 2 if ord(char) > 0xFFFF else 1
        out.append(pos)
        return out

    @cached_property
    def _crlf_positions(self) -> list[int]:
        """Raw offsets of the ``\\n`` of each ``\\r\\n``."""
        out, pos = [], self.text.find("\r\n")
        while pos != -1:
            out.append(pos + 1)
            pos = self.text.find("\r\n", pos + 2)
        return out

    def _from_utf16(self, offset: int) -> int | None:
        starts = self._utf16_starts
        i = bisect_left(starts, offset)
        return i if i < len(starts) and starts[i] == offset else None

    def _from_normalised(self, offset: int) -> int:
        """A raw offset from an offset into the text with each ``\\r\\n`` as one ``\\n``."""
        # the k-th removed \r shifts every later normalised offset by one
        crlf = self._crlf_positions
        lo, hi = 0, len(crlf)
        while lo < hi:  # number of \r\n whose \n lies before the raw position we are computing
            mid = (lo + hi) // 2
            if crlf[mid] - (mid + 1) < offset:
                lo = mid + 1
            else:
                hi = mid
        return offset + lo

    def _readings(self, start: int, end: int) -> dict[str, tuple[int, int]]:
        readings: dict[str, tuple[int, int]] = {}
        has_astral = self._utf16_starts[-1] != len(self.text)
        if has_astral:
            s, e = self._from_utf16(start), self._from_utf16(end)
            if s is not None and e is not None:
                readings[UTF16] = (s, e)
        if self._crlf_positions:
            readings[NEWLINES] = (self._from_normalised(start), self._from_normalised(end))
            if has_astral:
                # UTF-16 offsets into the newline-normalised text
                normalised = OffsetResolver(self.text.replace("\r\n", "\n"))
                s, e = normalised._from_utf16(start), normalised._from_utf16(end)
                if s is not None and e is not None:
                    readings[f"{UTF16}+{NEWLINES}"] = (self._from_normalised(s), self._from_normalised(e))
        return readings

    def locate(self, start: object, end: object, value_text: object) -> tuple[tuple[int, int], str | None] | str:
        """((start, end) in code points, the repair made or None), or the reason the region is unusable."""
        if not isinstance(start, int) or not isinstance(end, int) or isinstance(start, bool) or isinstance(end, bool):
            return f"region has no integer start/end (start={start!r}, end={end!r})"
        if value_text is not None and not isinstance(value_text, str):
            return f"region text is not a string: {value_text!r}"
        text = self.text
        problem = span_problem(start, end, len(text))
        inside = problem is None
        if inside and (value_text is None or text[start:end] == value_text):
            return (start, end), None
        if problem is not None and value_text is None:
            return problem
        matches = {name: se for name, se in self._readings(start, end).items()
                   if span_problem(se[0], se[1], len(text)) is None and text[se[0]:se[1]] == value_text}
        distinct = sorted(set(matches.values()))
        if len(distinct) == 1:
            return distinct[0], f"{' or '.join(sorted(matches))} offsets [{start}, {end}) -> {list(distinct[0])}"
        found = repr(text[start:end]) if inside else f"nothing (the text has {len(text)} characters)"
        if len(distinct) > 1:
            return (f"region text {value_text!r} does not match the text at [{start}, {end}) and the repair is "
                    f"ambiguous ({', '.join(f'{n}: {list(se)}' for n, se in sorted(matches.items()))})")
        return f"region text {value_text!r} does not match the text at [{start}, {end}): {found}"
