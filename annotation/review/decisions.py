"""Review decisions taken unit by unit.

A review task (``khabar review push``) shows the adjudicator a draft: the majority proposal of the
article at the time the task was made. ``khabar import`` of the review project keeps, with each
decision, that draft (``annotation.draft``: its mentions and claims). Adjudication then compares the
decision with its draft unit by unit, with the one matcher (mentions by
:func:`annotation.review.units.pairing_weight`, claims by token IoU, :func:`annotation.matching.claim_weight`):

- a unit the adjudicator changed (added, removed, relabelled, moved, another source, cue, attribute
  or cluster) is theirs: the decision's version (or its absence) replaces the majority's;
- a unit they left as drafted keeps the majority rule over the annotators' records as they are now
  (an annotator who corrected their annotation after the review was made still counts);
- a unit the majority has now and the draft had not (settled since) stays, unless the adjudicator
  added one that matches it: then theirs wins.

What the majority cannot settle on an article with a decision is the adjudicator's (they saw it
contested), except on a unit they left as drafted: there, a contest that arose since the review was
made is still unresolved. A decision without a draft (imported before drafts were kept) replaces
the whole article, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from annotation.io import dumps
from annotation.matching import claim_weight, match
from annotation.model import Annotated, Claim, Mention, Span
from annotation.review.records import align
from annotation.review.units import CLAIM_IOU, pairing_weight


def split_decisions(records: Sequence[Annotated]) -> tuple[list[Annotated], dict[str, Annotated]]:
    """The annotators' records, and per article the latest review decision (``annotation.review``)."""
    decisions: dict[str, Annotated] = {}
    for r in sorted((r for r in records if r.annotation.get("review")),
                    key=lambda r: (str(r.annotation.get("updated_at") or ""), str(r.annotation.get("annotation_id")))):
        decisions[r.id] = r
    return [r for r in records if not r.annotation.get("review")], decisions


def draft_of(decision: Annotated) -> Annotated | None:
    """The majority draft a review decision was made from, or None when the record does not keep it."""
    draft = decision.annotation.get("draft")
    if not isinstance(draft, dict):
        return None
    return Annotated.from_dict({**decision.to_dict(), "entities": draft.get("entities") or [],
                                "claims": draft.get("claims") or [], "annotation": {}},
                               f"review decision of {decision.id}: draft: ")


def _offsets(span: Span | None) -> tuple[int, int] | None:
    return None if span is None else (span.start, span.end)


def mention_key(m: Mention) -> Hashable:
    return (m.start, m.end, m.label, m.entity)


def claim_key(c: Claim) -> Hashable:
    """A claim as the adjudicator sees it: extent, source, cue and intermediate sources (offsets), attributes."""
    parts = c.to_dict()
    parts.pop("id", None)
    parts.update(text=None, source=_offsets(c.source), cue=_offsets(c.cue), via=[_offsets(v) for v in c.via])
    return dumps(parts)


@dataclass
class Merged:
    """One kind of unit after the merge: the items, how many units the adjudicator decided, and the
    draft items they left as they were."""

    items: list[Any]
    decided: int
    untouched: list[Any]


def merge_units(majority: Sequence[Any], draft: Sequence[Any], decision: Sequence[Any],
                weight: Callable[[Any, Any], Any], key: Callable[[Any], Hashable]) -> Merged:
    """The majority's items with every unit the adjudicator changed (draft -> decision) replaced by theirs."""
    on_majority = dict(match(draft, majority, weight))   # draft index -> majority index
    removed: set[int] = set()
    added: list[Any] = []
    untouched: list[Any] = []
    decided = 0
    for unit in align({"draft": draft, "decision": decision}, weight):
        d, s = unit.members.get("draft", []), unit.members.get("decision", [])
        if d and s and key(draft[d[0]]) == key(decision[s[0]]):
            untouched.append(draft[d[0]])
            continue
        decided += 1
        removed |= {on_majority[i] for i in d if i in on_majority}
        added += [decision[j] for j in s]
    since = [j for j in range(len(majority)) if j not in on_majority.values()]   # settled after the draft
    removed |= {since[j] for _, j in match(added, [majority[j] for j in since], weight)}
    return Merged([m for j, m in enumerate(majority) if j not in removed] + added, decided, untouched)


@dataclass
class Decided:
    """An article settled by a review decision, unit by unit."""

    entities: tuple[Mention, ...]
    claims: tuple[Claim, ...]
    decided: int
    by_majority: int
    unresolved: list[dict[str, Any]]


def _overlaps(span: dict[str, Any] | None, items: Sequence[Any]) -> bool:
    return span is not None and any(i.start < span["end"] and span["start"] < i.end for i in items)


def apply_decision(majority_entities: Sequence[Mention], majority_claims: Sequence[Claim],
                   unresolved: Sequence[dict[str, Any]], draft: Annotated, decision: Annotated, *,
                   claim_iou: float = CLAIM_IOU) -> Decided:
    """The article's units: the adjudicator's where they changed the draft, the majority's elsewhere
    (see the module docstring); ``unresolved``: what the majority cannot settle on the article now."""
    mentions = merge_units(majority_entities, draft.entities, decision.entities, pairing_weight, mention_key)
    claims = merge_units(majority_claims, draft.claims, decision.claims, claim_weight(draft.text, claim_iou),
                         claim_key)
    left = [u for u in unresolved
            if _overlaps(u.get("span"), claims.untouched if u.get("unit") == "claim" else mentions.untouched)]
    return Decided(tuple(mentions.items), tuple(claims.items), mentions.decided + claims.decided,
                   len(mentions.untouched) + len(claims.untouched), left)
