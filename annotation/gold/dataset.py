"""The gold set as a Hugging Face dataset folder: split files, a dataset card with YAML configs and features.

``datasets.load_dataset(<folder>)`` loads it without a loading script. Writes are atomic
per file; the card carries the scheme version, the statistics and the provenance.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from annotation.gold.records import GOLD_FIELDS, SPLITS, fingerprint, gold_record
from annotation.gold.records import load_gold  # noqa: F401  (read with the dataset folder's other names)
from annotation.io import dumps, write_atomic
from annotation.model import Annotated
from annotation.scheme import Scheme

DEFAULT_TEST_FRACTION = 0.5
DEFAULT_SPLIT_SEED = 13


def _struct(fields: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for name, kind in fields.items():
        if isinstance(kind, str):
            out.append({"name": name, "dtype": kind})
        elif isinstance(kind, list):  # a list of structs
            out.append({"name": name, "list": _struct(kind[0])})
        elif isinstance(kind, tuple):  # a list of scalars
            out.append({"name": name, "list": kind[0]})
        else:
            out.append({"name": name, "struct": _struct(kind)})
    return out


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


def statistics(docs: Sequence[Annotated], scheme: Scheme) -> dict[str, Any]:
    """Counts for the card and the closing note: mentions per label, claims per attribute value."""
    labels = Counter(m.label for d in docs for m in d.entities)
    stats: dict[str, Any] = {
        "articles": len(docs),
        "mentions": sum(labels.values()),
        "clusters": sum(len({m.entity for m in d.entities if m.entity}) for d in docs),
        "claims": sum(len(d.claims) for d in docs),
        "mentions_per_label": {label: labels.get(label, 0) for label in scheme.labels},
    }
    for attr in scheme.attributes:
        values = Counter(str(getattr(c, attr.name)).lower() for d in docs for c in d.claims)
        stats[f"claims_per_{attr.name}"] = {v: values.get(v, 0) for v in attr.value_names}
    stats["claims_with_source"] = sum(1 for d in docs for c in d.claims if c.source is not None)
    stats["claims_with_via"] = sum(1 for d in docs for c in d.claims if c.via)
    return stats


def _table(counts: dict[str, int]) -> str:
    rows = "\n".join(f"| {k} | {v} |" for k, v in counts.items())
    return f"| value | count |\n|---|---|\n{rows}\n"


def dataset_card(splits: dict[str, list[Annotated]], scheme: Scheme, *, provenance: str) -> str:
    header = {
        "language": ["ar"],
        "pretty_name": "khabar gold: entities and claims in Arabic news",
        "task_categories": ["token-classification"],
        "configs": [{"config_name": "default",
                     "data_files": [{"split": s, "path": f"{s}.jsonl"} for s in SPLITS]}],
        "dataset_info": {"features": _struct(GOLD_FIELDS)},
        "khabar": {"scheme": scheme.name, "scheme_version": scheme.version,
                   "scheme_fingerprint": scheme.fingerprint,
                   "fingerprint": fingerprint(d for s in SPLITS for d in splits[s])},
    }
    all_docs = [d for s in SPLITS for d in splits[s]]
    stats = statistics(all_docs, scheme)
    parts = [
        "---\n" + yaml.safe_dump(header, allow_unicode=True, sort_keys=False) + "---\n",
        "# khabar gold set\n",
        "Arabic news articles annotated with entity mentions (with coreference clusters) and claims "
        "(content, source, cue, intermediate sources, attribution, claim type, check-worthiness), "
        f"following the khabar annotation scheme {scheme.version} (`data/scheme.json`, guidelines in "
        "`data/guidelines.md`). Offsets are code-point indices into `text`, end-exclusive; the title is the "
        "first line of `text`.\n",
        f"## Provenance\n\n{provenance}\n",
        "## Splits\n\n" + "".join(f"- `{s}`: {len(splits[s])} articles\n" for s in SPLITS)
        + "\nArticles are split by story group (near-duplicate stories stay together), seeded.\n",
        f"## Statistics\n\nArticles: {stats['articles']}; mentions: {stats['mentions']}; "
        f"entity clusters: {stats['clusters']}; claims: {stats['claims']} "
        f"({stats['claims_with_source']} with a source, {stats['claims_with_via']} with an intermediate source).\n",
        "### Mentions per label\n\n" + _table(stats["mentions_per_label"]),
    ]
    for attr in scheme.attributes:
        parts.append(f"### Claims per {attr.name}\n\n" + _table(stats[f"claims_per_{attr.name}"]))
    parts.append("## Loading\n\n```python\nfrom datasets import load_dataset\n"
                 "gold = load_dataset(\"data/gold\")\nprint(gold[\"test\"][0][\"claims\"][0])\n```\n")
    return "\n".join(parts)


def write_gold_folder(folder: Path, splits: dict[str, list[Annotated]], scheme: Scheme, *,
                      provenance: str) -> None:
    """Write the split files and the card, each atomically."""
    for split in SPLITS:
        write_atomic(folder / f"{split}.jsonl", "".join(dumps(gold_record(d)) + "\n" for d in splits[split]))
    write_atomic(folder / "README.md", dataset_card(splits, scheme, provenance=provenance))
