"""The pieces every khabar HTML page shares: a self-contained right-to-left page and highlighted text.

A page (:func:`page_start`) is self-contained: inline CSS only, no script and no network resource,
which its Content-Security-Policy forbids as well; ``dir="rtl" lang="ar"``. Every text is escaped
(:func:`html.escape`), and an article's text is shown with :func:`highlight_html`: overlapping
highlights are cut at every boundary, each piece getting the classes of every span that covers it.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

BASE_CSS = """
body { font-family: "Noto Naskh Arabic", "Noto Sans Arabic", "Noto Sans", serif; margin: 2em; line-height: 1.7;
       color: #222; background: #fff; }
h1, h2 { font-weight: 600; }
.ltr { direction: ltr; unicode-bidi: isolate; text-align: left; font-family: "Noto Sans Mono", monospace;
       font-size: 0.85em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
.article { white-space: pre-wrap; border: 1px solid #ccc; padding: 0.8em 1em; background: #fcfcfc; font-size: 1.1em; }
mark { background: none; color: inherit; padding: 0 1px; border-radius: 2px; }
"""


@dataclass(frozen=True)
class Highlight:
    """A stretch of the article to mark: offsets, the CSS classes and a tooltip."""

    start: int
    end: int
    classes: tuple[str, ...]
    title: str


def highlight_html(text: str, marks: Sequence[Highlight]) -> str:
    """The escaped text with ``<mark>`` elements; overlapping marks are split at every boundary."""
    n = len(text)
    marks = [m for m in marks if 0 <= m.start < m.end <= n]
    cuts = sorted({0, n, *(m.start for m in marks), *(m.end for m in marks)})
    parts = []
    for left, right in zip(cuts, cuts[1:]):
        piece = html.escape(text[left:right])
        covering = [m for m in marks if m.start <= left and right <= m.end]
        if not covering:
            parts.append(piece)
            continue
        classes = sorted({c for m in covering for c in m.classes})
        title = "\n".join(dict.fromkeys(m.title for m in covering))
        parts.append(f'<mark class="{html.escape(" ".join(classes))}" title="{html.escape(title)}">{piece}</mark>')
    return "".join(parts)


def page_start(title: str, css: str) -> list[str]:
    """The opening of a page: doctype, right-to-left Arabic, the CSP, the title, the style, the heading."""
    return ['<!DOCTYPE html>', '<html dir="rtl" lang="ar">', '<head>', '<meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f'<title>{html.escape(title)}</title>', f'<style>{BASE_CSS}{css}</style>', '</head>', '<body>',
            f'<h1>{html.escape(title)}</h1>']


def anchor(name: str) -> str:
    """An id attribute value for ``name``, one per name (``a/b`` and ``a_b`` differ): letters, digits and
    ``-`` as they are, any other character as ``_<hex>_``."""
    return "doc-" + "".join(c if c.isalnum() or c == "-" else f"_{ord(c):x}_" for c in name)
