"""Gold releases: the version, date and provenance a gold folder carries, and how a new build picks them.

A release is ``MAJOR.MINOR.PATCH``: major when the scheme changes incompatibly (its major version),
minor when articles are added or removed, patch for corrections. The dataset card's YAML header holds
the release under ``khabar`` (:meth:`Release.header`); every record holds its short form under
``annotation.release`` (:meth:`Release.record`). The gold fingerprint identifies the annotations and
does not cover the release (a record cannot hold a hash of itself).
"""

from __future__ import annotations

import datetime
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from annotation.errors import KhabarError
from annotation.scheme import Scheme

CARD_NAME = "README.md"
FIRST_VERSION = "1.0.0"
VERSION = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_version(text: Any, where: str) -> tuple[int, int, int]:
    """``"1.2.3"`` -> ``(1, 2, 3)``; anything else is an error naming ``where``."""
    found = VERSION.fullmatch(text) if isinstance(text, str) else None
    if found is None:
        raise KhabarError(f"{where}: version {text!r} is not MAJOR.MINOR.PATCH (e.g. 1.0.0)")
    major, minor, patch = (int(g) for g in found.groups())
    return major, minor, patch


def bump(version: str, kind: str) -> str:
    """The next version after ``version`` for a change of ``kind`` (major, minor or patch)."""
    major, minor, patch = parse_version(version, "bump")
    if kind == "major":
        return f"{major + 1}.0.0"
    if kind == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


def scheme_fields(scheme: Scheme) -> dict[str, Any]:
    """What a gold diff needs to know of a scheme: its labels and each attribute's values."""
    return {"labels": list(scheme.labels),
            "attributes": {attr.name: list(attr.value_names) for attr in scheme.attributes}}


def agreement_figures(report: dict[str, Any]) -> dict[str, float] | None:
    """The headline figures of an agreement report (:func:`annotation.review.agreement.agreement_report`),
    or None when no task had two annotators."""
    if not report.get("tasks", {}).get("compared"):
        return None
    overall = report["overall"]
    figures: dict[str, float | None] = {
        "entities_strict_f1": overall["entities"]["strict"]["f1"],
        "entities_overlap_f1": overall["entities"]["overlap"]["f1"],
        "claims_f1": overall["claims"]["f1"],
        "source_agreement": overall["source"]["agreement"],
    }
    for attr, kappa in overall["kappa"].items():
        figures[f"kappa_{attr}"] = kappa["mean"]
    for attr, alpha in (overall.get("alpha") or {}).items():
        figures[f"alpha_{attr}"] = alpha["alpha"]
    return {name: round(float(value), 4) for name, value in figures.items() if value is not None} or None


def pre_annotation_models(annotations: Iterable[dict[str, Any]]) -> tuple[str, ...]:
    """The models (``name@version``) annotations say their annotators started from (``pre_annotation``,
    several joined by ", "), sorted."""
    return tuple(sorted({model.strip() for a in annotations for model in str(a.get("pre_annotation") or "").split(",")
                         if model.strip()}))


@dataclass(frozen=True)
class Release:
    """One release of a gold folder, as its card records it."""

    version: str
    date: str
    scheme: str
    scheme_version: str
    scheme_fingerprint: str
    fingerprint: str
    annotators: tuple[str, ...]
    adjudicated: bool
    agreement: dict[str, float] | None = None
    content: str = ""  # sha256 of the split files (:func:`annotation.gold.card.content_hash`)
    fields: dict[str, Any] | None = None  # :func:`scheme_fields`
    notes: tuple[dict[str, str], ...] = field(default=())  # newest first: version, date, since, summary
    pre_annotation: tuple[str, ...] = ()  # the models (name@version) annotators started from

    def header(self) -> dict[str, Any]:
        """The card's ``khabar`` YAML block."""
        return {"version": self.version, "date": self.date, "scheme": self.scheme,
                "scheme_version": self.scheme_version, "scheme_fingerprint": self.scheme_fingerprint,
                "fingerprint": self.fingerprint, "content": self.content, "annotators": list(self.annotators),
                "adjudicated": self.adjudicated, "agreement": self.agreement, "scheme_fields": self.fields,
                "release_notes": [dict(n) for n in self.notes],
                **({"pre_annotation": list(self.pre_annotation)} if self.pre_annotation else {})}

    def record(self) -> dict[str, Any]:
        """What every record carries under ``annotation.release`` (scheme and annotators are beside it)."""
        return {"version": self.version, "date": self.date, "fingerprint": self.fingerprint,
                "agreement": [{"measure": k, "value": v} for k, v in (self.agreement or {}).items()]}

    @classmethod
    def from_header(cls, block: Any, where: str) -> Release | None:
        """The release of a card's ``khabar`` block; None for a card written before releases."""
        if not isinstance(block, dict) or "version" not in block:
            return None
        parse_version(block["version"], where)
        date = str(block.get("date", ""))
        if not DATE.fullmatch(date):
            raise KhabarError(f"{where}: release date {block.get('date')!r} is not YYYY-MM-DD")
        notes = block.get("release_notes") or []
        agreement = block.get("agreement")
        if not isinstance(notes, list) or not all(isinstance(n, dict) for n in notes) or \
                not isinstance(agreement, dict | None):
            raise KhabarError(f"{where}: the card's release notes or agreement figures are malformed")
        return cls(version=block["version"], date=date, scheme=str(block.get("scheme", "")),
                   scheme_version=str(block.get("scheme_version", "")),
                   scheme_fingerprint=str(block.get("scheme_fingerprint", "")),
                   fingerprint=str(block.get("fingerprint", "")),
                   annotators=tuple(str(a) for a in block.get("annotators") or ()),
                   adjudicated=bool(block.get("adjudicated")), agreement=agreement,
                   content=str(block.get("content", "")), fields=block.get("scheme_fields"),
                   notes=tuple({str(k): str(v) for k, v in n.items()} for n in notes),
                   pre_annotation=tuple(str(m) for m in block.get("pre_annotation") or ()))


