"""Label Studio tasks and results: articles -> tasks, predictions -> pre-annotations, annotations -> records.

A task's ``data`` carries the article's ``id``, ``text``, ``title`` and ``source``, so a task always
maps back to its article. A result stores the scheme's names (see ``annotation.labelstudio.config``):

- a region is a ``labels`` item of the ``entities`` control (an entity mention) or of the
  ``claim_parts`` control (CLAIM, SOURCE, CUE);
- a claim's attributes are ``choices`` items of the attribute controls, with the CLAIM region's id;
- ``source``, ``cue`` and ``via`` are relations from a CLAIM to its target; ``same`` relations link
  mentions (and SOURCE regions) of one entity: a coreference cluster is a connected component,
  named after the smallest region id of its mentions.

``annotation_to_record`` turns one annotation into an annotator record (``Annotated``) plus the list
of problems with the regions it had to leave out (quarantine).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from annotation.errors import KhabarError
from annotation.labelstudio.config import CLAIM, CLAIM_PARTS, CUE, ENTITIES, SOURCE, TEXT
from annotation.model import Annotated, Article, Claim, Mention, Prediction, Span
from annotation.labelstudio.offsets import OffsetResolver
from annotation.scheme import Scheme, load_scheme

JSON = dict[str, Any]
ROLE_SOURCE, ROLE_CUE, ROLE_VIA, ROLE_SAME = "source", "cue", "via", "same"
_PART_PREFIX = {CLAIM: "c", SOURCE: "s", CUE: "q"}   # region ids of pre-annotations: e1…, c1…, s1…, q1…


# --- articles -> tasks ------------------------------------------------------------------------


def article_task(article: Article, predictions: Sequence[JSON] = ()) -> JSON:
    """The Label Studio task of one article (with its predictions, if any)."""
    task: JSON = {"data": {"id": article.id, "text": article.text, "title": article.title, "source": article.source}}
    if predictions:
        task["predictions"] = list(predictions)
    return task


def prediction_payload(results: list[JSON], model_version: str) -> JSON:
    return {"model_version": model_version, "result": results}


# --- predictions -> results -------------------------------------------------------------------


def _region(rid: str, control: str, label: str, start: int, end: int, text: str) -> JSON:
    return {"id": rid, "from_name": control, "to_name": TEXT, "type": "labels",
            "value": {"start": start, "end": end, "text": text[start:end], "labels": [label]}}


def _relation(from_id: str, to_id: str, role: str) -> JSON:
    return {"from_id": from_id, "to_id": to_id, "type": "relation", "direction": "right", "labels": [role]}


def _offsets(span: Span | Mention | Claim, text: str, where: str) -> tuple[int, int] | None:
    if span.start is None or span.end is None:
        return None
    if not 0 <= span.start < span.end <= len(text):
        raise KhabarError(f"{where}: offsets [{span.start}, {span.end}) are outside the text "
                          f"(length {len(text)}) or empty")
    if span.text is not None and text[span.start:span.end] != span.text:
        raise KhabarError(f"{where}: span text {span.text!r} does not match the text at "
                          f"[{span.start}, {span.end}): {text[span.start:span.end]!r}")
    return span.start, span.end


def predictions_to_results(pred: Prediction, article: Article, scheme: Scheme | None = None) -> list[JSON]:
    """The Label Studio result of one article's (aligned) predictions.

    Spans still without offsets are left out (the caller aligns them first and reports the rest).
    A claim's source or via that coincides with a predicted mention points to that mention; otherwise
    it becomes a SOURCE region (joined by ``same`` to a mention of its cluster, if it names one).
    Mentions sharing a cluster id are chained by ``same`` relations.
    """
    scheme = scheme or load_scheme()
    text = article.text
    results: list[JSON] = []
    relations: list[JSON] = []
    mention_at: dict[tuple[int, int], str] = {}
    cluster_first: dict[str, str] = {}
    cluster_last: dict[str, str] = {}
    parts: dict[tuple[str, int, int], str] = {}

    mentions = [(m, _offsets(m, text, f"prediction {pred.id} entities[{i}]")) for i, m in enumerate(pred.entities)]
    placed = sorted(((se, m) for m, se in mentions if se is not None), key=lambda x: (x[0], x[1].label))
    for n, ((start, end), m) in enumerate(placed, start=1):
        if m.label not in scheme.labels:
            raise KhabarError(f"prediction {pred.id}: unknown entity label {m.label!r} "
                              f"(the scheme has {', '.join(scheme.labels)})")
        rid = f"e{n}"
        results.append(_region(rid, ENTITIES, m.label, start, end, text))
        mention_at.setdefault((start, end), rid)
        if m.entity is not None:
            if m.entity in cluster_last:
                relations.append(_relation(rid, cluster_last[m.entity], ROLE_SAME))
            cluster_first.setdefault(m.entity, rid)
            cluster_last[m.entity] = rid

    def part(label: str, se: tuple[int, int]) -> str:
        key = (label, *se)
        if key not in parts:
            parts[key] = f"{_PART_PREFIX[label]}{sum(1 for k in parts if k[0] == label) + 1}"
            results.append(_region(parts[key], CLAIM_PARTS, label, se[0], se[1], text))
        return parts[key]

    def target(span: Span, where: str) -> str | None:
        se = _offsets(span, text, where)
        if se is None:
            return None
        if se in mention_at:
            return mention_at[se]
        new = (SOURCE, *se) not in parts
        rid = part(SOURCE, se)
        if new and span.entity is not None and span.entity in cluster_first:
            relations.append(_relation(rid, cluster_first[span.entity], ROLE_SAME))
        return rid

    claims = [(c, _offsets(c, text, f"prediction {pred.id} claims[{i}]")) for i, c in enumerate(pred.claims)]
    for n, (c, se) in enumerate(sorted(((c, se) for c, se in claims if se is not None), key=lambda x: x[1]), start=1):
        rid = f"c{n}"
        where = f"prediction {pred.id} claim {c.id or n}"
        results.append(_region(rid, CLAIM_PARTS, CLAIM, se[0], se[1], text))
        for attr in scheme.attributes:
            value = getattr(c, attr.name, None)
            if value is None:
                continue
            stored = ("true" if value else "false") if isinstance(value, bool) else str(value)
            if stored not in attr.value_names:
                raise KhabarError(f"{where}: unknown {attr.name} value {value!r} "
                                  f"(allowed: {', '.join(attr.value_names)})")
            results.append({"id": rid, "from_name": attr.name, "to_name": TEXT, "type": "choices",
                            "value": {"start": se[0], "end": se[1], "text": text[se[0]:se[1]], "choices": [stored]}})
        if c.source is not None and (to := target(c.source, f"{where} source")) is not None:
            relations.append(_relation(rid, to, ROLE_SOURCE))
        if c.cue is not None and (cue := _offsets(c.cue, text, f"{where} cue")) is not None:
            relations.append(_relation(rid, part(CUE, cue), ROLE_CUE))
        for j, via in enumerate(c.via):
            if (to := target(via, f"{where} via[{j}]")) is not None:
                relations.append(_relation(rid, to, ROLE_VIA))
    return results + relations


# --- annotation -> record ---------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """A region, relation or whole annotation left out of a record, and why."""

    region: str | None
    reason: str


@dataclass
class _Region:
    id: str
    control: str
    label: str
    start: int
    end: int
    repaired: str | None = None


class _Clusters:
    """Union-find over region ids."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def annotator_of(annotation: JSON) -> str:
    """The annotator's email when the export carries the user object, else the user id (as a string)."""
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        return str(who.get("email") or who.get("id"))
    return str(who)


