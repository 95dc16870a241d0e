"""Publishing a gold release: read the folder's previous release, diff, pick the version and date, write.

``khabar gold build`` and ``khabar adjudicate`` both end in :func:`publish`. Rebuilding a folder with
the same annotations keeps its version, date and notes, so the folder comes out byte-identical.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotation.errors import KhabarError
from annotation.gold.card import folder_content_hash, write_gold_files
from annotation.gold.records import SPLITS, fingerprint, load_gold
from annotation.gold.diff import GoldSide, describe, diff_gold
from annotation.gold.release import (CARD_NAME, Release, choose_date, choose_version, docs_version,
                                     pre_annotation_models, read_release, scheme_fields)
from annotation.model import Annotated
from annotation.scheme import Scheme
from annotation.spans import Problem
from annotation.versions import records_scheme


@dataclass(frozen=True)
class Published:
    """What :func:`publish` wrote: the release, the one before it, why this version, the diff between them."""

    release: Release
    previous: Release | None
    reason: str
    diff: dict[str, Any] | None

    def message(self) -> str:
        text = f"release {self.release.version} ({self.reason}; date {self.release.date})"
        if self.diff is not None and self.previous is not None and self.previous.version != self.release.version:
            text += f"; changes since {self.previous.version}: {describe(self.diff['summary'])}"
        return text


def _scheme_version(docs: Sequence[Annotated]) -> str | None:
    versions = {str(d.annotation.get("scheme")) for d in docs if d.annotation.get("scheme") is not None}
    return versions.pop() if len(versions) == 1 else None


def gold_side(path: Path) -> GoldSide:
    """A gold folder or file as one side of a diff: its documents, release and scheme as far as known."""
    release = read_release(path) if path.is_dir() else None
    docs = load_gold(path)
    version = release.version if release else docs_version(docs)
    return GoldSide(path=str(path), docs=docs, version=version, fingerprint=fingerprint(docs),
                    scheme_version=release.scheme_version if release else _scheme_version(docs),
                    fields=release.fields if release else None)


def change_kind(previous: Release, diff: dict[str, Any], new_fingerprint: str, scheme: Scheme) -> str | None:
    """major (the scheme's major version changed), minor (articles added or removed, or the scheme's minor
    version changed: new fields such as 1.1's stance and certainty), patch (anything else that changed the
    annotations or the scheme version), or None (nothing changed)."""
    if previous.scheme_version.split(".")[0] != scheme.version.split(".")[0]:
        return "major"
    if diff["summary"]["articles_added"] or diff["summary"]["articles_removed"] \
            or previous.scheme_version.split(".")[:2] != scheme.version.split(".")[:2]:
        return "minor"
    if previous.fingerprint != new_fingerprint or previous.scheme_version != scheme.version:
        return "patch"
    return None


def publish(folder: Path, splits: dict[str, list[Annotated]], scheme: Scheme, *, provenance: str,
            version: str | None = None, date: str | None = None,
            agreement: dict[str, float] | None = None) -> Published:
    """Write ``splits`` to ``folder`` as a release after the one already there (if any), of the scheme
    version that the records follow (``scheme`` as that version defined it). Everything is
    checked before anything is written: a version that goes backwards, an unreadable card, a previous
    release that cannot be read are errors naming the file."""
    where = str(folder / CARD_NAME)
    previous = read_release(folder) if folder.is_dir() else None
    docs = [d for s in SPLITS for d in splits[s]]
    scheme = records_scheme(docs, scheme, str(folder))  # a release is of the scheme version its records follow
    new_fingerprint = fingerprint(docs)
    diff = change = None
    if previous is not None:
        try:
            old = gold_side(folder)
        except KhabarError as exc:
            raise KhabarError(f"{folder}: the previous release {previous.version} cannot be read ({exc}); "
                              "nothing written") from None
        fields = scheme_fields(scheme)
        new = GoldSide(path=str(folder), docs=docs, fingerprint=new_fingerprint,
                       scheme_version=scheme.version, fields=fields)
        diff = diff_gold(old, new, fields)
        change = change_kind(previous, diff, new_fingerprint, scheme)
    chosen, reason = choose_version(previous, change, version, where)
    unchanged = previous is not None and change is None and chosen == previous.version
    day = choose_date(date, previous, unchanged=unchanged)
    release = Release(
        version=chosen, date=day,
        scheme=scheme.name, scheme_version=scheme.version, scheme_fingerprint=scheme.fingerprint,
        fingerprint=new_fingerprint,
        annotators=tuple(sorted({str(a) for d in docs for a in d.annotation.get("annotators") or ()})),
        adjudicated=bool(docs) and all(d.annotation.get("adjudicated") for d in docs),
        agreement=agreement, fields=scheme_fields(scheme), notes=_notes(previous, chosen, day, diff),
        pre_annotation=pre_annotation_models(d.annotation for d in docs))
    release = write_gold_files(folder, splits, scheme, provenance=provenance, release=release)
    return Published(release, previous, reason, diff)


def _notes(previous: Release | None, version: str, day: str,
           diff: dict[str, Any] | None) -> tuple[dict[str, str], ...]:
    """The release notes: the previous ones, and a new entry when this is a new version."""
    if previous is None:
        return ()
    if version == previous.version or diff is None:
        return previous.notes
    entry = {"version": version, "date": day, "since": previous.version, "summary": describe(diff["summary"])}
    return (entry, *previous.notes)


def card_problems(path: Path) -> list[Problem]:
    """What is wrong with a gold folder's card against its split files (nothing for a file or an old card)."""
    release = read_release(path) if path.is_dir() else None
    if release is None or not release.content:
        return []
    actual = folder_content_hash(path)
    if actual == release.content:
        return []
    return [Problem(str(path / CARD_NAME), f"the card names split files of sha256 {release.content}, the files "
                    f"have {actual} (edited by hand?): `datasets.load_dataset` may serve the cached old content; rebuild the folder "
            "with `khabar gold build` or `khabar adjudicate`")]


def preflight(folder: Path, version: str | None, date: str | None) -> None:
    """The checks of :func:`publish` that need no documents, for a command that writes other files first:
    a readable card, a version that does not go backwards, a valid date (reusing the folder's version is
    refused later, by :func:`publish`, only if the annotations changed)."""
    previous = read_release(folder) if folder.is_dir() else None
    if version is not None:
        choose_version(previous, None, version, str(folder / CARD_NAME))
    choose_date(date, None, unchanged=False)
