"""Alignment of offset-free predicted spans to the article text.

STUB with the agreed interface (exact match only); the extractor issue replaces the body
with exact -> Arabic-normalised -> fuzzy alignment, clitic tolerance and a full report.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from annotation.model import Claim, Mention, Prediction, Span


@dataclass(frozen=True)
class AlignConfig:
    normalise: bool = True
    fuzzy: float | None = 0.75
    clitics: bool = False


@dataclass
class AlignReport:
    """How many offset-free spans there were, how many were aligned and by which step; the failures."""

    total: int = 0
    aligned: int = 0
    by_step: dict[str, int] = field(default_factory=dict)
    unaligned: list[dict] = field(default_factory=list)  # {"id": doc id, "kind": "entity"|"claim"|..., "text": ...}

    @property
    def rate(self) -> float:
        return self.aligned / self.total if self.total else 1.0


def _align(span_text: str | None, text: str, used: set[tuple[int, int]]) -> tuple[int, int] | None:
    if not span_text:
        return None
    pos = text.find(span_text)
    while pos != -1:
        key = (pos, pos + len(span_text))
        if key not in used:
            used.add(key)
            return key
        pos = text.find(span_text, pos + 1)
    return None


def align_prediction(pred: Prediction, text: str, config: AlignConfig = AlignConfig(),
                     report: AlignReport | None = None) -> Prediction:
    """Give offsets to every span that has only text; spans that cannot be aligned keep None offsets
    (the scorer counts them as spurious) and are listed in ``report.unaligned``."""
    report = report if report is not None else AlignReport()
    used: set[tuple[int, int]] = set()

    def fix(span_text: str | None, start: int | None, end: int | None, kind: str) -> tuple[int | None, int | None]:
        if start is not None and end is not None:
            return start, end
        report.total += 1
        found = _align(span_text, text, used)
        if found is None:
            report.unaligned.append({"id": pred.id, "kind": kind, "text": span_text})
            return None, None
        report.aligned += 1
        report.by_step["exact"] = report.by_step.get("exact", 0) + 1
        return found

    def fix_span(span: Span | None, kind: str) -> Span | None:
        if span is None:
            return None
        s, e = fix(span.text, span.start, span.end, kind)
        return replace(span, start=s, end=e)

    entities = []
    for m in pred.entities:
        s, e = fix(m.text, m.start, m.end, "entity")
        entities.append(replace(m, start=s, end=e))
    claims = []
    for c in pred.claims:
        s, e = fix(c.text, c.start, c.end, "claim")
        claims.append(replace(c, start=s, end=e, source=fix_span(c.source, "source"),
                              cue=fix_span(c.cue, "cue"),
                              via=tuple(v for v in (fix_span(x, "via") for x in c.via) if v is not None)))
    return replace(pred, entities=tuple(entities), claims=tuple(claims))
