"""A benchmark run: an extractor over the gold articles, then the scorer (what ``khabar bench`` does).

The extractor sees only the articles (text, title, outlet…), never the labels, unless it asks for
the gold (``uses_gold``, the ``oracle`` sanity check). Predictions are scored exactly as a
predictions file would be by ``khabar score``; the result JSON is the scorer's, plus ``extractor``
(name, version, spec) and ``run`` (articles, batches, jobs, seconds, articles without a prediction).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from annotation.errors import KhabarError
from annotation.model import Annotated, Prediction
from annotation.locations import default_data
from eval.extractors.base import DEFAULT_BATCH_SIZE, Extractor
from eval.extractors.runner import DEFAULT_JOBS, RunReport, bind_gold, run_extractor

DEFAULT_EXTRACTOR = "baseline"
DEFAULT_SPLIT = "test"


@dataclass
class BenchRun:
    spec: str
    predictions: list[Prediction]
    run: RunReport
    score: Any  # eval.scoring.scorer.ScoreRun

    @cached_property
    def result(self) -> dict[str, Any]:
        out = {"extractor": {**self.run.extractor, "spec": self.spec}}
        out.update(self.score.result)
        out["run"] = self.run.to_dict()
        return out


def load_bench_gold(path: str | Path | None = None, split: str | None = DEFAULT_SPLIT) -> list[Annotated]:
    """The gold articles of ``split``; by default the gold set ``data/gold`` (``locations.default_data``)."""
    from annotation.gold.records import load_gold  # numpy and pyarrow: not for `khabar bench --help`

    path = default_data("gold", "--gold") if path is None else Path(path)
    if not path.exists():
        raise KhabarError(f"{path}: no gold set here; give one with --gold")
    docs = load_gold(path, None if split in (None, "all") else split)
    if not docs:
        raise KhabarError(f"{path}: the gold set{f' split {split!r}' if split else ''} has no articles")
    return docs


def bench(gold: Sequence[Annotated], extractor: Extractor, *, spec: str = "", config: Any = None,
          batch_size: int = DEFAULT_BATCH_SIZE, jobs: int = DEFAULT_JOBS,
          progress: Callable[[int], None] | None = None) -> BenchRun:
    """Run ``extractor`` over the articles of ``gold`` and score its predictions (``eval.scoring.score``)."""
    from eval.scoring.scorer import ScoreConfig, score

    extractor = bind_gold(extractor, gold)
    predictions, report = run_extractor(extractor, [d.article for d in gold], batch_size=batch_size, jobs=jobs,
                                        progress=progress)
    scored = score(gold, predictions, config=config or ScoreConfig())
    return BenchRun(spec or report.extractor["name"], predictions, report, scored)
