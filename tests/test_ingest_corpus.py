"""khabar ingest across a corpus: outlet boilerplate, exact duplicates, near-duplicate story groups."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotation.gold.dataset import split_by_group
from annotation.ingest.dedup import NEAR_DUPLICATE_THRESHOLD, containment, exact_duplicates, groups, shingles, similar_pairs
from annotation.ingest.pipeline import ingest
from annotation.io import read_articles
from annotation.model import Annotated

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "raw" / "000_81ee36451164b183.txt"

# The seed story as a second outlet might rewrite it: shared names, figures and quotes, few long runs.
SEED_REWRITE = """كيم يدعو بوتين لزيارة بيونج يانج والكرملين يرحب
قالت وسائل إعلام رسمية في كوريا الشمالية، الخميس، إن الزعيم كيم جونج أون دعا الرئيس الروسي فلاديمير بوتين إلى زيارة البلاد في وقت مناسب.
وذكرت وكالة الأنباء المركزية الكورية الشمالية أن الرئيس بوتين "قبل الدعوة بكل سرور وأعرب مرة أخرى عن رغبته في مواصلة العلاقات التاريخية بين البلدين".
وكان المتحدث باسم الكرملين ديمتري بيسكوف قد قال عقب القمة إنه لا توجد حاليًا خطط لزيارة الرئيس بوتين لكوريا الشمالية.
وعقد الزعيمان قمتهما في قاعدة فوستوشني الفضائية شرقي روسيا، وتعهد كيم خلالها بالدعم الكامل لموسكو.
وتخشى عواصم غربية من أن يمهد التقارب بين البلدين لصفقة أسلحة تنتهك قرارات مجلس الأمن الدولي."""

# Same topic as the seed, a different story.
LAVROV = """لافروف يصل إلى بيونج يانج في زيارة رسمية
وصل وزير الخارجية الروسي سيرجي لافروف إلى العاصمة الكورية الشمالية بيونج يانج، اليوم الأربعاء، في زيارة تستمر يومين.
وقالت وزارة الخارجية الروسية إن لافروف سيبحث مع نظيرته الكورية الشمالية تشوي سون هي سبل تعزيز التعاون بين البلدين.
وتأتي الزيارة بعد أسابيع من القمة التي جمعت الرئيس الروسي فلاديمير بوتين والزعيم الكوري الشمالي كيم جونج أون.
وأعربت الولايات المتحدة وكوريا الجنوبية عن قلقهما من تنامي التعاون العسكري بين موسكو وبيونج يانج."""

FINANCE = """وزير المالية يعلن خطة جديدة لدعم المشروعات الصغيرة
أعلن وزير المالية سامر الحداد، اليوم الثلاثاء، عن خطة جديدة لدعم المشروعات الصغيرة بقيمة مليار دينار.
وقال الحداد في مؤتمر صحفي إن الخطة ستوفر عشرة آلاف فرصة عمل خلال عامين.
من جهتها، انتقدت كتلة المعارضة الخطة، معتبرة أنها لا تعالج أسباب البطالة."""

# FINANCE rewritten by another outlet, with Arabic-Indic digits where the first has words.
FINANCE_REWRITE = """مليار دينار لدعم المشروعات الصغيرة
كشف وزير المالية سامر الحداد الثلاثاء عن خطة حكومية بقيمة مليار دينار لدعم المشروعات الصغيرة والمتوسطة.
وأوضح الوزير خلال مؤتمر صحفي أن الخطة ستوفر عشرة آلاف فرصة عمل خلال عامين، على أن يبدأ تنفيذها مطلع الشهر المقبل.
في المقابل، رأت كتلة المعارضة في البرلمان أن الخطة لا تعالج أسباب البطالة الحقيقية."""

# Same topic as FINANCE, a different story.
BUDGET = """البرلمان يناقش موازنة العام المقبل
بدأ مجلس النواب، اليوم الأحد، مناقشة مشروع الموازنة العامة للعام المقبل الذي قدمه وزير المالية سامر الحداد.
وقال رئيس لجنة المالية في المجلس إن العجز المتوقع يبلغ ثلاثة مليارات دينار، مطالبا الحكومة بخفض النفقات.
وانتقدت كتلة المعارضة مشروع الموازنة، معتبرة أنه يحمل المواطنين أعباء ضريبية جديدة."""

PORT = """انفجار في ميناء المدينة يصيب خمسة عمال
قال مسؤول في الدفاع المدني إن انفجارا وقع صباح اليوم في مخزن بميناء المدينة، مما أسفر عن إصابة خمسة عمال.
وأضاف أن فرق الإطفاء سيطرت على الحريق بعد ساعتين من العمل المتواصل، وأن التحقيقات جارية لمعرفة أسبابه.
وأكدت إدارة الميناء أن حركة السفن لم تتأثر بالحادث."""

FOOTER = "جميع الحقوق محفوظة لموقع الأفق 2026"
MASTHEAD = "الأفق | أخبار العالم"


def write(folder: Path, name: str, text: str, source: str | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    if source is not None:
        (folder / (Path(name).stem + ".meta.json")).write_text(json.dumps({"source": source}, ensure_ascii=False),
                                                             encoding="utf-8")


def seed_text() -> str:
    [article] = ingest([SEED]).articles
    return article.text


# --- the near-duplicate measure ---------------------------------------------------------------------

def jaccard_5(a: str, b: str) -> float:
    x, y = shingles(a, size=5), shingles(b, size=5)
    return len(x & y) / len(x | y)


@pytest.mark.parametrize(("a", "b", "same_story"), [
    ("seed", SEED_REWRITE, True),
    (FINANCE, FINANCE_REWRITE, True),
    ("seed", LAVROV, False),
    (SEED_REWRITE, LAVROV, False),
    (FINANCE, BUDGET, False),
    (FINANCE_REWRITE, BUDGET, False),
    ("seed", PORT, False),
    (FINANCE, PORT, False),
])
def test_containment_separates_rewrites_from_other_stories(a: str, b: str, same_story: bool) -> None:
    a = seed_text() if a == "seed" else a
    score = containment(shingles(a), shingles(b))
    if same_story:
        assert score >= NEAR_DUPLICATE_THRESHOLD + 0.05
        # why not word 5-gram Jaccard at 0.3: rewritten stories share too few long runs
        assert jaccard_5(a, b) < 0.1
    else:
        assert score < NEAR_DUPLICATE_THRESHOLD - 0.1


def test_shingles_fold_digits_and_letter_forms() -> None:
    assert shingles("بلغ العجز ٦٣٠ مليون دينار") == shingles("بلغ العجز 630 مليون دينار")
    assert shingles("إلى المدينة القديمة") == shingles("الى المدينه القديمه")
    assert shingles("") == set()


def test_groups_are_connected_components_named_by_their_smallest_id() -> None:
    ids = ["d", "c", "b", "a", "e"]
    assert groups(ids, [("c", "d"), ("b", "d")]) == {"a": "a", "b": "b", "c": "b", "d": "b", "e": "e"}
    texts = {"x": SEED_REWRITE, "y": LAVROV, "z": SEED_REWRITE.replace("الخميس", "الجمعة")}
    assert list(similar_pairs(texts)) == [("x", "z")]
    assert exact_duplicates({"b": "t", "a": "t", "c": "u", "d": "t"}) == {"b": "a", "d": "a"}


def test_stock_phrases_shared_by_many_articles_do_not_make_a_story() -> None:
    stock = "وقال في تصريح صحفي إن الوضع مستقر تماما"
    texts = {"a": f"{FINANCE}\n{stock}", "b": f"{PORT}\n{stock}", "c": f"{LAVROV}\n{stock}",
             "d": f"{FINANCE_REWRITE}\n{stock}"}
    # with a low threshold, the shared stock line alone links every pair...
    assert len(similar_pairs(texts, threshold=0.05)) == 6
    # ...unless a phrase in more than `common` articles is no evidence: then only the real pair remains
    assert list(similar_pairs(texts, threshold=0.05, common=2)) == [("a", "d")]


# --- outlet boilerplate -----------------------------------------------------------------------------

def test_lines_recurring_across_an_outlet_are_removed(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    for i, story in enumerate((FINANCE, PORT, LAVROV), start=1):
        title, body = story.split("\n", 1)
        write(raw, f"ufuq-{i}.txt", f"{MASTHEAD}\n{title}\n{body}\n{FOOTER}\n", "الأفق")
    # another outlet that quotes the same footer line once keeps it
    write(raw, "other-1.txt", f"{BUDGET}\n{FOOTER}", "صدى")
    report = ingest([raw])
    by_id = {a.id: a for a in report.articles}
    for i, story in enumerate((FINANCE, PORT, LAVROV), start=1):
        article = by_id[f"ufuq-{i}"]
        assert article.text == story
        assert article.title == story.split("\n")[0]
        assert {"line": FOOTER, "reason": "outlet-boilerplate", "count": 1} in article.meta["removed"]
        assert {"line": MASTHEAD, "reason": "outlet-boilerplate", "count": 1} in article.meta["removed"]
    assert by_id["other-1"].text == f"{BUDGET}\n{FOOTER}"
    assert report.boilerplate == {"الأفق": sorted([FOOTER, MASTHEAD])}
    assert report.removed["outlet-boilerplate"] == 6


@pytest.mark.parametrize(("options", "removed"), [
    ({}, True),  # 3 of 4 articles: at least OUTLET_MIN_ARTICLES
    ({"outlet_min_articles": 4}, True),  # 75% ≥ 50%
    ({"outlet_min_articles": 4, "outlet_min_share": 0.8}, False),
])
def test_outlet_thresholds(tmp_path: Path, options: dict, removed: bool) -> None:
    for i, story in enumerate((FINANCE, PORT, LAVROV, BUDGET)):
        write(tmp_path, f"a-{i}.txt", story + (f"\n{FOOTER}" if i < 3 else ""), "الأفق")
    report = ingest([tmp_path], **options)
    assert all((FOOTER in a.text) != removed for a in report.articles if a.id != "a-3")


def test_two_articles_of_an_outlet_share_half(tmp_path: Path, khabar) -> None:
    raw = tmp_path / "raw"
    write(raw, "a.txt", f"{FINANCE}\n{FOOTER}", "الأفق")
    write(raw, "b.txt", f"{PORT}\n{FOOTER}", "الأفق")
    out = tmp_path / "out.jsonl"
    assert khabar("ingest", raw, "--out", out).exit_code == 0
    assert [a.text for a in read_articles(out)] == [FINANCE, PORT]  # 2 of 2 articles
    write(raw, "c.txt", BUDGET, "الأفق")  # now 2 of 3: still at least half
    assert khabar("ingest", raw, "--out", out).exit_code == 0
    assert [a.text for a in read_articles(out)] == [FINANCE, PORT, BUDGET]
    assert khabar("ingest", raw, "--out", out, "--outlet-min-share", "1.0").exit_code == 0
    assert [a.text for a in read_articles(out)] == [f"{FINANCE}\n{FOOTER}", f"{PORT}\n{FOOTER}", BUDGET]


def test_two_versions_of_one_story_from_one_outlet_keep_their_paragraphs(tmp_path: Path) -> None:
    updated = SEED_REWRITE + "\nوأكد الكرملين لاحقا أن موعد الزيارة لم يحدد بعد."
    write(tmp_path, "v1.txt", f"{SEED_REWRITE}\n{FOOTER}", "الأفق")
    write(tmp_path, "v2.txt", f"{updated}\n{FOOTER}", "الأفق")
    write(tmp_path, "v3.txt", f"{PORT}\n{FOOTER}", "الأفق")
    by_id = {a.id: a for a in ingest([tmp_path]).articles}
    assert by_id["v1"].text == SEED_REWRITE
    assert by_id["v2"].text == updated
    assert by_id["v3"].text == PORT
    assert by_id["v1"].meta["group"] == by_id["v2"].meta["group"] == "v1"
    assert by_id["v3"].meta["group"] == "v3"


# --- exact duplicates and story groups --------------------------------------------------------------

def test_exact_duplicates_are_dropped_and_recorded(tmp_path: Path, khabar) -> None:
    raw = tmp_path / "raw"
    write(raw, "b.txt", PORT.replace("\n", "\r\n\u00a0\r\n"))  # same clean text, different bytes
    write(raw, "a.txt", PORT)
    write(raw, "c.jsonl", json.dumps({"id": "c", "text": PORT}, ensure_ascii=False))
    write(raw, "d.txt", FINANCE)
    out = tmp_path / "out.jsonl"
    result = khabar("ingest", raw, "--out", out)
    assert result.exit_code == 0
    articles = read_articles(out)
    assert [a.id for a in articles] == ["a", "d"]
    assert articles[0].meta["duplicates"] == ["b", "c"]
    assert "duplicates" not in articles[1].meta
    assert "exact duplicates dropped: 2: b (same text as a), c (same text as a)" in result.stdout


def test_near_duplicates_share_a_group_and_a_split(tmp_path: Path) -> None:
    write(tmp_path, "ufuq-1.txt", SEED_REWRITE, "الأفق")
    write(tmp_path, "ufuq-2.txt", FINANCE, "الأفق")
    write(tmp_path, "sada-1.txt", FINANCE_REWRITE, "صدى")
    write(tmp_path, "sada-2.txt", PORT, "صدى")
    write(tmp_path, "sada-3.txt", LAVROV, "صدى")
    report = ingest([tmp_path, SEED])
    group = {a.id: a.meta["group"] for a in report.articles}
    assert group == {"000_81ee36451164b183": "000_81ee36451164b183", "sada-1": "sada-1", "sada-2": "sada-2",
                     "sada-3": "sada-3", "ufuq-1": "000_81ee36451164b183", "ufuq-2": "sada-1"}
    near = {a.id: a.meta.get("near_duplicates") for a in report.articles}
    assert set(near["ufuq-2"]) == {"sada-1"} and near["ufuq-2"]["sada-1"] >= NEAR_DUPLICATE_THRESHOLD
    assert near["sada-2"] is None
    docs = [Annotated(article=a) for a in report.articles]
    for seed in range(20):
        split = {d.id: name for name, part in split_by_group(docs, seed=seed).items() for d in part}
        assert split["ufuq-1"] == split["000_81ee36451164b183"]
        assert split["ufuq-2"] == split["sada-1"]


def test_near_duplicate_threshold_option(tmp_path: Path, khabar) -> None:
    raw = tmp_path / "raw"
    write(raw, "a.txt", FINANCE)
    write(raw, "b.txt", FINANCE_REWRITE)
    out = tmp_path / "out.jsonl"
    assert khabar("ingest", raw, "--out", out, "--near-duplicate-threshold", "0.9").exit_code == 0
    assert [a.meta["group"] for a in read_articles(out)] == ["a", "b"]
    assert khabar("ingest", raw, "--out", out).exit_code == 0
    assert [a.meta["group"] for a in read_articles(out)] == ["a", "a"]
