"""Sanity checks for the scorer: ``oracle`` returns the gold (must score 1.0), ``empty`` returns nothing (0)."""

from __future__ import annotations

from collections.abc import Sequence

from annotation.errors import KhabarError
from annotation.model import Annotated, Article, Prediction
from eval.extractors.base import BatchCallable


class OracleExtractor(BatchCallable):
    """Predicts exactly the gold annotations of each article. Needs the gold: ``bind_gold``."""

    name = "oracle"
    version = "1"
    uses_gold = True

    def __init__(self, gold: Sequence[Annotated] | None = None) -> None:
        self._gold = {d.id: d for d in gold} if gold is not None else None

    def bind_gold(self, gold: Sequence[Annotated]) -> OracleExtractor:
        return OracleExtractor(gold)

    def extract(self, articles: Sequence[Article]) -> list[Prediction]:
        if self._gold is None:
            raise KhabarError("extractor 'oracle' needs the gold documents: run it with khabar bench")
        out = []
        for article in articles:
            doc = self._gold.get(article.id)
            if doc is None:
                raise KhabarError(f"extractor 'oracle': article {article.id!r} is not in the gold it was given")
            out.append(Prediction(article.id, doc.entities, doc.claims))
        return out


class EmptyExtractor(BatchCallable):
    """Predicts nothing for every article."""

    name = "empty"
    version = "1"

    def extract(self, articles: Sequence[Article]) -> list[Prediction]:
        return [Prediction(a.id) for a in articles]
