"""The import side of the Label Studio round trip: one annotation -> one annotator record.

A region is a ``labels`` item (an entity mention, or a CLAIM, SOURCE or CUE of ``claim_parts``); a
claim's attributes are ``choices`` items with the CLAIM region's id; ``source``, ``cue`` and ``via``
relations go from a CLAIM to its target; ``same`` relations link mentions (and SOURCE regions) of one
entity: a coreference cluster is a connected component (``same`` is followed transitively), named
after its longest mention (:func:`cluster_names`: readable, and stable across re-imports).

``annotation_to_record`` turns one annotation into an annotator record (``Annotated``) plus the
problems (``annotation.spans.Problem``, placed at ``task T annotation A region R``) of the items it
had to leave out: they go to the quarantine. The export side is :mod:`annotation.labelstudio.tasks`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from annotation.errors import KhabarError
from annotation.gold.validation import validate_document
from annotation.labelstudio.config import CLAIM, CUE, ENTITIES, ROLE_CUE, ROLE_SAME, ROLE_SOURCE, ROLE_VIA, SOURCE, TEXT
from annotation.labelstudio.offsets import OffsetResolver
from annotation.model import Annotated, Article, Claim, Mention, Span
from annotation.scheme import Scheme, load_scheme
from annotation.spans import Problem

JSON = dict[str, Any]
_ITEM = re.compile(r" (entities|claims)\[(\d+)\] ")
# an annotator may leave an attribute open (adjudication takes the others' value); every other
# problem of the gold validation makes the item unusable
_TOLERATED = ("missing attribute",)


def annotator_of(annotation: Mapping[str, Any]) -> str:
    """Who made an annotation: a record's ``annotation.annotator``, or, for a Label Studio annotation,
    the e-mail when the export carries the user object, else the user id (as a string)."""
    if "annotator" in annotation:
        return str(annotation["annotator"])
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        who = who.get("email") or who.get("id")
    if who is None or who == "":  # no user: each such annotation is its own annotator, never one "None"
        return f"unknown (annotation {annotation.get('id')})"
    return str(who)


def place(task: Any, annotation: Any, region: str | None = None) -> str:
    """The ``where`` of an import problem: ``task T annotation A`` and, for one item, ``region R``."""
    return f"task {task} annotation {annotation}" + (f" region {region}" if region is not None else "")


def region_of(problem: Problem, task: Any, annotation: Any) -> str | None:
    """The region part of a problem placed by :func:`place` (None for a whole annotation)."""
    head = place(task, annotation, "")
    return problem.where[len(head):] if problem.where.startswith(head) else None


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


class _Quarantine:
    """The problems of one annotation, each placed at its task, annotation and region."""

    def __init__(self, annotation: Mapping[str, Any]) -> None:
        self.task, self.annotation = annotation.get("task"), annotation.get("id")
        self.problems: list[Problem] = []

    def add(self, region: str, message: str) -> None:
        self.problems.append(Problem(place(self.task, self.annotation, region), message))


def _value(item: JSON, key: str) -> Any:
    value = item.get("value")
    return value.get(key) if isinstance(value, dict) else None


def _regions(items: Iterable[JSON], resolver: OffsetResolver, quarantine: _Quarantine) -> dict[str, _Region]:
    regions: dict[str, _Region] = {}
    seen: set[str] = set()
    for item in items:
        rid, labels = str(item.get("id")), _value(item, "labels")
        if rid in seen:
            quarantine.add(rid, "two regions have this id")
            regions.pop(rid, None)
            continue
        seen.add(rid)
        if not isinstance(labels, list) or len(labels) != 1:
            quarantine.add(rid, f"a region needs exactly one label, it has {labels!r}")
            continue
        located = resolver.locate(_value(item, "start"), _value(item, "end"), _value(item, "text"))
        if isinstance(located, str):
            quarantine.add(rid, located)
            continue
        (s, e), repair = located
        regions[rid] = _Region(rid, str(item.get("from_name")), str(labels[0]), s, e, repair)
    return regions


def _claim_attributes(items: Iterable[JSON], regions: Mapping[str, _Region], scheme: Scheme,
                      quarantine: _Quarantine) -> dict[str, dict[str, Any]]:
    """CLAIM region id -> {attribute: value} from the per-region ``choices`` items."""
    attributes = {a.name: a for a in scheme.attributes}
    found: dict[str, dict[str, Any]] = {}
    for item in items:
        rid, name, choices = str(item.get("id")), str(item.get("from_name")), _value(item, "choices")
        region = regions.get(rid)
        if region is None:
            quarantine.add(rid, f"{name} choice for a region that is missing or left out")
        elif region.label != CLAIM:
            quarantine.add(rid, f"{name} choice on a {region.label} region (attributes belong to CLAIM regions)")
        elif name not in attributes:
            quarantine.add(rid, f"unknown attribute {name!r}")
        elif not isinstance(choices, list) or len(choices) != 1:
            quarantine.add(rid, f"{name} needs exactly one value, it has {choices!r}")
        else:
            value = choices[0]
            found.setdefault(rid, {})[name] = (value == "true") if attributes[name].is_boolean else value
    return found


def _is_entity(region: _Region) -> bool:
    return region.control == ENTITIES or region.label == SOURCE


def implied_role(a: _Region, b: _Region) -> str | None:
    """The role of a relation drawn without a label, when the target's label implies it: from a CLAIM
    (either way round) to a CUE it is the cue, to a SOURCE or an entity mention the source. Otherwise
    (via, same) it needs its label."""
    if (a.label == CLAIM) == (b.label == CLAIM):
        return None
    other = b if a.label == CLAIM else a
    if other.label == CUE:
        return ROLE_CUE
    return ROLE_SOURCE if _is_entity(other) else None


def _relation_problem(role: str, a: _Region, b: _Region) -> str | None:
    """Why a relation between regions a and b is unusable, or None."""
    if role == ROLE_SAME:
        return None if _is_entity(a) and _is_entity(b) else "same links entity mentions or SOURCE regions only"
    if (a.label == CLAIM) == (b.label == CLAIM):
        return f"a {role} relation goes from one CLAIM to its target"
    other = b if a.label == CLAIM else a
    if role == ROLE_CUE and other.label != CUE:
        return f"cue relation to a {other.label} region (it must point to a CUE)"
    if role in (ROLE_SOURCE, ROLE_VIA) and not _is_entity(other):
        return f"{role} relation to a {other.label} region (it must point to an entity mention or a SOURCE)"
    return None


def _relations(items: Iterable[JSON], regions: Mapping[str, _Region], quarantine: _Quarantine
               ) -> tuple[_Clusters, dict[str, dict[str, list[str]]]]:
    """The ``same`` clusters, and CLAIM id -> role -> target region ids."""
    clusters = _Clusters()
    links: dict[str, dict[str, list[str]]] = {}
    for item in items:
        a, b, labels = str(item.get("from_id")), str(item.get("to_id")), item.get("labels") or []
        rel = f"relation {a}->{b}"
        missing = [x for x in (a, b) if x not in regions]
        role = implied_role(regions[a], regions[b]) if labels == [] and not missing else None
        if role is None and (not isinstance(labels, list) or len(labels) != 1):
            needs = " (only via and same need one: a CLAIM's link to a CUE is its cue, to a SOURCE or a " \
                    "mention its source)" if labels == [] else ""
            quarantine.add(rel, f"a relation needs exactly one label, it has {labels!r}{needs}")
            continue
        role = role or labels[0]
        if missing:
            quarantine.add(rel, f"{role} relation to region {missing[0]}, which is missing or left out")
        elif (problem := _relation_problem(role, regions[a], regions[b])) is not None:
            quarantine.add(rel, problem)
        elif role == ROLE_SAME:
            clusters.union(a, b)
        else:
            claim, other = (a, b) if regions[a].label == CLAIM else (b, a)
            links.setdefault(claim, {}).setdefault(role, []).append(other)
    return clusters, links


def slug(text: str) -> str:
    """A cluster name from a mention's text: its words (any script) joined by ``-``."""
    words = re.findall(r"\w+", text)
    return "-".join(words) or "entity"


