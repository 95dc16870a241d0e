"""The gold set as a Hugging Face dataset folder: splitting articles into dev and test, and writing a release.

``datasets.load_dataset(<folder>)`` loads it without a loading script. The records, features and
fingerprint are in :mod:`annotation.gold.records`; the card and the writing of a release in
:mod:`annotation.gold.card` and :mod:`annotation.gold.publish`.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from annotation.gold.records import SPLITS
from annotation.model import Annotated
from annotation.scheme import Scheme

DEFAULT_TEST_FRACTION = 0.5
DEFAULT_SPLIT_SEED = 13


def split_by_group(docs: Sequence[Annotated], *, test_fraction: float = DEFAULT_TEST_FRACTION,
                   seed: int = DEFAULT_SPLIT_SEED) -> dict[str, list[Annotated]]:
    """Assign whole story groups (``meta['group']``, else the id) to dev or test, seeded."""
    groups: dict[str, list[Annotated]] = {}
    for doc in docs:
        groups.setdefault(str(doc.article.meta.get("group") or doc.id), []).append(doc)
    keys = sorted(groups)
    random.Random(seed).shuffle(keys)
    n_test = round(len(keys) * test_fraction)
    test_keys = set(keys[:n_test])
    out: dict[str, list[Annotated]] = {s: [] for s in SPLITS}
    for key in sorted(groups):
        out["test" if key in test_keys else "dev"].extend(groups[key])
    for split in out.values():
        split.sort(key=lambda d: d.id)
    return out


SPLIT_CHOICES = ("auto", "all", "dev", "test")


def assign_splits(docs: Sequence[Annotated], how: str = "auto", *, seed: int = DEFAULT_SPLIT_SEED
                  ) -> dict[str, list[Annotated]]:
    """The gold splits: ``auto`` by story group (:func:`split_by_group`); ``dev`` or ``test``: every article
    in that split (the other one empty); ``all``: every article in ``test``, the split ``khabar bench`` scores."""
    if how == "auto":
        return split_by_group(docs, seed=seed)
    if how not in SPLIT_CHOICES:
        raise ValueError(f"unknown split {how!r}: one of {', '.join(SPLIT_CHOICES)}")
    target = "dev" if how == "dev" else "test"
    return {s: sorted(docs, key=lambda d: d.id) if s == target else [] for s in SPLITS}


def write_gold_folder(folder: Path, splits: dict[str, list[Annotated]], scheme: Scheme, *,
                      provenance: str, **release: Any) -> Any:
    """Write a gold release to ``folder``: :func:`annotation.gold.publish.publish` (split files, card)."""
    from annotation.gold.publish import publish

    return publish(folder, splits, scheme, provenance=provenance, **release)

