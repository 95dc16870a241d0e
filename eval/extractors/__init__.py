"""Extractors: the interface, the registry, the adapters and the built-in baseline, oracle and empty.

``get_extractor(spec, **options)`` builds one from a name or a spec (see ``registry.py``);
``run_extractor(extractor, articles, jobs=N)`` runs it over many articles (``runner.py``).
"""

from __future__ import annotations

from eval.extractors.base import DEFAULT_BATCH_SIZE, Extractor, ExtractorError
from eval.extractors.registry import REGISTRY, get_extractor, register_extractor
from eval.extractors.runner import RunReport, run_extractor

__all__ = ["DEFAULT_BATCH_SIZE", "REGISTRY", "Extractor", "ExtractorError", "RunReport", "get_extractor",
           "register_extractor", "run_extractor"]
