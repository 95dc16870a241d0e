"""Adjudication of per-annotator records into the gold set.

Per article (task), the first rule that applies decides:

0. ``review``: the adjudicator's decision from the review project (``khabar review push``, then
   ``khabar import`` of that project: records with ``annotation.review``), the latest one, taken
   unit by unit (:mod:`annotation.review.decisions`): compared with the majority draft the review
   task was made from, the units the adjudicator changed are theirs, and the ones they left as
   drafted keep the majority rule over the records as they are now.
1. ``ground_truth``: an annotation marked ground truth in Label Studio wins. Several ground
   truth annotations that differ are a disagreement for a person (the task is unresolved).
2. ``adjudicator``: the designated adjudicator's annotation, when they annotated the task.
3. ``majority`` over units matched one-to-one across annotators with the one span matcher
   (mentions: label-agnostic overlap pairing; claims: token IoU >= 0.5, the scorer's):
   a unit is kept when more than half of the task's annotators have it, and left out when
   fewer than half do. Among the annotators who have a kept unit, each of its values is
   decided by majority vote (the value with more votes than any other): a mention's
   boundaries and label; a claim's boundaries, source, cue, intermediate sources (as a set)
   and each attribute. Two mentions are the same entity when more of the annotators who
   have both put them in one cluster than not; gold clusters are the connected components.
   A source or intermediate source votes for an entity (its gold cluster) when its span is a
   kept mention, or one of the annotator's mentions of that cluster; otherwise for its span.
   Sources (and intermediate sources) that agreement counts as the same
   (``annotation.review.units.sources_agree``: one entity, or token IoU >= 0.5) vote together, so that agreement and adjudication never call
   one pair of sources an agreement and a tie.
   The span written for a winning entity is the one most of its voters chose (then the
   earliest). A task with one annotator keeps that annotation as it is.

What the rule cannot settle is never settled silently: exactly half of the annotators
having a unit, a tie between values, a unit in which one annotator has two aligned items,
a missing winning value, a source/attribution combination the scheme forbids, or a
coreference link with as many votes for as against. Each is an *unresolved* entry:
{``id``, ``tasks``, ``unit`` (mention | claim | coreference | task), ``what``, ``span``,
``votes`` ({value: [annotators]}), ``annotators``, ``detail``}. Contested units are left out of
the gold set (an unresolved coreference link is not made); the caller decides whether
that is acceptable (``khabar adjudicate`` refuses unless ``--allow-unresolved``).

Gold documents carry ``annotation = {"annotators": [...], "adjudicated": true,
"scheme": <version>, "rule": "review" | "ground_truth" | "adjudicator" | "majority"}``; mentions and
claims are renumbered ``e1``, ``c1``... in text order.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from annotation.review.units import CLAIM_IOU, pairing_weight, sources_agree
from annotation.matching import claim_weight
from annotation.review.decisions import apply_decision, draft_of, split_decisions
from annotation.review.records import ArticleRecords, align, group_articles
from annotation.errors import KhabarError
from annotation.gold.release import pre_annotation_models
from annotation.io import dumps
from annotation.model import Annotated, Article, Claim, Mention, Span
from annotation.scheme import Scheme
from annotation.versions import records_scheme

RULES = ("review", "ground_truth", "adjudicator", "majority")
_Key = tuple  # a vote value: ("null",) | ("span", s, e) | ("cluster", K) | ("mention", gold index)


@dataclass
class Adjudication:
    docs: list[Annotated]
    unresolved: list[dict[str, Any]]
    rules: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    pre_annotation: list[str] = field(default_factory=list)   # the models annotators started from
    review_units: Counter[str] = field(default_factory=Counter)   # units of reviewed articles: decided, majority


def _vote(votes: Mapping[str, Hashable]) -> tuple[Hashable, bool]:
    """The value with the most votes, and whether another value has as many (a tie)."""
    tally = Counter(votes.values()).most_common()
    tied = len(tally) > 1 and tally[0][1] == tally[1][1]
    return tally[0][0], tied


def _by_value(votes: Mapping[str, Hashable], show: Any = str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for who in sorted(votes):
        out.setdefault(show(votes[who]), []).append(who)
    return out


def _renumber(doc: Annotated) -> Annotated:
    ents = sorted(doc.entities, key=lambda m: (m.start, m.end, m.label))
    claims = sorted(doc.claims, key=lambda c: (c.start, c.end))
    return replace(doc, entities=tuple(replace(m, id=f"e{i}") for i, m in enumerate(ents, 1)),
                   claims=tuple(replace(c, id=f"c{i}") for i, c in enumerate(claims, 1)))


class _Majority:
    """The majority rule on one article."""

    def __init__(self, art: ArticleRecords, claim_iou: float) -> None:
        self.art, self.text, self.claim_iou = art, art.text, claim_iou
        self.names = art.annotators
        self.unresolved: list[dict[str, Any]] = []

    def contest(self, unit: str, what: str, span: Any, votes: Mapping[str, Hashable] | None, detail: str,
                show: Any = str) -> None:
        self.unresolved.append({
            "id": self.art.id, "tasks": self.art.tasks, "unit": unit, "what": what,
            "span": None if span is None else {"start": span.start, "end": span.end, "text": span.text},
            "votes": _by_value(votes, show) if votes else {}, "annotators": self.names, "detail": detail})

    def present(self, unit: Any, kind: str, items: Mapping[str, Sequence[Any]]) -> bool:
        first = items[unit.annotators[0]][unit.members[unit.annotators[0]][0]]
        if unit.ambiguous:
            self.contest(kind, "alignment", first, None,
                         f"one annotator has several {kind}s aligned with {first.text!r}: align them by hand")
            return False
        held, n = len(unit.members), len(self.names)
        if 2 * held == n:
            self.contest(kind, "presence", first, {a: a in unit.members for a in self.names},
                         f"{held} of {n} annotators have the {kind} {first.text!r}",
                         show=lambda v: "present" if v else "absent")
        return 2 * held > n

    def decide(self, unit: str, what: str, span: Any, votes: Mapping[str, Hashable], show: Any = str) -> Any:
        """The winning value, or None (listed as unresolved) on a tie or a missing value."""
        value, tied = _vote(votes)
        if tied or value is None:
            reason = "tie" if tied else "no value"
            self.contest(unit, what, span, votes, f"{what} of {unit} {span.text!r}: {reason}", show=show)
            return None
        return value

    # ------------------------------------------------------------ mentions and clusters

    def mentions(self) -> None:
        ents = {a: self.art.records[a].entities for a in self.names}
        self.ents = ents
        self.gold: list[Mention] = []
        self.unit_of: dict[tuple[str, int], int] = {}  # (annotator, mention index) -> gold index
        for unit in align(ents, pairing_weight):
            if not self.present(unit, "mention", ents):
                continue
            members = {a: ents[a][idx[0]] for a, idx in unit.members.items()}
            span = next(iter(members.values()))
            bounds = self.decide("mention", "boundaries", span, {a: (m.start, m.end) for a, m in members.items()},
                                 show=lambda v: f"[{v[0]},{v[1]}) {self.text[v[0]:v[1]]!r}")
            label = self.decide("mention", "label", span, {a: m.label for a, m in members.items()})
            if bounds is None or label is None:
                continue
            for a, idx in unit.members.items():
                self.unit_of[a, idx[0]] = len(self.gold)
            self.gold.append(Mention(label=label, start=bounds[0], end=bounds[1],
                                     text=self.text[bounds[0]:bounds[1]]))
        self.clusters()

    def clusters(self) -> None:
        members: dict[int, dict[str, Mention]] = {}
        for (a, i), g in self.unit_of.items():
            members.setdefault(g, {})[a] = self.ents[a][i]
        parent = list(range(len(self.gold)))

        def find(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for g, h in itertools.combinations(range(len(self.gold)), 2):
            both = sorted(set(members[g]) & set(members[h]))
            votes = {a: members[g][a].entity is not None and members[g][a].entity == members[h][a].entity
                     for a in both}
            yes = sum(votes.values())
            if not yes:
                continue
            if 2 * yes > len(both):
                parent[max(find(g), find(h))] = min(find(g), find(h))
            elif 2 * yes == len(both):
                pair = f"{self.gold[g].text!r} [{self.gold[g].start},{self.gold[g].end}) and " \
                       f"{self.gold[h].text!r} [{self.gold[h].start},{self.gold[h].end})"
                self.contest("coreference", "same entity", self.gold[g], votes,
                             f"same entity: {pair}: tie (not linked)",
                             show=lambda v: "same" if v else "different")
        components: dict[int, list[int]] = {}
        for g in range(len(self.gold)):
            components.setdefault(find(g), []).append(g)
        used: set[str] = set()
        self.cluster: dict[int, str | None] = {}
        for root in sorted(components):
            names = Counter(m.entity for g in components[root] for m in members[g].values() if m.entity is not None)
            name = min(names, key=lambda k: (-names[k], k)) if names else None
            if name is not None:
                base, n = name, 1
                while name in used:
                    n += 1
                    name = f"{base}~{n}"
                used.add(name)
            for g in components[root]:
                self.cluster[g] = name
        self.gold = [replace(m, entity=self.cluster[g]) for g, m in enumerate(self.gold)]

    # ------------------------------------------------------------ claims

    def role_key(self, who: str, span: Span) -> tuple[_Key, tuple[int, int]]:
        """What a source (or via) span votes for (an entity, or its span), and the span itself."""
        offsets = (span.start, span.end)
        for g, m in enumerate(self.gold):
            if (m.start, m.end) == offsets:
                return self.mention_key(g), offsets
        mine = [i for i, m in enumerate(self.ents[who])
                if (m.start, m.end) == offsets or (span.entity is not None and m.entity == span.entity)]
        kept = sorted(self.unit_of[who, i] for i in mine if (who, i) in self.unit_of)
        if kept:
            return self.mention_key(kept[0]), offsets
        return ("span", span.start, span.end), offsets

    def agreeing(self, spans: Mapping[str, Sequence[Span | None]],
                 keys: Mapping[str, Sequence[tuple[_Key, tuple[int, int]]]]) -> dict[str, list[tuple[_Key, tuple[int, int]]]]:
        """Sources (or intermediate sources) that agreement counts as the same
        (:func:`annotation.review.units.sources_agree`) vote for one value: the key most of them
        have (then the smallest). ``spans[a][i]`` is annotator a's i-th span, ``keys[a][i]`` its vote."""
        nodes = [(a, i) for a in sorted(keys) for i in range(len(keys[a]))]
        parent = {node: node for node in nodes}

        def find(x: tuple[str, int]) -> tuple[str, int]:
            while parent[x] != x:
                x = parent[x]
            return x

        for (a, i), (b, j) in itertools.combinations(nodes, 2):
            if a != b and keys[a][i][0] != keys[b][j][0] and sources_agree(
                    self.art.records[a], spans[a][i], self.art.records[b], spans[b][j], iou=self.claim_iou):
                parent[find((b, j))] = find((a, i))
        groups: dict[tuple[str, int], list[tuple[str, int]]] = {}
        for node in nodes:
            groups.setdefault(find(node), []).append(node)
        vote: dict[tuple[str, int], _Key] = {}
        for members in groups.values():
            tally = Counter(keys[a][i][0] for a, i in members)
            winner = min(tally, key=lambda k: (-tally[k], repr(k)))
            vote.update({node: winner for node in members})
        return {a: [(vote[a, i], keys[a][i][1]) for i in range(len(keys[a]))] for a in keys}

    def mention_key(self, g: int) -> _Key:
        return ("cluster", self.cluster[g]) if self.cluster[g] is not None else ("mention", g)

    def emit(self, key: _Key, chosen: Sequence[tuple[int, int]]) -> Span:
        """The span for a winning value: the span most of its voters chose (then the earliest)."""
        counts = Counter(chosen)
        start, end = min(counts, key=lambda k: (-counts[k], k))
        entity = key[1] if key[0] == "cluster" else self.gold[key[1]].entity if key[0] == "mention" else None
        return Span(start, end, self.text[start:end], entity)

    def show_key(self, key: Any) -> str:
        if key is None or key == ("null",) or key == ():
            return "none"
        if isinstance(key, tuple) and key and isinstance(key[0], tuple):
            return "; ".join(self.show_key(k) for k in key) or "none"
        if key[0] == "span":
            return f"[{key[1]},{key[2]}) {self.text[key[1]:key[2]]!r}"
        if key[0] == "cluster":
            return f"entity {key[1]}"
        m = self.gold[key[1]]
        return f"mention [{m.start},{m.end}) {m.text!r}"

    def claims(self, attributes: Sequence[str]) -> list[Claim]:
        claims = {a: self.art.records[a].claims for a in self.names}
        out: list[Claim] = []
        for unit in align(claims, claim_weight(self.text, self.claim_iou)):
            if not self.present(unit, "claim", claims):
                continue
            members = {a: claims[a][idx[0]] for a, idx in unit.members.items()}
            span = next(iter(members.values()))
            bounds = self.decide("claim", "boundaries", span, {a: (c.start, c.end) for a, c in members.items()},
                                 show=lambda v: f"[{v[0]},{v[1]})")
            sources = {a: k[0] for a, k in self.agreeing(
                {a: [c.source] for a, c in members.items()},
                {a: [self.role_key(a, c.source) if c.source else (("null",), (0, 0))] for a, c in members.items()}).items()}
            source = self.decide("claim", "source", span, {a: k for a, (k, _) in sources.items()}, show=self.show_key)
            cue = self.decide("claim", "cue", span,
                              {a: (c.cue.start, c.cue.end) if c.cue else ("null",) for a, c in members.items()},
                              show=lambda v: "none" if v == ("null",) else f"[{v[0]},{v[1]}) {self.text[v[0]:v[1]]!r}")
            vias = self.agreeing({a: c.via for a, c in members.items()},
                                 {a: [self.role_key(a, v) for v in c.via] for a, c in members.items()})
            via = self.decide("claim", "via", span, {a: tuple(sorted(set(k for k, _ in v))) for a, v in vias.items()},
                              show=self.show_key)
            values = {attr: self.decide("claim", attr, span, {a: getattr(c, attr) for a, c in members.items()})
                      for attr in attributes}
            if bounds is None or source is None or cue is None or via is None or None in values.values():
                continue
            src = None if source == ("null",) else self.emit(source, [o for k, o in sources.values() if k == source])
            if "attribution" in values and (src is None) != (values["attribution"] == "none"):
                self.contest("claim", "consistency", span, None,
                             f"claim {span.text!r}: the majority source ({self.show_key(source)}) and attribution "
                             f"({values['attribution']}) contradict each other")
                continue
            via_spans = tuple(self.emit(k, [o for v in vias.values() for kk, o in v if kk == k]) for k in via)
            out.append(Claim(start=bounds[0], end=bounds[1], text=self.text[bounds[0]:bounds[1]], source=src,
                             cue=None if cue == ("null",) else Span(cue[0], cue[1], self.text[cue[0]:cue[1]]),
                             via=via_spans, **values))
        return out


