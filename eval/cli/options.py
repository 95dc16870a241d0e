"""Option types that check values at the edge: finite numbers in a range, seeds, job counts,
non-empty strings. (click's own ranges let NaN through: every comparison with NaN is false.)"""

from __future__ import annotations

import math
import re
from typing import Any

import click

from eval.scoring.defaults import MAX_RESAMPLES

MAX_SEED = 2**32 - 1  # numpy's seeds


class FiniteRange(click.FloatRange):
    """A float range that also refuses NaN and infinities."""

    name = "finite float range"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if number is not None and not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return number


class NonEmpty(click.ParamType):
    """A string that must not be empty or blank (an unset ``$VAR`` would otherwise change the meaning)."""

    name = "text"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not value.strip():
            self.fail("must not be empty (an unset shell variable?).", param, ctx)
        return value


SEED = click.IntRange(0, MAX_SEED)
JOBS = click.IntRange(min=0)  # 0: every core
RESAMPLES = click.IntRange(0, MAX_RESAMPLES)
TRIALS = click.IntRange(1, MAX_RESAMPLES)
FRACTION = FiniteRange(0, 1)
OPEN_FRACTION = FiniteRange(0, 1, min_open=True)
SECONDS = FiniteRange(min=0, min_open=True)
TEXT = NonEmpty()


class SplitName(NonEmpty):
    """The name of a split of a gold folder (``dev``, ``test``, …): a name, never a path."""

    name = "split"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        value = super().convert(value, param, ctx)
        if isinstance(value, str) and not re.fullmatch(r"[A-Za-z0-9_-]+", value):
            self.fail(f"{value!r} is not a split name (dev, test, …); give the gold file itself as GOLD "
                      "to score another file.", param, ctx)
        return value


SPLIT = SplitName()
