"""The agreement report as a page a lead opens in a browser (``khabar agreement RECORDS --html FILE``).

Self-contained and right to left as the error report (:mod:`eval.html`: no script, no network
resource, a CSP forbidding both, every text escaped). It holds the tables of ``khabar agreement``
(:func:`eval.cli.agreement_tables.tables`: pairs, annotators, labels, alpha, disputes), then one
section per article with disputed units: the article once per annotator, side by side, each with
that annotator's items in the disputed units highlighted (``mark.disputed``, and ``mark.absent`` on
the extent of a unit the annotator does not have), and the article's disputes with every value.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from annotation.io import write_atomic
from annotation.labelstudio.annotations import annotator_of
from annotation.model import Annotated
from annotation.review.disputes import ABSENT
from annotation.review.records import ArticleRecords, group_articles
from eval.html import Highlight, anchor, highlight_html, page_start

TITLE = "khabar — agreement report"
_CSS = """
td, th { padding: 0.2em 0.6em; border-bottom: 1px solid #ddd; vertical-align: top; text-align: start; }
.versions { display: grid; grid-template-columns: repeat(auto-fit, minmax(18em, 1fr)); gap: 1em; }
.annotator h3 { margin: 0.2em 0; font-size: 1em; }
mark.disputed { background: #ffe3a3; }
mark.disputed.claim { background: #cfe3ff; }
mark.disputed.mention.claim { background: linear-gradient(#ffe3a3 50%, #cfe3ff 50%); }
mark.absent { background: none; outline: 2px dashed #c2185b; outline-offset: -1px; }
"""


def _table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]], css: str) -> list[str]:
    out = [f'<h2>{html.escape(title)}</h2>', f'<table class="{css}"><tr>']
    out += [f'<th>{html.escape(h)}</th>' for h in header]
    out.append('</tr>')
    for row in rows:
        out.append('<tr>' + "".join(f'<td><bdi>{html.escape(c)}</bdi></td>' for c in row) + '</tr>')
    out.append('</table>')
    return out


def _items(record: Annotated, unit: str) -> Sequence[Any]:
    return record.entities if unit == "mention" else record.claims


def annotator_marks(record: Annotated | None, who: str, disputes: Sequence[Mapping[str, Any]]) -> list[Highlight]:
    """The stretches to mark in one annotator's copy of an article: their items in each disputed unit
    (the items of the unit's kind that overlap its extent), or the extent itself where they have none."""
    marks = []
    for d in disputes:
        value = d["values"].get(who, ABSENT)
        title = f"{d['unit']} «{d['text']}»: {d['what']}: {who} {value}"
        items = [] if record is None or value == ABSENT else [
            i for i in _items(record, d["unit"]) if i.start < d["end"] and d["start"] < i.end]
        if not items:
            marks.append(Highlight(d["start"], d["end"], ("disputed", "absent", d["unit"]), title))
        marks += [Highlight(i.start, i.end, ("disputed", d["unit"]), title) for i in items]
    return marks


def _article(art: ArticleRecords, annotators: Sequence[str], disputes: Sequence[Mapping[str, Any]]) -> list[str]:
    urls = sorted({u for d in disputes for u in d.get("urls", [])})
    out = [f'<section class="doc" id="{html.escape(anchor(art.id))}">', f'<h2><bdi>{html.escape(art.id)}</bdi></h2>']
    if urls:
        out.append('<p>' + " ".join(f'<a href="{html.escape(u)}" class="ltr" dir="ltr">{html.escape(u)}</a>'
                                    for u in urls) + '</p>')
    out.append('<div class="versions">')
    for who in annotators:
        if who not in art.records:
            continue
        marks = annotator_marks(art.records[who], who, disputes)
        out.append(f'<div class="annotator" data-annotator="{html.escape(who)}"><h3><bdi>{html.escape(who)}</bdi></h3>'
                   f'<div class="article">{highlight_html(art.text, marks)}</div></div>')
    out.append('</div>')
    names = [a for a in annotators if a in art.records]
    rows = [[d["unit"], d["text"], d["what"], *(d["values"].get(n, "") for n in names)] for d in disputes]
    out += _table(f"{len(rows)} disputed unit(s)", ["unit", "text", "disputed", *names], rows, "disputes")
    out.append('</section>')
    return out


def render_agreement_html(report: Mapping[str, Any], records: Sequence[Annotated]) -> str:
    """The page of an agreement report (:func:`annotation.review.agreement.agreement_report`) over ``records``
    (the annotators' records it was computed from; others are left out as the report left them)."""
    from eval.cli.agreement_tables import tables

    annotators = list(report["annotators"])
    kept = [r for r in records if not r.annotation.get("review") and annotator_of(r.annotation) in annotators]
    articles = {art.id: art for art in group_articles(kept)[0]}
    out = page_start(TITLE, _CSS)
    out.append(f'<p>records: {report["records"]}; annotators: {len(annotators)} '
               f'(<bdi>{html.escape(", ".join(annotators))}</bdi>); tasks: {report["tasks"]["total"]}, '
               f'{report["tasks"]["compared"]} with two annotators or more</p>')
    for title, header, rows in tables(dict(report)):
        out += _table(title, header, rows, "figures")
    disputed = sorted({d["id"] for d in report["disputes"]})
    out.append(f'<h2>Articles with disputed units ({len(disputed)})</h2><p class="docs">')
    out += [f'<a href="#{html.escape(anchor(a))}"><bdi>{html.escape(a)}</bdi></a>' for a in disputed]
    out.append('</p>')
    for art_id in disputed:
        if art_id in articles:
            out += _article(articles[art_id], annotators, [d for d in report["disputes"] if d["id"] == art_id])
    out += [f'<p>note: {html.escape(n)}</p>' for n in report["notes"]]
    out += ['</body>', '</html>', '']
    return "\n".join(out)


def write_agreement_html(path: str | Path, report: Mapping[str, Any], records: Sequence[Annotated]) -> Path:
    """Write the page atomically; returns its path."""
    write_atomic(Path(path), render_agreement_html(report, records))
    return Path(path)
