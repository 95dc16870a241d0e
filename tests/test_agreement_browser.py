"""The HTML agreement report (``khabar agreement --html``) as a lead sees it, in headless Chromium
(Debian's, through playwright: the ``browser`` fixture of conftest.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from annotation.io import write_jsonl
from annotation.model import Article, Annotated, Claim, Mention

INJECTED = "<script>window.__pwned = 1</script>"
TEXT = f"قال المتحدث {INJECTED} إن بوتين سيزور كوريا الشمالية الشهر المقبل."
CONTENT = "بوتين سيزور كوريا الشمالية"
ANNOTATORS = ("a@x.org", "b@x.org", "c@x.org")


def _mention(needle: str, label: str) -> Mention:
    start = TEXT.index(needle)
    return Mention(label=label, start=start, end=start + len(needle), text=needle)


def _claim(claim_type: str) -> Claim:
    start = TEXT.index(CONTENT)
    return Claim(start=start, end=start + len(CONTENT), text=CONTENT, source=None, cue=None, attribution="none",
                 claim_type=claim_type, check_worthy=True)


def _record(who: str, entities: list[Mention], claims: list[Claim]) -> Annotated:
    article = Article(id="doc<1>", text=TEXT, title="قال المتحدث")
    return Annotated(article=article, entities=tuple(replace(m, id=f"e{i}") for i, m in enumerate(entities, 1)),
                     claims=tuple(replace(c, id=f"c{i}") for i, c in enumerate(claims, 1)),
                     annotation={"annotator": who, "task": 7, "annotation_id": ANNOTATORS.index(who) + 1,
                                 "project": 3, "updated_at": "2025-01-01T00:00:00Z"})


RECORDS = [  # كوريا الشمالية: GPE, LOC, absent; the claim: prediction, opinion, absent
    _record(ANNOTATORS[0], [_mention("بوتين", "PERS"), _mention("كوريا الشمالية", "GPE")], [_claim("prediction")]),
    _record(ANNOTATORS[1], [_mention("بوتين", "PERS"), _mention("كوريا الشمالية", "LOC")], [_claim("opinion")]),
    _record(ANNOTATORS[2], [_mention("بوتين", "PERS")], []),
]


@pytest.fixture(scope="module")
def page(browser, tmp_path_factory):
    from click.testing import CliRunner

    from eval.cli import cli

    out = tmp_path_factory.mktemp("agreement")
    write_jsonl(out / "records.jsonl", [r.to_dict() for r in RECORDS])
    result = CliRunner().invoke(cli, ["agreement", str(out / "records.jsonl"), "--html", str(out / "agreement.html"),
                                      "--url", "http://127.0.0.1:8080"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto((out / "agreement.html").as_uri())
    page.wait_for_load_state("load")
    page.requests = requests  # type: ignore[attr-defined]
    yield page
    page.close()


def marks(page, selector: str) -> list[str]:
    return page.eval_on_selector_all(selector, "els => els.map(e => e.textContent)")


def column(who: str) -> str:
    return f'.doc .annotator[data-annotator="{who}"]'


def test_page_is_right_to_left(page):
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("getComputedStyle(document.querySelector('.doc .article')).direction") == "rtl"
    assert page.title() == "khabar — agreement report"


def test_each_annotator_side_by_side_with_the_disputed_spans_highlighted(page):
    assert page.eval_on_selector_all(".doc .annotator", "els => els.map(e => e.dataset.annotator)") == list(ANNOTATORS)
    boxes = page.eval_on_selector_all(".doc .annotator", "els => els.map(e => e.getBoundingClientRect().toJSON())")
    assert len({round(b["top"]) for b in boxes}) == 1 and len({round(b["left"]) for b in boxes}) == 3   # one row
    assert boxes[0]["left"] > boxes[1]["left"] > boxes[2]["left"]   # right to left: the first annotator rightmost
    a, b, c = (column(who) for who in ANNOTATORS)
    assert marks(page, f"{a} mark.disputed.mention") == ["كوريا الشمالية"]
    assert "".join(marks(page, f"{b} mark.disputed.claim")) == CONTENT
    assert "label: b@x.org LOC" in page.get_attribute(f"{b} mark.disputed.mention", "title")
    # c has neither: the extent of each unit is marked as absent, and بوتين (agreed) is not marked at all
    assert marks(page, f"{c} mark.absent.mention") == ["كوريا الشمالية"]
    assert "".join(marks(page, f"{c} mark.absent")).count("بوتين") == 1   # inside the absent claim only
    assert "بوتين" not in marks(page, f"{a} mark.mention")
    rows = page.eval_on_selector_all(".doc table.disputes tr", "els => els.slice(1).map(e => e.cells[2].textContent)")
    assert sorted(rows) == ["claim_type", "label", "presence", "presence"]
    background = page.eval_on_selector(f"{a} mark.disputed.mention", "e => getComputedStyle(e).backgroundImage")
    assert background.startswith("linear-gradient")   # the mention inside the disputed claim: both colours


def test_injected_script_is_shown_not_run(page):
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.evaluate("document.querySelectorAll('script').length") == 0
    assert INJECTED in page.inner_text(f"{column(ANNOTATORS[0])} .article")
    assert page.inner_text(".doc h2") == "doc<1>"


def test_nothing_is_fetched_from_anywhere(page):
    assert [url for url in page.requests if not url.startswith("file://")] == []
    assert page.get_attribute(".doc a.ltr", "href") == "http://127.0.0.1:8080/projects/3/data?task=7"


def test_the_figures_tables_are_there(page):
    headers = page.eval_on_selector_all("h2", "els => els.map(e => e.textContent)")
    assert any(h.startswith("agreement per pair of annotators") for h in headers)
    assert any(h.startswith("Krippendorff") for h in headers)