def cluster_names(text: str, mentions: Sequence[tuple[int, int, str]]) -> dict[str, str]:
    """Cluster key -> a readable name: the slug of its longest mention (then the earliest), with ``~2``,
    ``~3``… for clusters whose longest mentions read alike, in text order. It depends on the text and the
    clusters only, so a re-import gives the same names."""
    members: dict[str, list[tuple[int, int]]] = {}
    for start, end, key in mentions:
        members.setdefault(key, []).append((start, end))
    order = sorted(members, key=lambda k: min(members[k]))
    names: dict[str, str] = {}
    used: set[str] = set()
    for key in order:
        start, end = min(members[key], key=lambda se: (-(se[1] - se[0]), se))
        base = name = slug(text[start:end])
        n = 1
        while name in used:
            n += 1
            name = f"{base}~{n}"
        used.add(name)
        names[key] = name
    return names


class _Builder:
    """Spans, mentions and claims of one record, from its checked regions, clusters and links."""

    def __init__(self, text: str, regions: dict[str, _Region], clusters: _Clusters) -> None:
        self.text, self.regions, self.clusters = text, regions, clusters
        self.mentions = sorted((r for r in regions.values() if r.control == ENTITIES),
                               key=lambda r: (r.start, r.end, r.label, r.id))
        self.cluster_name = cluster_names(text, [(m.start, m.end, clusters.find(m.id)) for m in self.mentions])

    def span(self, rid: str, *, entity: bool = True) -> Span:
        r = self.regions[rid]
        cluster = self.cluster_name.get(self.clusters.find(rid)) if entity else None
        return Span(r.start, r.end, self.text[r.start:r.end], cluster)

    def entities(self) -> tuple[Mention, ...]:
        return tuple(Mention(label=m.label, start=m.start, end=m.end, text=self.text[m.start:m.end], id=m.id,
                             entity=self.cluster_name[self.clusters.find(m.id)]) for m in self.mentions)

    def claim(self, r: _Region, roles: Mapping[str, list[str]], attrs: Mapping[str, Any],
              quarantine: _Quarantine) -> Claim:
        single: dict[str, str | None] = {}
        for role in (ROLE_SOURCE, ROLE_CUE):
            targets = sorted(set(roles.get(role, [])))
            if len(targets) > 1:
                quarantine.add(r.id, f"claim has {len(targets)} {role} relations ({', '.join(targets)}); none was kept")
            single[role] = targets[0] if len(targets) == 1 else None
        via = sorted(set(roles.get(ROLE_VIA, [])), key=lambda x: (self.regions[x].start, self.regions[x].end, x))
        source, cue = single[ROLE_SOURCE], single[ROLE_CUE]
        return Claim(id=r.id, start=r.start, end=r.end, text=self.text[r.start:r.end],
                     source=self.span(source) if source else None,
                     cue=self.span(cue, entity=False) if cue else None,
                     via=tuple(self.span(v) for v in via), **dict(attrs))