def read_card_header(folder: Path) -> dict[str, Any] | None:
    """The YAML header of a folder's dataset card, None when there is no card; an unreadable card is an
    error naming it."""
    path = folder / CARD_NAME
    if not path.is_file():
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KhabarError(f"{path}: cannot read the dataset card ({exc})") from None
    end = text.find("\n---\n", 4)
    if not text.startswith("---\n") or end < 0:
        raise KhabarError(f"{path}: not a dataset card (no YAML header between two '---' lines)")
    try:
        header = yaml.safe_load(text[4:end + 1])
    except yaml.YAMLError as exc:
        raise KhabarError(f"{path}: the card's YAML header is not valid YAML ({exc})") from None
    if not isinstance(header, dict):
        raise KhabarError(f"{path}: the card's YAML header is not a mapping")
    return header


def read_release(folder: Path) -> Release | None:
    """The release recorded in a gold folder's card (None: no card, or a card without a release)."""
    header = read_card_header(folder)
    return Release.from_header(header.get("khabar"), str(folder / CARD_NAME)) if header else None


def gold_version(path: str | Path) -> str | None:
    """The release version of a gold folder (its card) or gold file (its records), None when it has none."""
    path = Path(path)
    if path.is_dir():
        release = read_release(path)
        return release.version if release else None
    try:
        with path.open(encoding="utf-8") as handle:
            first = json.loads(handle.readline() or "{}")
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    release = (first.get("annotation") or {}).get("release") if isinstance(first, dict) else None
    version = release.get("version") if isinstance(release, dict) else None
    return version if isinstance(version, str) else None


def docs_version(docs: Iterable[Any]) -> str | None:
    """The one release version that gold documents carry (``annotation.release.version``), else None."""
    versions = {(d.annotation.get("release") or {}).get("version") for d in docs}
    version = versions.pop() if len(versions) == 1 else None
    return version if isinstance(version, str) else None


def choose_version(previous: Release | None, change: str | None, requested: str | None,
                   where: str) -> tuple[str, str]:
    """The version of a new build and why: ``change`` is None (same annotations and scheme as
    ``previous``), major, minor or patch; ``requested`` (``--version``) must not go backwards, nor reuse
    the previous version for other content."""
    if requested is not None:
        parse_version(requested, "--version")
    if previous is None:
        return (requested, "as asked") if requested else (FIRST_VERSION, "first release")
    old = parse_version(previous.version, where)
    if requested is None:
        if change is None:
            return previous.version, f"unchanged since {previous.version}"
        return bump(previous.version, change), f"{change} release after {previous.version}"
    new = parse_version(requested, "--version")
    if new < old:
        raise KhabarError(f"{where}: version {requested} goes backwards from the folder's release "
                          f"{previous.version}; give a version above it, or none to bump")
    if new == old and change is not None:
        raise KhabarError(f"{where}: release {previous.version} already exists with other annotations; "
                          f"give a version above it (a {change} change suggests {bump(previous.version, change)}), "
                          "or none to bump")
    return requested, "as asked"


def choose_date(requested: str | None, previous: Release | None, unchanged: bool) -> str:
    """The release date: ``--date``; else the previous release's when nothing changed (a rebuild is
    byte-identical); else ``SOURCE_DATE_EPOCH`` (reproducible builds); else today (UTC)."""
    if requested is not None:
        if not DATE.fullmatch(requested):
            raise KhabarError(f"--date {requested!r} is not YYYY-MM-DD")
        try:
            datetime.date.fromisoformat(requested)
        except ValueError:
            raise KhabarError(f"--date {requested!r} is not a calendar date") from None
        return requested
    if unchanged and previous is not None:
        return previous.date
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            stamp = datetime.datetime.fromtimestamp(int(epoch), tz=datetime.timezone.utc)
        except (ValueError, OverflowError, OSError):
            raise KhabarError(f"SOURCE_DATE_EPOCH={epoch!r} is not a number of seconds since 1970") from None
        return stamp.date().isoformat()
    return datetime.datetime.now(datetime.timezone.utc).date().isoformat()
