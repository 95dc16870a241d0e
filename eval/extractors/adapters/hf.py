"""A Hugging Face token-classification model as an entity extractor (``hf:MODEL_DIR``), optional.

Needs the ``hf`` extra (``torch`` and ``transformers``). The model is loaded from a local folder
(or a name already in the local cache; khabar itself never downloads), lazily in each process,
so the adapter pickles to worker processes. Each article is cut into lines, and lines longer
than ``max_chars`` at whitespace, so that no piece is truncated by the model's length limit;
the pipeline's character offsets are shifted back to the article. Labels are the model's
entity groups (``B-``/``I-`` prefixes removed), mapped to the scheme with ``label_map`` when
given (e.g. ``{"PER": "PERS"}``); unmapped labels are kept as they are.
This adapter predicts entities only.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from collections.abc import Sequence
from typing import Any

from annotation.errors import KhabarError
from annotation.model import Article, Mention, Prediction
from eval.extractors.base import BatchCallable

DEFAULT_MAX_CHARS = 1000
DEFAULT_AGGREGATION = "simple"


def pieces(text: str, max_chars: int = DEFAULT_MAX_CHARS) -> list[tuple[int, str]]:
    """(offset, piece) for each non-blank line of ``text``, long lines cut at whitespace."""
    out: list[tuple[int, str]] = []
    for line in re.finditer(r"[^\n]+", text):
        start, chunk = line.start(), line.group()
        while len(chunk) > max_chars:
            cut = chunk.rfind(" ", 0, max_chars)
            cut = cut if cut > 0 else max_chars
            out.append((start, chunk[:cut]))
            start, chunk = start + cut, chunk[cut:]
        if chunk.strip():
            out.append((start, chunk))
    return out


class TokenClassificationExtractor(BatchCallable):
    def __init__(self, model: str, *, label_map: dict[str, str] | None = None,
                 aggregation: str = DEFAULT_AGGREGATION, max_chars: int = DEFAULT_MAX_CHARS,
                 device: int | str = -1, batch_size: int = 8, min_score: float = 0.0) -> None:
        if not model:
            raise KhabarError("hf: needs a model folder, e.g. hf:./models/wojood-bert")
        self.model = model
        self.label_map = dict(label_map or {})
        self.aggregation = aggregation
        self.max_chars = int(max_chars)
        self.device = device
        self.batch_size = int(batch_size)
        self.min_score = float(min_score)
        self.name = f"hf:{model}"
        self.version = _version(model)
        self._pipeline: Any = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_pipeline"] = None
        return state

    def _load(self) -> Any:
        if self._pipeline is None:
            try:
                from transformers import pipeline
            except ImportError:
                raise KhabarError("hf extractors need the 'hf' extra: pip install 'khabar[hf]' "
                                  "(torch and transformers)") from None
            try:
                self._pipeline = pipeline("token-classification", model=self.model, tokenizer=self.model,
                                          aggregation_strategy=self.aggregation, device=self.device)
            except (OSError, ValueError) as exc:
                raise KhabarError(f"extractor {self.name!r}: cannot load the model: {exc}") from None
        return self._pipeline

    def label(self, group: str) -> str:
        group = re.sub(r"^[BIES]-", "", group)
        return self.label_map.get(group, group)

    def extract(self, articles: Sequence[Article]) -> list[Prediction]:
        nlp = self._load()
        out = []
        for article in articles:
            parts = pieces(article.text, self.max_chars)
            results = nlp([p for _, p in parts], batch_size=self.batch_size) if parts else []
            mentions = []
            for (base, _), found in zip(parts, results, strict=True):
                for ent in found:
                    if ent.get("start") is None or float(ent.get("score", 1.0)) < self.min_score:
                        continue
                    start, end = base + int(ent["start"]), base + int(ent["end"])
                    while start < end and article.text[start].isspace():
                        start += 1
                    while end > start and article.text[end - 1].isspace():
                        end -= 1
                    if start < end:
                        group = ent.get("entity_group") or ent.get("entity") or ""
                        mentions.append(Mention(self.label(group), start, end, article.text[start:end]))
            out.append(Prediction(article.id, tuple(mentions)))
        return out


def _version(model: str) -> str:
    """The model's config hash (when it is a local folder) and the transformers version."""
    from importlib.metadata import PackageNotFoundError, version

    config = Path(model) / "config.json"
    digest = hashlib.sha256(config.read_bytes()).hexdigest()[:8] if config.is_file() else "remote"
    try:
        return f"{digest}-transformers-{version('transformers')}"
    except PackageNotFoundError:
        return f"{digest}-transformers-missing"