def task_article(task: JSON) -> Article:
    """The article a task was made from (its ``data``); a KhabarError when the data lacks id or text."""
    data = task.get("data")
    if not isinstance(data, dict):
        raise KhabarError("task has no data object")
    ident, text = data.get("id"), data.get(TEXT)
    if not isinstance(ident, (str, int)) or isinstance(ident, bool):
        raise KhabarError("task data has no article 'id' (was the task made by `khabar export`?)")
    if not isinstance(text, str):
        raise KhabarError("task data has no 'text'")
    title, source = data.get("title"), data.get("source")
    return Article(id=str(ident), text=text, title=title if isinstance(title, str) else None,
                   source=source if isinstance(source, str) else None)


def _value_fields(item: JSON) -> tuple[Any, Any, Any]:
    value = item.get("value")
    if not isinstance(value, dict):
        return None, None, None
    return value.get("start"), value.get("end"), value.get("text")


def _regions(items: Iterable[JSON], resolver: OffsetResolver, problems: list[Problem]) -> dict[str, _Region]:
    regions: dict[str, _Region] = {}
    seen: set[str] = set()
    for item in items:
        rid = str(item.get("id"))
        start, end, value_text = _value_fields(item)
        labels = item.get("value", {}).get("labels") if isinstance(item.get("value"), dict) else None
        if rid in seen:
            problems.append(Problem(rid, "two regions have this id"))
            regions.pop(rid, None)
            continue
        seen.add(rid)
        if not isinstance(labels, list) or len(labels) != 1:
            problems.append(Problem(rid, f"a region needs exactly one label, it has {labels!r}"))
            continue
        located = resolver.locate(start, end, value_text)
        if isinstance(located, str):
            problems.append(Problem(rid, located))
            continue
        (s, e), repair = located
        regions[rid] = _Region(rid, str(item.get("from_name")), str(labels[0]), s, e, repair)
    return regions


