"""A predictions file as an extractor: the predictions were made elsewhere, earlier.

The file is read once (errors name the file and line). ``prepare`` refuses a line whose id is
not among the articles of the run, as ``khabar score`` does; an article without a line is
predicted empty (the scorer reports it).

The output folder of ``khabar extract`` is read the same way, its shards in the manifest's
order, with one difference: such a folder usually covers a whole corpus, of which the run's
articles (the gold set) are a part, so only the lines of the run's articles are kept and the
others are not an error.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from annotation.errors import KhabarError
from annotation.io import read_predictions
from annotation.model import Article, Prediction
from eval.extract.folder import MANIFEST, shard_files
from eval.extractors.base import BatchCallable


class PredictionsFile(BatchCallable):
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.folder = self.path.is_dir()
        if self.folder:
            self.files = shard_files(self.path)
            self.name = f"extract:{self.path.name}"
            self.version = hashlib.sha256((self.path / MANIFEST).read_bytes()).hexdigest()[:8]
        elif self.path.is_file():
            self.files = [self.path]
            self.name = f"file:{self.path.name}"
            self.version = hashlib.sha256(self.path.read_bytes()).hexdigest()[:8]
        else:
            raise KhabarError(f"{self.path}: no such predictions file")
        self._by_id: dict[str, Prediction] | None = None
        self._wanted: set[str] | None = None

    def _load(self) -> dict[str, Prediction]:
        if self._by_id is None:
            by_id: dict[str, Prediction] = {}
            for path in self.files:
                for i, pred in enumerate(read_predictions(path)):
                    if self._wanted is not None and pred.id not in self._wanted:
                        continue
                    if pred.id in by_id:
                        raise KhabarError(f"{path}: article {pred.id!r} has two prediction lines "
                                          f"(the second is record {i + 1})")
                    by_id[pred.id] = pred
            self._by_id = by_id
        return self._by_id

    def prepare(self, articles: Sequence[Article]) -> None:
        known = {a.id for a in articles}
        if self.folder:
            self._wanted, self._by_id = known, None
            self._load()
            return
        unknown = [i for i in self._load() if i not in known]
        if unknown:
            shown = ", ".join(repr(i) for i in unknown[:5]) + (" …" if len(unknown) > 5 else "")
            raise KhabarError(f"{self.path}: {len(unknown)} prediction line(s) for articles that are not "
                              f"among the {len(known)} articles of this run: {shown}")

    def extract(self, articles: Sequence[Article]) -> list[Prediction]:
        by_id = self._load()
        return [by_id[a.id] for a in articles if a.id in by_id]
