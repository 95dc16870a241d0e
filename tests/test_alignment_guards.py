"""What a near match may not change (numbers, anchor words, word order), what it may (a dropped or
replaced word of a claim, one typo in a short string), and the edges it keeps."""

from __future__ import annotations

import pytest

from annotation.model import Claim, Mention, Prediction
from eval.inputs.alignment import AlignConfig, AlignReport, align_prediction
from eval.inputs.alignment.guards import compatible, one_edit_inside

TEXT = (
    "أكدت الوزارة أن 20 ألف درهم خصصت لإعادة بناء المدارس مع بداية العام الجاري.\n"
    "وأوضح المتحدث أن الأشغال انطلقت فجر اليوم الثلاثاء في الحي القديم، بعد أحداث أيلول الأسود عام ( 1970 ) "
    "التي دمرت جزءا منه.\n"
    "ووقعت الحادثة الأولى في 17 / 12 / 1941 بحسب السجلات، وسيصل وفد رسمي إلى المدينة من عام 2026 للمتابعة.\n"
    "وقال رئيس البلدية إن المشروع سيكتمل قبل نهاية الصيف المقبل بدعم من الحكومة المركزية"
)


def _entity(needle: str, text: str = TEXT, config: AlignConfig = AlignConfig()) -> tuple[Mention, AlignReport]:
    report = AlignReport()
    out = align_prediction(Prediction("doc", entities=(Mention("DATE", text=needle),)), text, config, report)
    return out.entities[0], report


def _claim(needle: str, text: str = TEXT) -> tuple[Claim, AlignReport]:
    report = AlignReport()
    out = align_prediction(Prediction("doc", claims=(Claim(text=needle),)), text, AlignConfig(), report)
    return out.claims[0], report


# Strings that are not in the article, each a near neighbour of a stretch that is: never aligned.
NEGATIVES = [
    ("5 / 12 / 1948", "changed numbers in a date"),
    ("17 / 12 / 1948", "one number of a date changed"),
    ("250 ألف دينار", "another amount in another currency"),
    ("250 ألف درهم", "a changed amount"),
    ("20 ألف دينار", "another currency"),
    ("منتصف عام 2024", "another year and an anchor word the text lacks"),
    ("منتصف عام 2026", "an anchor word the text lacks («من عام 2026»)"),
    ("نهاية العام الجاري", "end for start"),
    ("اليوم فجر الثلاثاء", "the right words in another order"),
    ("فجر اليوم الأربعاء", "another day"),
]

CLAIM_NEGATIVES = [
    ("أن 25 ألف درهم خصصت لإعادة بناء المدارس مع بداية العام الجاري", "a changed number in a claim"),
    ("الأشغال انطلقت فجر الثلاثاء اليوم في الحي القديم", "two words swapped in a claim"),
    ("المشروع سيكتمل بعد نهاية الصيف المقبل بدعم من الحكومة المركزية", "before for after"),
    ("المشروع سيكتمل قبل بداية الصيف المقبل بدعم من الحكومة المركزية", "start for end"),
    ("المشروع سيكتمل قبل نهاية الصيف الماضي بدعم من الحكومة المركزية", "past for next"),
    ("الحكومة المركزية سيكتمل قبل نهاية الصيف المقبل بدعم من المشروع", "words moved across the claim"),
]


@pytest.mark.parametrize(("needle", "why"), NEGATIVES)
def test_a_near_neighbour_that_changes_a_number_an_anchor_or_the_order_is_not_aligned(needle: str, why: str) -> None:
    mention, report = _entity(needle)
    assert mention.start is None, (why, report.non_exact)
    assert report.unaligned == [{"id": "doc", "kind": "entity", "text": needle}]


@pytest.mark.parametrize(("needle", "why"), CLAIM_NEGATIVES)
def test_a_claim_with_a_changed_number_anchor_or_order_is_not_aligned(needle: str, why: str) -> None:
    claim, report = _claim(needle)
    assert claim.start is None, (why, report.non_exact)


# (predicted claim, the claim in the text it must align to exactly)
NEAR_CLAIMS = [
    ("المشروع قبل نهاية الصيف المقبل بدعم من الحكومة المركزية",  # the second word dropped: the first stays
     "المشروع سيكتمل قبل نهاية الصيف المقبل بدعم من الحكومة المركزية"),
    ("المشروع سيكتمل قبل نهاية الصيف المقبل بدعم من الحكومة",  # the last word dropped: the window ends there
     "المشروع سيكتمل قبل نهاية الصيف المقبل بدعم من الحكومة"),
    ("الأشغال بدأت فجر اليوم الثلاثاء في الحي القديم",  # one word replaced
     "الأشغال انطلقت فجر اليوم الثلاثاء في الحي القديم"),
    ("أحداث أنلول الأسود عام ( 1970 )",  # a typo; the closing bracket after a space stays in
     "أحداث أيلول الأسود عام ( 1970 )"),
    ("( 1970 ) التي دمرت جزءا منه", "( 1970 ) التي دمرت جزءا منه"),  # exact, brackets at the start
    ("أن 20 ألف درهم خصصت لاعادة بناء المدارس مع بدايه العام الجاري",  # normalisation only
     "أن 20 ألف درهم خصصت لإعادة بناء المدارس مع بداية العام الجاري"),
]


@pytest.mark.parametrize(("needle", "expected"), NEAR_CLAIMS)
def test_a_near_copy_of_a_claim_aligns_to_the_whole_claim_edges_included(needle: str, expected: str) -> None:
    claim, report = _claim(needle)
    assert claim.start is not None, report.unaligned
    assert TEXT[claim.start:claim.end] == expected


