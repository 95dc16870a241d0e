"""A corpus of any size from a few articles: the articles repeated with new ids (for tests and benchmarks)."""

from __future__ import annotations

import json
from pathlib import Path

from annotation.io import write_atomic


def repeat_corpus(source: str | Path, size: int, out: str | Path) -> Path:
    """Write ``size`` articles to ``out``: the lines of ``source`` in turn, the n-th with id ``<id>~<n>``."""
    lines = [json.loads(line) for line in Path(source).read_text(encoding="utf-8").splitlines() if line.strip()]

    def chunks():  # written as generated: memory does not grow with the size
        for n in range(size):
            article = dict(lines[n % len(lines)])
            article["id"] = f"{article['id']}~{n}"
            yield json.dumps(article, ensure_ascii=False) + "\n"

    write_atomic(out, chunks())
    return Path(out)
