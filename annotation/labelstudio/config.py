"""The Label Studio labeling config, generated from the scheme file, and the check that a config matches it.

Results store the scheme's own names (PERS, CLAIM, source, direct_quote, true…); the interface
shows Arabic display names through the ``html`` and ``hint`` attributes, which Label Studio
uses for display only. (``alias`` is not used: on a Label or Choice it *replaces* the stored value.)

A config's *vocabulary* maps each control name to the values it can store; the import uses it
to recognise an export made with another config.
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from pathlib import Path

from annotation.errors import KhabarError
from annotation.locations import packaged, shown
from annotation.scheme import Item, Scheme, load_scheme

TEXT = "text"                 # the Text object tag (name and $variable)
ENTITIES = "entities"         # Labels control of the entity labels
CLAIM_PARTS = "claim_parts"   # Labels control of CLAIM, SOURCE, CUE
RELATIONS = "relations"       # pseudo control name of the relation labels (relations have no from_name)
CLAIM, SOURCE, CUE = "CLAIM", "SOURCE", "CUE"
ROLE_SOURCE, ROLE_CUE, ROLE_VIA, ROLE_SAME = "source", "cue", "via", "same"   # relation labels
REVIEW_TEXT = "disputes"      # the task data field (and Text object) of a review task: disputed units in words
REVIEW_DRAFT = "majority"     # model_version of a review task's majority proposal (the adjudicator's draft)
ROOT_STYLE = "direction: rtl; text-align: right;"

Vocabulary = dict[str, frozenset[str]]


def vocabulary(scheme: Scheme) -> Vocabulary:
    """Control name -> the values its results may store, for the config generated from ``scheme``."""
    vocab: Vocabulary = {
        ENTITIES: frozenset(scheme.labels),
        CLAIM_PARTS: frozenset(i.name for i in scheme.claim_parts),
        RELATIONS: frozenset(scheme.roles),
    }
    for attr in scheme.attributes:
        vocab[attr.name] = frozenset(attr.value_names)
    return vocab


def _display(item: Item) -> str:
    """The HTML shown on a label or choice button: the Arabic name, then the stored name, small."""
    return f'{html.escape(item.ar)} <span style="opacity:0.6;font-size:80%">{html.escape(item.name)}</span>'


def _hint(item: Item) -> str:
    return f"{item.en}: {item.definition}" if item.definition else item.en


def _labels(parent: ET.Element, name: str, items: tuple[Item, ...]) -> None:
    labels = ET.SubElement(parent, "Labels", name=name, toName=TEXT, showInline="true")
    for item in items:
        attrs = {"value": item.name, "html": _display(item), "hint": _hint(item)}
        if item.color:
            attrs["background"] = item.color
        ET.SubElement(labels, "Label", attrs)


def label_config(scheme: Scheme | None = None, *, review: bool = False) -> str:
    """The labeling config (XML) for ``scheme`` (the default scheme file when None).

    ``review``: the config of a review project (``khabar review push``), which shows the task's
    disputed units (``$disputes``) above the controls; it stores exactly the same names."""
    scheme = scheme or load_scheme()
    root = ET.Element("View", style=ROOT_STYLE)
    if review:
        ET.SubElement(root, "Header", value="نقاط الخلاف — Disputed units", size="6")
        ET.SubElement(root, "Text", name=REVIEW_TEXT, value=f"${REVIEW_TEXT}")
    ET.SubElement(root, "Header", value="الكيانات — Entities", size="6")
    _labels(root, ENTITIES, scheme.entity_labels)
    ET.SubElement(root, "Header", value="الادعاءات — Claims", size="6")
    _labels(root, CLAIM_PARTS, scheme.claim_parts)
    relations = ET.SubElement(root, "Relations")
    for role in scheme.relation_roles:
        ET.SubElement(relations, "Relation", value=role.name)
    attributes = ET.SubElement(root, "View", visibleWhen="region-selected", whenTagName=CLAIM_PARTS,
                               whenLabelValue=CLAIM, style="border: 1px solid #ccc; padding: 0 8px; margin: 4px 0;")
    for attr in scheme.attributes:
        ET.SubElement(attributes, "Header", value=f"{attr.ar} — {attr.en} ({attr.name})", size="6")
        choices = ET.SubElement(attributes, "Choices", name=attr.name, toName=TEXT, perRegion="true",
                                choice="single", showInline="true")
        for value in attr.values:
            ET.SubElement(choices, "Choice", value=value.name, html=_display(value), hint=_hint(value))
    ET.SubElement(root, "Text", name=TEXT, value=f"${TEXT}", granularity="symbol")
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="unicode") + "\n"


def config_vocabulary(xml: str, *, where: str = "label config") -> Vocabulary:
    """The vocabulary of any labeling config: each Labels/Choices control's values, and the relation labels."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise KhabarError(f"{where}: not valid XML ({exc})") from None
    vocab: dict[str, set[str]] = {}
    for element in root.iter():
        if element.tag in ("Labels", "Choices") and element.get("name"):
            values = vocab.setdefault(element.get("name", ""), set())
            values.update(child.get("alias") or child.get("value") or "" for child in element.iter()
                          if child.tag in ("Label", "Choice"))
        elif element.tag == "Relations":
            vocab.setdefault(RELATIONS, set()).update(r.get("value") or "" for r in element.iter("Relation"))
    return {name: frozenset(values) for name, values in vocab.items()}


def vocabulary_differences(found: Vocabulary, expected: Vocabulary) -> list[str]:
    """What ``found`` has that ``expected`` lacks, and what it misses, one line per control."""
    lines = []
    for name in sorted(set(found) | set(expected)):
        if name not in expected:
            lines.append(f"control {name!r} is not in the scheme (values: {', '.join(sorted(found[name]))})")
        elif name not in found:
            lines.append(f"control {name!r} of the scheme is missing")
        else:
            extra, missing = found[name] - expected[name], expected[name] - found[name]
            if extra:
                lines.append(f"{name}: values not in the scheme: {', '.join(sorted(extra))}")
            if missing:
                lines.append(f"{name}: scheme values missing: {', '.join(sorted(missing))}")
    return lines


def check_config(xml: str, scheme: Scheme | None = None, *, where: str = "label config") -> None:
    """Raise a KhabarError listing the differences when ``xml`` does not store exactly the scheme's names."""
    differences = vocabulary_differences(config_vocabulary(xml, where=where), vocabulary(scheme or load_scheme()))
    if differences:
        raise KhabarError(f"{where} does not match the scheme: {'; '.join(differences)} — "
                          "use a project created by `khabar export` (or regenerate its config from the scheme)")


def instructions(path: str | Path | None = None) -> str:
    """The annotation guidelines (Markdown with inline HTML; by default the packaged ``guidelines.md``)
    as the HTML Label Studio shows as instructions."""
    from markdown_it import MarkdownIt

    file = Path(path) if path is not None else packaged("guidelines.md")
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KhabarError(f"{shown(file)}: guidelines file not found") from None
    body = MarkdownIt("commonmark", {"html": True}).enable("table").render(text)
    return f'<div dir="auto">\n{body}</div>\n'
