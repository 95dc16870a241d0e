"""Gold annotation sources: spans anchored by their text, resolved to offsets against clean articles.

The format is described in ``data/annotations/README.md``. An anchor is ``text`` plus at
most one of ``in`` (a context that occurs once and contains the text) or ``occurrence``
(the N-th non-overlapping occurrence, 1-based). Every failure names the file and the item.

A source names the scheme version it follows as ``"scheme"`` (sources written before scheme 1.1
name none and follow 1.0.0); a claim of a 1.1 source carries ``stance`` and ``certainty``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from annotation.errors import KhabarError
from annotation.io import load_json
from annotation.model import Annotated, Article, Claim, Mention, Span
from annotation.versions import UNNAMED


def occurrences(text: str, needle: str) -> list[int]:
    """Start offsets of the non-overlapping occurrences of ``needle`` in ``text``, in order."""
    found, pos = [], text.find(needle)
    while needle and pos != -1:
        found.append(pos)
        pos = text.find(needle, pos + len(needle))
    return found


def resolve_anchor(text: str, anchor: Any, where: str) -> Span:
    """Turn ``{"text": …, "in"|"occurrence": …}`` into a span with offsets, or fail naming ``where``."""
    if not isinstance(anchor, dict) or not isinstance(anchor.get("text"), str) or not anchor["text"]:
        raise KhabarError(f"{where}: an anchor needs a non-empty 'text'")
    needle = anchor["text"]
    context = anchor.get("in")
    nth = anchor.get("occurrence")
    if nth is not None and (not isinstance(nth, int) or isinstance(nth, bool) or nth < 1):
        raise KhabarError(f"{where}: 'occurrence' must be a whole number from 1")
    base = 0
    haystack = text
    if context is not None:
        starts = occurrences(text, context)
        if len(starts) != 1:
            raise KhabarError(f"{where}: context {context!r} occurs {len(starts)} times in the article, expected once")
        base, haystack = starts[0], context
    starts = occurrences(haystack, needle)
    if not starts:
        scope = f"context {context!r}" if context is not None else "the article"
        raise KhabarError(f"{where}: {needle!r} does not occur in {scope}")
    if nth is None:
        if context is None and len(starts) > 1:
            raise KhabarError(f"{where}: {needle!r} occurs {len(starts)} times; add 'in' or 'occurrence'")
        nth = 1
    if nth > len(starts):
        raise KhabarError(f"{where}: asks for occurrence {nth} of {needle!r}, which occurs {len(starts)} times")
    start = base + starts[nth - 1]
    entity = anchor.get("entity")
    return Span(start, start + len(needle), needle, str(entity) if entity is not None else None)


def build_document(article: Article, source: dict[str, Any], where: str,
                   annotation: dict[str, Any] | None = None) -> Annotated:
    """Resolve one annotation source against its article."""
    text = article.text
    mentions: list[Mention] = []
    by_id: dict[str, Mention] = {}
    for i, ent in enumerate(source.get("entities", [])):
        item = f"{where} entities[{i}] ({ent.get('id') if isinstance(ent, dict) else '?'})"
        span = resolve_anchor(text, ent, item)
        if not isinstance(ent.get("label"), str):
            raise KhabarError(f"{item}: missing 'label'")
        mention = Mention(label=ent["label"], start=span.start, end=span.end, text=span.text,
                          id=ent.get("id"), entity=ent.get("entity"))
        mentions.append(mention)
        if mention.id is not None:
            by_id[str(mention.id)] = mention

    def part(obj: Any, item: str) -> Span | None:
        if obj is None:
            return None
        if isinstance(obj, dict) and "mention" in obj:
            ref = by_id.get(str(obj["mention"]))
            if ref is None:
                raise KhabarError(f"{item}: points to mention {obj['mention']!r}, which does not exist")
            return Span(ref.start, ref.end, ref.text, ref.entity)
        return resolve_anchor(text, obj, item)

    claims: list[Claim] = []
    for i, cl in enumerate(source.get("claims", [])):
        item = f"{where} claims[{i}] ({cl.get('id') if isinstance(cl, dict) else '?'})"
        span = resolve_anchor(text, cl, item)
        cue = part(cl.get("cue"), f"{item} cue")
        claims.append(Claim(
            start=span.start, end=span.end, text=span.text, id=cl.get("id"),
            source=part(cl.get("source"), f"{item} source"),
            cue=Span(cue.start, cue.end, cue.text) if cue else None,
            via=tuple(p for j, v in enumerate(cl.get("via") or []) if (p := part(v, f"{item} via[{j}]"))),
            attribution=cl.get("attribution"), claim_type=cl.get("claim_type"),
            check_worthy=cl.get("check_worthy"), stance=cl.get("stance"), certainty=cl.get("certainty"),
        ))
    return Annotated(article=article, entities=tuple(mentions), claims=tuple(claims),
                     annotation=dict(annotation or {}))


def load_source(path: Path) -> dict[str, Any]:
    obj = load_json(path, "an annotation source (JSON)")
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
        raise KhabarError(f"{path}: expected a JSON object with an 'id'")
    return obj


def source_version(source: dict[str, Any], path: Path) -> str:
    """The scheme version an annotation source follows (see the module docstring)."""
    version = source.get("scheme", UNNAMED)
    if not isinstance(version, str):
        raise KhabarError(f"{path}: 'scheme' must be a version string such as \"1.1.0\", not {version!r}")
    return version


def sources_version(sources_dir: Path) -> str:
    """The one scheme version that every source in ``sources_dir`` follows; sources of two versions are an
    error naming a file of each."""
    seen: dict[str, Path] = {}
    for path in sorted(sources_dir.glob("*.json")):
        seen.setdefault(source_version(load_source(path), path), path)
    if len(seen) > 1:
        shown = "; ".join(f"{v} ({p})" for v, p in sorted(seen.items()))
        raise KhabarError(f"{sources_dir}: annotation sources of several scheme versions: {shown}; "
                          "a release has one scheme version")
    return next(iter(seen), UNNAMED)


def build_gold(articles: list[Article], sources_dir: Path,
               annotation: dict[str, Any] | None = None) -> list[Annotated]:
    """Resolve every ``<id>.json`` in ``sources_dir`` against the article with that id."""
    if not sources_dir.is_dir():
        raise KhabarError(f"{sources_dir}: no such folder of annotation sources (give --sources)")
    paths = sorted(sources_dir.glob("*.json"))
    if not paths:
        raise KhabarError(f"{sources_dir}: no annotation sources (<article id>.json) in this folder; nothing written")
    by_id = {a.id: a for a in articles}
    docs = []
    for path in paths:
        source = load_source(path)
        article = by_id.get(source["id"])
        if article is None:
            raise KhabarError(f"{path}: article {source['id']!r} is not among the ingested articles")
        docs.append(build_document(article, source, str(path), annotation))
    return docs
