"""The main text of a news page: title, paragraphs and the page's own metadata.

trafilatura (precision mode) finds the article body and leaves out navigation, sidebars,
footers, captions and related links; its paragraphs (``<p>``, headings, list items, quotes) become
lines. When it finds nothing, a plain lxml extraction takes over: the ``<article>`` (or ``<main>``,
or ``<body>``) without navigation, asides, figures and elements whose class or id names page
furniture. Every text line of the page that did not make it into the article is listed in
``Page.dropped`` so that ingestion can record it.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

_BLOCK_TAGS = {"address", "article", "aside", "blockquote", "br", "dd", "details", "div", "dl", "dt", "figcaption",
               "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav",
               "ol", "p", "pre", "section", "summary", "table", "td", "th", "tr", "ul", "title", "option"}
_INVISIBLE_TAGS = ("script", "style", "noscript", "template", "head", "svg", "iframe", "select")
_FURNITURE_TAGS = ("nav", "header", "footer", "aside", "figure", "figcaption", "form", "button")
_FURNITURE_NAMES = re.compile(r"nav|menu|sidebar|footer|header|related|share|social|comment|caption|breadcrumb|"
                              r"advert|\bads?\b|widget|most-read|popular|newsletter|subscribe|tags?\b|cookie",
                              re.IGNORECASE)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_SPACE = re.compile(r"\s+")


@dataclass
class Page:
    title: str | None
    lines: list[str]
    extractor: str
    source: str | None = None
    url: str | None = None
    published: str | None = None
    dropped: list[str] = field(default_factory=list)


def _squash(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def extract_html(html: str) -> Page:
    """Title, main-text lines and metadata of an HTML page (already decoded)."""
    import lxml.html

    html = _XML_DECLARATION.sub("", html)
    tree = lxml.html.fromstring(html)
    page_lines = block_lines(tree.find("body") if tree.find("body") is not None else tree)
    extracted = _trafilatura(html)
    extractor = "trafilatura"
    if extracted is None:
        extracted = (None, block_lines(_main_element(tree), skip_furniture=True))
        extractor = "lxml"
    h1, lines = extracted
    lines = _drop_extraction_repeats(lines, Counter(page_lines))
    title = h1 or _first_text(tree, "//article//h1|//main//h1") or _meta(tree, "og:title") \
        or _first_text(tree, "//title")
    kept = set(lines) | ({title} if title else set())
    dropped = list(dict.fromkeys(line for line in page_lines if line not in kept))
    return Page(title=title, lines=lines, extractor=extractor, dropped=dropped,
                source=_meta(tree, "og:site_name") or _meta(tree, "application-name"),
                url=_link(tree, "canonical") or _meta(tree, "og:url"),
                published=_meta(tree, "article:published_time") or _meta(tree, "datePublished")
                or _meta(tree, "date") or _first_attr(tree, "//article//time/@datetime"))


def block_lines(element: Any, *, skip_furniture: bool = False) -> list[str]:
    """The visible text of ``element`` as lines: one per block element (paragraph, heading, item, cell)."""
    element = copy.deepcopy(element)
    for bad in element.xpath("|".join(f".//{t}" for t in _INVISIBLE_TAGS)):
        bad.drop_tree()
    if skip_furniture:
        for bad in list(element.iter()):
            if bad is element or bad.getparent() is None:
                continue
            names = f"{bad.get('class') or ''} {bad.get('id') or ''} {bad.get('role') or ''}"
            if bad.tag in _FURNITURE_TAGS or _FURNITURE_NAMES.search(names):
                bad.drop_tree()
    for node in element.iter():
        if isinstance(node.tag, str) and node.tag in _BLOCK_TAGS:
            node.text = "\n" + (node.text or "")
            node.tail = "\n" + (node.tail or "")
    lines = (_squash(line) for line in element.text_content().split("\n"))
    return [line for line in lines if line]


def _trafilatura(html: str) -> tuple[str | None, list[str]] | None:
    """(the leading <h1> if any, the lines) from trafilatura's XML output, or None when it finds no text."""
    import trafilatura
    from lxml import etree

    xml = trafilatura.extract(html, output_format="xml", favor_precision=True, include_comments=False,
                              include_tables=False, include_images=False, include_links=False,
                              include_formatting=False, deduplicate=False, with_metadata=False)
    if not xml:
        return None
    main = etree.fromstring(xml.encode("utf-8")).find("main")
    if main is None:
        return None
    h1 = None
    lines: list[str] = []
    for element in main:
        element_lines = [_squash(x) for x in _element_text(element).split("\n")]
        element_lines = [x for x in element_lines if x]
        if element.tag == "head" and element.get("rend") == "h1" and not lines and h1 is None and element_lines:
            h1 = " ".join(element_lines)
        lines.extend(element_lines)
    return (h1, lines) if lines else None


def _element_text(element: Any) -> str:
    """Text of a trafilatura XML element with line breaks at <lb/> and between list items."""
    parts: list[str] = [element.text or ""]
    for child in element:
        if child.tag == "lb":
            parts.append("\n")
        elif child.tag in ("item", "row", "cell", "p", "head", "list"):
            parts.append("\n" + _element_text(child) + "\n")
        else:
            parts.append(_element_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _drop_extraction_repeats(lines: list[str], page_counts: Counter[str]) -> list[str]:
    """Drop copies that the extractor made: a line kept more often than it occurs in the page."""
    seen: Counter[str] = Counter()
    out = []
    for line in lines:
        seen[line] += 1
        if seen[line] <= max(page_counts.get(line, 0), 1):
            out.append(line)
    return out


def _main_element(tree: Any) -> Any:
    for path in ("//article", "//main", "//body"):
        found = tree.xpath(path)
        if found:
            return found[0]
    return tree


def _first_text(tree: Any, xpath: str) -> str | None:
    for node in tree.xpath(xpath):
        text = _squash(node.text_content())
        if text:
            return text
    return None


def _first_attr(tree: Any, xpath: str) -> str | None:
    for value in tree.xpath(xpath):
        if str(value).strip():
            return str(value).strip()
    return None


def _meta(tree: Any, name: str) -> str | None:
    return _first_attr(tree, f"//meta[@property='{name}' or @name='{name}' or @itemprop='{name}']/@content")


def _link(tree: Any, rel: str) -> str | None:
    return _first_attr(tree, f"//link[@rel='{rel}']/@href")
