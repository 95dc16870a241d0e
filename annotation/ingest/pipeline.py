"""Ingestion: raw scraped articles → clean ``Article``s (``khabar ingest``).

1. Read every raw file (``annotation.ingest.rawfiles``); each bad input is a ``Problem`` and the rest goes on.
2. Normalise (NFC, ``\\n`` line breaks, spaces) and drop blank lines (``annotation.ingest.cleaning``).
3. Find outlet boilerplate: lines recurring across one outlet's story groups.
4. Clean each article (boilerplate, masthead, repeated lines) and find its title.
5. Drop exact duplicates (same clean text: the smallest id is kept) and group near-duplicates
   (``annotation.ingest.dedup``), so that a dev/test split never separates one story.

Everything removed is recorded in the article's ``meta``; the output order is by id and the
output is byte-identical for the same input.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotation.ingest.cleaning import (
    MAX_REPEATED_WORDS,
    OUTLET_MIN_ARTICLES,
    OUTLET_MIN_SHARE,
    Removals,
    clean_lines,
    outlet_boilerplate,
    split_lines,
)
from annotation.ingest.dedup import NEAR_DUPLICATE_THRESHOLD, exact_duplicates, groups, similar_pairs
from annotation.io import write_jsonl
from annotation.model import Article
from annotation.ingest.rawfiles import DEFAULT_TEXT_FIELD, Problem, RawDoc, RawInput, discover, read_input

__all__ = ["IngestReport", "ingest", "ingest_inputs", "discover", "summary", "write_articles",
           "MAX_REPEATED_WORDS", "OUTLET_MIN_ARTICLES", "OUTLET_MIN_SHARE", "NEAR_DUPLICATE_THRESHOLD",
           "DEFAULT_TEXT_FIELD"]


SUMMARY_GROUPS = 10  # story groups listed by name in the summary


@dataclass
class IngestReport:
    """The clean articles (sorted by id) and what happened on the way."""

    articles: list[Article] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    duplicates: dict[str, str] = field(default_factory=dict)  # dropped id → kept id
    files: int = 0
    skipped: list[str] = field(default_factory=list)
    removed: Counter[str] = field(default_factory=Counter)  # lines removed by reason (kept articles)
    boilerplate: dict[str, list[str]] = field(default_factory=dict)  # outlet → its boilerplate lines

    @property
    def groups(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for article in self.articles:
            out.setdefault(article.meta["group"], []).append(article.id)
        return out


def ingest(paths: Iterable[str | Path], **options: Any) -> IngestReport:
    """Ingest RAW paths (files or folders); see ``ingest_inputs`` for the options."""
    inputs, problems, skipped = discover(paths)
    report = ingest_inputs(inputs, **options)
    report.problems[:0] = problems
    report.skipped = skipped
    return report


def ingest_inputs(inputs: Sequence[RawInput], *, text_field: str = DEFAULT_TEXT_FIELD,
                  outlet_min_articles: int = OUTLET_MIN_ARTICLES, outlet_min_share: float = OUTLET_MIN_SHARE,
                  max_repeated_words: int = MAX_REPEATED_WORDS,
                  near_duplicate_threshold: float = NEAR_DUPLICATE_THRESHOLD,
                  on_input: Callable[[RawInput], None] | None = None) -> IngestReport:
    report = IngestReport(files=len(inputs))
    docs: list[RawDoc] = []
    places: dict[str, str] = {}
    for raw in inputs:
        if on_input is not None:
            on_input(raw)
        found, problems = read_input(raw, text_field=text_field)
        report.problems.extend(problems)
        for doc in found:
            if doc.id in places:
                report.problems.append(Problem(doc.place, f"article id '{doc.id}' is already used by {places[doc.id]}; "
                                                          "rename the file or give the record its own 'id'"))
                continue
            places[doc.id] = doc.place
            docs.append(doc)
    docs.sort(key=lambda d: d.id)

    removals = {doc.id: Removals() for doc in docs}
    lines = {}
    for doc in docs:
        lines[doc.id] = split_lines(doc.text, removals[doc.id])
        for dropped in doc.dropped:
            removals[doc.id].add("html-not-main-text", dropped)

    # Story groups on the raw lines (long lines only, where boilerplate rarely is) decide how often a
    # line recurs in an outlet: two versions of one story count once.
    first_groups = _story_groups({d.id: _long_lines(lines[d.id], max_repeated_words) for d in docs},
                                 near_duplicate_threshold)[0]
    boilerplate = outlet_boilerplate(((d.source, first_groups[d.id], lines[d.id]) for d in docs),
                                     min_articles=outlet_min_articles, min_share=outlet_min_share)
    report.boilerplate = {str(k or ""): sorted(v) for k, v in sorted(boilerplate.items(), key=lambda kv: str(kv[0]))
                          if v}

    cleaned: dict[str, Article] = {}
    for doc in docs:
        clean = clean_lines(lines[doc.id], removals[doc.id], title=doc.title,
                            boilerplate=boilerplate.get(doc.source, set()), max_repeated_words=max_repeated_words)
        if clean is None:
            report.problems.append(Problem(doc.place, "nothing left after removing boilerplate "
                                                      "(every line is masthead, repeated or outlet boilerplate)"))
            continue
        meta = {**doc.meta, "removed": removals[doc.id].entries()}
        cleaned[doc.id] = Article(id=doc.id, text=clean.text, title=clean.title, source=doc.source, url=doc.url,
                                  published=doc.published, lang="ar", meta=meta)

    report.duplicates = exact_duplicates({key: a.text for key, a in cleaned.items()})
    for dropped, kept in report.duplicates.items():
        cleaned[kept].meta.setdefault("duplicates", []).append(dropped)
        del cleaned[dropped]
    story, scores = _story_groups({key: a.text for key, a in cleaned.items()}, near_duplicate_threshold)
    for key in sorted(cleaned):
        article = cleaned[key]
        article.meta["group"] = story[key]
        near = {other: round(score, 3) for other, score in sorted(scores.get(key, {}).items())}
        if near:
            article.meta["near_duplicates"] = near
        report.removed.update(removals[key].by_reason())
        report.articles.append(article)
    return report


def _long_lines(lines: Sequence[str], max_words: int) -> str:
    long = [line for line in lines if len(line.split()) > max_words]
    return "\n".join(long or lines)


def _story_groups(texts: dict[str, str], threshold: float) -> tuple[dict[str, str], dict[str, dict[str, float]]]:
    pairs = similar_pairs(texts, threshold=threshold)
    scores: dict[str, dict[str, float]] = {}
    for (a, b), score in pairs.items():
        scores.setdefault(a, {})[b] = score
        scores.setdefault(b, {})[a] = score
    return groups(texts, pairs), scores


def write_articles(path: str | Path, articles: Sequence[Article]) -> None:
    """Write clean articles as JSON lines, atomically, in id order."""
    write_jsonl(path, sorted(articles, key=lambda a: a.id))


def summary(report: IngestReport) -> list[str]:
    """The closing summary of ``khabar ingest``, one line per fact."""
    story = report.groups
    shared = {g: ids for g, ids in story.items() if len(ids) > 1}
    lines = [f"articles written: {len(report.articles)} (from {report.files} raw files)"]
    dup = ", ".join(f"{d} (same text as {k})" for d, k in report.duplicates.items())
    lines.append(f"exact duplicates dropped: {len(report.duplicates)}" + (f": {dup}" if dup else ""))
    listed = "".join(f"; {' + '.join(ids)}" for ids in list(shared.values())[:SUMMARY_GROUPS])
    more = f"; ... ({len(shared) - SUMMARY_GROUPS} more)" if len(shared) > SUMMARY_GROUPS else ""
    lines.append(f"story groups: {len(story)}, {len(shared)} with near-duplicates{listed}{more}")
    content = {r: n for r, n in sorted(report.removed.items()) if r not in ("blank", "invisible-characters")}
    detail = ", ".join(f"{reason} {n}" for reason, n in content.items())
    lines.append(f"lines removed: {sum(content.values())}" + (f" ({detail})" if detail else "")
                 + f"; blank lines: {report.removed.get('blank', 0)}")
    for outlet, bp in report.boilerplate.items():
        lines.append(f"outlet boilerplate of {outlet or '(no outlet)'}: {len(bp)} line(s): " + " | ".join(bp))
    if report.skipped:
        lines.append(f"skipped (not .txt/.html/.htm/.jsonl): {len(report.skipped)}: {', '.join(report.skipped)}")
    failed = {p.file for p in report.problems}
    lines.append(f"problems: {len(report.problems)} in {len(failed)} file(s)")
    return lines
