"""Exact duplicates and near-duplicate story groups.

Near-duplicates are articles that tell the same story, e.g. one wire story rewritten by two
outlets. They share quotes, names and figures but few long word sequences, so word 5-gram
Jaccard misses them (0.04 and 0.08 for the two rewritten pairs in tests/test_ingest_corpus.py).
The measure used here is the containment (overlap coefficient) of word 3-gram shingles,
``|A ∩ B| / min(|A|, |B|)``, over Arabic-folded words (so «٦٣٠» matches «630»): 0.32 and 0.36 for
those rewrites and 0.30 for the shipped pair naba-0004 / sada-0004, at most 0.07 for different
stories on the same topic, 0 for unrelated ones. Articles connected by pairs at or above
``NEAR_DUPLICATE_THRESHOLD`` form a group whose id is its smallest article id.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from itertools import combinations

from annotation.arabic import words

NEAR_DUPLICATE_THRESHOLD = 0.2
SHINGLE_WORDS = 3
MIN_SHARED_SHINGLES = 3
COMMON_SHINGLE_ARTICLES = 100

Shingle = str  # the words joined by spaces (strings cache their hash, tuples do not)


def shingles(text: str, *, size: int = SHINGLE_WORDS) -> set[Shingle]:
    """The set of ``size``-word sequences of ``text`` (folded words; a shorter text is one shingle)."""
    tokens = words(text)
    if len(tokens) <= size:
        return {" ".join(tokens)} if tokens else set()
    return {" ".join(tokens[i:i + size]) for i in range(len(tokens) - size + 1)}


def containment(a: set[Shingle], b: set[Shingle]) -> float:
    """Overlap coefficient: shared shingles over the smaller set (0 when either is empty)."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def similar_pairs(texts: Mapping[str, str], *, threshold: float = NEAR_DUPLICATE_THRESHOLD,
                  size: int = SHINGLE_WORDS, common: int = COMMON_SHINGLE_ARTICLES) -> dict[tuple[str, str], float]:
    """Pairs (a < b) of ids whose texts reach ``threshold`` containment, with their score.

    Candidate pairs are those sharing ``MIN_SHARED_SHINGLES`` shingles that are not common to more than
    ``common`` articles (stock phrases are no evidence of one story, and would make the
    candidates quadratic); each candidate's score is then computed on its full shingle sets.
    """
    sets = {key: shingles(text, size=size) for key, text in texts.items()}
    index: dict[Shingle, list[str]] = defaultdict(list)
    for key in sorted(sets):
        for shingle in sets[key]:
            index[shingle].append(key)
    rare_shared: Counter[tuple[str, str]] = Counter()
    for keys in index.values():
        if 1 < len(keys) <= common:
            rare_shared.update(combinations(keys, 2))
    out = {}
    for (a, b), n in sorted(rare_shared.items()):
        if n < min(MIN_SHARED_SHINGLES, len(sets[a]), len(sets[b])):
            continue
        score = containment(sets[a], sets[b])
        if score >= threshold:
            out[(a, b)] = score
    return out


def groups(ids: Iterable[str], pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Connected components of ``pairs`` over ``ids``: each id → the smallest id of its component."""
    parent = {key: key for key in ids}

    def root(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for a, b in pairs:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {key: root(key) for key in parent}


def exact_duplicates(texts: Mapping[str, str]) -> dict[str, str]:
    """Each id whose text equals that of a smaller id → that smallest id (the one to keep)."""
    first: dict[str, str] = {}
    out = {}
    for key in sorted(texts):
        kept = first.setdefault(texts[key], key)
        if kept != key:
            out[key] = kept
    return out
