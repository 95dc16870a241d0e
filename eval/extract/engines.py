"""Engines run the pending shards and yield their results as they finish (in any order).

- ``local``: in this process (``jobs=1``) or in a pool of ``jobs`` worker processes, each holding
  one copy of the extractor (given once, when the worker starts);
- ``ray``: Ray Data over the shard plan, ``map_batches`` with a pool of ``jobs`` actors (one
  extractor built per actor, so a model loads once per worker); see ``ray_engine.py``.

Every engine runs the same ``run_shard`` on the same shards, so the shards it yields are the same
bytes; the caller writes them.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from annotation.errors import KhabarError
from eval.extract.config import ENGINES, EngineConfig
from eval.extract.plan import Shard
from eval.extract.work import ShardResult, run_shard
from eval.extractors.base import Extractor
from eval.extractors.runner import resolve_jobs

_worker_extractor: Extractor | None = None


def _start_worker(extractor: Extractor) -> None:
    global _worker_extractor
    _worker_extractor = extractor


def _run_in_worker(shard: Shard, batch_size: int, fail_fast: bool) -> ShardResult:
    assert _worker_extractor is not None
    return run_shard(_worker_extractor, shard, batch_size=batch_size, fail_fast=fail_fast)


def run_local(config: EngineConfig, shards: Sequence[Shard]) -> Iterator[ShardResult]:
    jobs = min(resolve_jobs(config.jobs), max(1, len(shards)))
    if jobs == 1:
        for shard in shards:
            yield run_shard(config.extractor, shard, batch_size=config.batch_size, fail_fast=config.fail_fast)
        return
    context = multiprocessing.get_context()
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_start_worker,
                             initargs=(config.extractor,)) as pool:
        queue = iter(shards)
        running: dict[Future[ShardResult], Shard] = {}

        def submit() -> None:
            shard = next(queue, None)
            if shard is not None:
                running[pool.submit(_run_in_worker, shard, config.batch_size, config.fail_fast)] = shard

        for _ in range(2 * jobs):  # a few shards in flight: memory stays bounded by the shard size
            submit()
        try:
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    shard = running.pop(future)
                    try:
                        result = future.result()
                    except BrokenProcessPool:
                        raise KhabarError(f"a worker process died while running shard {shard.file} "
                                          f"({shard.path} from line {shard.first + 1}; out of memory? run with "
                                          "--jobs 1 to see the error)") from None
                    submit()
                    yield result
        finally:
            for future in running:
                future.cancel()


def run_engine(engine: str, config: EngineConfig, shards: Sequence[Shard]) -> Iterator[ShardResult]:
    if engine == "local":
        return run_local(config, shards)
    if engine == "ray":
        from eval.extract.ray_engine import run_ray

        return run_ray(config, shards)
    raise KhabarError(f"unknown engine {engine!r} (known: {', '.join(ENGINES)})")
