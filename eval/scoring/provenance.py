"""Warnings about what a score can say, from how the gold set was made and how big it is.

- A gold set whose annotators started from a model's predictions (``annotation.pre_annotation`` on
  its records, ``pre_annotation`` in its card) flatters that model: scoring the same ``name@version``
  against it is warned about.
- Bootstrap intervals over fewer than :data:`MIN_INTERVAL_DOCUMENTS` documents are too rough to
  compare systems by: warned about too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from annotation.errors import KhabarError
from annotation.gold.records import SPLITS
from annotation.gold.release import pre_annotation_models, read_release
from annotation.model import Annotated

MIN_INTERVAL_DOCUMENTS = 10


def models_of_docs(docs: Iterable[Annotated]) -> tuple[str, ...]:
    """The pre-annotation models of gold documents (their records' ``annotation.pre_annotation``)."""
    return pre_annotation_models(d.annotation for d in docs)


def models_of_path(path: str | Path) -> tuple[str, ...]:
    """The pre-annotation models a gold folder's card names (for a split file of a gold folder: its card).

    The card is read rather than every record, so that scoring a large gold file is not slowed; a
    gold file outside a gold folder names none."""
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    if not path.is_dir() and path.name not in {f"{s}.jsonl" for s in SPLITS}:
        return ()
    try:
        release = read_release(folder)
    except KhabarError:
        return ()   # not a khabar card: nothing said about pre-annotations
    return release.pre_annotation if release else ()


def provenance_warnings(models: Sequence[str], extractor: str | None, *, documents: int,
                        bootstrap: int) -> list[str]:
    """The warnings for scoring ``extractor`` (``name@version``, None when unknown) on this gold set."""
    out = []
    if extractor is not None and extractor in models:
        out.append(f"the gold set was pre-annotated by {extractor}, the extractor scored here: its annotators "
                   "started from this model's output, so these scores flatter it")
    elif extractor is None and models:
        out.append(f"the gold set was pre-annotated by {', '.join(models)}: if these predictions are that "
                   "model's, the scores flatter it (--extractor NAME@VERSION says whose they are)")
    if bootstrap > 0 and 0 < documents < MIN_INTERVAL_DOCUMENTS:
        out.append(f"the confidence intervals rest on {documents} document(s), fewer than "
                   f"{MIN_INTERVAL_DOCUMENTS}: too few to compare systems by")
    return out
