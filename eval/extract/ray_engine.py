"""The Ray engine: Ray Data maps the shard plan through a pool of actors, one extractor per actor.

Each actor builds the extractor once from its spec and options (a model loads once per worker),
then, for each shard it is handed (``map_batches`` with one shard per batch), reads the shard's
byte range from the input path itself and returns the shard's result; the driver writes the
shards. Inputs must therefore be at a path every node reads (a shared filesystem); outputs are
written by the driver only. Without ``address`` a local Ray instance is started for the run with
``jobs`` CPUs and stopped after; with one, the run joins that cluster (``auto``, ``HOST:PORT``,
``ray://HOST:PORT``), and a cluster that does not answer within the timeout is a clear error.
When this process is already connected to Ray (a test session), that connection is used.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

from annotation.errors import KhabarError
from eval.extract.config import EngineConfig
from eval.extract.plan import Shard
from eval.extract.work import ShardResult, run_shard
from eval.extractors.runner import resolve_jobs


class ShardActor:
    """A Ray Data callable class: one extractor per actor, one shard per call."""

    def __init__(self, spec: str, options: dict[str, Any], batch_size: int, fail_fast: bool) -> None:
        from eval.extractors import get_extractor

        self.extractor = get_extractor(spec, **options)
        self.batch_size = batch_size
        self.fail_fast = fail_fast

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[str]]:
        out = []
        for item in batch["shard"]:
            shard = Shard.from_dict(json.loads(str(item)))
            result = run_shard(self.extractor, shard, batch_size=self.batch_size, fail_fast=self.fail_fast)
            out.append(json.dumps(result.to_dict(), ensure_ascii=False))
        return {"result": out}


def _probe(address: str, timeout: float) -> None:
    """Fail fast, with a clear message, when nothing listens at a HOST:PORT address."""
    hostport = address.removeprefix("ray://")
    host, sep, port = hostport.rpartition(":")
    if not sep or not port.isdigit():
        raise KhabarError(f"--address {address!r}: expected auto, HOST:PORT or ray://HOST:PORT")
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout).close()
    except OSError as exc:
        raise KhabarError(f"--address {address}: no Ray cluster answers there within {timeout:g} s "
                          f"({exc.strerror or exc}) — start one with 'ray start --head' or leave out --address "
                          "to run a local Ray for this run") from None


def connect(address: str | None, jobs: int, timeout: float) -> bool:
    """Connect to Ray; True when a local instance was started here (and must be stopped after)."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        import ray
    except ImportError:
        raise KhabarError("--engine ray needs Ray: pip install 'khabar[ray]'") from None
    logging.getLogger("ray").setLevel(logging.ERROR)
    if ray.is_initialized():
        return False
    if address and address != "auto":
        _probe(address, timeout)
    try:
        if address:
            ray.init(address=address, logging_level=logging.ERROR, log_to_driver=False)
        else:
            ray.init(num_cpus=resolve_jobs(jobs), include_dashboard=False, logging_level=logging.ERROR,
                     log_to_driver=False)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = f"at --address {address}" if address else "locally"
        raise KhabarError(f"cannot start or join Ray {where}: {str(exc).splitlines()[0]}") from None
    return address is None


def _workers(jobs: int, worker_cpus: float) -> int:
    import ray

    return jobs if jobs > 0 else max(1, int(ray.cluster_resources().get("CPU", 1) / worker_cpus))


def run_ray(config: EngineConfig, shards: Sequence[Shard]) -> Iterator[ShardResult]:
    if not shards:
        return
    started = connect(config.address, config.jobs, config.connect_timeout)
    try:
        import ray
        import ray.data

        for name in ("ray", "ray.data"):  # the run's own messages are enough on stderr
            logging.getLogger(name).setLevel(logging.ERROR)
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        context.print_on_execution_start = False
        items = [{"shard": json.dumps(s.to_dict())} for s in shards]
        dataset = ray.data.from_items(items, override_num_blocks=len(items))
        with warnings.catch_warnings():  # max_restarts (a failed actor is not restarted) is a "remote arg"
            warnings.simplefilter("ignore")
            results = _map(dataset, config, len(shards))
        for row in _rows(results):
            yield ShardResult.from_dict(json.loads(row["result"]))
    finally:
        if started:
            ray.shutdown()


def _rows(results: Any) -> Iterator[dict[str, Any]]:
    """The result rows; a failure of Ray itself (an actor that cannot build the extractor, a lost node)
    becomes one message."""
    try:
        yield from results.iter_rows()
    except GeneratorExit:
        raise
    except Exception as exc:
        cause = getattr(exc, "cause", None) or exc
        if isinstance(cause, KhabarError):
            raise KhabarError(str(cause)) from None
        lines = [line for line in str(cause).splitlines() if line.strip()]
        raise KhabarError(f"the Ray run failed: {type(cause).__name__}: {lines[-1] if lines else ''}") from None


def _map(dataset: Any, config: EngineConfig, shards: int) -> Any:
    import ray.data

    return dataset.map_batches(
        ShardActor, batch_size=1, num_cpus=config.worker_cpus, max_restarts=0,
        compute=ray.data.ActorPoolStrategy(size=min(_workers(config.jobs, config.worker_cpus), shards)),
        fn_constructor_kwargs={"spec": config.spec, "options": config.options,
                               "batch_size": config.batch_size, "fail_fast": config.fail_fast})
