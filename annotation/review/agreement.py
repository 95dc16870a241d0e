"""Inter-annotator agreement on per-annotator records (the ``records.jsonl`` of ``khabar import``).

Every record is an :class:`~annotation.model.Annotated` whose ``annotation`` names its
``annotator`` (and the Label Studio ``task``, ``annotation_id``, ``ground_truth``,
``updated_at``). Records are grouped by article id; each pair of annotators who both
annotated an article is compared with the one span matcher of :mod:`annotation.matching`
(the scorer's). Definitions:

- **Entities, strict**: a mention agrees when the other annotator has one with the same
  boundaries and label (one-to-one).
- **Entities, overlap**: one-to-one maximum-weight matching of mentions that overlap by at
  least one character *and* have the same label (as many pairs as possible, then the
  largest character IoU); boundaries may differ.
- **Claims**: contents matched one-to-one with token IoU >= ``claim_iou`` (0.5), as many
  pairs as possible, then the largest IoU (:func:`annotation.matching.claim_weight`, the
  scorer's claim matching).
- F1 between annotators a and b takes a as the reference: precision = matched / |b|,
  recall = matched / |a|, F1 = 2 matched / (|a| + |b|). Swapping a and b swaps precision
  and recall and leaves F1 unchanged.
- **Source agreement** on matched claims: both sources null, or the two sources are the
  same span or the same entity. An annotator's source stands for the source span plus,
  when the source is (the span of) one of that annotator's mentions or carries a cluster
  id, every mention of that cluster; two sources agree when a span of one set matches a
  span of the other as the scorer matches spans (identical offsets, or token IoU >=
  ``claim_iou``). With one side's cluster only, this is the scorer's source rule.
  Intermediate sources (``via``) agree when each of either side agrees, in this sense, with
  one of the other side's.
- **Cohen's kappa** per claim attribute on matched claims (``sklearn.metrics.cohen_kappa_score``;
  missing values count as the value ``null``). Overall: the mean of the pairwise kappas
  that are defined (Light's kappa).
- **Krippendorff's alpha** (nominal) per claim attribute, when the records have more than two
  annotators: units are the claims aligned across all annotators
  (:func:`annotation.review.records.align`);
  a unit in which one annotator has two claims is ambiguous and left out (counted).

``agreement_report(records)`` returns a dict with these stable keys. A task is an article
(each Label Studio task maps to one article); its ``id`` is the article id and ``tasks`` the
Label Studio task ids (as strings) its records came from.

- ``scheme`` (version), ``claim_iou``, ``annotators`` (sorted), ``records`` (count used),
  ``tasks``: {``total``, ``compared``, ``single_annotator``: [article ids]}
- ``pairs``: one per pair of annotators with a shared task: {``annotators``: [a, b],
  ``tasks`` (count), ``entities``: {``strict``: PRF, ``overlap``: PRF}, ``claims``: PRF,
  ``source``: AGREE, ``kappa``: {attribute: {``n``, ``observed``, ``kappa``, ``note``}}}
  where PRF = {``a``, ``b``, ``matched``, ``precision``, ``recall``, ``f1``} (a is the
  reference) and AGREE = {``matched_claims``, ``agree``, ``agreement``}
- ``overall``: {``entities``: {``strict``, ``overlap``}: PRF pooled over pairs (counts
  summed), ``claims``: PRF pooled, ``source``: AGREE pooled, ``kappa``: {attribute:
  {``mean``, ``pairs``}}, ``alpha``: {attribute: {``alpha``, ``units``, ``pairable_values``,
  ``ambiguous_units``}}, or null with two annotators or fewer}
- ``per_task``: [{``id``, ``tasks``, ``annotators``, ``agreement``: "defined" | "undefined",
  ``note``, ``disagreements``: [...]}]; a task with one annotator is "undefined", with a note
- ``disagreements``: every disagreement, each {``id``, ``tasks``, ``kind``, ``annotators``:
  [a, b], ``a``, ``b``, ``attribute``, ``detail``} with kind one of :data:`KINDS`
  ("missing" = a has it, b does not; "extra" = b has it, a does not); ``a``/``b`` hold the
  item of each annotator (a mention, a claim's content, source or cue span, or a value)
- ``notes``: things the reader should know (skipped cancelled annotations, replaced duplicates)

Values that are undefined (no units, 0/0) are null, never 0.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from annotation.review.records import align, group_articles
from annotation.matching import DEFAULT_CLAIM_IOU, char_iou, claim_weight, match, tokens_of
from annotation.model import Annotated, Claim, Mention, Span
from annotation.review.reliability import cohen_kappa, krippendorff_alpha_nominal, prf
from annotation.scheme import Scheme, load_scheme
from annotation.versions import records_scheme

CLAIM_IOU = DEFAULT_CLAIM_IOU
ATTRIBUTES = ("attribution", "claim_type", "check_worthy")
KINDS = ("missing_mention", "extra_mention", "label_difference", "boundary_difference",
         "missing_claim", "extra_claim", "claim_boundary_difference", "source_difference",
         "cue_difference", "via_difference", "attribute_difference")

# ---------------------------------------------------------------- weights (all through annotation.matching.match)


def strict_weight(a: Mention, b: Mention) -> tuple[float, ...]:
    return (float(a.start == b.start and a.end == b.end and a.label == b.label),)


def overlap_weight(a: Mention, b: Mention) -> tuple[float, ...]:
    return (1.0, char_iou(a, b)) if a.label == b.label else (0.0, 0.0)


def pairing_weight(a: Mention, b: Mention) -> tuple[float, ...]:
    """Label-agnostic pairing to explain disagreements: exact matches, then most pairs, same label, IoU."""
    exact = a.start == b.start and a.end == b.end and a.label == b.label
    return (float(exact), 1.0, float(a.label == b.label), char_iou(a, b))


# ---------------------------------------------------------------- sources


def _offsets(span: Any) -> tuple[int, int]:
    return (span.start, span.end)


def source_cluster(doc: Annotated, span: Span) -> frozenset[tuple[int, int]]:
    """The spans an annotator's source stands for: itself and the mentions of its entity cluster."""
    clusters = {span.entity} if span.entity is not None else set()
    clusters |= {m.entity for m in doc.entities if _offsets(m) == _offsets(span) and m.entity is not None}
    return frozenset({_offsets(span)} | {_offsets(m) for m in doc.entities if m.entity in clusters})


