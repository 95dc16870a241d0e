"""``extract``: an extractor over a corpus, into a resumable folder of shards (what ``khabar extract`` does)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotation.errors import KhabarError
from eval.extract.config import EngineConfig
from eval.extract.engines import run_engine
from eval.extract.output import Output, identity
from eval.extract.plan import DEFAULT_SHARD_SIZE, discover, plan
from eval.extractors.base import DEFAULT_BATCH_SIZE, describe


@dataclass
class ExtractReport:
    """What a run left in its folder and what this call did."""

    out: Path
    shards: int
    kept: int
    written: int
    articles: int
    predictions: int
    errors: int
    seconds: float
    stopped: bool = False

    @property
    def complete(self) -> bool:
        return self.kept + self.written == self.shards


@dataclass
class Progress:
    """Callbacks for a progress display: ``start(total_lines, lines_already_done)``, ``advance(lines)``."""

    start: Callable[[int, int], None]
    advance: Callable[[int], None]


def extract(inputs: Sequence[str], spec: str, out: str | Path, *, options: dict[str, Any] | None = None,
            engine: str = "local", jobs: int = 1, batch_size: int = DEFAULT_BATCH_SIZE,
            shard_size: int = DEFAULT_SHARD_SIZE, overwrite: bool = False, fail_fast: bool = False,
            address: str | None = None, connect_timeout: float = 30.0, worker_cpus: float = 1.0,
            progress: Progress | None = None) -> ExtractReport:
    """Run ``spec`` over the articles of ``inputs`` into ``out``; finished shards of the same run are kept."""
    from eval.extractors import get_extractor

    started = time.perf_counter()
    options = dict(options or {})
    if shard_size < 1 or batch_size < 1:
        raise KhabarError("the shard size and the batch size must be at least 1")
    extractor = get_extractor(spec, **options)
    if getattr(extractor, "uses_gold", False):
        raise KhabarError(f"extractor {spec!r} needs the gold set; khabar extract runs over articles only")
    inputs_, shards = plan(discover(inputs), shard_size)
    ident = identity({"spec": spec, **describe(extractor), "options": options}, inputs_,
                     shard_size=shard_size, batch_size=batch_size)
    output = Output(out, ident, inputs_, shards, overwrite=overwrite)
    pending = output.pending()
    by_index = {s.index: s for s in pending}
    if progress:
        progress.start(sum(s.lines for s in shards), sum(s.lines for s in shards if s.index in output.done))
    config = EngineConfig(extractor, spec, options, jobs=jobs, batch_size=batch_size, fail_fast=fail_fast,
                          address=address, connect_timeout=connect_timeout, worker_cpus=worker_cpus)
    kept, written, stopped = len(shards) - len(pending), 0, False
    results = run_engine(engine, config, pending)
    try:
        for result in results:
            if result.fatal:
                raise KhabarError(result.fatal)
            if not result.finished:
                output.pending_errors += result.errors
                stopped = True
                break
            output.write(by_index[result.index], result)
            written += 1
            output.save(engine=engine)
            if progress:
                progress.advance(by_index[result.index].lines)
    except BaseException:
        _close(results)
        try:  # keep the record of what finished; the first error is the one to report
            output.save(engine=engine, force=True)
        except KhabarError:
            pass
        raise
    _close(results)
    if pending or not (output.dir / "manifest.json").exists():
        output.save(engine=engine, force=True)
    done = output.done.values()
    return ExtractReport(output.dir, len(shards), kept, written, sum(r["articles"] for r in done),
                         sum(r["predictions"] for r in done), len(output.errors()),
                         time.perf_counter() - started, stopped)


def _close(results: Any) -> None:
    close = getattr(results, "close", None)
    if close:
        close()
