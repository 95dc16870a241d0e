"""khabar ingest on HTML pages: main text, title, page metadata, dropped page furniture, encodings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotation.ingest.html import extract_html
from annotation.ingest.pipeline import ingest
from annotation.io import read_articles

TITLE = "وزير المالية يعلن خطة جديدة لدعم المشروعات"
PARAGRAPHS = [
    "الثلاثاء 5 مارس 2026",
    "أعلن وزير المالية سامر الحداد، اليوم الثلاثاء، عن خطة جديدة لدعم المشروعات الصغيرة بقيمة مليار دينار.",
    "وقال الحداد في مؤتمر صحفي إن \"الخطة ستوفر عشرة آلاف فرصة عمل خلال عامين\".",
    "انتقادات المعارضة",
    "من جهتها، انتقدت كتلة المعارضة الخطة، معتبرة أنها لا تعالج أسباب البطالة.",
]
FURNITURE = ["الرئيسية", "اقتصاد", "رياضة", "وزير المالية خلال المؤتمر الصحفي", "الأكثر قراءة",
             "خبر آخر عن الطقس", "مباراة القمة الليلة", "جميع الحقوق محفوظة © الأفق 2026"]

PAGE = f"""<!DOCTYPE html>
<html lang="ar" dir="rtl"><head><meta charset="utf-8">
<title>{TITLE} | الأفق</title>
<meta property="og:title" content="{TITLE} | الأفق">
<meta property="og:site_name" content="الأفق">
<meta property="article:published_time" content="2026-03-05T10:00:00+02:00">
<link rel="canonical" href="https://ufuq.example/news/0001">
<script>var ads = "لا يظهر";</script>
</head><body>
<header><nav><ul><li><a href="/">الرئيسية</a></li><li><a href="/econ">اقتصاد</a></li>
<li><a href="/sport">رياضة</a></li></ul></nav></header>
<main><article>
<h1>{TITLE}</h1>
<div class="date">{PARAGRAPHS[0]}</div>
<figure><img src="a.jpg"><figcaption>وزير المالية خلال المؤتمر الصحفي</figcaption></figure>
<p>{PARAGRAPHS[1]}</p>
<p>{PARAGRAPHS[2].replace('"', "&quot;")}</p>
<h2>{PARAGRAPHS[3]}</h2>
<p>{PARAGRAPHS[4]}</p>
</article></main>
<aside><h3>الأكثر قراءة</h3><ul><li><a href="/x">خبر آخر عن الطقس</a></li>
<li><a href="/y">مباراة القمة الليلة</a></li></ul></aside>
<footer><p>جميع الحقوق محفوظة © الأفق 2026</p></footer>
</body></html>
"""


def write(folder: Path, name: str, content: str | bytes, meta: dict | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    if meta is not None:
        (folder / (path.stem + ".meta.json")).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return path


def test_html_page_gives_title_paragraphs_and_metadata(tmp_path: Path, khabar) -> None:
    raw = tmp_path / "raw"
    write(raw, "ufuq-0001.html", PAGE, {"source": "الأفق الإخباري"})
    out = tmp_path / "articles.jsonl"
    result = khabar("ingest", raw, "--out", out)
    assert result.exit_code == 0, result.output
    [article] = read_articles(out)
    assert article.id == "ufuq-0001"
    assert article.title == TITLE
    assert article.text == "\n".join([TITLE, *PARAGRAPHS])
    for line in [*FURNITURE, "لا يظهر"]:
        assert line not in article.text
    # the sidecar wins over the page's own metadata; the page fills what the sidecar leaves out
    assert article.source == "الأفق الإخباري"
    assert article.url == "https://ufuq.example/news/0001"
    assert article.published == "2026-03-05T10:00:00+02:00"
    assert article.meta["extractor"] == "trafilatura"
    dropped = [e["line"] for e in article.meta["removed"] if e["reason"] == "html-not-main-text"]
    assert dropped == FURNITURE


def test_page_metadata_without_a_sidecar(tmp_path: Path) -> None:
    write(tmp_path, "p.html", PAGE)
    [article] = ingest([tmp_path]).articles
    assert article.source == "الأفق"


def test_paragraphs_split_by_line_breaks_are_not_doubled() -> None:
    paragraphs = ["قال مسؤول في الدفاع المدني إن انفجارا وقع صباح اليوم في مخزن بميناء المدينة.",
                  "وأضاف أن فرق الإطفاء سيطرت على الحريق بعد ساعتين من العمل المتواصل.",
                  "وأكدت إدارة الميناء أن حركة السفن لم تتأثر بالحادث."]
    page = (f"<html><body><nav>الرئيسية أخبار</nav><div class='article-body'><h1>انفجار في ميناء المدينة</h1>"
            f"<div>{'<br><br>'.join(paragraphs)}</div></div><footer>جميع الحقوق محفوظة</footer></body></html>")
    extracted = extract_html(page)
    assert extracted.title == "انفجار في ميناء المدينة"
    assert extracted.lines == ["انفجار في ميناء المدينة", *paragraphs]


def test_lxml_takes_over_when_trafilatura_finds_nothing() -> None:
    body = "وصل الوفد الرسمي إلى العاصمة صباح اليوم في زيارة تستمر يومين."
    page = (f"<html><body><div class='menu'>الرئيسية</div><table><tr><td>{body}</td></tr></table>"
            f"<div class='footer'>جميع الحقوق محفوظة</div></body></html>")
    extracted = extract_html(page)
    assert (extracted.extractor, extracted.lines) == ("lxml", [body])
    assert extracted.dropped == ["الرئيسية", "جميع الحقوق محفوظة"]


def test_title_from_og_title_when_there_is_no_heading(tmp_path: Path) -> None:
    page = ("<html><head><meta property='og:title' content='عنوان من الوسوم'></head><body><article>"
            "<p>وصل الوفد الرسمي إلى العاصمة صباح اليوم في زيارة تستمر يومين.</p>"
            "<p>وقال رئيس الوفد إن المباحثات ستتناول ملفات عدة.</p></article></body></html>")
    write(tmp_path, "x.htm", page)
    [article] = ingest([tmp_path]).articles
    assert article.title == "عنوان من الوسوم"
    assert article.text.split("\n") == ["عنوان من الوسوم",
                                        "وصل الوفد الرسمي إلى العاصمة صباح اليوم في زيارة تستمر يومين.",
                                        "وقال رئيس الوفد إن المباحثات ستتناول ملفات عدة."]


def test_declared_windows_1256_charset_is_honoured(tmp_path: Path) -> None:
    page = PAGE.replace('<meta charset="utf-8">',
                        '<meta http-equiv="Content-Type" content="text/html; charset=windows-1256">')
    write(tmp_path, "legacy.html", page.replace("©", "(c)").encode("cp1256"))
    [article] = ingest([tmp_path]).articles
    assert article.title == TITLE
    assert PARAGRAPHS[1] in article.text


@pytest.mark.parametrize(("page", "message"), [
    ("<html><body><nav><a href=/>الرئيسية</a></nav><footer>جميع الحقوق محفوظة</footer></body></html>",
     "no article text found in the page"),
    ("<html><body><article><h1>Market update</h1><p>Stocks rose on Monday after the announcement "
     "of new measures by the central bank.</p></article></body></html>", "no Arabic text"),
    (PAGE.replace("utf-8", "x-unknown-charset"), "unknown character encoding 'x-unknown-charset'"),
    (PAGE.encode("utf-8").replace("اقتصاد".encode(), "اقتصاد".encode("cp1256")), "unreadable encoding"),
])
def test_bad_pages_are_named(tmp_path: Path, page: str | bytes, message: str) -> None:
    write(tmp_path, "bad.html", page)
    report = ingest([tmp_path])
    [problem] = report.problems
    assert problem.file == str(tmp_path / "bad.html")
    assert message in problem.message
    assert report.articles == []
