"""Disputed units: one row per unit on which the annotators of an article do not all agree.

A unit is a mention or a claim aligned across all of an article's annotators by
:func:`annotation.review.records.align` (the one matcher: mentions by
:func:`annotation.review.agreement.pairing_weight`, claims by token IoU with
:func:`annotation.matching.claim_weight`), the same units adjudication votes over. Two sources
(or intermediate sources) are the same when :func:`annotation.review.agreement.sources_agree`
says so, the rule agreement counts and adjudication votes with. Each dispute carries every
annotator's value in words ("absent" when an annotator does not have the unit), so that a lead
(or the review queue, ``khabar review push``) can act on it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from annotation.matching import claim_weight
from annotation.model import Annotated, Claim, Mention, Span
from annotation.review.units import CLAIM_IOU, pairing_weight, sources_agree, value_key, vias_agree
from annotation.review.records import ArticleRecords, Unit, align

ABSENT = "absent"


@dataclass(frozen=True)
class Dispute:
    """One disputed unit: ``what`` (presence, label, boundaries, source, cue, via, alignment or a claim
    attribute) of the ``unit`` (mention | claim) at [start, end), with each annotator's value."""

    article: str
    tasks: tuple[str, ...]
    unit: str
    start: int
    end: int
    text: str
    what: str
    values: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.article, "tasks": list(self.tasks), "unit": self.unit, "start": self.start,
                "end": self.end, "text": self.text, "what": self.what, "values": dict(self.values)}

    def sentence(self) -> str:
        """The dispute in words: ``claim «…»: source: a@x «…»; b@x none``."""
        said = "; ".join(f"{who} {value}" for who, value in self.values.items())
        return f"{self.unit} «{self.text}»: {self.what}: {said}"


def _words(span: Span | Mention | Claim | None) -> str:
    if span is None:
        return "none"
    label = f"{span.label} " if isinstance(span, Mention) else ""
    return f"{label}«{span.text}»"


class _Article:
    """The disputes of one article with two annotators or more."""

    def __init__(self, art: ArticleRecords, claim_iou: float, attributes: Sequence[str]) -> None:
        self.art, self.claim_iou, self.attributes = art, claim_iou, attributes
        self.names = art.annotators
        self.found: list[Dispute] = []

    def add(self, unit: str, first: Any, what: str, values: dict[str, str]) -> None:
        self.found.append(Dispute(self.art.id, tuple(self.art.tasks), unit, first.start, first.end, first.text,
                                  what, values))

    def unit(self, kind: str, unit: Unit, items: dict[str, Sequence[Any]]) -> dict[str, Any] | None:
        """The unit's item per annotator, after the presence and alignment checks (None: nothing more to compare)."""
        first = min((items[a][i] for a, idx in unit.members.items() for i in idx), key=lambda x: (x.start, x.end))
        if unit.ambiguous:
            self.add(kind, first, "alignment", {a: " + ".join(_words(items[a][i]) for i in unit.members.get(a, []))
                                                or ABSENT for a in self.names})
            return None
        members = {a: items[a][idx[0]] for a, idx in unit.members.items()}
        if len(members) < len(self.names):
            self.add(kind, first, "presence", {a: _words(members[a]) if a in members else ABSENT for a in self.names})
        return members if len(members) > 1 else None

    def differ(self, kind: str, members: dict[str, Any], what: str, show: Callable[[Any], str],
               same: Callable[[str, str], bool]) -> None:
        first = min(members.values(), key=lambda x: (x.start, x.end))
        if not all(same(a, b) for a, b in itertools.combinations(sorted(members), 2)):
            self.add(kind, first, what, {a: show(members[a]) for a in sorted(members)})

    def mentions(self) -> None:
        ents = {a: self.art.records[a].entities for a in self.names}
        for unit in align(ents, pairing_weight):
            members = self.unit("mention", unit, ents)
            if members is None:
                continue
            self.differ("mention", members, "label", lambda m: m.label, lambda a, b: members[a].label == members[b].label)
            self.differ("mention", members, "boundaries", _words,
                        lambda a, b: (members[a].start, members[a].end) == (members[b].start, members[b].end))

    def claims(self) -> None:
        recs: dict[str, Annotated] = self.art.records
        claims = {a: recs[a].claims for a in self.names}
        for unit in align(claims, claim_weight(self.art.text, self.claim_iou)):
            m = self.unit("claim", unit, claims)
            if m is None:
                continue
            self.differ("claim", m, "boundaries", _words, lambda a, b: (m[a].start, m[a].end) == (m[b].start, m[b].end))
            self.differ("claim", m, "source", lambda c: _words(c.source),
                        lambda a, b: sources_agree(recs[a], m[a].source, recs[b], m[b].source, iou=self.claim_iou))
            self.differ("claim", m, "cue", lambda c: _words(c.cue),
                        lambda a, b: (m[a].cue and (m[a].cue.start, m[a].cue.end))
                        == (m[b].cue and (m[b].cue.start, m[b].cue.end)))
            self.differ("claim", m, "via", lambda c: "; ".join(map(_words, c.via)) or "none",
                        lambda a, b: vias_agree(recs[a], m[a].via, recs[b], m[b].via, iou=self.claim_iou))
            for attr in self.attributes:
                self.differ("claim", m, attr, lambda c, attr=attr: value_key(getattr(c, attr)),
                            lambda a, b, attr=attr: value_key(getattr(m[a], attr)) == value_key(getattr(m[b], attr)))


def article_disputes(art: ArticleRecords, attributes: Sequence[str], *, claim_iou: float = CLAIM_IOU) -> list[Dispute]:
    """Every disputed unit of one article, in text order (none with fewer than two annotators)."""
    if len(art.records) < 2:
        return []
    found = _Article(art, claim_iou, attributes)
    found.mentions()
    found.claims()
    return sorted(found.found, key=lambda d: (d.start, d.end, d.unit != "mention", d.what))
