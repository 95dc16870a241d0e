"""The interface of an extractor, and the conversions every adapter shares.

An extractor is any object with ``name``, ``version`` and ``extract(articles) -> predictions``
over a batch of articles (lm-evaluation-harness's ``LM`` is the model: one small method over
a list of requests). Optional attributes the runner understands:

- ``uses_gold = True`` and ``bind_gold(gold) -> Extractor``: the extractor needs the gold
  documents (the ``oracle`` sanity check); ``khabar bench`` binds them before the run;
- ``prepare(articles)``: called once with all the articles before the batches (a predictions
  file checks there that it has no line for an unknown article).

Adapters are plain picklable objects, so a process pool, ``datasets.Dataset.map(num_proc=N)``,
Ray Data (``ds.map_batches(cls, fn_constructor_kwargs=...)``) or Dask can run them unchanged:
``BatchCallable.__call__`` takes a columnar batch (``{"id": [...], "text": [...]}``) and
returns ``{"id": [...], "prediction": [JSON line, ...]}``.
"""

from __future__ import annotations

import math

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from annotation.errors import KhabarError
from annotation.io import dumps
from annotation.model import Annotated, Article, FormatError, Prediction

DEFAULT_BATCH_SIZE = 16
DEFAULT_TIMEOUT = 300.0  # seconds per batch, for commands and services


@runtime_checkable
class Extractor(Protocol):
    """Anything that turns a batch of articles into one prediction per article."""

    name: str
    version: str

    def extract(self, articles: Sequence[Article]) -> list[Prediction]: ...


class ExtractorError(KhabarError):
    """An extractor failed or gave unusable output; the message names the extractor and the article.

    ``pinpoint=False`` tells the runner not to retry the batch article by article to find the
    culprit (a timeout or an unreachable service would only fail again, slowly)."""

    def __init__(self, message: str, *, pinpoint: bool = True) -> None:
        super().__init__(message)
        self.pinpoint = pinpoint


def article_dicts(articles: Sequence[Article]) -> list[dict[str, Any]]:
    """The JSON objects of the spec's article format, as commands, services and callables receive them."""
    return [a.to_dict() for a in articles]


def articles_from(batch: Any) -> list[Article]:
    """Articles from a list of ``Article``/dicts or a columnar batch (``{"id": [...], "text": [...], ...}``)."""
    if isinstance(batch, Mapping):
        columns = {k: list(v) for k, v in batch.items()}
        size = len(columns.get("id", []))
        rows = [{k: v[i] for k, v in columns.items()} for i in range(size)]
    elif hasattr(batch, "to_dict") and hasattr(batch, "columns"):  # a pandas DataFrame
        rows = batch.to_dict(orient="records")
    else:
        rows = list(batch)
    out = []
    for i, row in enumerate(rows):
        if isinstance(row, Article):
            out.append(row)
        elif isinstance(row, Annotated):
            out.append(row.article)
        else:
            out.append(Article.from_dict(row, f"batch row {i}: "))
    return out


def prediction_from(obj: Any, extractor: str, where: str) -> Prediction:
    """A ``Prediction`` from what an extractor returned (the object or its JSON dict)."""
    if isinstance(obj, Prediction):
        return obj
    try:
        return Prediction.from_dict(obj, "")
    except FormatError as exc:
        raise ExtractorError(f"extractor {extractor!r}: {where}: {exc}") from None


class BatchCallable:
    """Mixin: call an extractor on a columnar batch, as ``Dataset.map(batched=True)`` and Ray Data do."""

    def extract(self, articles: Sequence[Article]) -> list[Prediction]:  # pragma: no cover - overridden
        raise NotImplementedError

    def __call__(self, batch: Any) -> dict[str, list[Any]]:
        articles = articles_from(batch)
        by_id = {p.id: p for p in self.extract(articles)}
        return {"id": [a.id for a in articles],
                "prediction": [dumps(by_id.get(a.id, Prediction(a.id)).to_dict()) for a in articles]}


def describe(extractor: Any) -> dict[str, str]:
    """Name and version of an extractor, for run records."""
    return {"name": str(getattr(extractor, "name", type(extractor).__name__)),
            "version": str(getattr(extractor, "version", "unknown"))}


def seconds_option(value: Any, name: str = "timeout") -> float:
    """An extractor option that is a positive, finite number of seconds (``-o timeout=abc`` is the user's input)."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = math.nan
    if isinstance(value, bool) or not math.isfinite(seconds) or seconds <= 0:
        raise KhabarError(f"option {name}: {value!r} is not a positive number of seconds")
    return seconds


def count_option(value: Any, name: str) -> int:
    """An extractor option that is a whole number from 0 (``retries``)."""
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().isdigit():
        raise KhabarError(f"option {name}: {value!r} is not a whole number from 0")
    return int(value)