def sources_agree(a_doc: Annotated, a: Span | None, b_doc: Annotated, b: Span | None, *,
                  iou: float = CLAIM_IOU) -> bool:
    """Both null, or a span a stands for matches a span b stands for (as the scorer matches spans:
    identical offsets or token IoU >= ``iou``)."""
    if a is None or b is None:
        return a is None and b is None
    ca, cb = source_cluster(a_doc, a), source_cluster(b_doc, b)
    if ca & cb:
        return True
    tokens = tokens_of(a_doc.text)
    return any(tokens.iou(Span(*x), Span(*y)) >= iou for x in ca for y in cb)


def vias_agree(a_doc: Annotated, a: Sequence[Span], b_doc: Annotated, b: Sequence[Span], *,
               iou: float = CLAIM_IOU) -> bool:
    """Intermediate sources agree when each of either side agrees (as a source) with one of the other's."""
    return (all(any(sources_agree(a_doc, x, b_doc, y, iou=iou) for y in b) for x in a)
            and all(any(sources_agree(a_doc, x, b_doc, y, iou=iou) for x in a) for y in b))


def value_key(value: Any) -> str:
    """An attribute value as a category: booleans as true/false, a missing value as null."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# ---------------------------------------------------------------- one pair of annotators on one article


def _mention(m: Mention) -> dict[str, Any]:
    return {"start": m.start, "end": m.end, "text": m.text, "label": m.label}


def _span(s: Span | Claim | None) -> dict[str, Any] | None:
    return None if s is None else {"start": s.start, "end": s.end, "text": s.text}


def _show(s: Any) -> str:
    if s is None:
        return "none"
    label = f"{s.label} " if isinstance(s, Mention) else ""
    return f"{label}«{s.text}» [{s.start},{s.end})"


@dataclass
class PairResult:
    """Counts, attribute vectors and disagreements of annotators a and b on one article."""

    counts: Counter[str] = field(default_factory=Counter)
    attributes: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)
    disagreements: list[dict[str, Any]] = field(default_factory=list)


def compare(art_id: str, a_name: str, a: Annotated, b_name: str, b: Annotated, *,
            claim_iou: float = CLAIM_IOU, attributes: Sequence[str] = ATTRIBUTES,
            tasks: Sequence[str] = ()) -> PairResult:
    """Compare annotator a (the reference) with annotator b on one article."""
    out = PairResult(attributes={attr: ([], []) for attr in attributes})
    c = out.counts

    def note(kind: str, x: Any, y: Any, detail: str, attribute: str | None = None) -> None:
        out.disagreements.append({"id": art_id, "tasks": list(tasks), "kind": kind, "annotators": [a_name, b_name],
                                  "a": x, "b": y, "attribute": attribute, "detail": detail})

    ea, eb = a.entities, b.entities
    c["entities.a"], c["entities.b"] = len(ea), len(eb)
    c["entities.strict.matched"] = len(match(ea, eb, strict_weight))
    c["entities.overlap.matched"] = len(match(ea, eb, overlap_weight))
    paired = match(ea, eb, pairing_weight)
    for i, j in paired:
        x, y = ea[i], eb[j]
        if x.label != y.label:
            note("label_difference", _mention(x), _mention(y), f"label: {a_name} {_show(x)} vs {b_name} {_show(y)}")
        if _offsets(x) != _offsets(y):
            note("boundary_difference", _mention(x), _mention(y),
                 f"boundaries: {a_name} {_show(x)} vs {b_name} {_show(y)}")
    for i in sorted(set(range(len(ea))) - {i for i, _ in paired}):
        note("missing_mention", _mention(ea[i]), None, f"mention only {a_name} has: {_show(ea[i])}")
    for j in sorted(set(range(len(eb))) - {j for _, j in paired}):
        note("extra_mention", None, _mention(eb[j]), f"mention only {b_name} has: {_show(eb[j])}")

    ca, cb = a.claims, b.claims
    c["claims.a"], c["claims.b"] = len(ca), len(cb)
    pairs = match(ca, cb, claim_weight(a.text, claim_iou))
    c["claims.matched"] = len(pairs)
    for i, j in pairs:
        x, y = ca[i], cb[j]
        if _offsets(x) != _offsets(y):
            note("claim_boundary_difference", _span(x), _span(y),
                 f"claim boundaries: {a_name} {_show(x)} vs {b_name} {_show(y)}")
        c["source.matched_claims"] += 1
        if sources_agree(a, x.source, b, y.source, iou=claim_iou):
            c["source.agree"] += 1
        else:
            note("source_difference", x.source.to_dict() if x.source else None,
                 y.source.to_dict() if y.source else None,
                 f"source of claim {_show(x)}: {a_name} {_show(x.source)} vs {b_name} {_show(y.source)}")
        if (x.cue and _offsets(x.cue)) != (y.cue and _offsets(y.cue)):
            note("cue_difference", _span(x.cue), _span(y.cue),
                 f"cue of claim {_show(x)}: {a_name} {_show(x.cue)} vs {b_name} {_show(y.cue)}")
        if not vias_agree(a, x.via, b, y.via, iou=claim_iou):
            note("via_difference", [v.to_dict() for v in x.via], [v.to_dict() for v in y.via],
                 f"via of claim {_show(x)}: {a_name} {'; '.join(map(_show, x.via)) or 'none'} vs "
                 f"{b_name} {'; '.join(map(_show, y.via)) or 'none'}")
        for attr in attributes:
            va, vb = value_key(getattr(x, attr)), value_key(getattr(y, attr))
            out.attributes[attr][0].append(va)
            out.attributes[attr][1].append(vb)
            if va != vb:
                note("attribute_difference", va, vb, f"{attr} of claim {_show(x)}: {a_name} {va} vs {b_name} {vb}",
                     attribute=attr)
    for i in sorted(set(range(len(ca))) - {i for i, _ in pairs}):
        note("missing_claim", _span(ca[i]), None, f"claim only {a_name} has: {_show(ca[i])}")
    for j in sorted(set(range(len(cb))) - {j for _, j in pairs}):
        note("extra_claim", None, _span(cb[j]), f"claim only {b_name} has: {_show(cb[j])}")
    return out


def pair_summary(counts: Mapping[str, int]) -> dict[str, Any]:
    """PRF and source agreement from the summed counts of a pair (or of all pairs)."""
    a, b = counts.get("entities.a", 0), counts.get("entities.b", 0)
    n = counts.get("source.matched_claims", 0)
    return {
        "entities": {scheme: prf(counts.get(f"entities.{scheme}.matched", 0), a, b) for scheme in ("strict", "overlap")},
        "claims": prf(counts.get("claims.matched", 0), counts.get("claims.a", 0), counts.get("claims.b", 0)),
        "source": {"matched_claims": n, "agree": counts.get("source.agree", 0),
                   "agreement": counts.get("source.agree", 0) / n if n else None},
    }


# ---------------------------------------------------------------- the report


def agreement_report(records: Sequence[Annotated], *, scheme: Scheme | None = None,
                     claim_iou: float = CLAIM_IOU) -> dict[str, Any]:
    """The agreement report of the module docstring (stable keys)."""
    scheme = records_scheme(records, scheme or load_scheme(), "the records")
    attributes = tuple(attr.name for attr in scheme.attributes)
    articles, notes = group_articles(records)
    annotators = sorted({name for art in articles for name in art.records})
    pair_counts: dict[tuple[str, str], Counter[str]] = {}
    pair_articles: Counter[tuple[str, str]] = Counter()
    pair_vectors: dict[tuple[str, str], dict[str, tuple[list[str], list[str]]]] = {}
    per_task: list[dict[str, Any]] = []
    disagreements: list[dict[str, Any]] = []
    single: list[str] = []
    alpha_units: dict[str, list[list[str]]] = {attr: [] for attr in attributes}
    ambiguous = 0
    for art in articles:
        entry: dict[str, Any] = {"id": art.id, "tasks": art.tasks, "annotators": art.annotators,
                                 "agreement": "defined", "note": None, "disagreements": []}
        per_task.append(entry)
        if len(art.records) < 2:
            single.append(art.id)
            entry["agreement"] = "undefined"
            entry["note"] = f"agreement undefined: only one annotator ({art.annotators[0]})"
            continue
        for a_name, b_name in itertools.combinations(art.annotators, 2):
            key = (a_name, b_name)
            result = compare(art.id, a_name, art.records[a_name], b_name, art.records[b_name],
                             claim_iou=claim_iou, attributes=attributes, tasks=art.tasks)
            pair_counts.setdefault(key, Counter()).update(result.counts)
            pair_articles[key] += 1
            vectors = pair_vectors.setdefault(key, {attr: ([], []) for attr in attributes})
            for attr, (x, y) in result.attributes.items():
                vectors[attr][0].extend(x)
                vectors[attr][1].extend(y)
            entry["disagreements"].extend(result.disagreements)
            disagreements.extend(result.disagreements)
        claims = {name: rec.claims for name, rec in art.records.items()}
        for unit in align(claims, claim_weight(art.text, claim_iou)):
            if unit.ambiguous:
                ambiguous += 1
                continue
            for attr in attributes:
                alpha_units[attr].append([value_key(getattr(claims[n][idx[0]], attr)) for n, idx in
                                          sorted(unit.members.items())])
    pairs = []
    for key in sorted(pair_counts):
        summary = pair_summary(pair_counts[key])
        kappas = {attr: cohen_kappa(*pair_vectors[key][attr]) for attr in attributes}
        pairs.append({"annotators": list(key), "tasks": pair_articles[key], **summary, "kappa": kappas})
    overall = pair_summary(sum(pair_counts.values(), Counter()))
    overall["kappa"] = {}
    for attr in attributes:
        defined = [p["kappa"][attr]["kappa"] for p in pairs if p["kappa"][attr]["kappa"] is not None]
        overall["kappa"][attr] = {"mean": sum(defined) / len(defined) if defined else None, "pairs": len(defined)}
    overall["alpha"] = None
    if len(annotators) > 2:
        overall["alpha"] = {attr: {"alpha": krippendorff_alpha_nominal(units), "units": sum(len(u) >= 2 for u in units),
                                   "pairable_values": sum(len(u) for u in units if len(u) >= 2),
                                   "ambiguous_units": ambiguous}
                            for attr, units in alpha_units.items()}
    return {
        "scheme": scheme.version, "claim_iou": claim_iou, "annotators": annotators,
        "records": sum(len(art.records) for art in articles),
        "tasks": {"total": len(articles), "compared": len(articles) - len(single), "single_annotator": single},
        "pairs": pairs, "overall": overall, "per_task": per_task,
        "disagreements": disagreements, "notes": notes,
    }
