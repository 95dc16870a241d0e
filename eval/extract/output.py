"""The output folder of an extract run: shards ``part-NNNNN.jsonl``, ``manifest.json`` and ``errors.jsonl``.

The manifest holds what makes the run what it is (the extractor's spec, name, version and
options, the batch and shard sizes, each input's fingerprint) and, per shard, where it comes
from, its counts, timings, SHA-256 and errors. A shard is recorded as done only after its file
is in place (written atomically); the manifest is rewritten atomically at most once a second and
at the end, so a killed run loses at most the record of its last second of shards, which a
re-run simply does again. A folder that holds another run (a different identity, or shards
without a manifest) is refused unless the caller overwrites it.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from annotation.errors import KhabarError
from annotation.io import dumps, write_atomic
from eval.extract.folder import FORMAT, MANIFEST, read_manifest
from eval.extract.plan import Input, Shard
from eval.extract.work import ShardResult

ERRORS = "errors.jsonl"
SAVE_EVERY = 1.0  # seconds between two writes of the manifest during a run


def identity(extractor: dict[str, Any], inputs: Sequence[Input], *, shard_size: int,
             batch_size: int) -> dict[str, Any]:
    """What must be the same for finished shards to be kept."""
    return {"extractor": extractor, "shard_size": shard_size, "batch_size": batch_size,
            "inputs": [{"path": i.path, "sha256": i.sha256} for i in inputs]}


def _differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    out = []
    if old.get("extractor") != new["extractor"]:
        o, n = old.get("extractor") or {}, new["extractor"]
        out += [f"extractor {k} {o.get(k)!r} → {n.get(k)!r}" for k in n if o.get(k) != n.get(k)]
    for key in ("shard_size", "batch_size"):
        if old.get(key) != new[key]:
            out.append(f"{key.replace('_', ' ')} {old.get(key)} → {new[key]}")
    before = {i["path"]: i["sha256"] for i in old.get("inputs", [])}
    after = {i["path"]: i["sha256"] for i in new["inputs"]}
    out += [f"input {p} changed" for p in after if p in before and before[p] != after[p]]
    out += [f"input {p} is new" for p in after if p not in before]
    out += [f"input {p} is gone" for p in before if p not in after]
    if not out and old != new:
        out.append("the inputs are given in another order" if list(before) != list(after) else "another run")
    return out


def _clear(out: Path) -> None:
    for path in [*out.glob("part-*.jsonl"), out / ERRORS, out / MANIFEST]:
        path.unlink(missing_ok=True)


class Output:
    """An output folder during a run: which shards are kept, recording and writing the others."""

    def __init__(self, out: str | Path, ident: dict[str, Any], inputs: Sequence[Input], shards: Sequence[Shard],
                 *, overwrite: bool = False) -> None:
        self.dir = Path(out)
        if self.dir.exists() and not self.dir.is_dir():
            raise KhabarError(f"{self.dir}: is a file, expected an output folder")
        self.identity = ident
        self.inputs = list(inputs)
        self.shards = list(shards)
        self.done: dict[int, dict[str, Any]] = {}
        self.pending_errors: list[dict[str, str]] = []
        self._saved = 0.0
        if overwrite:
            _clear(self.dir)
        self._take_over()

    def _take_over(self) -> None:
        manifest_path = self.dir / MANIFEST
        if not manifest_path.exists():
            if any(self.dir.glob("part-*.jsonl")):
                raise KhabarError(f"{self.dir}: holds part-*.jsonl shards but no {MANIFEST} (another run's "
                                  "output?) — give --overwrite to replace them, or another --out")
            return
        old = read_manifest(manifest_path)
        diff = _differences(old.get("identity", {}), self.identity)
        if diff:
            raise KhabarError(f"{self.dir}: holds the output of another run ({'; '.join(diff)}) — give --overwrite "
                              "to start it over, or another --out")
        for record in old.get("shards", []):
            path = self.dir / record["file"]
            if record.get("status") == "done" and path.is_file() and path.stat().st_size == record.get("bytes"):
                self.done[record["index"]] = record

    def pending(self) -> list[Shard]:
        return [s for s in self.shards if s.index not in self.done]

    def write(self, shard: Shard, result: ShardResult) -> None:
        """Write a finished shard atomically and record it; a failing write leaves no shard behind."""
        data = result.text.encode("utf-8")
        path = self.dir / shard.file
        try:
            write_atomic(path, data)
        except KhabarError as exc:  # names the shard and the cause; nothing of it is left
            raise KhabarError(f"{exc} — fix that and run the same command again to resume") from None
        self.done[shard.index] = {
            "index": shard.index, "file": shard.file, "status": "done", "input": shard.input,
            "first_line": shard.first + 1, "lines": shard.lines, "articles": result.articles,
            "predictions": result.predicted, "errors": len(result.errors), "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(), "seconds": round(result.seconds, 3),
            "extract_seconds": round(result.extract_seconds, 3), "error_records": result.errors}

    def _records(self) -> list[dict[str, Any]]:
        out = []
        for shard in self.shards:
            out.append(self.done.get(shard.index) or {
                "index": shard.index, "file": shard.file, "status": "pending", "input": shard.input,
                "first_line": shard.first + 1, "lines": shard.lines})
        return out

    def errors(self) -> list[dict[str, str]]:
        return [e for s in self.shards for e in self.done.get(s.index, {}).get("error_records", [])] \
            + self.pending_errors

    def save(self, *, engine: str, force: bool = False) -> None:
        """Rewrite the manifest and errors.jsonl (atomically), at most once a second unless ``force``."""
        now = time.monotonic()
        if not force and now - self._saved < SAVE_EVERY:
            return
        self._saved = now
        records = self._records()
        done = [r for r in records if r["status"] == "done"]
        manifest = {"format": FORMAT, "identity": self.identity, "engine": engine,
                    "inputs": [i.to_dict() for i in self.inputs],
                    "complete": len(done) == len(records),
                    "articles": sum(r["articles"] for r in done), "predictions": sum(r["predictions"] for r in done),
                    "errors": sum(r["errors"] for r in done), "shards": records}
        errors = self.errors()
        write_atomic(self.dir / ERRORS, "".join(dumps(e) + "\n" for e in errors))  # names what it cannot write
        write_atomic(self.dir / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1) + "\n")
