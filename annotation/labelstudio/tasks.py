"""The export side of the Label Studio round trip: articles -> tasks, predictions -> pre-annotations.

A task's ``data`` carries the article's ``id``, ``text``, ``title`` and ``source``, so a task always
maps back to its article. A result stores the scheme's names (see ``annotation.labelstudio.config``):

- a region is a ``labels`` item of the ``entities`` control (an entity mention) or of the
  ``claim_parts`` control (CLAIM, SOURCE, CUE);
- a claim's attributes are ``choices`` items of the attribute controls, with the CLAIM region's id;
- ``source``, ``cue`` and ``via`` are relations from a CLAIM to its target; ``same`` relations link
  mentions (and SOURCE regions) of one entity.

The import side (annotations -> records) is :mod:`annotation.labelstudio.annotations`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from annotation.errors import KhabarError
from annotation.labelstudio.config import (CLAIM, CLAIM_PARTS, CUE, ENTITIES, ROLE_CUE, ROLE_SAME, ROLE_SOURCE,
                                           ROLE_VIA, SOURCE, TEXT)
from annotation.model import Article, Claim, Mention, Prediction, Span
from annotation.scheme import Scheme, load_scheme
from annotation.spans import check_span

JSON = dict[str, Any]
_PART_PREFIX = {CLAIM: "c", SOURCE: "s", CUE: "q"}   # region ids of pre-annotations: e1…, c1…, s1…, q1…


def article_task(article: Article, predictions: Sequence[JSON] = ()) -> JSON:
    """The Label Studio task of one article (with its predictions, if any)."""
    task: JSON = {"data": {"id": article.id, "text": article.text, "title": article.title, "source": article.source}}
    if predictions:
        task["predictions"] = list(predictions)
    return task


def prediction_payload(results: list[JSON], model_version: str) -> JSON:
    return {"model_version": model_version, "result": results}


def region_item(rid: str, control: str, label: str, start: int, end: int, text: str) -> JSON:
    """A ``labels`` result item: one region of ``text``."""
    return {"id": rid, "from_name": control, "to_name": TEXT, "type": "labels",
            "value": {"start": start, "end": end, "text": text[start:end], "labels": [label]}}


def relation_item(from_id: str, to_id: str, role: str) -> JSON:
    return {"from_id": from_id, "to_id": to_id, "type": "relation", "direction": "right", "labels": [role]}


def choice_item(rid: str, attribute: str, start: int, end: int, text: str, value: str) -> JSON:
    """A per-region ``choices`` item (Label Studio gives it the id of its region and repeats the span)."""
    return {"id": rid, "from_name": attribute, "to_name": TEXT, "type": "choices",
            "value": {"start": start, "end": end, "text": text[start:end], "choices": [value]}}


def _offsets(span: Span | Mention | Claim, text: str, where: str) -> tuple[int, int] | None:
    """The span's offsets after the one span check; None while it has none (not aligned yet)."""
    if span.start is None or span.end is None:
        return None
    problems = check_span(Span(span.start, span.end, span.text), text, where)
    if problems:
        raise KhabarError(str(problems[0]))
    return span.start, span.end


