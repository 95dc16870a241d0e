"""How a ``khabar extract`` run is carried out: the engines and their settings (shared by both engines)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eval.extractors.base import Extractor

ENGINES = ("local", "ray")


@dataclass
class EngineConfig:
    """How to run: the extractor (and how to build it again on a Ray worker), workers, batch size."""

    extractor: Extractor
    spec: str
    options: dict[str, Any] = field(default_factory=dict)
    jobs: int = 1
    batch_size: int = 16
    fail_fast: bool = False
    address: str | None = None
    connect_timeout: float = 30.0
    worker_cpus: float = 1.0  # Ray: CPUs reserved per actor (below 1 for extractors that wait on a service)
