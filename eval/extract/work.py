"""One shard's work, the same for every engine: read its articles, run the extractor batch by batch,
keep the prediction lines and the articles that failed.

A batch goes through ``run_batch`` (the runner's checks on what an extractor returns); when a batch
fails, its articles are run one by one so that only the failing ones are set aside, each with its
id, line and reason. With ``fail_fast`` the shard stops at the first failing article and is not
finished. A bad input line is not an extractor failure: it ends the shard with ``fatal``.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from annotation.errors import KhabarError
from annotation.io import dumps
from annotation.model import Article, Prediction
from eval.extract.plan import Shard, read_shard
from eval.extractors.base import Extractor
from eval.extractors.runner import run_batch


@dataclass
class ShardResult:
    """What one shard produced: its prediction lines (in input order), counts, timings and errors."""

    index: int
    text: str = ""
    articles: int = 0
    predicted: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    extract_seconds: float = 0.0
    stopped: bool = False  # fail-fast stopped inside this shard: not finished
    fatal: str | None = None  # a bad input line: the run stops with this message

    @property
    def finished(self) -> bool:
        return not self.stopped and self.fatal is None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> ShardResult:
        return cls(**obj)


def _batch(extractor: Extractor, batch: list[tuple[str, Article]], result: ShardResult,
           fail_fast: bool) -> list[Prediction | None]:
    """Predictions of a batch (None for an article that failed, recorded in ``result.errors``)."""
    articles = [a for _, a in batch]
    try:
        by_id = {p.id: p for p in run_batch(extractor, articles)}
        return [by_id.get(a.id, Prediction(a.id)) for a in articles]
    except Exception:
        pass
    out: list[Prediction | None] = []
    for where, article in batch:
        try:
            preds = run_batch(extractor, [article])
            out.append(preds[0] if preds else Prediction(article.id))
        except Exception as exc:
            result.errors.append({"id": article.id, "line": where, "reason": str(exc)})
            out.append(None)
            if fail_fast:
                result.stopped = True
                break
    return out


def run_shard(extractor: Extractor, shard: Shard, *, batch_size: int, fail_fast: bool = False) -> ShardResult:
    """Run ``extractor`` over one shard; never raises for a failing article or a bad line."""
    started = time.perf_counter()
    result = ShardResult(shard.index)
    try:
        rows = read_shard(shard)
    except KhabarError as exc:
        result.fatal = str(exc)
        return result
    except OSError as exc:
        result.fatal = f"{shard.path}: cannot read ({exc.strerror or exc})"
        return result
    lines: list[str] = []
    size = max(1, batch_size)
    for i in range(0, len(rows), size):
        t0 = time.perf_counter()
        preds = _batch(extractor, rows[i:i + size], result, fail_fast)
        result.extract_seconds += time.perf_counter() - t0
        lines += [dumps(p.to_dict()) + "\n" for p in preds if p is not None]
        if result.stopped:
            break
    result.articles = len(rows)
    result.predicted = len(lines)
    result.text = "".join(lines)
    result.seconds = time.perf_counter() - started
    return result
