"""The error report of a scored run: ``errors.jsonl`` (one error a line) and ``report.html``.

The HTML page is what a reviewer opens in a browser: self-contained (inline CSS and SVG, no
script, no network resource; a Content-Security-Policy forbids both), right-to-left Arabic,
every text escaped. Each document with errors shows its article with the errors highlighted:

- ``missed``: a gold mention or claim that nothing predicted matched (a false negative);
- ``spurious``: a prediction matched to nothing (a false positive);
- ``boundary``: a matched mention with other boundaries (the gold and the predicted extent);
- ``label``: a matched mention with another label;
- ``mismatch``: a matched claim whose source, cue or attributes are wrong.

Highlights may overlap (nested mentions, a boundary error inside a missed claim): the text is
cut at every span boundary and each piece gets the classes of all the spans that cover it:
the kind (styled, as in the legend) and ``entity-<kind>`` / ``claim-<kind>`` and, for boundary
errors, ``boundary-gold`` / ``boundary-pred`` (the gold and the predicted extent).
A per-label chart (inline SVG) shows the strict F1 of each entity label.

Errors come from ``ScoreRun.errors`` (:mod:`eval.scoring.scorer`): per document, dicts with ``what``
(entity, claim), ``kind`` and the ``gold`` and ``pred`` items with offsets.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotation.io import dumps, write_atomic
from eval.html import Highlight, anchor, highlight_html, page_start

CONTEXT_CHARS = 60  # characters of article text on each side of an error in errors.jsonl and the tables
HIGHLIGHT_KINDS = ("missed", "spurious", "boundary", "label", "mismatch")
LEGEND = {
    "missed": "مفقود — missed (gold, not predicted)",
    "spurious": "زائد — spurious (predicted, not in gold)",
    "boundary": "حدود — boundary (matched, other extent)",
    "label": "تسمية — label (same extent, other label)",
    "mismatch": "إسناد — claim mismatch (source, cue or attributes)",
}
CHART_SCHEME = "strict"
_SEVERITY = {"missed": 0, "spurious": 1, "boundary": 2, "boundary+label": 2, "label": 3, "mismatch": 4}


# --------------------------------------------------------------------------- error records

def _offsets(item: Mapping[str, Any] | None) -> tuple[int, int] | None:
    if not item:
        return None
    start, end = item.get("start"), item.get("end")
    if isinstance(start, int) and isinstance(end, int) and 0 <= start < end:
        return start, end
    return None


def context(text: str, start: int, end: int, *, chars: int = CONTEXT_CHARS) -> dict[str, str]:
    """The text around ``[start, end)``: ``before``, ``text`` and ``after`` (at most ``chars`` each side)."""
    start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
    return {"before": text[max(0, start - chars):start], "text": text[start:end], "after": text[end:end + chars]}


def error_records(errors: Mapping[str, Sequence[Mapping[str, Any]]], texts: Mapping[str, str], *,
                  chars: int = CONTEXT_CHARS) -> list[dict[str, Any]]:
    """One record per error: the document, what, kind, the gold and predicted items, and the text around them."""
    out = []
    for doc_id, items in errors.items():
        text = texts.get(doc_id, "")
        for item in items:
            record = {"doc": doc_id, **item}
            extents = [o for o in (_offsets(item.get("gold")), _offsets(item.get("pred"))) if o]
            if extents:
                record["context"] = context(text, min(s for s, _ in extents), max(e for _, e in extents), chars=chars)
            else:
                record["context"] = None  # a prediction that could not be aligned to the text
            out.append(record)
    return out


# --------------------------------------------------------------------------- highlights

def kind_classes(kind: str) -> tuple[str, ...]:
    """The highlight classes of an error kind (``boundary+label`` is both)."""
    return tuple(k for k in kind.split("+") if k in HIGHLIGHT_KINDS)


def _describe(item: Mapping[str, Any] | None) -> str:
    if not item:
        return "—"
    text = item.get("text") or ""
    label = item.get("label")
    where = f"{item['start']}–{item['end']}" if _offsets(item) else "not aligned"
    return f"{label + ' ' if label else ''}«{text}» ({where})"


def _claim_title(error: Mapping[str, Any]) -> str:
    gold, pred = error.get("gold") or {}, error.get("pred") or {}
    lines = [f"claim {error['kind']}"]
    if error.get("wrong"):
        lines.append("wrong: " + ", ".join(error["wrong"]))
        for part in ("source", "cue"):
            if part in error["wrong"]:
                lines.append(f"{part}: gold {_describe(gold.get(part))} / predicted {_describe(pred.get(part))}")
        for attr in error["wrong"]:
            if attr not in ("source", "cue"):
                lines.append(f"{attr}: gold {gold.get(attr)} / predicted {pred.get(attr)}")
    return "\n".join(lines)


def highlights(items: Sequence[Mapping[str, Any]]) -> list[Highlight]:
    """The stretches to mark for one document's errors (unaligned predictions have none)."""
    out = []
    for error in items:
        kind, what = error.get("kind", ""), error.get("what", "entity")
        gold, pred = _offsets(error.get("gold")), _offsets(error.get("pred"))
        if what == "claim":
            title = _claim_title(error)
            classes = (kind, "claim", f"claim-{kind}")
            if kind == "missed" and gold:
                out.append(Highlight(*gold, classes, title))
            elif kind == "spurious" and pred:
                out.append(Highlight(*pred, classes, title))
            elif kind == "mismatch":
                for extent in dict.fromkeys(o for o in (gold, pred) if o):
                    out.append(Highlight(*extent, classes, title))
            continue
        title = f"{kind}: gold {_describe(error.get('gold'))} / predicted {_describe(error.get('pred'))}"
        kinds = kind_classes(kind)
        for role, extent in (("gold", gold), ("pred", pred)):
            if extent:  # a missed error has only a gold item, a spurious one only a predicted item
                roles = (f"boundary-{role}",) if "boundary" in kinds else ()
                out.append(Highlight(*extent, (*kinds, "entity", *(f"entity-{k}" for k in kinds), *roles), title))
    return out


