"""Extractors for the extract tests, importable by worker processes and Ray actors (``tests.extract_helpers:…``)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from annotation.model import Article, Prediction
from eval.extractors.baseline.extractor import BaselineExtractor


class FailOn(BaselineExtractor):
    """The baseline, except that it raises on the article whose id is ``fail``."""

    def __init__(self, fail: str = "") -> None:
        super().__init__()
        self.fail = fail

    def extract(self, articles: Sequence[Article]) -> list[Prediction]:
        for article in articles:
            if article.id == self.fail:
                raise ValueError(f"cannot read article {article.id}")
        return super().extract(articles)


class SlowBaseline(BaselineExtractor):
    """The baseline, ``delay`` seconds slower per article (so that a run can be interrupted)."""

    def __init__(self, delay: float = 0.02) -> None:
        super().__init__()
        self.delay = delay

    def extract(self, articles: Sequence[Article]) -> list[Prediction]:
        time.sleep(self.delay * len(articles))
        return super().extract(articles)
