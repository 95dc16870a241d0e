"""What alignment is asked to do (``AlignConfig``) and what it did (``AlignReport``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STEPS = ("exact", "normalised", "clitic", "typo", "fuzzy")
DEFAULT_FUZZY = 0.75


@dataclass(frozen=True)
class AlignConfig:
    normalise: bool = True
    fuzzy: float | None = DEFAULT_FUZZY
    clitics: bool = True

    def describe(self) -> str:
        """A short name for signatures: ``exact``, ``norm``, ``fuzzy0.75``, with ``+clitics`` when that step is on."""
        name = f"fuzzy{self.fuzzy:g}" if self.fuzzy else ("norm" if self.normalise else "exact")
        return name + ("+clitics" if self.clitics else "")


@dataclass
class AlignReport:
    """How many offset-free spans there were, how many were aligned and by which step; the failures."""

    total: int = 0
    aligned: int = 0
    by_step: dict[str, int] = field(default_factory=dict)
    unaligned: list[dict] = field(default_factory=list)  # {"id": doc id, "kind": "entity"|"claim"|..., "text": ...}
    non_exact: list[dict] = field(default_factory=list)  # {"id", "kind", "text", "aligned", "step", "start", "end"}

    @property
    def rate(self) -> float:
        return self.aligned / self.total if self.total else 1.0

    def step_rates(self) -> dict[str, float]:
        """Share of the offset-free spans aligned by each step (they add up to ``rate``)."""
        return {step: (self.by_step.get(step, 0) / self.total if self.total else 0.0) for step in STEPS}

    def count(self, step: str, item: dict | None) -> None:
        """One span aligned by ``step``; ``item`` describes it when the step is not ``exact``."""
        self.aligned += 1
        self.by_step[step] = self.by_step.get(step, 0) + 1
        if item is not None:
            self.non_exact.append(item)

    def merge(self, other: AlignReport) -> AlignReport:
        self.total += other.total
        self.aligned += other.aligned
        for step, n in other.by_step.items():
            self.by_step[step] = self.by_step.get(step, 0) + n
        self.unaligned.extend(other.unaligned)
        self.non_exact.extend(other.non_exact)
        return self

    def to_dict(self) -> dict[str, Any]:
        """The ``alignment`` section of a result: counts and shares per step, the spans the clitic and
        typo steps placed (each its own list, so a reader sees how many needed them), the failures."""
        return {"total": self.total, "aligned": self.aligned, "rate": self.rate,
                "by_step": {step: self.by_step.get(step, 0) for step in STEPS},
                "by_step_rate": self.step_rates(),
                "clitic": [d for d in self.non_exact if d["step"] == "clitic"],
                "typo": [d for d in self.non_exact if d["step"] == "typo"],
                "unaligned": list(self.unaligned), "non_exact": list(self.non_exact)}
