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
- ``per_label``: {label: PRF} strict entity agreement per label, pooled over pairs
- ``per_annotator``: {annotator: {``entities``, ``claims``, ``source``, ``kappa``, ``alpha_without``}} each
  annotator against the others (counts pooled over the pairs they are in; kappa: mean of those pairs;
  ``alpha_without``: {attribute: Krippendorff's alpha of the same units with this annotator left out},
  null with two annotators or fewer; an alpha above the overall one means they lower it)
- ``progress``: {annotator: {``tasks`` (articles done), ``median_lead_time`` (seconds, or null)}}
- ``disputes``: one row per disputed unit across all of an article's annotators
  (:mod:`annotation.review.disputes`), each {``id``, ``tasks``, ``unit``, ``start``, ``end``,
  ``text``, ``what``, ``values``: {annotator: value in words}, ``urls``}; ``per_task`` entries
  carry ``urls`` too: the task pages, when the server URL is given and the records name their project
- ``notes``: things the reader should know (skipped cancelled annotations, replaced duplicates,
  annotators and review decisions left out)

The adjudicator (``exclude``) and review decisions are left out: agreement is between annotators.

Values that are undefined (no units, 0/0) are null, never 0.
"""

from __future__ import annotations

import itertools
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from annotation.matching import claim_weight, match
from annotation.model import Annotated, Claim, Mention, Span
from annotation.labelstudio.annotations import annotator_of
from annotation.review.disputes import article_disputes
from annotation.review.records import ArticleRecords, align, group_articles
from annotation.review.reliability import alpha_without, cohen_kappa, krippendorff_alpha_nominal, prf
from annotation.review.units import (CLAIM_IOU, overlap_weight, pairing_weight, sources_agree, strict_weight,
                                     offsets, value_key, vias_agree)
from annotation.scheme import Scheme, load_scheme
from annotation.versions import records_scheme
KINDS = ("missing_mention", "extra_mention", "label_difference", "boundary_difference",
         "missing_claim", "extra_claim", "claim_boundary_difference", "source_difference",
         "cue_difference", "via_difference", "attribute_difference")

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


class _Pair:
    """Annotator a (the reference) against annotator b on one article."""

    def __init__(self, art_id: str, a_name: str, a: Annotated, b_name: str, b: Annotated, *,
                 claim_iou: float, attributes: Sequence[str], tasks: Sequence[str]) -> None:
        self.art_id, self.a_name, self.a, self.b_name, self.b = art_id, a_name, a, b_name, b
        self.claim_iou, self.attributes_, self.tasks = claim_iou, attributes, tasks
        self.out = PairResult(attributes={attr: ([], []) for attr in attributes})

    def note(self, kind: str, x: Any, y: Any, detail: str, attribute: str | None = None) -> None:
        self.out.disagreements.append({"id": self.art_id, "tasks": list(self.tasks), "kind": kind,
                                       "annotators": [self.a_name, self.b_name], "a": x, "b": y,
                                       "attribute": attribute, "detail": detail})

    def mentions(self) -> None:
        c, ea, eb, an, bn = self.out.counts, self.a.entities, self.b.entities, self.a_name, self.b_name
        c["entities.a"], c["entities.b"] = len(ea), len(eb)
        c["entities.strict.matched"] = len(match(ea, eb, strict_weight))
        c["entities.overlap.matched"] = len(match(ea, eb, overlap_weight))
        for label in sorted({m.label for m in ea} | {m.label for m in eb}):
            la, lb = [m for m in ea if m.label == label], [m for m in eb if m.label == label]
            c[f"label.{label}.a"], c[f"label.{label}.b"] = len(la), len(lb)
            c[f"label.{label}.matched"] = len(match(la, lb, strict_weight))
        paired = match(ea, eb, pairing_weight)
        for i, j in paired:
            x, y = ea[i], eb[j]
            if x.label != y.label:
                self.note("label_difference", _mention(x), _mention(y), f"label: {an} {_show(x)} vs {bn} {_show(y)}")
            if offsets(x) != offsets(y):
                self.note("boundary_difference", _mention(x), _mention(y),
                          f"boundaries: {an} {_show(x)} vs {bn} {_show(y)}")
        for i in sorted(set(range(len(ea))) - {i for i, _ in paired}):
            self.note("missing_mention", _mention(ea[i]), None, f"mention only {an} has: {_show(ea[i])}")
        for j in sorted(set(range(len(eb))) - {j for _, j in paired}):
            self.note("extra_mention", None, _mention(eb[j]), f"mention only {bn} has: {_show(eb[j])}")

    def claim_pair(self, x: Claim, y: Claim) -> None:
        an, bn, c = self.a_name, self.b_name, self.out.counts
        if offsets(x) != offsets(y):
            self.note("claim_boundary_difference", _span(x), _span(y),
                      f"claim boundaries: {an} {_show(x)} vs {bn} {_show(y)}")
        c["source.matched_claims"] += 1
        if sources_agree(self.a, x.source, self.b, y.source, iou=self.claim_iou):
            c["source.agree"] += 1
        else:
            self.note("source_difference", x.source.to_dict() if x.source else None,
                      y.source.to_dict() if y.source else None,
                      f"source of claim {_show(x)}: {an} {_show(x.source)} vs {bn} {_show(y.source)}")
        if (x.cue and offsets(x.cue)) != (y.cue and offsets(y.cue)):
            self.note("cue_difference", _span(x.cue), _span(y.cue),
                      f"cue of claim {_show(x)}: {an} {_show(x.cue)} vs {bn} {_show(y.cue)}")
        if not vias_agree(self.a, x.via, self.b, y.via, iou=self.claim_iou):
            self.note("via_difference", [v.to_dict() for v in x.via], [v.to_dict() for v in y.via],
                      f"via of claim {_show(x)}: {an} {'; '.join(map(_show, x.via)) or 'none'} vs "
                      f"{bn} {'; '.join(map(_show, y.via)) or 'none'}")
        for attr in self.attributes_:
            va, vb = value_key(getattr(x, attr)), value_key(getattr(y, attr))
            self.out.attributes[attr][0].append(va)
            self.out.attributes[attr][1].append(vb)
            if va != vb:
                self.note("attribute_difference", va, vb, f"{attr} of claim {_show(x)}: {an} {va} vs {bn} {vb}",
                          attribute=attr)

    def claims(self) -> None:
        ca, cb, c = self.a.claims, self.b.claims, self.out.counts
        c["claims.a"], c["claims.b"] = len(ca), len(cb)
        pairs = match(ca, cb, claim_weight(self.a.text, self.claim_iou))
        c["claims.matched"] = len(pairs)
        for i, j in pairs:
            self.claim_pair(ca[i], cb[j])
        for i in sorted(set(range(len(ca))) - {i for i, _ in pairs}):
            self.note("missing_claim", _span(ca[i]), None, f"claim only {self.a_name} has: {_show(ca[i])}")
        for j in sorted(set(range(len(cb))) - {j for _, j in pairs}):
            self.note("extra_claim", None, _span(cb[j]), f"claim only {self.b_name} has: {_show(cb[j])}")


def compare(art_id: str, a_name: str, a: Annotated, b_name: str, b: Annotated, *,
            claim_iou: float = CLAIM_IOU, attributes: Sequence[str] | None = None,
            tasks: Sequence[str] = ()) -> PairResult:
    """Compare annotator a (the reference) with annotator b on one article.

    ``attributes``: the claim attributes compared (default: every attribute of the scheme)."""
    if attributes is None:
        attributes = tuple(attr.name for attr in load_scheme().attributes)
    pair = _Pair(art_id, a_name, a, b_name, b, claim_iou=claim_iou, attributes=attributes, tasks=tasks)
    pair.mentions()
    pair.claims()
    return pair.out


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


def label_summary(counts: Mapping[str, int]) -> dict[str, Any]:
    """Strict entity PRF per label from summed counts."""
    labels = sorted({k.split(".")[1] for k in counts if k.startswith("label.")})
    return {label: prf(counts.get(f"label.{label}.matched", 0), counts.get(f"label.{label}.a", 0),
                       counts.get(f"label.{label}.b", 0)) for label in labels}


# ---------------------------------------------------------------- the report


def task_urls(records: Sequence[Annotated], url: str | None) -> list[str]:
    """The Label Studio page of each task the records came from (needs the server URL and the record's project)."""
    if not url:
        return []
    return sorted({f"{url.rstrip('/')}/projects/{r.annotation['project']}/data?task={r.annotation['task']}"
                   for r in records if r.annotation.get("project") is not None and r.annotation.get("task") is not None})


def progress(records: Sequence[Annotated]) -> dict[str, dict[str, Any]]:
    """Per annotator: articles done and the median seconds spent per annotation (``lead_time``)."""
    out: dict[str, dict[str, Any]] = {}
    for who in sorted({annotator_of(r.annotation) for r in records}):
        mine = [r for r in records if annotator_of(r.annotation) == who]
        times = [float(r.annotation["lead_time"]) for r in mine if isinstance(r.annotation.get("lead_time"), (int, float))]
        out[who] = {"tasks": len({r.id for r in mine}), "median_lead_time": statistics.median(times) if times else None}
    return out


def _kept(records: Sequence[Annotated], exclude: Sequence[str]) -> tuple[list[Annotated], list[str]]:
    """The records agreement compares: not an excluded annotator's, not a review decision."""
    kept, notes = [], []
    left = Counter(annotator_of(r.annotation) for r in records if annotator_of(r.annotation) in exclude)
    decisions = sum(1 for r in records if r.annotation.get("review"))
    for r in records:
        if annotator_of(r.annotation) not in exclude and not r.annotation.get("review"):
            kept.append(r)
    notes += [f"{who} left out ({n} record(s)): excluded or the adjudicator" for who, n in sorted(left.items())]
    if decisions:
        notes.append(f"{decisions} review decision(s) left out (they are the adjudicator's, not an annotator's)")
    return kept, notes


class _Report:
    """The accumulating figures of :func:`agreement_report`."""

    def __init__(self, attributes: Sequence[str], claim_iou: float) -> None:
        self.attributes, self.claim_iou = attributes, claim_iou
        self.pair_counts: dict[tuple[str, str], Counter[str]] = {}
        self.pair_articles: Counter[tuple[str, str]] = Counter()
        self.pair_vectors: dict[tuple[str, str], dict[str, tuple[list[str], list[str]]]] = {}
        self.per_task: list[dict[str, Any]] = []
        self.disagreements: list[dict[str, Any]] = []
        self.disputes: list[dict[str, Any]] = []
        self.single: list[str] = []
        self.alpha_units: dict[str, list[dict[str, str]]] = {attr: [] for attr in attributes}
        self.ambiguous = 0

    def article(self, art: ArticleRecords, url: str | None) -> None:
        entry: dict[str, Any] = {"id": art.id, "tasks": art.tasks, "annotators": art.annotators,
                                 "urls": task_urls(list(art.records.values()), url),
                                 "agreement": "defined", "note": None, "disagreements": []}
        self.per_task.append(entry)
        if len(art.records) < 2:
            self.single.append(art.id)
            entry["agreement"] = "undefined"
            entry["note"] = f"agreement undefined: only one annotator ({art.annotators[0]})"
            return
        for a_name, b_name in itertools.combinations(art.annotators, 2):
            self.pair(art, a_name, b_name, entry)
        self.disputes += [{**d.to_dict(), "urls": entry["urls"]}
                          for d in article_disputes(art, self.attributes, claim_iou=self.claim_iou)]
        self.alpha(art)

    def pair(self, art: ArticleRecords, a_name: str, b_name: str, entry: dict[str, Any]) -> None:
        key = (a_name, b_name)
        result = compare(art.id, a_name, art.records[a_name], b_name, art.records[b_name],
                         claim_iou=self.claim_iou, attributes=self.attributes, tasks=art.tasks)
        self.pair_counts.setdefault(key, Counter()).update(result.counts)
        self.pair_articles[key] += 1
        vectors = self.pair_vectors.setdefault(key, {attr: ([], []) for attr in self.attributes})
        for attr, (x, y) in result.attributes.items():
            vectors[attr][0].extend(x)
            vectors[attr][1].extend(y)
        entry["disagreements"].extend(result.disagreements)
        self.disagreements.extend(result.disagreements)

    def alpha(self, art: ArticleRecords) -> None:
        claims = {name: rec.claims for name, rec in art.records.items()}
        for unit in align(claims, claim_weight(art.text, self.claim_iou)):
            if unit.ambiguous:
                self.ambiguous += 1
                continue
            for attr in self.attributes:
                self.alpha_units[attr].append({n: value_key(getattr(claims[n][idx[0]], attr))
                                               for n, idx in sorted(unit.members.items())})

    def pairs(self) -> list[dict[str, Any]]:
        return [{"annotators": list(key), "tasks": self.pair_articles[key], **pair_summary(self.pair_counts[key]),
                 "kappa": {attr: cohen_kappa(*self.pair_vectors[key][attr]) for attr in self.attributes}}
                for key in sorted(self.pair_counts)]

    def overall(self, pairs: list[dict[str, Any]], annotators: Sequence[str]) -> dict[str, Any]:
        overall = pair_summary(sum(self.pair_counts.values(), Counter()))
        overall["kappa"] = _mean_kappas(pairs, self.attributes)
        overall["alpha"] = None
        if len(annotators) > 2:
            overall["alpha"] = {attr: {"alpha": krippendorff_alpha_nominal([list(u.values()) for u in units]),
                                       "units": sum(len(u) >= 2 for u in units),
                                       "pairable_values": sum(len(u) for u in units if len(u) >= 2),
                                       "ambiguous_units": self.ambiguous}
                                for attr, units in self.alpha_units.items()}
        return overall

    def per_annotator(self, pairs: list[dict[str, Any]], annotators: Sequence[str]) -> dict[str, Any]:
        """Each annotator against the others: counts pooled over the pairs they are in, mean kappas."""
        without = {attr: alpha_without(units, annotators) for attr, units in self.alpha_units.items()}
        out = {}
        for who in annotators:
            counts = sum((c for k, c in self.pair_counts.items() if who in k), Counter())
            mine = [p for p in pairs if who in p["annotators"]]
            out[who] = {**pair_summary(counts), "kappa": _mean_kappas(mine, self.attributes),
                        "alpha_without": {attr: without[attr][who] for attr in self.attributes}
                        if len(annotators) > 2 else None}
        return out


def _mean_kappas(pairs: Sequence[dict[str, Any]], attributes: Sequence[str]) -> dict[str, Any]:
    out = {}
    for attr in attributes:
        defined = [p["kappa"][attr]["kappa"] for p in pairs if p["kappa"][attr]["kappa"] is not None]
        out[attr] = {"mean": sum(defined) / len(defined) if defined else None, "pairs": len(defined)}
    return out


def agreement_report(records: Sequence[Annotated], *, scheme: Scheme | None = None, claim_iou: float = CLAIM_IOU,
                     exclude: Sequence[str] = (), url: str | None = None) -> dict[str, Any]:
    """The agreement report of the module docstring (stable keys).

    ``exclude``: annotators left out (the adjudicator); review decisions are always left out.
    ``url``: the Label Studio server, for the task links."""
    scheme = records_scheme(records, scheme or load_scheme(), "the records")
    attributes = tuple(attr.name for attr in scheme.attributes)
    kept, skipped = _kept(records, exclude)
    articles, notes = group_articles(kept)
    annotators = sorted({name for art in articles for name in art.records})
    report = _Report(attributes, claim_iou)
    for art in articles:
        report.article(art, url)
    pairs = report.pairs()
    pooled = sum(report.pair_counts.values(), Counter())
    return {
        "scheme": scheme.version, "claim_iou": claim_iou, "annotators": annotators,
        "records": sum(len(art.records) for art in articles),
        "tasks": {"total": len(articles), "compared": len(articles) - len(report.single),
                  "single_annotator": report.single},
        "pairs": pairs, "overall": report.overall(pairs, annotators),
        "per_label": label_summary(pooled), "per_annotator": report.per_annotator(pairs, annotators),
        "progress": progress([r for art in articles for r in art.records.values()]),
        "per_task": report.per_task, "disputes": report.disputes,
        "disagreements": report.disagreements, "notes": skipped + notes,
    }
