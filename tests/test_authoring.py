"""Anchored gold sources resolve to offsets, and every bad anchor is named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotation.gold.authoring import build_gold, resolve_anchor
from annotation.errors import KhabarError
from annotation.model import Article, Span

TEXT = "قال بوتين إن بوتين سيزور كوريا\nوقالت كوريا إن بوتين قبل الدعوة"


@pytest.mark.parametrize("anchor,expected", [
    ({"text": "سيزور"}, Span(19, 24, "سيزور")),
    ({"text": "بوتين", "occurrence": 2}, Span(13, 18, "بوتين")),
    ({"text": "بوتين", "occurrence": 3}, Span(TEXT.rindex("بوتين"), TEXT.rindex("بوتين") + 5, "بوتين")),
    ({"text": "بوتين", "in": "إن بوتين قبل"}, Span(TEXT.rindex("بوتين"), TEXT.rindex("بوتين") + 5, "بوتين")),
    ({"text": "كوريا", "in": "وقالت كوريا", "entity": "nk"}, Span(37, 42, "كوريا", "nk")),
])
def test_anchor_resolution(anchor, expected) -> None:
    span = resolve_anchor(TEXT, anchor, "x")
    assert span == expected
    assert TEXT[span.start:span.end] == span.text


@pytest.mark.parametrize("anchor,message", [
    ({"text": "بوتين"}, "occurs 3 times; add 'in' or 'occurrence'"),
    ({"text": "بوتين", "occurrence": 4}, "occurs 3 times"),
    ({"text": "موسكو"}, "does not occur in the article"),
    ({"text": "بوتين", "in": "إن بوتين"}, "occurs 2 times in the article, expected once"),
    ({"text": "موسكو", "in": "قال بوتين"}, "does not occur in context"),
    ({"text": "بوتين", "occurrence": 0}, "whole number from 1"),
    ({"label": "PERS"}, "needs a non-empty 'text'"),
])
def test_bad_anchor_is_named(anchor, message) -> None:
    with pytest.raises(KhabarError, match=message):
        resolve_anchor(TEXT, anchor, "src.json entities[0]")


def test_build_gold_links_sources_to_mentions(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps({
        "id": "a",
        "entities": [{"id": "e1", "label": "PERS", "entity": "putin", "text": "بوتين", "occurrence": 1}],
        "claims": [{"id": "c1", "text": "بوتين سيزور كوريا", "source": {"mention": "e1"},
                    "cue": {"text": "قال", "occurrence": 1}, "via": [],
                    "attribution": "indirect", "claim_type": "prediction", "check_worthy": True}],
    }, ensure_ascii=False), encoding="utf-8")
    (doc,) = build_gold([Article(id="a", text=TEXT)], tmp_path)
    claim = doc.claims[0]
    assert claim.source == Span(4, 9, "بوتين", "putin")
    assert claim.cue == Span(0, 3, "قال")
    assert TEXT[claim.start:claim.end] == "بوتين سيزور كوريا"


def test_build_gold_refuses_dangling_mention_and_unknown_article(tmp_path: Path) -> None:
    src = {"id": "a", "entities": [], "claims": [{"id": "c1", "text": "سيزور", "source": {"mention": "e9"}}]}
    (tmp_path / "a.json").write_text(json.dumps(src), encoding="utf-8")
    with pytest.raises(KhabarError, match=r"claims\[0\] \(c1\) source: points to mention 'e9'"):
        build_gold([Article(id="a", text=TEXT)], tmp_path)
    with pytest.raises(KhabarError, match="article 'a' is not among the ingested articles"):
        build_gold([Article(id="b", text=TEXT)], tmp_path)