def test_fuzzy_keeps_the_punctuation_of_the_string_edge_after_a_space() -> None:
    claim, report = _claim("بعد أحداث أيلول الأسود عام ( 1970 )")
    assert report.by_step == {"exact": 1}
    claim, report = _claim("بعد احداث ايلول الاسود في عام ( 1970 )")
    assert report.by_step == {"fuzzy": 1}
    assert TEXT[claim.start:claim.end] == "بعد أحداث أيلول الأسود عام ( 1970 )"


SHORT = ("التقى وزير الخارجية سيرغي لافروف نظيره في طنجة، ثم زار تطوان. ثم سافر سامر إلى الرباط. "
         "وقال لافروف إن كيم سيزور روسيا عام 2026")

# (predicted short string, expected text or None when it must stay unaligned)
TYPOS = [
    ("طنحة", "طنجة"),  # one letter substituted inside a word of four letters
    ("تطزان", "تطوان"),
    ("لافرف", "لافروف"),  # one letter dropped inside the word
    ("سيرغي لافرووف", "سيرغي لافروف"),  # one letter added, in a two-word string
    ("وزير الخارجيه", "وزير الخارجية"),  # normalisation, not a typo
    ("كيب", None),  # three letters: «كيم» is not forgiven
    ("روسية", None),  # the last letter: «روسيا» is another word
    ("طنجت", None),  # the last letter again
    ("سالر", None),  # one edit from «سافر» and from «سامر»: ambiguous
    ("عام 2025", None),  # a number is never a typo
    ("سيرغي لافرون", None),  # the last letter of a word
    ("سيرعي لافرون", None),  # two words changed
]


@pytest.mark.parametrize(("needle", "expected"), TYPOS)
def test_a_short_string_with_one_typo_aligns_only_when_unique_and_inside_a_word(needle: str,
                                                                               expected: str | None) -> None:
    mention, report = _entity(needle, SHORT)
    if expected is None:
        assert mention.start is None, report.non_exact
        assert report.unaligned == [{"id": "doc", "kind": "entity", "text": needle}]
    else:
        assert mention.start is not None, report.unaligned
        assert SHORT[mention.start:mention.end] == expected
        assert mention.start == SHORT.index(expected)  # the first of its places
        assert set(report.by_step) <= {"typo", "normalised"}


def test_the_typo_step_is_reported_and_off_with_fuzzy_matching() -> None:
    mention, report = _entity("طنحة", SHORT)
    assert report.by_step == {"typo": 1}
    assert report.to_dict()["typo"] == [{"id": "doc", "kind": "entity", "text": "طنحة", "step": "typo",
                                         "aligned": "طنجة", "start": mention.start, "end": mention.end}]
    mention, report = _entity("طنحة", SHORT, AlignConfig(fuzzy=None))
    assert mention.start is None


@pytest.mark.parametrize(("a", "b", "expected"), [
    ("طنجه", "طنحه", True), ("لافروف", "لافرف", True), ("لافروف", "لافرووف", True),
    ("كيم", "كيب", False), ("روسيا", "روسيه", False), ("روسيا", "روسي", False), ("روسيا", "وسيا", False),
    ("2024", "2025", False), ("الماضي", "الماخي", True), ("الاول", "الاولي", False), ("نهايه", "نهايه", False),
])
def test_one_edit_inside(a: str, b: str, expected: bool) -> None:
    assert one_edit_inside(a, b) is expected
    assert one_edit_inside(b, a) is expected


@pytest.mark.parametrize(("key", "window", "expected"), [
    ("250 الف دينار", "20 الف درهم", False),
    ("نهايه العام الجاري", "بدايه العام الجاري", False),
    ("اليوم فجر الثلاثاء", "فجر اليوم الثلاثاء", False),
    ("منتصف عام 2024", "من عام 2026", False),
    ("المتحدث باسم الوزاره", "المتحدث باسم الاتحاد", False),  # a whole word of three without counterpart
    ("قال المتحدث باسم الوزاره امس", "قال المتحدث باسم الوزاره امس", True),
    ("الاشغال بدات فجر اليوم الثلاثاء في الحي القديم", "الاشغال انطلقت فجر اليوم الثلاثاء في الحي القديم", True),
    ("يثبت المركزي اسعار الفائده", "والمركزي يثبت اسعار الفائده", False),  # a proclitic does not hide a swap
])
def test_compatible(key: str, window: str, expected: bool) -> None:
    assert compatible(key.split(), window.split()) is expected


def test_a_word_left_out_at_the_edge_that_stands_next_to_the_window_is_a_reorder() -> None:
    key = "الجهويه المديريه للوقايه المدنيه بطنجه".split()
    assert compatible(key, "الجهويه للوقايه المدنيه بطنجه".split())  # alone, one missing word of five is allowed
    assert not compatible(key, "الجهويه للوقايه المدنيه بطنجه".split(), before=["قال", "المديريه"])
    assert not compatible(key, "الجهويه للوقايه المدنيه بطنجه".split(), before=["قال", "بالمديريه"])


def test_a_number_with_an_attached_proclitic_still_counts_as_that_number() -> None:
    text = "تقرر صرف 50 ألف جنيه لأسرة كل متوفى و20 ألف جنيه لكل مصاب"
    mention, report = _entity("20 ألف جنغه", text)  # a typo beside the number: fuzzy, the و left out
    assert text[mention.start:mention.end] == "20 ألف جنيه" and report.by_step == {"fuzzy": 1}
    mention, report = _entity("30 ألف جنغه", text)
    assert mention.start is None
