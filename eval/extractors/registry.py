"""Finding an extractor by name: a registry of lazy ``module:attr`` targets, plugins and spec prefixes.

``get_extractor(spec, **options)`` accepts, in this order:

- a registered name (``baseline``, ``oracle``, ``empty``, ``openai``, ``hf``, or a plugin's name);
- ``cmd:COMMAND``: an external command (JSON lines in, JSON lines out; see ``command.py``);
- ``openai:MODEL``: an OpenAI-compatible chat endpoint (``openai_chat.py``);
- ``hf:MODEL_DIR``: a local Hugging Face token-classification model (``hf.py``);
- ``http://…`` / ``https://…``: a prediction service (``http_service.py``);
- ``module:attr``: a Python class (instantiated with the options) or function (``python_callable.py``);
- the path of an existing predictions file (``predictions_file.py``).

Plugins register in the entry-point group ``khabar.extractors`` (``name = "package.module:attr"``).
A name is registered once: a second registration is refused, and an unknown name gets the
nearest known names as suggestions.
"""

from __future__ import annotations

import difflib
import importlib
import re
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from annotation.errors import KhabarError
from eval.extractors.base import Extractor

ENTRY_POINT_GROUP = "khabar.extractors"
_MODULE_ATTR = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")

Target = str | Callable[..., Any]


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

    def get(self, name: str) -> Callable[..., Any]:
        """The factory registered as ``name``, imported on first use."""
        self._load_plugins()
        if name not in self._targets:
            close = self.suggestions(name)
            hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            raise KhabarError(f"unknown {self.kind} {name!r}{hint} (known: {', '.join(self.names())})")
        target = self._targets[name]
        if isinstance(target, str):
            target = load_target(target)
            self._targets[name] = target
        return target


REGISTRY = Registry("extractor", ENTRY_POINT_GROUP)
REGISTRY.register("baseline", "eval.extractors.baseline.extractor:BaselineExtractor")
REGISTRY.register("oracle", "eval.extractors.sanity:OracleExtractor")
REGISTRY.register("empty", "eval.extractors.sanity:EmptyExtractor")
REGISTRY.register("openai", "eval.extractors.adapters.openai_chat:OpenAIChatExtractor")
REGISTRY.register("hf", "eval.extractors.adapters.hf:TokenClassificationExtractor")


def register_extractor(name: str, target: Target) -> None:
    """Register an extractor factory (a class or function, or its ``"module:attr"``)."""
    REGISTRY.register(name, target, origin="register_extractor")


def _instantiate(factory: Any, spec: str, options: dict[str, Any]) -> Extractor:
    try:
        extractor = factory(**options)
    except TypeError as exc:
        raise KhabarError(f"extractor {spec!r}: bad options {sorted(options)}: {exc}") from None
    if not isinstance(extractor, Extractor):
        raise KhabarError(f"extractor {spec!r} built a {type(extractor).__name__}, which has no "
                          "name, version and extract(articles) method")
    return extractor


def get_extractor(spec: str, **options: Any) -> Extractor:
    """Build the extractor that ``spec`` names (see the module docstring); ``options`` go to its constructor."""
    from eval.extractors.adapters.command import CommandExtractor
    from eval.extractors.adapters.http import HttpExtractor
    from eval.extractors.adapters.predictions_file import PredictionsFile
    from eval.extractors.adapters.python_callable import from_target

    spec = spec.strip()
    if spec in REGISTRY:
        return _instantiate(REGISTRY.get(spec), spec, options)
    if spec.startswith("cmd:"):
        return CommandExtractor(spec[4:], **options)
    if spec.startswith("openai:"):
        return _instantiate(REGISTRY.get("openai"), spec, {"model": spec[7:], **options})
    if spec.startswith("hf:"):
        return _instantiate(REGISTRY.get("hf"), spec, {"model": spec[3:], **options})
    if spec.startswith(("http://", "https://")):
        return HttpExtractor(spec, **options)
    if _MODULE_ATTR.match(spec) and not Path(spec).exists():
        return from_target(spec, **options)
    if Path(spec).is_file() or Path(spec).is_dir():  # a predictions file or a khabar extract folder
        return PredictionsFile(spec, **options)
    close = REGISTRY.suggestions(spec)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    raise KhabarError(
        f"unknown extractor {spec!r}{hint} — give a registered name ({', '.join(REGISTRY.names())}), "
        "cmd:COMMAND, openai:MODEL, hf:MODEL_DIR, an http(s):// URL, module:attr or a predictions file")
