"""The error report (eval/report.py): errors.jsonl records, highlighting, the HTML page, ``khabar score --report``."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from annotation.io import write_jsonl
from eval.report import Highlight, error_records, highlight_html, highlights, label_chart, render_html, write_report
from eval.scoring.scorer import ScoreConfig, score
from tests.report_pages import CLEAN, GOLD, TEXT, predictions

@pytest.fixture(scope="module")
def run():
    return score([GOLD, CLEAN], predictions(), config=ScoreConfig(bootstrap=20))


@pytest.fixture(scope="module")
def report(run, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    files = write_report(run, out)
    return files, out


# ------------------------------------------------------------------ errors.jsonl

def test_error_records_one_per_error_with_context(report):
    files, out = report
    records = [json.loads(line) for line in (out / "errors.jsonl").read_text(encoding="utf-8").splitlines()]
    assert files.count == len(records)
    got = sorted((r["what"], r["kind"], (r["gold"] or {}).get("text") or "", (r["pred"] or {}).get("text") or "")
                 for r in records)
    assert got == sorted([
        ("entity", "missed", "موسكو", ""),
        ("entity", "missed", "وزارة الخارجية الروسية", ""),
        ("entity", "boundary", "ديمتري بيسكوف", "بيسكوف"),
        ("entity", "label", "فلاديمير بوتين", "فلاديمير بوتين"),
        ("entity", "boundary+label", "كوريا الشمالية", "كوريا"),
        ("entity", "spurious", "", "المحادثات"),
        ("entity", "spurious", "", ""),
        ("claim", "mismatch", "الرئيس فلاديمير بوتين سيزور كوريا الشمالية الشهر المقبل",
         "الرئيس فلاديمير بوتين سيزور كوريا الشمالية الشهر المقبل"),
        ("claim", "missed", "المحادثات ستتناول التعاون", ""),
        ("claim", "spurious", "", "بوتين يزور موسكو"),
    ])
    assert {r["doc"] for r in records} == {"doc<1>"}
    by_kind = {(r["what"], r["kind"]): r for r in records}
    boundary = by_kind[("entity", "boundary")]
    assert boundary["context"]["text"] == "ديمتري بيسكوف"
    assert boundary["context"]["before"].endswith("قال ")
    assert len(boundary["context"]["after"]) == 60
    assert by_kind[("claim", "mismatch")]["wrong"] == ["source"]
    unaligned = [r for r in records if r["kind"] == "spurious" and r["pred"]["start"] is None]
    assert unaligned and unaligned[0]["context"] is None


@pytest.mark.parametrize("start, end, expected", [
    (0, 5, {"before": "", "text": "بوتين", "after": " يزور"}),
    (11, 16, {"before": "يزور ", "text": "موسكو", "after": " <scr"}),
])
def test_error_record_context_window(start, end, expected):
    errors = {"d": [{"what": "entity", "kind": "missed", "gold": {"start": start, "end": end}, "pred": None}]}
    [record] = error_records(errors, {"d": TEXT}, chars=5)
    assert record["context"] == expected


# ------------------------------------------------------------------ highlighting

@pytest.mark.parametrize("text, marks, expected", [
    ("abcdef", [], "abcdef"),
    ("abcdef", [Highlight(1, 3, ("missed",), "t")], 'a<mark class="missed" title="t">bc</mark>def'),
    # nested: the outer span is cut around the inner one, the inner piece has both classes and titles
    ("abcdef", [Highlight(0, 6, ("missed",), "outer"), Highlight(2, 4, ("spurious",), "inner")],
     '<mark class="missed" title="outer">ab</mark><mark class="missed spurious" title="outer\ninner">cd</mark>'
     '<mark class="missed" title="outer">ef</mark>'),
    # crossing spans
    ("abcdef", [Highlight(0, 4, ("boundary", "gold"), "g"), Highlight(2, 6, ("boundary", "pred"), "p")],
     '<mark class="boundary gold" title="g">ab</mark><mark class="boundary gold pred" title="g\np">cd</mark>'
     '<mark class="boundary pred" title="p">ef</mark>'),
    # the same span twice (a label error: gold and predicted extents coincide) and text to escape
    ("<a&b>", [Highlight(0, 5, ("label", "gold"), 'x"y'), Highlight(0, 5, ("label", "pred"), 'x"y')],
     '<mark class="gold label pred" title="x&quot;y">&lt;a&amp;b&gt;</mark>'),
    # out-of-range and empty spans are ignored
    ("abc", [Highlight(2, 9, ("missed",), "t"), Highlight(1, 1, ("missed",), "t")], "abc"),
])
def test_highlight_html(text, marks, expected):
    assert highlight_html(text, marks) == expected


def test_highlights_of_each_kind(run):
    marks = highlights(run.errors["doc<1>"])
    by_text = {}
    for m in marks:
        by_text.setdefault(TEXT[m.start:m.end], set()).update(m.classes)
    assert by_text["موسكو"] == {"missed", "entity", "entity-missed"}
    assert by_text["ديمتري بيسكوف"] == {"boundary", "entity", "entity-boundary", "boundary-gold"}
    assert by_text["بيسكوف"] == {"boundary", "entity", "entity-boundary", "boundary-pred"}
    assert by_text["فلاديمير بوتين"] == {"label", "entity", "entity-label"}
    assert by_text["كوريا الشمالية"] == {"boundary", "label", "entity", "entity-boundary", "entity-label",
                                         "boundary-gold"}
    assert by_text["كوريا"] == {"boundary", "label", "entity", "entity-boundary", "entity-label", "boundary-pred"}
    assert by_text["المحادثات"] == {"spurious", "entity", "entity-spurious"}
    assert by_text["المحادثات ستتناول التعاون"] == {"missed", "claim", "claim-missed"}
    assert by_text["بوتين يزور موسكو"] == {"spurious", "claim", "claim-spurious"}
    assert by_text["الرئيس فلاديمير بوتين سيزور كوريا الشمالية الشهر المقبل"] == {"mismatch", "claim", "claim-mismatch"}


def test_label_chart_has_one_bar_per_defined_label():
    svg = label_chart({"PERS": {"f1": 0.5}, "ORG": {"f1": 1.0}, "<b>": {"f1": None}})
    assert svg.count("<rect") == 2
    assert 'width="160.0"' in svg and 'width="320.0"' in svg
    assert "&lt;b&gt;" in svg and "<b>" not in svg


# ------------------------------------------------------------------ the page

class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_page_is_rtl_self_contained_and_escaped(run, report):
    _, out = report
    page = (out / "report.html").read_text(encoding="utf-8")
    parser = _Tags()
    parser.feed(page)
    tags = [t for t, _ in parser.tags]
    assert ("html", {"dir": "rtl", "lang": "ar"}) in parser.tags
    assert "script" not in tags
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in page
    assert "doc&lt;1&gt;" in page and "doc<1>" not in page
    assert not re.search(r"(src|href)=\"(https?:)?//", page)  # nothing from the network
    assert all(attrs.get("href", "#").startswith("#") for t, attrs in parser.tags if t == "a")
    classes = [attrs.get("class", "") for t, attrs in parser.tags if t == "mark"]
    for kind in ("missed", "spurious", "boundary", "label", "mismatch"):
        assert kind in {c for cls in classes for c in cls.split()}
    per_label = run.summary["entities"]["strict"]["per_label"]
    assert sorted(per_label) == ["DATE", "EVENT", "GPE", "LOC", "NORP", "ORG", "PERS"]
    assert tags.count("rect") == 7  # one bar per label (LOC and EVENT, only predicted, have F1 0)
    assert "clean" not in [attrs.get("id") for t, attrs in parser.tags if t == "section"]


def test_render_html_without_errors_or_labels():
    page = render_html({}, {}, {"documents": 0})
    assert "Documents with errors (0)" in page and "<svg" not in page


# ------------------------------------------------------------------ khabar score --report

def test_score_report_option(khabar, tmp_path):
    write_jsonl(tmp_path / "gold.jsonl", [GOLD, CLEAN])
    write_jsonl(tmp_path / "preds.jsonl", predictions())
    result = khabar("score", tmp_path / "gold.jsonl", tmp_path / "preds.jsonl", "--report", tmp_path / "rep",
                    "--bootstrap", "0")
    assert result.exit_code == 0, result.output
    assert f"report: {tmp_path / 'rep' / 'report.html'} (10 errors" in result.output
    assert len((tmp_path / "rep" / "errors.jsonl").read_text(encoding="utf-8").splitlines()) == 10
    assert "--report" in khabar("score", "--help").output
