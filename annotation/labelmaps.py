"""Label maps: a corpus's or a system's entity labels onto the scheme's labels.

The scorer maps predicted labels with them before scoring; ``khabar convert`` maps a corpus's
labels with them while converting it into gold. Without a mapping, every predicted label must be a label of the scheme: anything else is an
error naming the predictions line. With a mapping, a predicted label is renamed to a scheme
label, or dropped (mapped to nothing: the mention is removed before scoring and the number
removed per label is reported); a label that the mapping neither renames nor drops, and that
is not a scheme label, is still an error (a typo is never dropped silently).

Named mappings:

- ``wojood``: WojoodNER's own names, which the scheme uses (identity); Wojood's other
  flat-NER types (TIME, CARDINAL, ORDINAL, QUANTITY, UNIT, CURR, LANGUAGE, PRODUCT, WEBSITE,
  LAW) are dropped.
- ``anercorp``: ANERcorp's PERS, ORG, LOC map to the scheme labels of the same names; MISC is
  dropped. ANERcorp's LOC also covers countries and cities, which the scheme labels GPE:
  mapping LOC to GPE would be wrong for every other place, so LOC stays LOC and such
  predictions score as label errors (strict, type) with boundary credit (exact, partial).
- ``conll``: CoNLL-2003's PER -> PERS, ORG -> ORG, LOC -> LOC (as above); MISC is dropped.
- ``wikiann``: WikiANN's (PAN-X) PER -> PERS, ORG -> ORG, LOC -> LOC (as above); it has no other types.

The signature names a named mapping (``map:conll``), or a file by its stem and content hash
(``map:mymap-1a2b3c4d``).

A mapping file is a JSON object ``{"PREDICTED": "SCHEME_LABEL" or null}`` (null drops).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from annotation.errors import KhabarError
from annotation.io import load_json

WOJOOD_EXTRA = ("TIME", "CARDINAL", "ORDINAL", "QUANTITY", "UNIT", "CURR", "LANGUAGE", "PRODUCT", "WEBSITE", "LAW")
NAMED: dict[str, dict[str, str | None]] = {
    "wojood": {label: None for label in WOJOOD_EXTRA},
    "anercorp": {"PERS": "PERS", "ORG": "ORG", "LOC": "LOC", "MISC": None},
    "conll": {"PER": "PERS", "ORG": "ORG", "LOC": "LOC", "MISC": None},
    "wikiann": {"PER": "PERS", "ORG": "ORG", "LOC": "LOC"},
}


@dataclass(frozen=True)
class LabelMap:
    """``rename`` maps a predicted label to a scheme label or None (dropped); scheme labels map to themselves."""

    name: str
    rename: Mapping[str, str | None]
    signature: str = ""  # how the signature names it: the name, or a file's stem and content hash

    def target(self, label: str, scheme_labels: Iterable[str]) -> str | None:
        """The scheme label for ``label``, None to drop it; KeyError when the mapping does not cover it."""
        if label in self.rename:
            return self.rename[label]
        if label in set(scheme_labels):
            return label
        raise KeyError(label)


IDENTITY = LabelMap("none", {})


def _plain(name: str) -> str:
    """A file stem fit for the signature line (no '|' or ':')."""
    return re.sub(r"[^\w.-]+", "_", name) or "map"


def load_label_map(spec: str | None, scheme_labels: Iterable[str]) -> LabelMap:
    """A named mapping (wojood, anercorp, conll, wikiann), a JSON mapping file, or identity for None."""
    labels = tuple(scheme_labels)
    if spec is None:
        return IDENTITY
    if spec in NAMED:
        mapping = LabelMap(spec, NAMED[spec], spec)
    else:
        path = Path(spec)
        if not path.is_file():
            raise KhabarError(f"{spec}: no such label mapping (named mappings: {', '.join(NAMED)}; "
                              "or a JSON file {\"PREDICTED\": \"SCHEME_LABEL\" or null})")
        try:
            obj = load_json(path, "a label mapping (JSON)")
        except KhabarError as exc:
            raise KhabarError(f"{path}: a label mapping must be a JSON object ({exc})") from None
        if not isinstance(obj, dict):
            raise KhabarError(f"{path}: a label mapping must be a JSON object {{\"PREDICTED\": \"SCHEME_LABEL\" or null}}")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:8]
        mapping = LabelMap(path.name, obj, f"{_plain(path.stem)}-{digest}")
    for source, target in mapping.rename.items():
        if target is not None and (not isinstance(target, str) or target not in labels):
            raise KhabarError(f"{spec}: label {source!r} maps to {target!r}, which is not a scheme label "
                              f"({', '.join(labels)}); map it to a scheme label or to null to drop it")
    return mapping
