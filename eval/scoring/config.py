"""What changes the numbers of a scored run (and so goes into its signature): :class:`ScoreConfig`."""

from __future__ import annotations

from dataclasses import dataclass

from annotation.errors import KhabarError
from eval.inputs.alignment import AlignConfig
from eval.scoring.metrics import SCHEMES
from eval.scoring.defaults import DEFAULT_ALPHA, DEFAULT_CLAIM_IOU, DEFAULT_RESAMPLES, DEFAULT_SCHEME, DEFAULT_SEED


@dataclass(frozen=True)
class ScoreConfig:
    """Everything that changes the numbers (and so goes into the signature)."""

    iou: float = DEFAULT_CLAIM_IOU
    align: AlignConfig = AlignConfig()
    label_map: str | None = None
    bootstrap: int = DEFAULT_RESAMPLES
    seed: int = DEFAULT_SEED
    alpha: float = DEFAULT_ALPHA
    scheme: str = DEFAULT_SCHEME  # the headline scheme of the signature and the table
    min_overlap: float | None = None  # nervaluate's min_overlap_percentage; None: any shared character

    def check(self) -> None:
        if not 0 < self.iou <= 1:
            raise KhabarError(f"the claim IoU threshold must be in (0, 1], not {self.iou}")
        if self.bootstrap < 0:
            raise KhabarError(f"the number of bootstrap resamples cannot be negative ({self.bootstrap})")
        if self.min_overlap is not None and not 0 < self.min_overlap <= 100:
            raise KhabarError(f"the minimum overlap is a percentage in (0, 100], not {self.min_overlap}")
        if self.scheme not in SCHEMES:
            raise KhabarError(f"unknown entity scheme {self.scheme!r} (one of {', '.join(SCHEMES)})")
