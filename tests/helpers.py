"""Builders shared by the tests: spans found by their text, Label Studio regions, files written as lines.

Occurrences are counted from 0 everywhere (``nth=0`` is the first occurrence of the needle)."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from annotation.io import write_jsonl
from annotation.model import Annotated, Span


def at(text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    """Offsets ``[start, end)`` of the ``nth`` occurrence of ``needle`` in ``text`` (ValueError if absent)."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(needle, start + 1)
    return start, start + len(needle)


def span_at(text: str, needle: str, nth: int = 0, entity: str | None = None) -> Span:
    """The span of the ``nth`` occurrence of ``needle`` in ``text``."""
    start, end = at(text, needle, nth)
    return Span(start, end, needle, entity)


def ls_region(rid: str, control: str, label: str, start: int, end: int, text: str,
              labels: list[str] | None = None) -> dict[str, Any]:
    """A Label Studio labels region as an export holds it (``control``: the Labels tag's name)."""
    return {"id": rid, "from_name": control, "to_name": "text", "type": "labels", "origin": "manual",
            "value": {"start": start, "end": end, "text": text, "labels": labels or [label]}}


def ls_region_of(text: str, rid: str, control: str, label: str, needle: str, nth: int = 0,
                 labels: list[str] | None = None) -> dict[str, Any]:
    """A labels region over the ``nth`` occurrence of ``needle`` in ``text``."""
    start, end = at(text, needle, nth)
    return ls_region(rid, control, label, start, end, needle, labels)


def write_lines(path: Path, objects: Sequence[Any]) -> Path:
    """Objects (or ready strings) as JSON lines, as given (no validation)."""
    path.write_text("".join((o if isinstance(o, str) else json.dumps(o, ensure_ascii=False)) + "\n"
                            for o in objects), encoding="utf-8")
    return path


def write_gold(path: Path, docs: Sequence[Annotated]) -> Path:
    """Gold documents as a gold JSON lines file, in the dataset's record form."""
    from annotation.gold.records import gold_record

    write_jsonl(path, [gold_record(d) for d in docs])
    return path


SAMPLES = Path(__file__).resolve().parent / "data" / "labelstudio"
RENAME = {"PER": "PERS", "said_by": "source", "statement": "opinion", "event": "factual_event",
          "quantity": "numerical", "yes": "true", "no": "false"}


def renamed(obj: Any) -> Any:
    """A sample export rewritten to the scheme's names (and task data ``doc_id`` -> ``id``)."""
    if isinstance(obj, dict):
        out = {k: renamed(v) for k, v in obj.items()}
        if "doc_id" in out:
            out["id"] = out.pop("doc_id")
        return out
    if isinstance(obj, list):
        return [renamed(v) for v in obj]
    return RENAME.get(obj, obj) if isinstance(obj, str) else obj


def sample(name: str, *, rename: bool = True) -> list[dict[str, Any]]:
    """A real Label Studio export of tests/data/labelstudio/, by default in the scheme's names."""
    data = json.loads((SAMPLES / name).read_text(encoding="utf-8"))
    return renamed(data) if rename else data


def encode(tasks: list[dict[str, Any]]) -> bytes:
    return json.dumps(tasks, ensure_ascii=False).encode("utf-8")


def assert_clean(result: Any, status: int, *places: str) -> str:
    """A command's ``result`` (click's): exit ``status``, no traceback, and every one of ``places``
    (the file, line, task, option or extractor the message must name) in its output. Returns the output."""
    output = result.output
    assert result.exit_code == status, output
    assert "Traceback" not in output, output
    for place in places:
        assert place in output, (place, output)
    return output


@contextlib.contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 with ``handler``, for the block: yields ``host:port``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
