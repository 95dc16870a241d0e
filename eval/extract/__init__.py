"""Extraction at corpus scale: an extractor over many articles into a resumable folder of shards.

``extract(inputs, spec, out, engine="local"|"ray", jobs=N)`` plans shards over the inputs
(``plan.py``), keeps the finished shards of the same run (``output.py``), runs the others on an
engine (``engines.py``, ``ray_engine.py``) with the same per-shard work (``work.py``) and writes
each shard atomically. ``folder.prediction_files`` reads an output folder back as predictions.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ExtractReport", "Progress", "extract"]


def __getattr__(name: str) -> Any:  # lazy: ``khabar score`` imports eval.extract.folder, not the engines
    if name in __all__:
        from eval.extract import run

        return getattr(run, name)
    raise AttributeError(name)