# --------------------------------------------------------------------------- chart

def label_chart(per_label: Mapping[str, Mapping[str, Any]], *, title: str = "F1 per label") -> str:
    """A horizontal bar chart (inline SVG) of each label's F1; undefined F1 gets no bar but a dash."""
    labels = list(per_label)
    row, left, width = 24, 90, 320
    height = row * len(labels) + 30
    bars = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" direction="ltr" role="img" width="{left + width + 60}" '
            f'height="{height}" viewBox="0 0 {left + width + 60} {height}">',
            f'<title>{html.escape(title)}</title>']
    for i, label in enumerate(labels):
        y = 10 + i * row
        f1 = per_label[label].get("f1")
        bars.append(f'<text class="chart-label" x="{left - 8}" y="{y + 15}" text-anchor="end">{html.escape(label)}</text>')
        if f1 is None:
            bars.append(f'<text class="chart-value" x="{left + 4}" y="{y + 15}">–</text>')
            continue
        w = max(0.0, min(1.0, float(f1))) * width
        bars.append(f'<rect class="bar" data-label="{html.escape(label)}" x="{left}" y="{y + 2}" width="{w:.1f}" '
                    f'height="{row - 6}"><title>{html.escape(label)}: F1 {float(f1):.3f}</title></rect>')
        bars.append(f'<text class="chart-value" x="{left + w + 4:.1f}" y="{y + 15}">{float(f1):.2f}</text>')
    bars.append(f'<line class="axis" x1="{left}" y1="6" x2="{left}" y2="{height - 18}"/>')
    bars.append("</svg>")
    return "\n".join(bars)


# --------------------------------------------------------------------------- page

_CSS = """
.summary td, .summary th, table.errors td, table.errors th { padding: 0.2em 0.6em; border-bottom: 1px solid #ddd;
       vertical-align: top; text-align: start; }
.legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 0.6em 1.4em; }
mark.missed { background: #ffc9c9; }
mark.spurious { background: #ffe3a3; }
mark.missed.spurious { background: linear-gradient(#ffc9c9 50%, #ffe3a3 50%); }
mark.boundary { border-bottom: 3px dashed #1f5fbf; }
mark.boundary-pred { border-top: 2px dotted #1f5fbf; }
mark.label { outline: 2px solid #8b3fc7; outline-offset: -1px; }
mark.mismatch { text-decoration: underline wavy #c2185b; text-underline-offset: 4px; }
mark.claim { font-style: italic; }
.chart .bar { fill: #4c78a8; }
.chart { direction: ltr; display: block; }
.chart text { font: 12px "Noto Sans", sans-serif; fill: #222; direction: ltr; }
.chart .axis { stroke: #888; }
.docs a { margin-inline-end: 1em; white-space: nowrap; }
.unaligned { color: #a00; }
.tag { font-family: "Noto Sans", sans-serif; font-size: 0.85em; }
"""


def _summary_rows(result: Mapping[str, Any]) -> list[tuple[str, str]]:
    def value(node: Mapping[str, Any], name: str) -> str:
        v, ci = node.get(name), node.get(f"{name}_ci")
        text = "–" if v is None else f"{v:.3f}"
        return text + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "")

    entities, claims = result.get("entities", {}), result.get("claims", {})
    rows = [(f"entities {scheme} micro F1", value(entities.get(scheme, {}).get("micro", {}), "f1"))
            for scheme in ("strict", "exact", "partial", "type") if scheme in entities]
    rows += [("claims detection F1", value(claims.get("detection", {}), "f1")),
             ("claims source accuracy", value(claims.get("source", {}), "accuracy")),
             ("claims end-to-end F1", value(claims.get("end_to_end", {}), "f1"))]
    return rows


def _describe_html(item: Mapping[str, Any] | None) -> str:
    """An item for the error table, each part isolated so right-to-left text cannot reorder it."""
    if not item:
        return "—"
    out = []
    if item.get("label"):
        out.append(f'<bdi class="tag">{html.escape(str(item["label"]))}</bdi>')
    if item.get("text"):
        out.append(f'«<bdi>{html.escape(item["text"])}</bdi>»')
    extent = _offsets(item)
    out.append(f'<span class="ltr" dir="ltr">{extent[0]}–{extent[1]}</span>' if extent
               else '<span class="unaligned">not aligned</span>')
    return " ".join(out)


