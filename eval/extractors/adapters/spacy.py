"""A spaCy pipeline as an entity extractor (``spacy:PATH_OR_PACKAGE``), optional (extra ``khabar[spacy]``).

The pipeline is loaded with ``spacy.load`` from a folder or an installed package (khabar never downloads
a model), lazily in each process, so the adapter pickles to worker processes. Articles go through
``nlp.pipe`` in batches of ``batch_size``; mentions are the docs' ``doc.ents`` and, with ``spans_key``,
the spans of that ``doc.spans`` group (a span categorizer's, nested mentions allowed), with spaCy's own
character offsets. Labels go through ``label_map`` (a named map such as ``conll``, a JSON map file, or
a dict): a label it drops is left out; a label it does not cover is kept as it is (the scorer then
names it if the scheme lacks it). This adapter predicts entities only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from annotation.errors import KhabarError
from annotation.model import Article, Mention, Prediction
from eval.extractors.base import BatchCallable

DEFAULT_BATCH_SIZE = 32


def _rename(label_map: str | Mapping[str, str | None] | None) -> dict[str, str | None]:
    if label_map is None or isinstance(label_map, Mapping):
        return dict(label_map or {})
    from annotation.labelmaps import load_label_map
    from annotation.scheme import load_scheme

    return dict(load_label_map(label_map, load_scheme().labels).rename)


class SpacyExtractor(BatchCallable):
    def __init__(self, model: str, *, label_map: str | Mapping[str, str | None] | None = None,
                 spans_key: str | None = None, batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        if not model:
            raise KhabarError("spacy: needs a pipeline folder or package, e.g. spacy:./models/ar-ner")
        self.model = model
        self.rename = _rename(label_map)
        self.spans_key = spans_key
        self.batch_size = int(batch_size)
        self.name = f"spacy:{model}"
        self.version = _version(model)
        self._nlp: Any = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_nlp"] = None
        return state

    def _load(self) -> Any:
        if self._nlp is None:
            try:
                import spacy
            except ImportError:
                raise KhabarError("spacy extractors need the 'spacy' extra: pip install 'khabar[spacy]'") from None
            try:
                self._nlp = spacy.load(self.model)
            except (OSError, ValueError) as exc:
                raise KhabarError(f"extractor {self.name!r}: cannot load the pipeline: {exc}") from None
        return self._nlp

    def mentions(self, doc: Any) -> list[Mention]:
        spans = list(doc.ents)
        if self.spans_key and self.spans_key in doc.spans:
            spans += list(doc.spans[self.spans_key])
        out: dict[tuple[int, int, str], Mention] = {}
        for span in spans:
            label = self.rename.get(span.label_, span.label_)
            if label is None or span.start_char >= span.end_char:
                continue
            out.setdefault((span.start_char, span.end_char, label),
                           Mention(label, span.start_char, span.end_char, span.text))
        return list(out.values())

    def extract(self, articles: Sequence[Article]) -> list[Prediction]:
        nlp = self._load()
        docs = nlp.pipe((a.text for a in articles), batch_size=self.batch_size)
        return [Prediction(a.id, tuple(self.mentions(doc))) for a, doc in zip(articles, docs, strict=True)]


def _version(model: str) -> str:
    """The pipeline's meta.json / config.cfg hash (when it is a folder) and the spaCy version."""
    from importlib.metadata import PackageNotFoundError, version

    folder = Path(model)
    digest = hashlib.sha256()
    for name in ("meta.json", "config.cfg"):
        if (folder / name).is_file():
            digest.update((folder / name).read_bytes())
    tag = digest.hexdigest()[:8] if folder.is_dir() else "package"
    try:
        return f"{tag}-spacy-{version('spacy')}"
    except PackageNotFoundError:
        return f"{tag}-spacy-missing"
