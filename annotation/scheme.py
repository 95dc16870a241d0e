"""The annotation scheme, read from its file (``data/scheme.json``): the single source of truth.

The Label Studio config, validation, the dataset features and the scorer all read it. Which file is
read has one definition, ``scheme_file``: ``$KHABAR_SCHEME`` when set, else the scheme shipped in
the package (``annotation/data/scheme.json``, a symlink to ``data/scheme.json``).

The file describes its current version and the versions before it: an attribute marked
``"since": "1.1.0"`` is absent from 1.0.0, and ``previous_versions`` records each earlier
version's fingerprint (that of the file which defined it). ``Scheme.at(version)`` is the scheme as
that version defined it, so gold of scheme 1.0 is validated, featured and fingerprinted as 1.0.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib.resources.abc import Traversable
from pathlib import Path

from annotation.errors import KhabarError
from annotation.locations import packaged, shown

SCHEME_ENV = "KHABAR_SCHEME"


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
    since: str = "1.0.0"  # the scheme version that introduced the attribute

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
    source: str = field(default="", compare=False)  # the file it was read from
    previous: tuple[tuple[str, str], ...] = ()  # (version, fingerprint) of the versions before this one

    @property
    def versions(self) -> tuple[str, ...]:
        """Every version this file describes, the current one first."""
        return (self.version, *(v for v, _ in self.previous))

    def at(self, version: str | None) -> Scheme:
        """The scheme as ``version`` defined it (the current one for None): only the attributes it had."""
        if version is None or version == self.version:
            return self
        known = dict(self.previous)
        if version not in known:
            raise KhabarError(f"{self.source}: scheme version {version} is not described by this file "
                              f"(it describes {', '.join(self.versions)})")
        key = _version_key(version)
        return replace(self, version=version, fingerprint=known[version], previous=(),
                       attributes=tuple(a for a in self.attributes if _version_key(a.since) <= key))

    def added_since(self, version: str) -> tuple[str, ...]:
        """The attributes of this scheme that ``version`` did not have (``stance``, ``certainty`` for 1.0.0)."""
        older = {a.name for a in self.at(version).attributes}
        return tuple(a.name for a in self.attributes if a.name not in older)

    @property
    def provenance(self) -> str:
        """``khabar 1.0.0 from /path/scheme.json``: which scheme, and which file it came from."""
        return f"{self.name} {self.version} from {self.source}"

    @property
    def attribute_names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.attributes)

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


def _version_key(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        raise KhabarError(f"scheme version {version!r} is not MAJOR.MINOR.PATCH") from None


def _item(obj: dict, where: str) -> Item:
    try:
        return Item(name=obj["name"], ar=obj["ar"], en=obj["en"],
                    definition=obj.get("definition", ""), color=obj.get("color"))
    except (KeyError, TypeError) as exc:
        raise KhabarError(f"{where}: missing {exc}") from None


def scheme_file(path: str | Path | None = None) -> Traversable:
    """The scheme file to read: ``path`` when given, else ``$KHABAR_SCHEME``, else the packaged scheme."""
    chosen = path or os.environ.get(SCHEME_ENV)
    return Path(chosen).resolve() if chosen else packaged("scheme.json")


def load_scheme(path: str | Path | None = None) -> Scheme:
    """Load the scheme from ``scheme_file(path)``."""
    return _load(scheme_file(path))


@lru_cache(maxsize=8)
def _load(file: Traversable) -> Scheme:
    path = shown(file)
    try:
        raw = file.read_bytes()
        obj = json.loads(raw)
    except FileNotFoundError:
        raise KhabarError(f"{path}: scheme file not found") from None
    except json.JSONDecodeError as exc:
        raise KhabarError(f"{path}:{exc.lineno}: scheme is not valid JSON ({exc.msg})") from None
    try:
        attributes = tuple(
            Attribute(name=a["name"], ar=a["ar"], en=a["en"], definition=a.get("definition", ""),
                      values=tuple(_item(v, f"{path}: attribute {a['name']}") for v in a["values"]),
                      since=str(a.get("since", "1.0.0")))
            for a in obj["claim_attributes"]
        )
        return Scheme(
            name=obj["name"], version=obj["version"],
            entity_labels=tuple(_item(i, f"{path}: entity_labels") for i in obj["entity_labels"]),
            claim_parts=tuple(_item(i, f"{path}: claim_parts") for i in obj["claim_parts"]),
            relation_roles=tuple(_item(i, f"{path}: relation_roles") for i in obj["relation_roles"]),
            attributes=attributes,
            fingerprint=hashlib.sha256(raw).hexdigest()[:8],
            source=path,
            previous=tuple((str(v["version"]), str(v["fingerprint"])) for v in obj.get("previous_versions", ())),
        )
    except (KeyError, TypeError) as exc:
        raise KhabarError(f"{path}: scheme lacks {exc}") from None
