"""A Python function as an extractor: ``module:function``.

The function receives a list of article **dicts** (the spec's article JSON objects: ``id``,
``text``, ``title``, ``source``, ``url``, ``published``, ``lang``, ``meta``) and returns a
list of prediction dicts in the spec's predictions format (``Prediction`` objects are accepted
too). Dicts keep the function free of any khabar import, the same contract as for commands and
services. Options given to ``get_extractor`` are passed to the function as keyword arguments.

``module:Class`` instead names an extractor class: it is instantiated with the options.
The adapter keeps only the target string, so it pickles to worker processes, which import
the function themselves.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

from annotation.errors import KhabarError
from annotation.model import Article, Prediction
from eval.extractors.base import BatchCallable, Extractor, ExtractorError, article_dicts, prediction_from
from eval.extractors.targets import instantiate, load_target


class CallableExtractor(BatchCallable):
    """Calls ``function(list_of_article_dicts, **options) -> list_of_prediction_dicts``."""

    def __init__(self, target: str, **options: Any) -> None:
        self.target = target
        self.options = options
        self.name = target
        function = load_target(target)
        if not callable(function):
            raise KhabarError(f"{target!r} is not callable")
        self.version = str(getattr(function, "version", None)
                           or getattr(inspect.getmodule(function), "__version__", None) or "unknown")
        self._function: Any = function

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_function"] = None
        return state

    def extract(self, articles: Sequence[Article]) -> list[Prediction]:
        if self._function is None:
            self._function = load_target(self.target)
        result = self._function(article_dicts(articles), **self.options)
        if not isinstance(result, list | tuple):
            raise ExtractorError(f"extractor {self.name!r} returned a {type(result).__name__}, "
                                 "expected a list of predictions")
        return [prediction_from(obj, self.name, f"item {i}") for i, obj in enumerate(result)]


def from_target(target: str, **options: Any) -> Extractor:
    """An extractor from ``module:attr``: a class (instantiated with ``options``), an extractor
    object, or a function (wrapped in ``CallableExtractor``)."""
    obj = load_target(target)
    if inspect.isclass(obj):
        return instantiate(obj, target, options)
    if isinstance(obj, Extractor):
        if options:
            raise KhabarError(f"extractor {target!r} is an object already; it takes no options")
        return obj
    return CallableExtractor(target, **options)
