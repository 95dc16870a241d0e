"""The gold folder's dataset card (README.md with YAML ``configs`` and features) and writing a release.

``datasets.load_dataset(<folder>)`` caches a folder whose card declares ``configs`` under
``<cache>/<folder name>/<config id>/<config version>/<hash>``, where the hash
(``datasets.load.LocalDatasetModuleFactory.get_module``) covers only the card's ``dataset_info`` and the
builder configs built from the YAML (``create_builder_configs_from_metadata_configs``): the data file
*patterns* as written (``dev.jsonl``), not the files' paths or modification times. Two folders named
alike with the same features, or one folder rebuilt in place, would share one cache entry. The card
therefore gives the config two builder parameters that ``datasets`` documents and hashes: ``version``
(the release) and ``description``, which names the sha256 of the split files (:func:`content_hash`), so
that the cache key changes whenever a byte of the data does.
"""

from __future__ import annotations

import hashlib
import html
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from annotation.gold.records import SPLITS, gold_fields, gold_record
from annotation.gold.release import CARD_NAME, Release
from annotation.io import dumps, replace_folder
from annotation.model import Annotated
from annotation.locations import checkout_data
from annotation.scheme import Scheme

RELEASE_FIELDS: dict[str, Any] = {"version": "string", "date": "string", "fingerprint": "string",
                                  "agreement": [{"measure": "string", "value": "float64"}]}


def card_fields(scheme: Scheme, release: Release) -> dict[str, Any]:
    """The features a release's card declares: the gold fields of its scheme and the release each record
    carries; ``annotation.pre_annotation`` only when its annotators started from a model's predictions (a
    card of a gold set made without keeps the features it had)."""
    fields = gold_fields(scheme)
    annotation = {**fields["annotation"], "release": RELEASE_FIELDS}
    if not release.pre_annotation:
        del annotation["pre_annotation"]
    return {**fields, "annotation": annotation}


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


