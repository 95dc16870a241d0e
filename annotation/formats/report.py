"""What a conversion did, counted: documents, mentions, labels dropped, tag sequences repaired, what a
format could not hold; and the one way readers map a corpus's labels onto the scheme.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from annotation.errors import KhabarError
from annotation.labelmaps import LabelMap
from annotation.model import Annotated, Article, Mention
from annotation.spans import Problem

MAX_LISTED = 20  # problems and repairs listed per input; the rest are counted


class InputFailed(KhabarError):
    """An input that cannot be converted: every problem found in it, each with its place."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        shown = "; ".join(str(p) for p in problems[:3])
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        super().__init__(shown + more)


@dataclass
class Report:
    """Counts of one conversion (all inputs); ``failed`` lists the inputs not converted, with their problems."""

    documents: int = 0
    mentions: int = 0
    dropped_labels: Counter[str] = field(default_factory=Counter)  # corpus label -> mentions dropped
    repairs: list[Problem] = field(default_factory=list)
    repaired: int = 0
    unrepresentable: Counter[str] = field(default_factory=Counter)  # what the target format cannot hold
    examples: list[Problem] = field(default_factory=list)  # some of the unrepresentable, with their place
    proclitics_stripped: int = 0
    proclitics_ambiguous: int = 0
    failed: dict[str, list[Problem]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what was guessed or decided, said once

    def repair(self, problem: Problem) -> None:
        self.repaired += 1
        if len(self.repairs) < MAX_LISTED:
            self.repairs.append(problem)

    def cannot_hold(self, what: str, where: str, count: int = 1) -> None:
        self.unrepresentable[what] += count
        if len(self.examples) < MAX_LISTED:
            self.examples.append(Problem(where, what))

    def absorb(self, other: Report) -> None:
        """Add the counts of one converted input."""
        self.documents += other.documents
        self.mentions += other.mentions
        self.dropped_labels.update(other.dropped_labels)
        self.repaired += other.repaired
        self.repairs += other.repairs[:MAX_LISTED - len(self.repairs)]
        self.unrepresentable.update(other.unrepresentable)
        self.examples += other.examples[:MAX_LISTED - len(self.examples)]
        self.proclitics_stripped += other.proclitics_stripped
        self.proclitics_ambiguous += other.proclitics_ambiguous
        self.notes += other.notes

    def to_dict(self) -> dict[str, Any]:
        return {"documents": self.documents, "mentions": self.mentions,
                "dropped_labels": dict(self.dropped_labels), "repaired": self.repaired,
                "repairs": [str(p) for p in self.repairs], "unrepresentable": dict(self.unrepresentable),
                "proclitics_stripped": self.proclitics_stripped,
                "proclitics_ambiguous": self.proclitics_ambiguous,
                "failed": {k: [str(p) for p in v] for k, v in self.failed.items()}, "notes": self.notes}


class LabelMapper:
    """Maps corpus labels onto the scheme through a :class:`LabelMap`: renamed, dropped (counted per label)
    or unknown (a problem naming its place: a label the map does not cover and the scheme lacks)."""

    def __init__(self, label_map: LabelMap, scheme_labels: Iterable[str], report: Report) -> None:
        self.label_map = label_map
        self.labels = tuple(scheme_labels)
        self.report = report
        self._cache: dict[str, str | None] = {}
        self.problems: list[Problem] = []

    def __call__(self, label: str, where: Callable[[], str]) -> str | None:
        """The scheme label for ``label``, or None when it is dropped or unknown (then a problem is kept)."""
        try:
            target = self._cache[label]
        except KeyError:
            try:
                target = self.label_map.target(label, self.labels)
            except KeyError:
                hint = (f"give --label-map (named maps: wojood, anercorp, conll, wikiann; or a JSON file)"
                        if self.label_map.name == "none" else f"the label map {self.label_map.name} does not cover it")
                self.problems.append(Problem(where(), f"unknown label {label!r}: not a scheme label "
                                                      f"({', '.join(self.labels)}); {hint}"))
                return None
            self._cache[label] = target
        if target is None:
            self.report.dropped_labels[label] += 1
        return target

    def take_problems(self) -> list[Problem]:
        out, self.problems = self.problems, []
        return out


def gold_document(ident: str, text: str, mentions: Iterable[tuple[int, int, str]], annotation: dict[str, Any],
                  *, title: str | None = None, source: str | None = None) -> Annotated:
    """A gold document of converted mentions ``(start, end, label)``, in offset order, ids ``e1``, ``e2``…"""
    ordered = sorted(mentions, key=lambda m: (m[0], -m[1], m[2]))
    entities = tuple(Mention(label, start, end, text[start:end], f"e{i}")
                     for i, (start, end, label) in enumerate(ordered, start=1))
    return Annotated(Article(ident, text, title=title, source=source), entities, (), annotation)


def converted_annotation(source_format: str, scheme_version: str, *, proclitics: str) -> dict[str, Any]:
    """The ``annotation`` block of a converted document: no annotators known, not adjudicated, and the rule
    that made it (the source format and the corpus's clitic convention, e.g. ``converted:conll|proclitics:kept``)."""
    return {"annotators": [], "adjudicated": False, "scheme": scheme_version,
            "rule": f"converted:{source_format}|proclitics:{proclitics}"}
