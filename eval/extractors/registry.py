"""Finding an extractor by name: a registry of lazy ``module:attr`` targets and plugins.

``get_extractor(spec, **options)`` accepts a registered name (``baseline``, ``oracle``,
``empty``, ``openai``, ``hf``, or a plugin's name); any other spec (``cmd:COMMAND``,
``openai:MODEL``, ``hf:MODEL_DIR``, a URL, ``module:attr``, a predictions file) goes through the
table of spec kinds in ``targets.py``, which says how to add one.

Plugins register in the entry-point group ``khabar.extractors`` (``name = "package.module:attr"``).
A name is registered once: a second registration is refused, and an unknown name gets the
nearest known names as suggestions.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

from annotation.errors import KhabarError
from eval.extractors.base import Extractor
from eval.extractors.targets import (HF_TOKEN_CLASSIFICATION, OPENAI_CHAT, SPACY_PIPELINE, from_spec, instantiate, load_target,
                                     spec_usages)

ENTRY_POINT_GROUP = "khabar.extractors"

Target = str | Callable[..., Any]


class Registry:
    """Names to factories, loaded lazily from ``"module:attr"`` strings; plugins from entry points."""

    def __init__(self, kind: str, group: str | None = None) -> None:
        self.kind = kind
        self.group = group
        self._targets: dict[str, Target] = {}
        self._origins: dict[str, str] = {}
        self._plugins_loaded = group is None

    def register(self, name: str, target: Target, *, origin: str = "khabar") -> None:
        """Register ``name``; a name that is already taken is refused (whoever took it)."""
        if not name or not re.fullmatch(r"[\w.-]+", name):
            raise KhabarError(f"invalid {self.kind} name {name!r}: use letters, digits, '_', '-' or '.'")
        if name in self._targets:
            raise KhabarError(f"{self.kind} {name!r} is already registered (by {self._origins[name]}); "
                              f"refusing the second registration from {origin} — rename one of them")
        self._targets[name] = target
        self._origins[name] = origin

    def _load_plugins(self) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        for ep in entry_points(group=self.group or ""):
            dist = getattr(ep, "dist", None)
            origin = f"plugin {ep.value!r}" + (f" of {dist.name}" if dist is not None else "")
            self.register(ep.name, ep.value, origin=origin)

    def names(self) -> list[str]:
        self._load_plugins()
        return sorted(self._targets)

    def __contains__(self, name: object) -> bool:
        self._load_plugins()
        return name in self._targets

    def suggestions(self, name: str) -> list[str]:
        return difflib.get_close_matches(name, self.names(), n=3, cutoff=0.6)

    def hint(self, name: str) -> str:
        """``; did you mean 'a' or 'b'?`` for the nearest known names, or nothing."""
        close = self.suggestions(name)
        return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""

    def get(self, name: str) -> Callable[..., Any]:
        """The factory registered as ``name``, imported on first use."""
        self._load_plugins()
        if name not in self._targets:
            raise KhabarError(f"unknown {self.kind} {name!r}{self.hint(name)} (known: {', '.join(self.names())})")
        target = self._targets[name]
        if isinstance(target, str):
            target = load_target(target)
            self._targets[name] = target
        return target


REGISTRY = Registry("extractor", ENTRY_POINT_GROUP)
REGISTRY.register("baseline", "eval.extractors.baseline.extractor:BaselineExtractor")
REGISTRY.register("oracle", "eval.extractors.sanity:OracleExtractor")
REGISTRY.register("empty", "eval.extractors.sanity:EmptyExtractor")
REGISTRY.register("openai", OPENAI_CHAT)
REGISTRY.register("hf", HF_TOKEN_CLASSIFICATION)
REGISTRY.register("spacy", SPACY_PIPELINE)


def register_extractor(name: str, target: Target) -> None:
    """Register an extractor factory (a class or function, or its ``"module:attr"``)."""
    REGISTRY.register(name, target, origin="register_extractor")


def get_extractor(spec: str, **options: Any) -> Extractor:
    """Build the extractor that ``spec`` names (see the module docstring); ``options`` go to its constructor."""
    spec = spec.strip()
    if spec in REGISTRY:
        return instantiate(REGISTRY.get(spec), spec, options)
    extractor = from_spec(spec, options)
    if extractor is not None:
        return extractor
    raise KhabarError(f"unknown extractor {spec!r}{REGISTRY.hint(spec)} — give a registered name "
                      f"({', '.join(REGISTRY.names())}), {spec_usages()}")
