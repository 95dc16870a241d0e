"""What changed between two gold sets, per article, with the one matcher (:mod:`annotation.matching`).

Mentions are paired as annotator agreement pairs them (:func:`annotation.review.agreement.pairing_weight`:
exact matches first, then as many overlapping pairs as possible, same label preferred), claims as the
scorer matches them (:func:`annotation.matching.claim_weight`, token IoU >= 0.5). A paired mention or
claim whose boundary moved is one ``rebounded`` change, never a removal and an addition.

The result (:func:`diff_gold`) has stable keys: ``old`` and ``new`` (path, version, fingerprint,
scheme_version, articles), ``not_compared`` (fields defined differently by the two schemes),
``summary`` (:data:`SUMMARY_KEYS`, every key present) and ``articles`` (only the articles that
changed, in id order: ``id``, ``status`` added|removed|changed, ``fields`` (article fields that
differ), ``changes``: rows of ``kind``, ``change``, ``field``, ``id``, ``text``, ``old``, ``new``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from annotation.matching import claim_weight, match
from annotation.model import Annotated, Claim, Mention, Span
from annotation.review.agreement import pairing_weight

MENTION_CHANGES = ("added", "removed", "relabelled", "rebounded", "reclustered")
CLAIM_CHANGES = ("added", "removed", "rebounded", "source", "cue", "via", "attribute")
SUMMARY_KEYS = (("articles_added", "articles_removed", "articles_changed", "articles_unchanged")
                + tuple(f"mentions_{c}" for c in MENTION_CHANGES) + tuple(f"claims_{c}" for c in CLAIM_CHANGES))
ARTICLE_FIELDS = ("text", "title", "source", "url", "published", "lang")
ANNOTATION_FIELDS = ("annotators", "adjudicated", "scheme", "rule")  # annotation.release is not content
DESCRIBED = {"mentions_added": "mentions added", "mentions_removed": "mentions removed",
             "mentions_relabelled": "mentions relabelled", "mentions_rebounded": "mentions re-bounded",
             "mentions_reclustered": "mentions re-clustered", "claims_added": "claims added",
             "claims_removed": "claims removed", "claims_rebounded": "claims re-bounded",
             "claims_source": "claims with a changed source", "claims_cue": "claims with a changed cue",
             "claims_via": "claims with a changed intermediate source",
             "claims_attribute": "claim attribute values changed"}


@dataclass(frozen=True)
class GoldSide:
    """One side of a diff: the documents and what is known of their release and scheme."""

    path: str
    docs: Sequence[Annotated]
    version: str | None = None
    fingerprint: str = ""
    scheme_version: str | None = None
    fields: dict[str, Any] | None = None  # :func:`annotation.gold.release.scheme_fields`

    def identity(self) -> dict[str, Any]:
        return {"path": self.path, "version": self.version, "fingerprint": self.fingerprint,
                "scheme_version": self.scheme_version, "articles": len(self.docs)}


def comparable(old: GoldSide, new: GoldSide, default: dict[str, Any]) -> tuple[bool, list[str], list[str]]:
    """(labels comparable, attributes to compare, fields that cannot be compared; an attribute only the new
    side's scheme has is compared, from no value on the old side). A side without scheme
    fields (a gold file) takes the other side's, or ``default`` (the current scheme's), when both sides
    name the same scheme version; otherwise nothing scheme-defined can be compared."""
    a, b = old.fields, new.fields
    if a is None or b is None:
        known = a or b or default
        if old.scheme_version != new.scheme_version:
            return False, [], ["label", *known["attributes"]]
        a = b = known
    labels_ok = list(a["labels"]) == list(b["labels"])
    attrs = [name for name, values in a["attributes"].items() if b["attributes"].get(name) == values]
    attrs += [name for name in b["attributes"] if name not in a["attributes"]]  # added by the new scheme (1.1's
    # stance and certainty): compared from no value
    skipped = sorted((set(a["attributes"]) | set(b["attributes"])) - set(attrs))
    return labels_ok, attrs, ([] if labels_ok else ["label"]) + skipped


def _mention(m: Mention) -> dict[str, Any]:
    return {"id": m.id, "start": m.start, "end": m.end, "text": m.text, "label": m.label, "entity": m.entity}


def _span(s: Span | Claim | None) -> dict[str, Any] | None:
    if s is None:
        return None
    out = {"start": s.start, "end": s.end, "text": s.text}
    if getattr(s, "entity", None) is not None:
        out["entity"] = s.entity
    return out


def _row(kind: str, change: str, item: Any, old: Any, new: Any, field: str | None = None) -> dict[str, Any]:
    return {"kind": kind, "change": change, "field": field, "id": item.id, "text": item.text, "old": old, "new": new}


def mention_changes(old: Annotated, new: Annotated, labels: bool) -> list[dict[str, Any]]:
    """Rows for the mentions of one article: paired mentions that moved, changed label or cluster, then
    the unpaired ones (removed, added)."""
    pairs = match(old.entities, new.entities, pairing_weight)
    rows: list[dict[str, Any]] = []
    for i, j in pairs:
        a, b = old.entities[i], new.entities[j]
        if (a.start, a.end) != (b.start, b.end):
            rows.append(_row("mention", "rebounded", b, _mention(a), _mention(b)))
        if labels and a.label != b.label:
            rows.append(_row("mention", "relabelled", b, a.label, b.label, "label"))
        if a.entity != b.entity:
            rows.append(_row("mention", "reclustered", b, a.entity, b.entity, "entity"))
    gone, came = {i for i, _ in pairs}, {j for _, j in pairs}
    rows += [_row("mention", "removed", m, _mention(m), None) for i, m in enumerate(old.entities) if i not in gone]
    rows += [_row("mention", "added", m, None, _mention(m)) for j, m in enumerate(new.entities) if j not in came]
    return rows


def _via(spans: Sequence[Span]) -> list[dict[str, Any]]:
    return [d for d in (_span(s) for s in spans) if d is not None]


def claim_changes(old: Annotated, new: Annotated, attributes: Sequence[str]) -> list[dict[str, Any]]:
    """Rows for the claims of one article: paired claims that moved or changed a part or an attribute,
    then the unpaired ones."""
    pairs = match(old.claims, new.claims, claim_weight(new.text))
    rows: list[dict[str, Any]] = []
    for i, j in pairs:
        a, b = old.claims[i], new.claims[j]
        if (a.start, a.end) != (b.start, b.end):
            rows.append(_row("claim", "rebounded", b, _span(a), _span(b)))
        for part in ("source", "cue"):
            if _span(getattr(a, part)) != _span(getattr(b, part)):
                rows.append(_row("claim", part, b, _span(getattr(a, part)), _span(getattr(b, part)), part))
        if _via(a.via) != _via(b.via):
            rows.append(_row("claim", "via", b, _via(a.via), _via(b.via), "via"))
        for attr in attributes:
            if getattr(a, attr) != getattr(b, attr):
                rows.append(_row("claim", "attribute", b, getattr(a, attr), getattr(b, attr), attr))
    gone, came = {i for i, _ in pairs}, {j for _, j in pairs}
    rows += [_row("claim", "removed", c, _span(c), None) for i, c in enumerate(old.claims) if i not in gone]
    rows += [_row("claim", "added", c, None, _span(c)) for j, c in enumerate(new.claims) if j not in came]
    return rows


def changed_fields(old: Annotated, new: Annotated) -> list[str]:
    """The article and annotation fields (not the release) whose values differ."""
    a, b = old.article.to_dict(), new.article.to_dict()
    out = [name for name in ARTICLE_FIELDS if a.get(name) != b.get(name)]
    return out + [f"annotation.{name}" for name in ANNOTATION_FIELDS
                  if old.annotation.get(name) != new.annotation.get(name)]


def diff_gold(old: GoldSide, new: GoldSide, default_fields: dict[str, Any]) -> dict[str, Any]:
    """The changes from ``old`` to ``new`` (module docstring for the keys)."""
    labels, attributes, not_compared = comparable(old, new, default_fields)
    before, after = {d.id: d for d in old.docs}, {d.id: d for d in new.docs}
    summary = dict.fromkeys(SUMMARY_KEYS, 0)
    articles = []
    for doc_id in sorted(set(before) | set(after)):
        a, b = before.get(doc_id), after.get(doc_id)
        if a is None or b is None:
            doc = a or b
            status = "added" if a is None else "removed"
            summary[f"articles_{status}"] += 1
            articles.append({"id": doc_id, "status": status, "fields": [], "changes": [],
                             "mentions": len(doc.entities), "claims": len(doc.claims)})
            continue
        changes = mention_changes(a, b, labels) + claim_changes(a, b, attributes)
        fields = changed_fields(a, b)
        if not changes and not fields:
            summary["articles_unchanged"] += 1
            continue
        summary["articles_changed"] += 1
        for row in changes:
            summary[f"{row['kind']}s_{row['change']}"] += 1
        articles.append({"id": doc_id, "status": "changed", "fields": fields, "changes": changes,
                         "mentions": len(b.entities), "claims": len(b.claims)})
    return {"old": old.identity(), "new": new.identity(), "not_compared": not_compared,
            "summary": summary, "articles": articles}


def describe(summary: dict[str, int]) -> str:
    """The summary in one sentence, for release notes: ``1 article changed (claim attribute values changed 1)``."""
    def articles(n: int) -> str:
        return f"{n} article{'s' if n != 1 else ''}"

    parts = [f"{articles(summary[k])} {k.split('_')[1]}" for k in ("articles_added", "articles_removed")
             if summary.get(k)]
    if summary.get("articles_changed"):
        inner = [f"{DESCRIBED[k]} {summary[k]}" for k in SUMMARY_KEYS
                 if k in DESCRIBED and not k.startswith("articles_") and summary.get(k)]
        parts.append(f"{articles(summary['articles_changed'])} changed ({', '.join(inner) or 'article fields only'})")
    return "; ".join(parts) or "no change in the articles or their annotations"