def _provenance(annotation: JSON) -> JSON:
    """A record's ``annotation``: who, which task and annotation, when; and, when the export has them,
    the project, the seconds spent (``lead_time``), the pre-annotation model the annotator started
    from (``pre_annotation``, ``name@version``) and whether it is an adjudicator's decision (``review``)."""
    out: JSON = {"annotator": annotator_of(annotation), "task": annotation.get("task"),
                 "annotation_id": annotation.get("id"), "ground_truth": annotation.get("ground_truth") is True,
                 "updated_at": annotation.get("updated_at")}
    for key in ("project", "lead_time", "pre_annotation", "review"):
        if annotation.get(key) not in (None, ""):
            out[key] = annotation[key]
    return out


def annotation_to_record(article: Article, annotation: JSON, scheme: Scheme | None = None
                         ) -> tuple[Annotated, list[Problem], list[str]]:
    """One annotation -> (the annotator's record, the problems (left-out items), the repairs made).

    The vocabulary (controls, labels, choice values, relation labels) must already have been checked
    against the scheme (``annotation.labelstudio.importer`` refuses an export from another config).
    """
    scheme = scheme or load_scheme()
    quarantine = _Quarantine(annotation)
    result = annotation.get("result") or []
    if not isinstance(result, list):
        raise KhabarError("annotation result is not a list")
    items = [r for r in result if isinstance(r, dict)]
    of_type = {kind: [r for r in items if r.get("type") == kind] for kind in ("labels", "choices", "relation")}
    regions = _regions(of_type["labels"], OffsetResolver(article.text), quarantine)
    attrs = _claim_attributes(of_type["choices"], regions, scheme, quarantine)
    clusters, links = _relations(of_type["relation"], regions, quarantine)
    build = _Builder(article.text, regions, clusters)
    claims = tuple(build.claim(r, links.get(r.id, {}), attrs.get(r.id, {}), quarantine)
                   for r in sorted((r for r in regions.values() if r.label == CLAIM), key=lambda r: (r.start, r.end, r.id)))
    record = Annotated(article=article, entities=build.entities(), claims=claims,
                       annotation={**_provenance(annotation), "scheme": scheme.version})
    repairs = sorted(f"{r.id}: {r.repaired}" for r in regions.values() if r.repaired)
    return _validated(record, scheme, quarantine), quarantine.problems, repairs


def _validated(record: Annotated, scheme: Scheme, quarantine: _Quarantine) -> Annotated:
    """The record without the mentions and claims the gold validation refuses (each quarantined):
    a record that reaches agreement and adjudication already obeys the scheme."""
    bad: dict[str, set[int]] = {"entities": set(), "claims": set()}
    for problem in validate_document(record, scheme):
        found = _ITEM.search(f"{problem.where} ")
        if found is None or problem.message.startswith(_TOLERATED):
            continue
        kind, index = found.group(1), int(found.group(2))
        item = (record.entities if kind == "entities" else record.claims)[index]
        part = problem.where[found.end():].partition(") ")[2]      # "source", "via[0]"… or ""
        quarantine.add(str(item.id), f"{part + ': ' if part else ''}{problem.message}")
        bad[kind].add(index)
    if not any(bad.values()):
        return record
    return replace(record, entities=tuple(m for i, m in enumerate(record.entities) if i not in bad["entities"]),
                   claims=tuple(c for i, c in enumerate(record.claims) if i not in bad["claims"]))
