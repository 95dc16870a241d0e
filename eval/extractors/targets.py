"""Extractor specs that are not registered names: a table from kind of spec to adapter factory.

``get_extractor(spec, **options)`` (``registry.py``) looks ``spec`` up among the registered names
first; otherwise the first row of :data:`SPEC_KINDS` that claims the spec builds the extractor:

===================  ==============================================================================
``cmd:COMMAND``      an external command, JSON lines in and out (``adapters/command.py``)
``openai:MODEL``     an OpenAI-compatible chat endpoint (``adapters/openai_chat.py``)
``hf:MODEL_DIR``     a local Hugging Face token-classification model (``adapters/hf.py``)
``spacy:PIPELINE``   a spaCy pipeline, a folder or an installed package (``adapters/spacy.py``)
``http(s)://…``      a prediction service (``adapters/http.py``)
``module:function``  a Python function, extractor class or object (``adapters/python_callable.py``)
a path               a predictions file made earlier, or a ``khabar extract`` folder (``adapters/predictions_file.py``)
===================  ==============================================================================

Each factory is a ``"module:attr"`` string, imported only when a spec of its kind is used, so
this table costs nothing at start-up and no adapter imports the registry.

How to add a kind of spec (a ``spacy:MODEL`` prefix, a folder of predictions ...):

1. Write the adapter in ``adapters/``: a class or function whose first argument is what the
   spec names (the model, the folder) and whose keyword arguments are the user's options
   (``-o KEY=VALUE``); it returns an :class:`~eval.extractors.base.Extractor`.
2. Add one row to :data:`SPEC_KINDS`. For a prefix:
   ``prefixed("spacy:", "eval.extractors.adapters.spacy:SpacyExtractor", "spacy:MODEL")``
   (the factory gets the spec without its prefix). For anything else, a :class:`SpecKind` with
   a ``claims(spec)`` function that returns the factory's first argument, or None when the spec
   is not of this kind: ``SpecKind("a predictions folder", "…:PredictionsFolder", _folder)``.
3. Rows are tried in order, after the registered names: put a narrow test before a broad one
   (a folder check before ``module:function``, which takes any ``a.b:c`` that is not a path).
   The row's ``usage`` shows in the unknown-extractor message and in ``khabar bench --help``.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotation.errors import KhabarError
from eval.extractors.base import Extractor

OPENAI_CHAT = "eval.extractors.adapters.openai_chat:OpenAIChatExtractor"
HF_TOKEN_CLASSIFICATION = "eval.extractors.adapters.hf:TokenClassificationExtractor"
SPACY_PIPELINE = "eval.extractors.adapters.spacy:SpacyExtractor"
MODULE_ATTR = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


def load_target(target: str) -> Any:
    """Import ``"package.module:attr"`` (attr may be dotted); errors name the target."""
    module_name, _, attr = target.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise KhabarError(f"cannot import {module_name!r} for {target!r}: {exc}") from None
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise KhabarError(f"{module_name!r} has no attribute {attr!r} (from {target!r})") from None
    return obj


def instantiate(factory: Callable[..., Any], spec: str, options: dict[str, Any], *args: Any) -> Extractor:
    """``factory(*args, **options)``, refusing bad options and anything that is not an extractor."""
    try:
        extractor = factory(*args, **options)
    except TypeError as exc:
        raise KhabarError(f"extractor {spec!r}: bad options {sorted(options)}: {exc}") from None
    if not isinstance(extractor, Extractor):
        raise KhabarError(f"extractor {spec!r} built a {type(extractor).__name__}, which has no "
                          "name, version and extract(articles) method")
    return extractor


@dataclass(frozen=True)
class SpecKind:
    """One kind of spec: how it reads in help (``usage``), its adapter factory (``"module:attr"``),
    and ``claims(spec)``: the factory's first argument when the spec is of this kind, else None.
    With ``keyword``, that argument is passed as this keyword instead (the options may override it)."""

    usage: str
    factory: str
    claims: Callable[[str], str | None]
    keyword: str | None = None

    def build(self, spec: str, argument: str, options: dict[str, Any]) -> Extractor:
        factory = load_target(self.factory)
        if self.keyword is not None:
            return instantiate(factory, spec, {self.keyword: argument, **options})
        return instantiate(factory, spec, options, argument)


def prefixed(prefix: str, factory: str, usage: str, *, keyword: str | None = None) -> SpecKind:
    """The kind of the specs that start with ``prefix``; the factory gets the rest of the spec."""
    def claims(spec: str) -> str | None:
        return spec[len(prefix):] if spec.startswith(prefix) else None

    return SpecKind(usage, factory, claims, keyword)


def _url(spec: str) -> str | None:
    return spec if spec.startswith(("http://", "https://")) else None


def _module_attr(spec: str) -> str | None:
    return spec if MODULE_ATTR.match(spec) and not Path(spec).exists() else None


def _file(spec: str) -> str | None:
    return spec if Path(spec).is_file() or Path(spec).is_dir() else None


SPEC_KINDS: list[SpecKind] = [
    prefixed("cmd:", "eval.extractors.adapters.command:CommandExtractor", "cmd:COMMAND"),
    prefixed("openai:", OPENAI_CHAT, "openai:MODEL", keyword="model"),
    prefixed("hf:", HF_TOKEN_CLASSIFICATION, "hf:MODEL_DIR", keyword="model"),
    prefixed("spacy:", SPACY_PIPELINE, "spacy:PIPELINE", keyword="model"),
    SpecKind("an http(s):// URL", "eval.extractors.adapters.http:HttpExtractor", _url),
    SpecKind("module:function", "eval.extractors.adapters.python_callable:from_target", _module_attr),
    SpecKind("a predictions file or folder", "eval.extractors.adapters.predictions_file:PredictionsFile", _file),
]


def from_spec(spec: str, options: dict[str, Any]) -> Extractor | None:
    """The extractor of the first kind that claims ``spec`` (None when no kind does)."""
    for kind in SPEC_KINDS:
        argument = kind.claims(spec)
        if argument is not None:
            return kind.build(spec, argument, options)
    return None


def spec_usages() -> str:
    """The kinds of spec in words, for messages: ``cmd:COMMAND, …, module:function or a predictions file``."""
    usages = [kind.usage for kind in SPEC_KINDS]
    return ", ".join(usages[:-1]) + f" or {usages[-1]}" if len(usages) > 1 else "".join(usages)