def features_yaml(fields: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for name, kind in fields.items():
        if isinstance(kind, str):
            out.append({"name": name, "dtype": kind})
        elif isinstance(kind, list):  # a list of structs
            out.append({"name": name, "list": features_yaml(kind[0])})
        elif isinstance(kind, tuple):  # a list of scalars
            out.append({"name": name, "list": kind[0]})
        else:
            out.append({"name": name, "struct": features_yaml(kind)})
    return out


def split_lines(splits: dict[str, list[Annotated]]) -> dict[str, str]:
    """The content of each split file."""
    return {s: "".join(dumps(gold_record(d)) + "\n" for d in splits[s]) for s in SPLITS}


def content_hash(files: dict[str, bytes]) -> str:
    """sha256 of the split files (name and bytes, in split order), 16 hex digits: the cache key's part."""
    digest = hashlib.sha256(b"khabar gold content 1\n")
    for name in SPLITS:
        data = files[name]
        digest.update(f"{name} {len(data)}\n".encode("utf-8") + data)
    return digest.hexdigest()[:16]


def folder_content_hash(folder: Path) -> str:
    return content_hash({s: (folder / f"{s}.jsonl").read_bytes() for s in SPLITS})


def shown_path(folder: Path) -> str:
    """The folder as a reader would type it: relative to the project or the working directory when inside."""
    folder = folder.resolve()
    checkout = checkout_data()
    bases = ([checkout.parent.resolve()] if checkout is not None else []) + [Path.cwd().resolve()]
    for base in bases:
        if folder.is_relative_to(base) and folder != base:
            return folder.relative_to(base).as_posix()
    return folder.as_posix()


def markdown_text(text: str) -> str:
    """Text the card did not write (an annotator's name) as inert Markdown: no HTML, links or code."""
    return html.escape(text).translate(_MARKDOWN_SPECIAL)


_MARKDOWN_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()#+!|~"})


def _table(counts: dict[str, Any], head: str = "value | count") -> str:
    rows = "\n".join(f"| {k} | {v} |" for k, v in counts.items())
    return f"| {head} |\n|---|---|\n{rows}\n"


def _header(release: Release, scheme: Scheme, splits: dict[str, list[Annotated]]) -> dict[str, Any]:
    """The YAML header; ``data_files`` lists the splits that have articles (``datasets`` refuses an empty one)."""
    declared = [s for s in SPLITS if splits[s]] or list(SPLITS)
    return {
        "language": ["ar"],
        "pretty_name": "khabar gold: entities and claims in Arabic news",
        "task_categories": ["token-classification"],
        "configs": [{"config_name": "default", "version": release.version,
                     "description": f"khabar gold {release.version}, split files sha256 {release.content} "
                                    "(part of the datasets cache key: a new content is never served stale)",
                     "data_files": [{"split": s, "path": f"{s}.jsonl"} for s in declared]}],
        "dataset_info": {"features": features_yaml(card_fields(scheme, release))},
        "khabar": release.header(),
    }


def _release_section(release: Release) -> str:
    text = (f"## Release\n\nVersion **{release.version}** of {release.date}: scheme {release.scheme} "
            f"{release.scheme_version} (fingerprint {release.scheme_fingerprint}); gold fingerprint "
            f"`{release.fingerprint}` (the annotations of both splits; a score's signature names the fingerprint "
            f"and release of the gold it scored); split files "
            f"sha256 `{release.content}`; annotators: {', '.join(map(markdown_text, release.annotators)) or 'none recorded'}; "
            f"adjudicated: {'yes' if release.adjudicated else 'no'}. Every record carries the release under "
            "`annotation.release`. Versions are MAJOR.MINOR.PATCH: major when the scheme changes "
            "incompatibly, minor when articles are added or removed, patch for corrections.\n")
    if release.pre_annotation:
        models = ", ".join(f"`{markdown_text(m)}`" for m in release.pre_annotation)
        text += (f"\nPre-annotated: the annotators started from the predictions of {models} (each record names it "
                 "under `annotation.pre_annotation`): scoring that model against this gold set flatters it, and "
                 "`khabar score` and `khabar bench` warn when they do.\n")
    if release.agreement:
        text += "\n### Agreement\n\n" + _table(release.agreement, "measure | value")
    return text


def _notes_section(release: Release) -> str:
    if not release.notes:
        return "## Release notes\n\nFirst release.\n"
    entries = "".join(f"### {n['version']} ({n['date']})\n\nChanges since {n['since']}: {n['summary']}. "
                      f"`khabar gold diff` between the two releases lists every change.\n\n" for n in release.notes)
    return "## Release notes\n\n" + entries.rstrip("\n") + "\n"


_SHOWN = {"claim_type": "claim type", "check_worthy": "check-worthiness"}


def _attribute_names(scheme: Scheme) -> str:
    """``attribution, claim type, check-worthiness`` (and ``stance, certainty`` from scheme 1.1)."""
    return ", ".join(_SHOWN.get(a.name, a.en.lower()) for a in scheme.attributes)


def _split_note(splits: dict[str, list[Annotated]]) -> str:
    filled = [s for s in SPLITS if splits[s]]
    if len(filled) == 1 and len(SPLITS) > 1:
        return f"\nEvery article is in `{filled[0]}` (not split: `khabar adjudicate --split {filled[0]}`).\n"
    return "\nArticles are split by story group (near-duplicate stories stay together), seeded.\n"


def dataset_card(splits: dict[str, list[Annotated]], scheme: Scheme, *, provenance: str, release: Release,
                 folder: str) -> str:
    """The card of a release written to ``folder`` (as the loading snippet names it)."""
    stats = statistics([d for s in SPLITS for d in splits[s]], scheme)
    parts = [
        "---\n" + yaml.safe_dump(_header(release, scheme, splits), allow_unicode=True, sort_keys=False) + "---\n",
        f"# khabar gold set {release.version}\n",
        "Arabic news articles annotated with entity mentions (with coreference clusters) and claims "
        f"(content, source, cue, intermediate sources, {_attribute_names(scheme)}), "
        f"following the khabar annotation scheme {scheme.version} (`data/scheme.json`, guidelines in "
        "`data/guidelines.md`). Offsets are code-point indices into `text`, end-exclusive; the title is the "
        "first line of `text`.\n",
        _release_section(release),
        f"## Provenance\n\n{provenance}\n",
        "## Splits\n\n" + "".join(f"- `{s}`: {len(splits[s])} articles\n" for s in SPLITS)
        + _split_note(splits),
        f"## Statistics\n\nArticles: {stats['articles']}; mentions: {stats['mentions']}; "
        f"entity clusters: {stats['clusters']}; claims: {stats['claims']} "
        f"({stats['claims_with_source']} with a source, {stats['claims_with_via']} with an intermediate source).\n",
        "### Mentions per label\n\n" + _table(stats["mentions_per_label"]),
    ]
    for attr in scheme.attributes:
        parts.append(f"### Claims per {attr.name}\n\n" + _table(stats[f"claims_per_{attr.name}"]))
    parts.append(_notes_section(release))
    parts.append("## Loading\n\n```python\nfrom datasets import load_dataset\n"
                 f"gold = load_dataset({json.dumps(folder)})\nprint(gold[\"test\"][0][\"claims\"][0])\n```\n\n"
                 "The config's `version` and `description` (the split files' sha256) are part of the key under "
                 "which `datasets` caches the folder, so a rebuilt folder or another folder of the same name "
                 "is read afresh. Edit the split files only through `khabar gold build` or `khabar adjudicate` "
                 "(`khabar validate` reports a card whose hash no longer matches its files).\n")
    return "\n".join(parts)


def write_gold_files(folder: Path, splits: dict[str, list[Annotated]], scheme: Scheme, *, provenance: str,
                     release: Release) -> Release:
    """Write the split files and then the card, each atomically; returns the release with its content hash."""
    stamped = {s: [replace(d, annotation={**d.annotation, "release": release.record()}) for d in splits[s]]
               for s in SPLITS}
    lines = split_lines(stamped)
    release = replace(release, content=content_hash({s: lines[s].encode("utf-8") for s in SPLITS}))
    card = dataset_card(stamped, scheme, provenance=provenance, release=release, folder=shown_path(folder))
    replace_folder(folder, {**{f"{split}.jsonl": lines[split] for split in SPLITS}, CARD_NAME: card})
    return release