def _rule_for(art: ArticleRecords, adjudicator: str | None) -> tuple[str, Annotated | None, list[dict[str, Any]]]:
    truths = [art.records[a] for a in art.annotators if art.records[a].annotation.get("ground_truth") is True]
    if truths:
        contents = {dumps(_renumber(t).to_dict() | {"annotation": None}) for t in truths}
        if len(contents) == 1:
            return "ground_truth", truths[0], []
        who = sorted(str(t.annotation["annotator"]) for t in truths)
        return "ground_truth", None, [{
            "id": art.id, "tasks": art.tasks, "unit": "task", "what": "ground_truth", "span": None,
            "votes": {}, "annotators": art.annotators,
            "detail": f"several ground truth annotations that differ ({', '.join(who)}): keep one in Label Studio"}]
    if adjudicator is not None and adjudicator in art.records:
        return "adjudicator", art.records[adjudicator], []
    return "majority", None, []


def _pre_annotation(art: ArticleRecords) -> dict[str, str]:
    """``pre_annotation``: the models the article's annotators started from (``name@version``, joined by ", ")."""
    models = pre_annotation_models(r.annotation for r in art.records.values())
    return {"pre_annotation": ", ".join(models)} if models else {}


def adjudicate(records: Sequence[Annotated], scheme: Scheme, *, adjudicator: str | None = None,
               articles: Mapping[str, Article] | None = None, articles_name: str = "the articles",
               claim_iou: float = CLAIM_IOU) -> Adjudication:
    """Adjudicate every article of the records (see the module docstring)."""
    scheme = records_scheme(records, scheme, "the records")
    records, decisions = split_decisions(records)
    grouped, notes = group_articles(records)
    known = sorted({a for art in grouped for a in art.records})
    if adjudicator is not None and adjudicator not in known:
        raise KhabarError(f"unknown adjudicator {adjudicator!r}: the records have annotations by {', '.join(known)}")
    attributes = [attr.name for attr in scheme.attributes]
    result = Adjudication(docs=[], unresolved=[], notes=notes,
                          pre_annotation=list(pre_annotation_models(r.annotation for r in records)))
    for art in grouped:
        article = next(iter(art.records.values())).article
        if articles is not None:
            if art.id not in articles:
                raise KhabarError(f"{art.id} (task {', '.join(art.tasks)}): no article with this id in {articles_name}")
            if articles[art.id].text != art.text:
                raise KhabarError(f"{art.id}: the article text in {articles_name} differs from the annotated text "
                                  "— the offsets would not fit; use the articles the tasks were made from")
            article = articles[art.id]
        decision = decisions.get(art.id)
        draft = draft_of(decision) if decision is not None else None
        rule, winner, problems = ("review", decision, []) if decision is not None and draft is None \
            else _rule_for(art, adjudicator) if decision is None else ("review", None, [])
        result.unresolved += problems
        if problems:
            continue
        if winner is not None:
            entities, claims = winner.entities, winner.claims
        else:
            majority = _Majority(art, claim_iou)
            majority.mentions()
            entities, claims = tuple(majority.gold), tuple(majority.claims(attributes))
            unresolved = majority.unresolved
            if decision is not None and draft is not None:
                merged = apply_decision(entities, claims, unresolved, draft, decision, claim_iou=claim_iou)
                entities, claims, unresolved = merged.entities, merged.claims, merged.unresolved
                result.review_units.update(decided=merged.decided, majority=merged.by_majority)
            result.unresolved += unresolved
        result.rules[rule] += 1
        annotation = {"annotators": art.annotators, "adjudicated": True, "scheme": scheme.version, "rule": rule,
                      **_pre_annotation(art)}
        result.docs.append(_renumber(Annotated(article=article, entities=tuple(entities), claims=tuple(claims),
                                               annotation=annotation)))
    return result