def _error_row(error: Mapping[str, Any], text: str) -> str:
    gold, pred = error.get("gold"), error.get("pred")
    extents = [o for o in (_offsets(gold), _offsets(pred)) if o]
    if extents:
        ctx = context(text, min(s for s, _ in extents), max(e for _, e in extents))
        where = (f'{html.escape(ctx["before"])}<mark class="{" ".join(kind_classes(error.get("kind", "")))}">'
                 f'{html.escape(ctx["text"])}</mark>{html.escape(ctx["after"])}')
    else:
        where = '<span class="unaligned">not aligned to the text</span>'
    kind = error.get("kind", "")
    if error.get("wrong"):
        kind += " (" + ", ".join(error["wrong"]) + ")"
    return (f'<tr class="error" data-kind="{html.escape(error.get("kind", ""))}"><td>{html.escape(error.get("what", ""))}'
            f'</td><td>{html.escape(kind)}</td><td>{_describe_html(gold)}</td>'
            f'<td>{_describe_html(pred)}</td><td>{where}</td></tr>')


def render_html(errors: Mapping[str, Sequence[Mapping[str, Any]]], texts: Mapping[str, str],
                result: Mapping[str, Any], *, title: str = "khabar — error report") -> str:
    """The self-contained report page (see the module docstring)."""
    counts = Counter(f"{e.get('what')} {e.get('kind')}" for items in errors.values() for e in items)
    per_label = result.get("entities", {}).get(CHART_SCHEME, {}).get("per_label", {})
    out = page_start(title, _CSS)
    signature = result.get("signature")
    if signature:
        out.append(f'<p>signature: <code class="ltr" dir="ltr">{html.escape(str(signature))}</code></p>')
    out.append('<table class="summary">')
    out.append(f'<tr><th>documents</th><td>{html.escape(str(result.get("documents", len(texts))))}</td></tr>')
    for name, value in _summary_rows(result):
        out.append(f'<tr><th>{html.escape(name)}</th><td class="ltr" dir="ltr">{html.escape(value)}</td></tr>')
    for name, n in sorted(counts.items()):
        out.append(f'<tr><th>{html.escape(name)}</th><td>{n}</td></tr>')
    out.append('</table>')
    out.append('<h2>Legend</h2><ul class="legend">')
    for kind in HIGHLIGHT_KINDS:
        out.append(f'<li><mark class="{kind}">{html.escape(LEGEND[kind])}</mark></li>')
    out.append('</ul>')
    if per_label:
        out.append(f'<h2>F1 per label ({CHART_SCHEME})</h2>')
        out.append(label_chart(per_label, title=f"F1 per label ({CHART_SCHEME})"))
    ordered = sorted(errors, key=lambda d: (-len(errors[d]), d))
    out.append(f'<h2>Documents with errors ({len(ordered)})</h2><p class="docs">')
    out += [f'<a href="#{html.escape(anchor(d))}"><bdi>{html.escape(d)}</bdi> ({len(errors[d])})</a>' for d in ordered]
    out.append('</p>')
    for doc_id in ordered:
        items = sorted(errors[doc_id], key=lambda e: (_SEVERITY.get(e.get("kind", ""), 9), str(e.get("what"))))
        text = texts.get(doc_id, "")
        out.append(f'<section class="doc" id="{html.escape(anchor(doc_id))}">')
        out.append(f'<h2><bdi>{html.escape(doc_id)}</bdi></h2>')
        out.append(f'<div class="article">{highlight_html(text, highlights(items))}</div>')
        out.append('<table class="errors"><tr><th>what</th><th>error</th><th>gold</th><th>predicted</th>'
                   '<th>context</th></tr>')
        out += [_error_row(e, text) for e in items]
        out.append('</table></section>')
    out += ['</body>', '</html>', '']
    return "\n".join(out)


# --------------------------------------------------------------------------- files

@dataclass(frozen=True)
class ReportFiles:
    errors: Path
    html: Path
    count: int


def write_report_files(out_dir: str | Path, errors: Mapping[str, Sequence[Mapping[str, Any]]],
                       texts: Mapping[str, str], result: Mapping[str, Any]) -> ReportFiles:
    """Write ``errors.jsonl`` and ``report.html`` into ``out_dir`` (created), each atomically."""
    out = Path(out_dir)
    records = error_records(errors, texts)
    page = render_html(errors, texts, result)
    write_atomic(out / "errors.jsonl", "".join(dumps(r) + "\n" for r in records))
    write_atomic(out / "report.html", page)
    return ReportFiles(out / "errors.jsonl", out / "report.html", len(records))


def write_report(run: Any, out_dir: str | Path) -> ReportFiles:
    """The report of a ``ScoreRun`` (its ``errors``, gold texts and summary) into ``out_dir``."""
    texts = dict(zip(run.gold.ids, run.gold.texts))
    return write_report_files(out_dir, run.errors, texts, run.summary)
