"""The defaults of scoring and its statistics, defined once for the library and the command line.

This module imports no numpy (only :mod:`annotation.matching`, which is pure Python), so the
command line can show them in ``--help`` and use them as option defaults without loading the
scoring stack. The library (``eval.scoring.signature``, ``eval.scoring.scorer``,
``eval.statistics``) and the commands (``khabar score``, ``khabar bench``, ``khabar compare``)
all take them from here.
"""

from __future__ import annotations

from annotation.matching import DEFAULT_CLAIM_IOU

__all__ = ["DEFAULT_ALPHA", "DEFAULT_CLAIM_IOU", "DEFAULT_RESAMPLES", "DEFAULT_SCHEME", "DEFAULT_SEED",
           "DEFAULT_TRIALS", "MAX_RESAMPLES"]

DEFAULT_SCHEME = "strict"
"""The headline entity scheme (of the signature and the summary table; all four are in the result)."""

DEFAULT_RESAMPLES = 1000
"""Bootstrap resamples of documents: the confidence intervals and the paired bootstrap test."""

DEFAULT_SEED = 12345
"""The seed of the resamples and of the randomization trials."""

DEFAULT_ALPHA = 0.05
"""1 - the confidence level of the intervals; the significance level of the paired tests."""

DEFAULT_TRIALS = 10000
"""Approximate randomization trials of the paired test."""

# DEFAULT_CLAIM_IOU (the token IoU from which two claims are candidates for a match) is
# annotation.matching's: annotator agreement uses it too, and annotation never imports eval.

MAX_RESAMPLES = 100_000
"""Most bootstrap resamples or randomization trials: beyond this, time and memory, not precision."""
