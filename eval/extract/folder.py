"""Reading an extract output folder as one predictions file: its shards in the manifest's order.

``prediction_files(path)`` is what ``khabar score``, ``khabar bench --extractor DIR`` and
``khabar export --pre-annotate DIR`` use: a file is itself, a folder is its shards, and a folder
whose run is not finished is refused (its missing shards would score as empty).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from annotation.errors import KhabarError
from annotation.io import load_json

MANIFEST = "manifest.json"
FORMAT = "khabar-extract/1"


def read_manifest(path: Path) -> dict[str, Any]:
    """A run's manifest, read by the one JSON reader; anything else is an error naming the file."""
    manifest = load_json(path, "an extract manifest")
    if not (isinstance(manifest, dict) and manifest.get("format") == FORMAT and isinstance(manifest.get("shards"), list)):
        raise KhabarError(f"{path}: not a khabar extract manifest (format {FORMAT!r})")
    return manifest


def shard_files(folder: str | Path) -> list[Path]:
    """The shard files of a finished extract run, in the order of the manifest."""
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        raise KhabarError(f"{folder}: a folder without {MANIFEST}, expected a predictions file or the output "
                          "folder of khabar extract")
    records = read_manifest(path)["shards"]
    if not all(isinstance(r, dict) and isinstance(r.get("file"), str) for r in records):
        raise KhabarError(f"{path}: not a readable extract manifest (a shard without its file name)")
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
