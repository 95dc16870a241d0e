"""khabar ingest: the seed article, normalisation, titles, ids, .jsonl input and every kind of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotation.ingest.cleaning import Removals, clean_lines, masthead_length, split_lines
from annotation.ingest.pipeline import ingest, summary
from annotation.io import read_articles

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "raw" / "000_81ee36451164b183.txt"
SEED_TITLE = "بوتين يقبل دعوة كيم كونج أون لزيارة كوريا الشمالية"
MASTHEAD = ("رئيس مجلسى الإدارة والتحرير", "محمد الباز")
CAPTION = "بويتن وكيم"

STORY = ("وصل وزير الخارجية إلى العاصمة في زيارة رسمية تستمر يومين",
         "وقال الوزير في مؤتمر صحفي إن المباحثات ستتناول التعاون الاقتصادي بين البلدين.",
         "وأضاف أن البلدين سيوقعان عدة اتفاقيات في مجالات الطاقة والنقل.")


def write(folder: Path, name: str, content: str | bytes, meta: dict | None = None) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    if meta is not None:
        (folder / (Path(name).stem + ".meta.json")).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return path


def expected_seed_text() -> str:
    """Independent derivation: content lines of the raw file minus the masthead block and the caption."""
    lines = [line.strip() for line in SEED.read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line.strip()]
    assert lines[:4] == [*MASTHEAD, *MASTHEAD]
    return "\n".join(line for line in lines[4:] if line != CAPTION)


# --- the seed article -------------------------------------------------------------------------------

def test_seed_article_is_cleaned(tmp_path: Path, khabar) -> None:
    out = tmp_path / "articles.jsonl"
    result = khabar("ingest", SEED, "--out", out)
    assert result.exit_code == 0, result.output
    [article] = read_articles(out)
    assert article.id == "000_81ee36451164b183"
    assert article.title == SEED_TITLE
    assert article.text == expected_seed_text()
    assert article.text.split("\n")[0] == SEED_TITLE
    assert "\r" not in article.text and "\u00a0" not in article.text
    for line in (*MASTHEAD, CAPTION):
        assert line not in article.text
    assert "مخاوف من تعاونهما العسكري والتقني" in article.text.split("\n")  # a short subheading stays
    assert (article.source, article.url, article.published, article.lang) == ("الدستور", None, None, "ar")
    removed = article.meta["removed"]
    assert {"line": MASTHEAD[0], "reason": "masthead", "count": 2} in removed
    assert {"line": MASTHEAD[1], "reason": "masthead", "count": 2} in removed
    assert {"line": CAPTION, "reason": "repeated-in-article", "count": 2} in removed
    blank = [e for e in removed if e["reason"] == "blank"]
    assert blank and blank[0]["count"] > 20  # empty and non-breaking-space-only lines
    assert article.meta["group"] == article.id
    assert article.meta["origin"] == SEED.name


def test_seed_with_windows_line_breaks_gives_the_same_text(tmp_path: Path) -> None:
    raw = SEED.read_bytes().replace(b"\n", b"\r\n")
    write(tmp_path / "raw", SEED.name, raw, {"source": "الدستور"})
    [article] = ingest([tmp_path / "raw"]).articles
    assert article.text == expected_seed_text()


# --- normalisation, titles, within-article boilerplate ----------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("عنوان الخبر\r\nالفقرة الأولى\r\n", "عنوان الخبر\nالفقرة الأولى"),
    ("عنوان الخبر\rالفقرة الأولى", "عنوان الخبر\nالفقرة الأولى"),
    ("عنوان الخبر\n\u00a0\n \t \n\nالفقرة الأولى", "عنوان الخبر\nالفقرة الأولى"),
    ("  عنوان   الخبر \t\nالفقرة\u00a0\u00a0الأولى  ", "عنوان الخبر\nالفقرة الأولى"),
    ("\ufeffعنوان\u200f الخبر\nالفقرة\u200b الأولى", "عنوان الخبر\nالفقرة الأولى"),
    ("عنوان الخبر\n***\nالفقرة الأولى", "عنوان الخبر\nالفقرة الأولى"),
    ("ا\u0654علن الوزير\nالفقرة", "أعلن الوزير\nالفقرة"),  # NFC composes alef + hamza above
    ("عنوان الخبر\u2028الفقرة الأولى", "عنوان الخبر\nالفقرة الأولى"),
])
def test_normalisation(raw: str, expected: str) -> None:
    clean = clean_lines(split_lines(raw, Removals()), Removals())
    assert clean is not None
    assert clean.text == expected


@pytest.mark.parametrize(("lines", "title", "body", "reasons"), [
    # masthead block repeated before the title
    (["موقع الخبر", "رئيس التحرير", "موقع الخبر", "رئيس التحرير", "العنوان", "فقرة أولى طويلة", "فقرة ثانية"],
     "العنوان", ["فقرة أولى طويلة", "فقرة ثانية"], {"masthead": 4}),
    # the title repeated later as a photo caption: the first copy is the title
    (["العنوان الطويل للخبر", "فقرة أولى", "العنوان الطويل للخبر", "فقرة ثانية"],
     "العنوان الطويل للخبر", ["فقرة أولى", "فقرة ثانية"], {"title-repeated": 1}),
    # a short caption twice: all copies go; a long paragraph twice: the second copy goes
    (["العنوان", "صورة أرشيفية", "صورة أرشيفية", " ".join(["كلمة"] * 13), "فقرة", " ".join(["كلمة"] * 13)],
     "العنوان", [" ".join(["كلمة"] * 13), "فقرة"], {"repeated-in-article": 2, "duplicate-paragraph": 1}),
    # nothing repeated: the first line is the title
    (["العنوان", "فقرة"], "العنوان", ["فقرة"], {}),
])
def test_titles_and_repeated_lines(lines: list[str], title: str, body: list[str], reasons: dict[str, int]) -> None:
    removals = Removals()
    clean = clean_lines(lines, removals)
    assert clean is not None
    assert (clean.title, list(clean.body)) == (title, body)
    assert dict(removals.by_reason()) == reasons


def test_explicit_title_wins_and_its_copies_are_recorded() -> None:
    removals = Removals()
    clean = clean_lines(["العنوان الرسمي", "فقرة", "العنوان الرسمي"], removals, title="العنوان  الرسمي ")
    assert clean is not None and clean.text == "العنوان الرسمي\nفقرة"
    assert removals.entries() == [{"line": "العنوان الرسمي", "reason": "title-repeated", "count": 1}]


@pytest.mark.parametrize(("lines", "expected"), [
    (["a", "b", "a", "b", "t"], 4),
    (["a", "a", "t", "p"], 2),
    (["t", "p", "t", "q"], 0),
    (["a", "b", "a", "t"], 0),
    (["a", "a"], 0),  # the whole article is never a masthead
])
def test_masthead_length(lines: list[str], expected: int) -> None:
    assert masthead_length(lines) == expected


# --- ids, metadata, .jsonl input, determinism -------------------------------------------------------

def test_ids_metadata_and_stable_output(tmp_path: Path, khabar) -> None:
    raw = tmp_path / "raw"
    write(raw, "b-0002.txt", "\n".join(STORY), {"source": "الأفق", "url": "https://ufuq.example/2",
                                                 "published": "2026-01-02", "section": "سياسة"})
    write(raw, "dump.jsonl", "\n".join([
        json.dumps({"id": "a-0001", "title": "خبر من الأرشيف", "text": "وصلت بعثة الصندوق إلى البلاد.",
                    "source": "صدى"}, ensure_ascii=False),
        "",
        json.dumps({"text": "عنوان بلا معرف\nانطلقت أعمال المؤتمر الدولي للطاقة."}, ensure_ascii=False),
    ]), {"source": "مصدر افتراضي"})
    write(raw, "notes.md", "ملاحظات")
    out1, out2 = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    assert khabar("ingest", raw, "--out", out1).exit_code == 0
    assert khabar("ingest", raw, "--out", out2).exit_code == 0
    assert out1.read_bytes() == out2.read_bytes()
    assert khabar("ingest", raw / ".." / "raw", "--out", out2).exit_code == 0  # another spelling of the folder
    assert out1.read_bytes() == out2.read_bytes()
    articles = read_articles(out1)
    assert [a.id for a in articles] == ["a-0001", "b-0002", "dump-3"]
    a, b, c = articles
    assert (a.title, a.text, a.source) == ("خبر من الأرشيف", "خبر من الأرشيف\nوصلت بعثة الصندوق إلى البلاد.", "صدى")
    assert a.meta["origin"] == "raw/dump.jsonl:1"
    assert (b.title, b.source, b.url, b.published) == (STORY[0], "الأفق", "https://ufuq.example/2", "2026-01-02")
    assert b.meta["sidecar"] == {"section": "سياسة"}
    assert (c.title, c.source) == ("عنوان بلا معرف", "مصدر افتراضي")
    result = khabar("ingest", raw, "--out", out1)
    assert "skipped (not .txt/.html/.htm/.jsonl): 1" in result.output


def test_text_field_option(tmp_path: Path, khabar) -> None:
    write(tmp_path, "d.jsonl", json.dumps({"id": "x", "body": "\n".join(STORY)}, ensure_ascii=False) + "\n")
    out = tmp_path / "a.jsonl"
    assert khabar("ingest", tmp_path / "d.jsonl", "--out", out).exit_code == 1
    result = khabar("ingest", tmp_path / "d.jsonl", "--out", out, "--text-field", "body")
    assert result.exit_code == 0, result.output
    assert read_articles(out)[0].title == STORY[0]


def test_same_id_twice_is_reported(tmp_path: Path) -> None:
    write(tmp_path / "one", "x.txt", "\n".join(STORY))
    write(tmp_path / "two", "x.txt", "عنوان آخر\nنص آخر مختلف تماما.")
    report = ingest([tmp_path / "one", tmp_path / "two"])
    assert [a.id for a in report.articles] == ["x"]
    [problem] = report.problems
    assert problem.where == str(tmp_path / "two" / "x.txt") and "already used by" in problem.message


# --- bad input ---------------------------------------------------------------------------------------

CP1256 = ("عنوان الخبر\nفقرة أولى\n").encode() + "فقرة بترميز ويندوز".encode("cp1256")

BAD_INPUTS = [
    # (file name, content, expected place suffix, expected message fragment)
    ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image.txt", "binary file (a PNG image)"),
    ("nul.txt", "عنوان".encode() + b"\x00\x01\x02" * 20, "nul.txt", "binary file"),
    ("empty.txt", b"", "empty.txt", "empty file"),
    ("blank.html", b"  \n\t\n", "blank.html", "empty file (only whitespace)"),
    ("english.txt", b"Breaking news\nThe minister said on Monday...", "english.txt", "no Arabic text"),
    ("legacy.txt", CP1256, "legacy.txt:3", "unreadable encoding: not utf-8"),
    ("lines.jsonl", b'{"text": "\xd8\xae\xd8\xa8\xd8\xb1"}\n{"text": oops}\n', "lines.jsonl:2", "not valid JSON"),
    ("fields.jsonl", b'{"body": "x"}\n', "fields.jsonl:1", "no 'text' field (missing)"),
    ("types.jsonl", b'{"text": 42}\n', "types.jsonl:1", "no 'text' field (a int, not a string)"),
    ("array.jsonl", b'["text"]\n', "array.jsonl:1", "expected a JSON object"),
    ("latin.jsonl", b'{"text": "news only"}\n', "latin.jsonl:1", "no Arabic text"),
    ("bytes.jsonl", b'{"text": "\xd8\xae"}\n{"text": "\xe1\xe1"}\n', "bytes.jsonl:2", "unreadable encoding"),
    ("page.pdf", b"%PDF-1.7", "page.pdf", "unsupported file type '.pdf'"),
]


@pytest.mark.parametrize(("name", "content", "place", "message"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_each_bad_input_is_named_and_the_rest_is_written(tmp_path: Path, khabar, name: str, content: bytes,
                                                         place: str, message: str) -> None:
    good = write(tmp_path, "good.txt", "\n".join(STORY))
    bad = write(tmp_path, name, content)
    out = tmp_path / "out" / "articles.jsonl"
    result = khabar("ingest", good, bad, "--out", out)
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith(f"error: {tmp_path / place}:")]
    assert len(errors) == 1, result.stderr
    assert message in errors[0]
    assert "Traceback" not in result.output
    # the good lines of a .jsonl file with a bad line are still ingested
    also = [f"{Path(name).stem}-1"] if name in ("lines.jsonl", "bytes.jsonl") else []
    assert [a.id for a in read_articles(out)] == sorted(["good", *also])
    assert f"articles written: {1 + len(also)}" in result.stdout


@pytest.mark.parametrize(("name", "encode"), [
    ("bom8.txt", lambda t: t.encode("utf-8-sig")),
    ("bom16.txt", lambda t: t.encode("utf-16")),  # with its byte order mark
    ("bom8.jsonl", lambda t: json.dumps({"text": t}, ensure_ascii=False).encode("utf-8-sig")),
    ("bom16.jsonl", lambda t: json.dumps({"text": t}, ensure_ascii=False).encode("utf-16")),
])
def test_byte_order_marks_are_read(tmp_path: Path, name: str, encode) -> None:
    write(tmp_path, name, encode("\n".join(STORY)))
    report = ingest([tmp_path])
    assert report.problems == []
    assert [a.text for a in report.articles] == ["\n".join(STORY)]


def test_unreadable_encoding_suggests_windows_1256(tmp_path: Path) -> None:
    write(tmp_path, "legacy.txt", CP1256)
    [problem] = ingest([tmp_path / "legacy.txt"]).problems
    assert problem.where.endswith("legacy.txt:3")
    assert "Windows-1256" in problem.message and "column 1" in problem.message


def test_a_whole_bad_batch_reports_every_file(tmp_path: Path, khabar) -> None:
    raw = tmp_path / "raw"
    write(raw, "good.txt", "\n".join(STORY))
    for name, content, _, _ in BAD_INPUTS:
        write(raw, name, content)
    write(raw, "bad-sidecar.txt", "\n".join(STORY[::-1]))
    (raw / "bad-sidecar.meta.json").write_text('{"source": 7}', encoding="utf-8")
    out = tmp_path / "articles.jsonl"
    result = khabar("ingest", raw, "--out", out)
    assert result.exit_code == 1
    reported = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    # every bad file but page.pdf (a folder only takes raw suffixes: it is listed as skipped) plus the sidecar,
    # then the closing line
    assert len(reported) == len(BAD_INPUTS) - 1 + 1 + 1
    assert any("bad-sidecar.meta.json: field 'source' must be a string" in line for line in reported)
    assert "the other 3 articles were written" in reported[-1]
    assert [a.id for a in read_articles(out)] == ["bytes-1", "good", "lines-1"]


def test_nothing_readable_writes_nothing(tmp_path: Path, khabar) -> None:
    write(tmp_path, "empty.txt", b"")
    out = tmp_path / "articles.jsonl"
    result = khabar("ingest", tmp_path / "empty.txt", tmp_path / "missing", "--out", out)
    assert result.exit_code == 1
    assert f"error: {tmp_path / 'missing'}: no such file or folder" in result.stderr
    assert "no articles ingested" in result.stderr
    assert not out.exists()


def test_output_inside_the_raw_folder_is_refused(tmp_path: Path, khabar) -> None:
    write(tmp_path, "a.txt", "\n".join(STORY))
    result = khabar("ingest", tmp_path, "--out", tmp_path / "sub" / "articles.jsonl")
    assert result.exit_code == 1
    assert "the output would be read as a raw input" in result.stderr
    assert not (tmp_path / "sub").exists()
    assert khabar("ingest", tmp_path, "--out", tmp_path / "articles.json").exit_code == 0  # not a raw suffix


def test_summary_counts(tmp_path: Path) -> None:
    write(tmp_path, "a.txt", "\n".join([*STORY, "صورة", "صورة"]))
    write(tmp_path, "b.txt", "\n".join([*STORY, "صورة", "صورة"]))
    lines = summary(ingest([tmp_path]))
    assert lines[0] == "articles written: 1 (from 2 raw files)"
    assert lines[1] == "exact duplicates dropped: 1: b (same text as a)"
    assert lines[3].startswith("lines removed: 2 (repeated-in-article 2)")
    assert lines[-1] == "problems: 0 in 0 file(s)"


def test_help(khabar) -> None:
    result = khabar("ingest", "--help")
    assert result.exit_code == 0
    for option in ("--out", "--text-field", "--outlet-min-articles", "--outlet-min-share", "--max-repeated-words",
                   "--near-duplicate-threshold"):
        assert option in result.output
    assert khabar("ingest").exit_code == 2
