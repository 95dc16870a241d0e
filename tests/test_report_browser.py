"""The HTML error report as a reviewer sees it, in a real headless browser (Debian's chromium via playwright).

Needs ``/usr/bin/chromium`` (``apt-get install -y chromium fonts-noto-core``; ``dev.py test`` installs
it when it can). Without it the tests skip, and fail when the environment variable CI is set (the
``browser`` fixture of conftest.py).
"""

from __future__ import annotations

import pytest

from eval.report import write_report
from eval.scoring.scorer import ScoreConfig, score
from tests.report_pages import CLEAN, GOLD, predictions

@pytest.fixture(scope="module")
def page(browser, tmp_path_factory):
    out = tmp_path_factory.mktemp("browser")
    run = score([GOLD, CLEAN], predictions(), config=ScoreConfig(bootstrap=20))
    files = write_report(run, out)
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(files.html.as_uri())
    page.wait_for_load_state("load")
    page.requests = requests  # type: ignore[attr-defined]
    page.out = out  # type: ignore[attr-defined]
    yield page
    page.close()


def marks(page, selector: str) -> list[str]:
    return page.eval_on_selector_all(selector, "els => els.map(e => e.textContent)")


def test_page_is_right_to_left_arabic(page):
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("document.documentElement.lang") == "ar"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    assert page.title() == "khabar — error report"


def test_injected_script_is_shown_not_run(page):
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.evaluate("document.querySelectorAll('script').length") == 0
    assert "<script>window.__pwned = 1</script>" in page.inner_text(".doc .article")
    assert page.inner_text(".doc h2") == "doc<1>"


def test_nothing_is_fetched_from_anywhere(page):
    assert [url for url in page.requests if not url.startswith("file://")] == []


def test_highlighted_text_of_each_kind(page):
    article = ".doc .article mark"
    assert marks(page, f"{article}.entity-missed") == ["موسكو", "وزارة الخارجية الروسية"]
    assert marks(page, f"{article}.entity-spurious") == ["المحادثات"]
    assert marks(page, f"{article}.boundary-gold") == ["ديمتري ", "بيسكوف", "كوريا", " الشمالية"]
    assert marks(page, f"{article}.boundary-pred") == ["بيسكوف", "كوريا"]
    assert marks(page, f"{article}.entity-label") == ["فلاديمير بوتين", "كوريا", " الشمالية"]
    assert "".join(marks(page, f"{article}.claim-mismatch")) == "الرئيس فلاديمير بوتين سيزور كوريا الشمالية الشهر المقبل"
    assert "".join(marks(page, f"{article}.claim-missed")) == "المحادثات ستتناول التعاون"
    assert "".join(marks(page, f"{article}.claim-spurious")) == "بوتين يزور موسكو"
    # overlapping highlights: the spurious mention inside the missed claim carries both kinds
    assert marks(page, f"{article}.claim-missed.entity-spurious") == ["المحادثات"]
    assert marks(page, f"{article}.claim-spurious.entity-missed") == ["موسكو"]
    styles = page.eval_on_selector_all(f"{article}.entity-missed", "els => els.map(e => [getComputedStyle(e)"
                                       ".backgroundColor, getComputedStyle(e).backgroundImage])")
    assert styles[1] == ["rgb(255, 201, 201)", "none"]  # missed only
    assert styles[0][1].startswith("linear-gradient(rgb(255, 201, 201)")  # missed inside a spurious claim: both colours
    tooltip = page.get_attribute(f"{article}.boundary-pred", "title")
    assert tooltip.startswith("boundary: gold PERS «ديمتري بيسكوف»")


def test_legend(page):
    assert page.eval_on_selector_all(".legend mark", "els => els.map(e => e.className)") == [
        "missed", "spurious", "boundary", "label", "mismatch"]
    assert all(text.strip() for text in marks(page, ".legend mark"))


def test_chart_bars(page):
    bars = page.eval_on_selector_all(
        "svg.chart rect.bar", "els => els.map(e => [e.dataset.label, e.getBoundingClientRect().width])")
    assert [label for label, _ in bars] == ["DATE", "EVENT", "GPE", "LOC", "NORP", "ORG", "PERS"]
    widths = dict(bars)
    assert widths["DATE"] == pytest.approx(320, abs=1) and widths["ORG"] == pytest.approx(160, abs=1)
    assert widths["LOC"] == 0
    # the labels sit left of the bars although the page is right-to-left
    label_right = page.evaluate("Math.max(...[...document.querySelectorAll('svg.chart .chart-label')]"
                                ".map(e => e.getBoundingClientRect().right))")
    bar_left = page.evaluate("document.querySelector('svg.chart rect.bar').getBoundingClientRect().left")
    assert label_right <= bar_left


def test_error_table_and_screenshot(page):
    rows = page.eval_on_selector_all("table.errors tr.error", "els => els.map(e => e.dataset.kind)")
    assert len(rows) == 10 and rows[0] == "missed"
    path = page.out / "report.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 20_000
