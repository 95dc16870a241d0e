"""Clitics on both sides (the string's and the text's), and which occurrence a string gets: list order,
containing spans, a context string, extra copies; the alignment section of the result JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotation.model import Claim, Mention, Prediction
from eval.inputs.alignment import AlignConfig, AlignReport, align_prediction
from tests.scoring_corpus import gold_doc, span, write_gold, write_lines

SUMMIT = "التقى الرئيس بوتين مع كيم في كوريا الشمالية."


def _align(*needles: str | tuple[str, str], text: str,
           config: AlignConfig = AlignConfig()) -> tuple[list[Mention], AlignReport]:
    """Align entity strings (a (string, context) pair gives a context) in the order given."""
    mentions = tuple(Mention("X", text=n) if isinstance(n, str) else Mention("X", text=n[0], context=n[1])
                     for n in needles)
    report = AlignReport()
    out = align_prediction(Prediction("doc", entities=mentions), text, config, report)
    return list(out.entities), report


def _texts(mentions: list[Mention], text: str) -> list[str | None]:
    return [text[m.start:m.end] if m.start is not None else None for m in mentions]


def test_the_remainder_after_a_proclitic_must_be_a_whole_word_of_the_text() -> None:
    mentions, report = _align("فبوتين", "وكيم", "وكوريا الشمالية", text=SUMMIT)
    assert _texts(mentions, SUMMIT) == ["بوتين", "كيم", "كوريا الشمالية"]
    assert report.by_step == {"clitic": 3}
    assert [d["aligned"] for d in report.to_dict()["clitic"]] == ["بوتين", "كيم", "كوريا الشمالية"]
    mentions, report = _align("فبوتين", "وكيم", "وكوريا الشمالية", text=SUMMIT, config=AlignConfig(clitics=False))
    assert _texts(mentions, SUMMIT) == [None, None, None]
    assert report.to_dict()["by_step"]["clitic"] == 0 and len(report.unaligned) == 3


@pytest.mark.parametrize(("needle", "expected"), [
    ("وروسيا", "روسيا"),  # kept from the text: left out, «روسيا» stands alone elsewhere
    ("بوزارة الخارجية", "وزارة الخارجية"),  # a proclitic the text lacks
    ("وزارة الخارجية", "وزارة الخارجية"),  # «زارة» is no word of the text: «وزارة» stays whole
    ("بالمديرية الجهوية", "المديرية الجهوية"),  # ب + a definite noun
    ("الصين", "الصين"),
    ("وبكين", None),  # not in the text at all
])
def test_clitics_on_both_sides(needle: str, expected: str | None) -> None:
    text = "قالت روسيا إن الاتفاق مهم، واتفقت الصين وروسيا على التعاون مع وزارة الخارجية بالمديرية الجهوية."
    [mention], report = _align(needle, text=text)
    assert _texts([mention], text) == [expected]
    if needle == "وروسيا":
        assert mention.start == text.index("وروسيا") + 1 and report.by_step == {"clitic": 1}
        [mention], report = _align(needle, text=text, config=AlignConfig(clitics=False))
        assert text[mention.start:mention.end] == "وروسيا" and report.by_step == {"exact": 1}


def test_a_word_that_only_looks_like_a_proclitic_and_a_word_prefix_stays_whole() -> None:
    text = "ذكرت وكالة الأنباء أن الهجوم وقع فجرا، وأن وكيل الوزارة زار الموقع"
    mentions, report = _align("وكالة الأنباء", "وكيل الوزارة", text=text)  # «اله…», «يل»: no words of the text
    assert _texts(mentions, text) == ["وكالة الأنباء", "وكيل الوزارة"] and report.by_step == {"exact": 2}


def test_a_string_without_the_proclitic_of_the_text_takes_the_occurrence_after_it() -> None:
    text = "قالت روسيا إن الاتفاق مهم، واتفقت الصين وروسيا على التعاون"
    mentions, report = _align("روسيا", "روسيا", "روسيا", text=text)
    assert [m.start for m in mentions] == [text.index("روسيا"), text.index("وروسيا") + 1, None]
    assert report.unaligned == [{"id": "doc", "kind": "entity", "text": "روسيا"}]  # the extra copy: never stacked


def test_a_name_after_the_full_name_takes_its_own_occurrence() -> None:
    text = "قال حميد الصنهاجي إن المشروع تأخر. وأضاف الصنهاجي أن الأشغال ستستأنف"
    mentions, _ = _align("حميد الصنهاجي", "الصنهاجي", text=text)
    assert [m.start for m in mentions] == [text.index("حميد"), text.index("وأضاف") + 6]
    mentions, _ = _align("الصنهاجي", "حميد الصنهاجي", text=text)  # the order of the list does not matter
    assert [m.start for m in mentions] == [text.index("وأضاف") + 6, text.index("حميد")]
    mentions, _ = _align("الصنهاجي", text=text)  # alone: no evidence, the first occurrence
    assert mentions[0].start == text.index("الصنهاجي")


def test_a_nested_mention_is_placed_inside_when_it_has_no_other_place() -> None:
    text = "قال محافظ المنيا إن الطريق سيفتح"
    mentions, _ = _align("محافظ المنيا", "المنيا", text=text)
    assert _texts(mentions, text) == ["محافظ المنيا", "المنيا"]


def test_repeats_without_evidence_take_the_occurrences_in_order() -> None:
    text = "زار بوتين الصين. ثم التقى بوتين نظيره. وقال الكرملين إن بوتين سيزور كوريا"
    places = [i for i in range(len(text)) if text.startswith("بوتين", i)]
    mentions, _ = _align("بوتين", "بوتين", "بوتين", text=text)
    assert [m.start for m in mentions] == places
    mentions, _ = _align("الصين", "بوتين", text=text)  # the list's order: the one after the previous item
    assert mentions[1].start == places[1]
    mentions, _ = _align("كوريا", "بوتين", text=text)  # nothing after it: the first one
    assert mentions[1].start == places[0]


@pytest.mark.parametrize(("context", "which"), [
    ("وقال الكرملين إن بوتين سيزور", 2),
    ("الكرملين ان بوتين", 2),  # folded, shorter
    ("ثم التقى بوتين نظيره", 1),
    ("التقى بوتين", 1),
    ("زار بوتين الصين", 0),
    ("كلام لا علاقة له بالنص إطلاقا", 0),  # fits no occurrence: no evidence, the first one
])
def test_a_context_string_picks_the_occurrence_it_fits(context: str, which: int) -> None:
    text = "زار بوتين الصين. ثم التقى بوتين نظيره. وقال الكرملين إن بوتين سيزور كوريا"
    places = [i for i in range(len(text)) if text.startswith("بوتين", i)]
    [mention], report = _align(("بوتين", context), text=text)
    assert mention.start == places[which]
    assert report.by_step == {"exact": 1}


def test_contexts_place_repeats_and_a_used_place_is_not_taken_twice() -> None:
    text = "زار بوتين الصين. ثم التقى بوتين نظيره. وقال الكرملين إن بوتين سيزور كوريا"
    places = [i for i in range(len(text)) if text.startswith("بوتين", i)]
    mentions, _ = _align(("بوتين", "إن بوتين سيزور"), ("بوتين", "إن بوتين سيزور"), "بوتين", text=text)
    assert [m.start for m in mentions] == [places[2], places[0], places[1]]


def test_a_claim_with_a_context_takes_the_occurrence_it_fits() -> None:
    text = "قال الوزير إن الوضع مستقر في الشمال. وأكد المحافظ أن الوضع مستقر في الجنوب."
    pred = Prediction("doc", claims=(Claim(text="الوضع مستقر", context="وأكد المحافظ أن الوضع مستقر في الجنوب"),))
    out = align_prediction(pred, text, AlignConfig(), AlignReport())
    assert out.claims[0].start == text.index("الوضع مستقر", 20)


def test_context_is_read_from_a_predictions_line_and_only_written_when_given() -> None:
    pred = Prediction.from_dict({"id": "d",
                                 "entities": [{"label": "PERS", "text": "بوتين", "context": "إن بوتين سيزور"}],
                                 "claims": [{"text": "الوضع مستقر", "context": "أن الوضع مستقر في الجنوب"}]})
    assert pred.entities[0].context == "إن بوتين سيزور" and pred.claims[0].context == "أن الوضع مستقر في الجنوب"
    assert pred.to_dict()["entities"][0]["context"] == "إن بوتين سيزور"
    assert "context" not in Mention("PERS", 0, 5, "بوتين").to_dict()
    assert "context" not in Claim(0, 5, "بوتين").to_dict()


def test_score_reports_the_clitic_step_and_the_option_turns_it_off(tmp_path: Path, khabar) -> None:
    text = SUMMIT
    mentions = [(s.start, s.end, label) for s, label in ((span(text, "بوتين"), "PERS"), (span(text, "كيم"), "PERS"),
                                                        (span(text, "كوريا الشمالية"), "GPE"))]
    gold = write_gold(tmp_path / "gold.jsonl", [gold_doc("a", text, mentions)])
    pred = write_lines(tmp_path / "pred.jsonl", [{"id": "a", "entities": [
        {"label": "PERS", "text": "فبوتين"}, {"label": "PERS", "text": "وكيم"},
        {"label": "GPE", "text": "وكوريا الشمالية"}]}])
    runs = {}
    for name, extra in (("on", []), ("off", ["--no-clitics"])):
        out = tmp_path / f"{name}.json"
        result = khabar("score", gold, pred, "--json", out, "--bootstrap", "0", *extra)
        assert result.exit_code == 0, result.output
        runs[name] = json.loads(out.read_text(encoding="utf-8"))
    on, off = runs["on"], runs["off"]
    assert on["alignment"]["by_step"]["clitic"] == 3 and len(on["alignment"]["clitic"]) == 3
    assert on["entities"]["strict"]["micro"]["f1"] == 1.0
    assert "|align:fuzzy0.75+clitics|" in on["signature"]
    assert off["alignment"]["by_step"]["clitic"] == 0 and off["alignment"]["aligned"] == 0
    assert off["entities"]["strict"]["micro"]["correct"] == 0
    assert "|align:fuzzy0.75|" in off["signature"]
