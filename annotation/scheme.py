"""The annotation scheme, read from its file (``data/scheme.json``): the single source of truth.

The Label Studio config, validation, the dataset features and the scorer all read it.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from annotation.errors import KhabarError

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
DEFAULT_SCHEME = DATA_DIR / "scheme.json"


@dataclass(frozen=True)
class Item:
    """A named thing of the scheme: a label, a claim part, a role, an attribute value."""

    name: str
    ar: str
    en: str
    definition: str
    color: str | None = None


@dataclass(frozen=True)
class Attribute:
    name: str
    ar: str
    en: str
    definition: str
    values: tuple[Item, ...]

    @property
    def value_names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.values)

    @property
    def is_boolean(self) -> bool:
        return set(self.value_names) == {"true", "false"}


@dataclass(frozen=True)
class Scheme:
    name: str
    version: str
    entity_labels: tuple[Item, ...]
    claim_parts: tuple[Item, ...]
    relation_roles: tuple[Item, ...]
    attributes: tuple[Attribute, ...]
    fingerprint: str

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.entity_labels)

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.relation_roles)

    def attribute(self, name: str) -> Attribute:
        for attr in self.attributes:
            if attr.name == name:
                return attr
        raise KeyError(name)

    def check_value(self, attribute: str, value: object) -> bool:
        """Is ``value`` (as stored in gold: a string, or a bool for boolean attributes) allowed?"""
        attr = self.attribute(attribute)
        if attr.is_boolean:
            return isinstance(value, bool)
        return isinstance(value, str) and value in attr.value_names


def _item(obj: dict, where: str) -> Item:
    try:
        return Item(name=obj["name"], ar=obj["ar"], en=obj["en"],
                    definition=obj.get("definition", ""), color=obj.get("color"))
    except (KeyError, TypeError) as exc:
        raise KhabarError(f"{where}: missing {exc}") from None


def load_scheme(path: str | Path | None = None) -> Scheme:
    """Load the scheme file (``KHABAR_SCHEME`` or ``data/scheme.json`` by default)."""
    path = Path(path or os.environ.get("KHABAR_SCHEME") or DEFAULT_SCHEME)
    return _load(str(path.resolve()))


@lru_cache(maxsize=8)
def _load(path: str) -> Scheme:
    try:
        raw = Path(path).read_bytes()
        obj = json.loads(raw)
    except FileNotFoundError:
        raise KhabarError(f"{path}: scheme file not found") from None
    except json.JSONDecodeError as exc:
        raise KhabarError(f"{path}:{exc.lineno}: scheme is not valid JSON ({exc.msg})") from None
    try:
        attributes = tuple(
            Attribute(name=a["name"], ar=a["ar"], en=a["en"], definition=a.get("definition", ""),
                      values=tuple(_item(v, f"{path}: attribute {a['name']}") for v in a["values"]))
            for a in obj["claim_attributes"]
        )
        return Scheme(
            name=obj["name"], version=obj["version"],
            entity_labels=tuple(_item(i, f"{path}: entity_labels") for i in obj["entity_labels"]),
            claim_parts=tuple(_item(i, f"{path}: claim_parts") for i in obj["claim_parts"]),
            relation_roles=tuple(_item(i, f"{path}: relation_roles") for i in obj["relation_roles"]),
            attributes=attributes,
            fingerprint=hashlib.sha256(raw).hexdigest()[:8],
        )
    except (KeyError, TypeError) as exc:
        raise KhabarError(f"{path}: scheme lacks {exc}") from None
