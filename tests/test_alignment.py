"""Alignment of offset-free predicted spans: exact, Arabic-normalised, clitic-tolerant, fuzzy."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotation.arabic import PROCLITICS
from annotation.model import Claim, Mention, Prediction, Span
from eval.inputs.alignment import AlignConfig, AlignReport, align_prediction, fold_with_map

TEXT = (
    "بوتينُ يقبل دعوة كيم لزيارة كوريا الشمالية\n"
    "وقال الرئيسُ بوتين إن روسيا ستدعم كوريا الشماليّة، وأكدت الوكالة أن الزيارة ستتم في الشهر المقبل.\n"
    "وصرح بيسكوف بأنه لا توجد حاليًا خطط لزيارة الرئيس بوتين لكوريا الشمالية\n"
    "وقالت المــصادر إن أسعار النفط ارتفعت إلى ٧٥٫٤٠ دولار، وذكرت مدرسة أن الطلاب عادوا.\n"
    "وأشار للرئيس الروسي إلى أن إسرائيل وأمريكا ناقشتا الأمر مع الأمم المتحدة"
)


def _align(*entities: str, config: AlignConfig = AlignConfig(), text: str = TEXT) -> tuple[list[Mention], AlignReport]:
    report = AlignReport()
    pred = Prediction("doc", entities=tuple(Mention("GPE", text=e) for e in entities))
    out = align_prediction(pred, text, config, report)
    return list(out.entities), report


# (predicted string, expected text at the aligned offsets, step)
CASES = [
    ("كيم", "كيم", "exact"),
    ("بوتين", "بوتينُ", "exact"),  # a diacritic on the last letter belongs to the word
    ("بيسكوف", "بيسكوف", "exact"),
    ("كوريا الشماليه", "كوريا الشمالية", "normalised"),  # teh marbuta
    ("وقال الرئيس بوتين", "وقال الرئيسُ بوتين", "normalised"),  # diacritics in the text
    ("الرئيسَ بوتين", "الرئيسُ بوتين", "normalised"),  # diacritics in the prediction
    ("المصادر", "المــصادر", "normalised"),  # tatweel
    ("اسرائيل", "إسرائيل", "normalised"),  # alef with hamza below
    ("امريكا", "أمريكا", "normalised"),  # alef with hamza above
    ("حاليا", "حاليًا", "normalised"),  # tanween
    ("الامم المتحده", "الأمم المتحدة", "normalised"),
    ("75.40 دولار", "٧٥٫٤٠ دولار", "normalised"),  # Arabic-Indic digits and decimal separator
    ("بيسكوف\u200f", "بيسكوف", "normalised"),  # a stray bidi mark
    ("كوريا  الشمالية", "كوريا الشمالية", "normalised"),  # whitespace run
]


@pytest.mark.parametrize(("predicted", "expected", "step"), CASES)
def test_single_span_alignment(predicted: str, expected: str, step: str) -> None:
    [mention], report = _align(predicted)
    assert mention.start is not None and mention.end is not None, report.unaligned
    assert TEXT[mention.start:mention.end] == expected
    assert mention.text == expected
    assert report.by_step == {step: 1}
    assert report.rate == 1.0


def test_bidi_mark_in_prediction_aligns_after_normalisation() -> None:
    [mention], report = _align("بيس\u200fكوف")
    assert TEXT[mention.start:mention.end] == "بيسكوف"
    assert report.by_step == {"normalised": 1}


def test_fold_map_points_back_to_every_original_character() -> None:
    text = "أَعْلَنَت  الـوزارة\u200f ٣٪"
    folded = fold_with_map(text)
    assert folded.text == "اعلنت الوزاره 3%"
    assert len(folded.origin) == len(folded.text)
    assert all(fold_with_map(text[i]).text in ("", " ") or folded.text[j] in fold_with_map(text[i]).text
               for j, i in enumerate(folded.origin))
    assert folded.origin == tuple(sorted(folded.origin))


def test_repeated_string_takes_distinct_occurrences_in_document_order() -> None:
    mentions, report = _align("كوريا الشمالية", "كوريا الشمالية", "كوريا الشمالية", "كوريا الشمالية")
    places = [(m.start, m.end) for m in mentions[:3]]
    assert len(set(places)) == 3
    # Whole-word occurrences in document order: the title, the normalised one (الشماليّة), then لكوريا.
    starts = [TEXT.index("كوريا الشمالية"), TEXT.index("كوريا الشماليّة"), TEXT.index("لكوريا الشمالية") + 1]
    assert sorted(p[0] for p in places) == sorted(starts)
    assert [p[0] for p in places] == starts  # the k-th repeat takes the k-th occurrence, whichever step found it
    assert mentions[3].start is None  # a fourth prediction has no occurrence left: unaligned, not dropped
    assert report.unaligned == [{"id": "doc", "kind": "entity", "text": "كوريا الشمالية"}]
    assert report.total == 4 and report.aligned == 3


def test_alignment_is_deterministic_and_a_given_offset_uses_its_place() -> None:
    first = TEXT.index("بوتين")
    pred = Prediction("doc", entities=(Mention("PERS", text="بوتين"), Mention("PERS", first, first + 6, "بوتينُ")))
    out = align_prediction(pred, TEXT, AlignConfig(), AlignReport())
    assert out.entities[1].start == first
    assert out.entities[0].start == TEXT.index("بوتين", first + 1)  # the next unused occurrence
    assert align_prediction(pred, TEXT, AlignConfig(), AlignReport()) == out


def test_whole_word_occurrences_come_before_occurrences_inside_words() -> None:
    text = "قال الروسي إن روسيا مستعدة"
    [m], _ = _align("روسي", text=text, config=AlignConfig(fuzzy=None))
    assert (m.start, m.end) == (text.index("روسي"), text.index("روسي") + 4)  # only inside words: taken anyway
    [m], _ = _align("روسيا", text=text)
    assert text[m.start:m.end] == "روسيا"


@pytest.mark.parametrize(("predicted", "expected"), [
    ("وروسيا", "روسيا"),  # the prediction has a proclitic the text lacks
    ("وإسرائيل", "إسرائيل"),
    ("الرئيس الروسي", "رئيس الروسي"),  # «ال» fused into «لل» in the text: aligned as the guidelines annotate
    ("بالأمم المتحدة", "الأمم المتحدة"),
])
def test_clitic_tolerant_step_is_optional_and_reported_separately(predicted: str, expected: str) -> None:
    [m], report = _align(predicted, config=AlignConfig(clitics=True, fuzzy=None))
    assert TEXT[m.start:m.end] == expected
    assert report.by_step == {"clitic": 1}
    assert report.to_dict()["clitic"][0]["aligned"] == expected
    [m], report = _align(predicted, config=AlignConfig(clitics=False, fuzzy=None))
    assert m.start is None and report.unaligned


def test_prediction_without_the_proclitic_of_the_text_aligns_exactly() -> None:
    [m], report = _align("الأمم المتحدة")
    assert TEXT[m.start:m.end] == "الأمم المتحدة" and report.by_step == {"exact": 1}


def _claim(text: str, source: str | None = None, cue: str | None = None) -> Claim:
    return Claim(text=text, source=Span(text=source) if source else None, cue=Span(text=cue) if cue else None)


def test_fuzzy_aligns_a_near_copy_of_a_claim() -> None:
    near = "لا توجد حاليا خطط لزيارة الرئيس بوتين إلى كوريا الشمالية"  # إلى for ل, no tanween
    report = AlignReport()
    out = align_prediction(Prediction("doc", claims=(_claim(near, "بيسكوف", "صرح"),)), TEXT, AlignConfig(), report)
    claim = out.claims[0]
    assert claim.text == "لا توجد حاليًا خطط لزيارة الرئيس بوتين لكوريا الشمالية"
    assert TEXT[claim.start:claim.end] == claim.text
    assert claim.source is not None and TEXT[claim.source.start:claim.source.end] == "بيسكوف"
    assert claim.cue is not None and TEXT[claim.cue.start:claim.cue.end] == "صرح"
    assert report.by_step == {"fuzzy": 1, "exact": 2}
    assert report.non_exact[0]["text"] == near


@pytest.mark.parametrize("paraphrase", [
    "الكرملين ينفي وجود أي نية لسفر بوتين إلى بيونغ يانغ في الوقت الراهن",
    "بيسكوف: بوتين لن يزور كوريا الشمالية حاليا",
    "الخام صعد بقوة في السوق",
])
def test_a_paraphrase_does_not_align(paraphrase: str) -> None:
    report = AlignReport()
    out = align_prediction(Prediction("doc", claims=(_claim(paraphrase),)), TEXT, AlignConfig(), report)
    assert out.claims[0].start is None and out.claims[0].end is None
    assert report.unaligned == [{"id": "doc", "kind": "claim", "text": paraphrase}]
    assert report.rate == 0.0


def test_fuzzy_threshold_and_off_switch() -> None:
    near = "لا توجد حاليا خطط لزيارة الرئيس بوتين إلى كوريا الشمالية"
    for config, aligned in ((AlignConfig(fuzzy=None), False), (AlignConfig(fuzzy=0.99), False),
                            (AlignConfig(fuzzy=0.75), True)):
        out = align_prediction(Prediction("doc", claims=(_claim(near),)), TEXT, config, AlignReport())
        assert (out.claims[0].start is not None) is aligned


def test_claim_parts_take_the_occurrence_nearest_their_claim_and_use_nothing_up() -> None:
    text = "قال بوتين إن الزيارة تمت. وقال بوتين إن القمة نجحت. وقال بوتين إن الاتفاق وقع"
    claims = (_claim("القمة نجحت", "بوتين", "قال"), _claim("الاتفاق وقع", "بوتين", "قال"),
              _claim("الزيارة تمت", "بوتين", "قال"))
    out = align_prediction(Prediction("doc", claims=claims), text, AlignConfig(), AlignReport())
    sources = [c.source.start for c in out.claims]
    firsts = [i for i in range(len(text)) if text.startswith("بوتين", i)]
    assert sources == [firsts[1], firsts[2], firsts[0]]
    assert all(text[c.cue.start:c.cue.end] == "قال" and c.cue.end <= c.start for c in out.claims)


def test_unaligned_spans_are_reported_and_kept() -> None:
    report = AlignReport()
    pred = Prediction("doc", entities=(Mention("GPE", text="الصين"), Mention("GPE", text="")),
                      claims=(_claim("يقبل دعوة كيم", "وزير غير موجود"),))
    out = align_prediction(pred, TEXT, AlignConfig(), report)
    assert len(out.entities) == 2 and len(out.claims) == 1
    assert [u["kind"] for u in report.unaligned] == ["entity", "entity", "source"]
    assert out.claims[0].start == TEXT.index("يقبل") and out.claims[0].source is not None and out.claims[0].source.start is None
    assert report.total == 4 and report.aligned == 1
    summary = report.to_dict()
    assert summary["by_step"] == {"exact": 1, "normalised": 0, "clitic": 0, "typo": 0, "fuzzy": 0}
    assert summary["rate"] == 0.25


def test_report_merge_adds_counts() -> None:
    a, b = AlignReport(), AlignReport()
    _, a = _align("كيم", "الصين")
    _, b = _align("روسيا")
    merged = AlignReport().merge(a).merge(b)
    assert (merged.total, merged.aligned, merged.by_step["exact"]) == (3, 2, 2)
    assert merged.step_rates()["exact"] == pytest.approx(2 / 3)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=len(TEXT) - 1), st.integers(min_value=1, max_value=40))
def test_any_stretch_of_the_text_aligns_to_a_place_holding_the_same_string(start: int, length: int) -> None:
    piece = TEXT[start:start + length].strip()
    if not piece:
        return
    [m], report = _align(piece, config=AlignConfig(fuzzy=None, clitics=False))
    assert report.by_step.get("exact") == 1
    assert TEXT[m.start:m.end].startswith(piece)  # the same string (plus diacritics on its last letter)
    [m], report = _align(piece, config=AlignConfig(fuzzy=None))  # clitic-aware: a kept proclitic may go
    aligned = TEXT[m.start:m.end]
    assert aligned.startswith(piece) or (report.by_step == {"clitic": 1} and piece.endswith(aligned.rstrip("ُ"))
                                         and piece[:len(piece) - len(aligned.rstrip("ُ"))] in PROCLITICS)
