"""Reading an extract output folder as one predictions file: its shards in the manifest's order.

``prediction_files(path)`` is what ``khabar score``, ``khabar bench --extractor DIR`` and
``khabar export --pre-annotate DIR`` use: a file is itself, a folder is its shards, and a folder
whose run is not finished is refused (its missing shards would score as empty).
"""

from __future__ import annotations

import json
from pathlib import Path

from annotation.errors import KhabarError

MANIFEST = "manifest.json"


def shard_files(folder: str | Path) -> list[Path]:
    """The shard files of a finished extract run, in the order of the manifest."""
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        raise KhabarError(f"{folder}: a folder without {MANIFEST}, expected a predictions file or the output "
                          "folder of khabar extract")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        records = manifest["shards"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise KhabarError(f"{path}: not a readable extract manifest ({exc})") from None
    pending = [r["file"] for r in records if r.get("status") != "done"]
    if pending:
        raise KhabarError(f"{folder}: the extract run is not finished ({len(pending)} of {len(records)} shards "
                          "pending) — run the same khabar extract command again to finish it")
    files = [folder / r["file"] for r in records]
    missing = [f for f in files if not f.is_file()]
    if missing:
        raise KhabarError(f"{missing[0]}: a shard listed in {path} is missing")
    return files


def prediction_files(path: str | Path) -> list[Path]:
    """``[path]`` for a predictions file; the shards of an extract output folder."""
    path = Path(path)
    return shard_files(path) if path.is_dir() else [path]