def annotation_to_record(article: Article, annotation: JSON, scheme: Scheme | None = None
                         ) -> tuple[Annotated, list[Problem], list[str]]:
    """One annotation -> (the annotator's record, the problems (left-out items), the repairs made).

    The vocabulary (controls, labels, choice values, relation labels) must already have been checked
    against the scheme (``annotation.labelstudio.importer`` refuses an export from another config).
    """
    scheme = scheme or load_scheme()
    text = article.text
    resolver = OffsetResolver(text)
    problems: list[Problem] = []
    result = annotation.get("result") or []
    if not isinstance(result, list):
        raise KhabarError("annotation result is not a list")
    items = [r for r in result if isinstance(r, dict)]
    regions = _regions((r for r in items if r.get("type") == "labels"), resolver, problems)
    attributes = {a.name: a for a in scheme.attributes}

    claim_attrs: dict[str, dict[str, Any]] = {}
    for item in items:
        if item.get("type") != "choices":
            continue
        rid, name = str(item.get("id")), str(item.get("from_name"))
        choices = item.get("value", {}).get("choices") if isinstance(item.get("value"), dict) else None
        region = regions.get(rid)
        if region is None:
            problems.append(Problem(rid, f"{name} choice for a region that is missing or left out"))
        elif region.label != CLAIM:
            problems.append(Problem(rid, f"{name} choice on a {region.label} region (attributes belong to CLAIM regions)"))
        elif name not in attributes:
            problems.append(Problem(rid, f"unknown attribute {name!r}"))
        elif not isinstance(choices, list) or len(choices) != 1:
            problems.append(Problem(rid, f"{name} needs exactly one value, it has {choices!r}"))
        else:
            value = choices[0]
            claim_attrs.setdefault(rid, {})[name] = (value == "true") if attributes[name].is_boolean else value

    clusters = _Clusters()
    links: dict[str, dict[str, list[str]]] = {}
    for item in items:
        if item.get("type") != "relation":
            continue
        a, b, labels = str(item.get("from_id")), str(item.get("to_id")), item.get("labels") or []
        rel = f"relation {a}->{b}"
        if not isinstance(labels, list) or len(labels) != 1:
            problems.append(Problem(rel, f"a relation needs exactly one label, it has {labels!r}"))
            continue
        role = labels[0]
        missing = [x for x in (a, b) if x not in regions]
        if missing:
            problems.append(Problem(rel, f"{role} relation to region {missing[0]}, which is missing or left out"))
            continue
        ra, rb = regions[a], regions[b]
        if role == ROLE_SAME:
            if any(r.control != ENTITIES and r.label != SOURCE for r in (ra, rb)):
                problems.append(Problem(rel, "same links entity mentions or SOURCE regions only"))
            else:
                clusters.union(a, b)
            continue
        claims = [r for r in (ra, rb) if r.label == CLAIM]
        if len(claims) != 1:
            problems.append(Problem(rel, f"a {role} relation goes from one CLAIM to its target"))
            continue
        claim, other = (ra, rb) if ra.label == CLAIM else (rb, ra)
        if role == ROLE_CUE and other.label != CUE:
            problems.append(Problem(rel, f"cue relation to a {other.label} region (it must point to a CUE)"))
        elif role in (ROLE_SOURCE, ROLE_VIA) and other.control != ENTITIES and other.label != SOURCE:
            problems.append(Problem(rel, f"{role} relation to a {other.label} region "
                                         "(it must point to an entity mention or a SOURCE)"))
        else:
            links.setdefault(claim.id, {}).setdefault(role, []).append(other.id)

    mentions = sorted((r for r in regions.values() if r.control == ENTITIES), key=lambda r: (r.start, r.end, r.label, r.id))
    cluster_name: dict[str, str] = {}
    for m in sorted(mentions, key=lambda r: r.id):
        cluster_name.setdefault(clusters.find(m.id), m.id)

    def span(rid: str, *, entity: bool = True) -> Span:
        r = regions[rid]
        return Span(r.start, r.end, text[r.start:r.end], cluster_name.get(clusters.find(rid)) if entity else None)

    claims_out = []
    for r in sorted((r for r in regions.values() if r.label == CLAIM), key=lambda r: (r.start, r.end, r.id)):
        roles = links.get(r.id, {})
        single: dict[str, str | None] = {}
        for role in (ROLE_SOURCE, ROLE_CUE):
            targets = sorted(set(roles.get(role, [])))
            if len(targets) > 1:
                problems.append(Problem(r.id, f"claim has {len(targets)} {role} relations ({', '.join(targets)}); "
                                              f"none was kept"))
            single[role] = targets[0] if len(targets) == 1 else None
        via = sorted(set(roles.get(ROLE_VIA, [])), key=lambda x: (regions[x].start, regions[x].end, x))
        attrs = claim_attrs.get(r.id, {})
        claims_out.append(Claim(
            id=r.id, start=r.start, end=r.end, text=text[r.start:r.end],
            source=span(single[ROLE_SOURCE]) if single[ROLE_SOURCE] else None,
            cue=span(single[ROLE_CUE], entity=False) if single[ROLE_CUE] else None,
            via=tuple(span(v) for v in via),
            **{name: attrs.get(name) for name in attributes},
        ))
    entities_out = tuple(Mention(label=m.label, start=m.start, end=m.end, text=text[m.start:m.end], id=m.id,
                                 entity=cluster_name[clusters.find(m.id)]) for m in mentions)
    record = Annotated(article=article, entities=entities_out, claims=tuple(claims_out), annotation={
        "annotator": annotator_of(annotation), "task": annotation.get("task"),
        "annotation_id": annotation.get("id"), "ground_truth": bool(annotation.get("ground_truth")),
        "updated_at": annotation.get("updated_at"), "scheme": scheme.version,
    })
    repairs = sorted(f"{r.id}: {r.repaired}" for r in regions.values() if r.repaired)
    return record, problems, repairs