class _Results:
    """The result items of one prediction, built mention by mention and claim by claim."""

    def __init__(self, pred: Prediction, article: Article, scheme: Scheme) -> None:
        self.pred, self.text, self.scheme = pred, article.text, scheme
        self.regions: list[JSON] = []
        self.relations: list[JSON] = []
        self.mention_at: dict[tuple[int, int], str] = {}
        self.cluster_first: dict[str, str] = {}
        self.cluster_last: dict[str, str] = {}
        self.parts: dict[tuple[str, int, int], str] = {}

    def mentions(self) -> None:
        placed = [(se, m) for i, m in enumerate(self.pred.entities)
                  if (se := _offsets(m, self.text, f"prediction {self.pred.id} entities[{i}]")) is not None]
        for n, ((start, end), m) in enumerate(sorted(placed, key=lambda x: (x[0], x[1].label)), start=1):
            if m.label not in self.scheme.labels:
                raise KhabarError(f"prediction {self.pred.id}: unknown entity label {m.label!r} "
                                  f"(the scheme has {', '.join(self.scheme.labels)})")
            rid = f"e{n}"
            self.regions.append(region_item(rid, ENTITIES, m.label, start, end, self.text))
            self.mention_at.setdefault((start, end), rid)
            if m.entity is not None:
                if m.entity in self.cluster_last:
                    self.relations.append(relation_item(rid, self.cluster_last[m.entity], ROLE_SAME))
                self.cluster_first.setdefault(m.entity, rid)
                self.cluster_last[m.entity] = rid

    def part(self, label: str, se: tuple[int, int]) -> str:
        """The id of the claim-part region ``label`` at ``se`` (added once)."""
        key = (label, *se)
        if key not in self.parts:
            self.parts[key] = f"{_PART_PREFIX[label]}{sum(1 for k in self.parts if k[0] == label) + 1}"
            self.regions.append(region_item(self.parts[key], CLAIM_PARTS, label, se[0], se[1], self.text))
        return self.parts[key]

    def target(self, span: Span, where: str) -> str | None:
        """A source or via: the mention at its offsets, else a SOURCE region (joined to its cluster by ``same``)."""
        se = _offsets(span, self.text, where)
        if se is None:
            return None
        if se in self.mention_at:
            return self.mention_at[se]
        new = (SOURCE, *se) not in self.parts
        rid = self.part(SOURCE, se)
        if new and span.entity is not None and span.entity in self.cluster_first:
            self.relations.append(relation_item(rid, self.cluster_first[span.entity], ROLE_SAME))
        return rid

    def attributes(self, rid: str, claim: Claim, se: tuple[int, int], where: str) -> None:
        for attr in self.scheme.attributes:
            value = getattr(claim, attr.name, None)
            if value is None:
                continue
            stored = ("true" if value else "false") if isinstance(value, bool) else str(value)
            if stored not in attr.value_names:
                raise KhabarError(f"{where}: unknown {attr.name} value {value!r} "
                                  f"(allowed: {', '.join(attr.value_names)})")
            self.regions.append(choice_item(rid, attr.name, se[0], se[1], self.text, stored))

    def claims(self) -> None:
        placed = [(c, se) for i, c in enumerate(self.pred.claims)
                  if (se := _offsets(c, self.text, f"prediction {self.pred.id} claims[{i}]")) is not None]
        for n, (c, se) in enumerate(sorted(placed, key=lambda x: x[1]), start=1):
            rid, where = f"c{n}", f"prediction {self.pred.id} claim {c.id or n}"
            self.regions.append(region_item(rid, CLAIM_PARTS, CLAIM, se[0], se[1], self.text))
            self.attributes(rid, c, se, where)
            if c.source is not None and (to := self.target(c.source, f"{where} source")) is not None:
                self.relations.append(relation_item(rid, to, ROLE_SOURCE))
            if c.cue is not None and (cue := _offsets(c.cue, self.text, f"{where} cue")) is not None:
                self.relations.append(relation_item(rid, self.part(CUE, cue), ROLE_CUE))
            for j, via in enumerate(c.via):
                if (to := self.target(via, f"{where} via[{j}]")) is not None:
                    self.relations.append(relation_item(rid, to, ROLE_VIA))


def predictions_to_results(pred: Prediction, article: Article, scheme: Scheme | None = None) -> list[JSON]:
    """The Label Studio result of one article's (aligned) predictions.

    Spans still without offsets are left out (the caller aligns them first and reports the rest).
    A claim's source or via that coincides with a predicted mention points to that mention; otherwise
    it becomes a SOURCE region (joined by ``same`` to a mention of its cluster, if it names one).
    Mentions sharing a cluster id are chained by ``same`` relations.
    """
    results = _Results(pred, article, scheme or load_scheme())
    results.mentions()
    results.claims()
    return results.regions + results.relations
