"""A small valid gold document (from the seed article's sentences) for the model and dataset tests."""

from __future__ import annotations

from annotation.model import Annotated, Article, Claim, Mention, Span
from tests.helpers import span_at

TEXT = "بوتين يقبل دعوة كيم\nوكان المتحدث ديمتري بيسكوف، صرح بأنه لا توجد خطط لزيارة كوريا الشمالية."


def span_of(text: str, needle: str, entity: str | None = None) -> Span:
    return span_at(text, needle, 0, entity)


def mention(ident: str, needle: str, label: str, entity: str) -> Mention:
    s = span_of(TEXT, needle)
    return Mention(label=label, start=s.start, end=s.end, text=needle, id=ident, entity=entity)


def good_doc() -> Annotated:
    content = span_of(TEXT, "لا توجد خطط لزيارة كوريا الشمالية")
    claim = Claim(start=content.start, end=content.end, text=content.text, id="c1",
                  source=span_of(TEXT, "ديمتري بيسكوف", "peskov"), cue=span_of(TEXT, "صرح"),
                  attribution="indirect", claim_type="factual_event", check_worthy=True)
    return Annotated(
        article=Article(id="doc-1", text=TEXT, title="بوتين يقبل دعوة كيم", source="الدستور"),
        entities=(mention("e1", "بوتين", "PERS", "putin"), mention("e2", "كيم", "PERS", "kim"),
                  mention("e3", "ديمتري بيسكوف", "PERS", "peskov"), mention("e4", "كوريا الشمالية", "GPE", "nk")),
        claims=(claim,), annotation={"annotators": ["a"], "adjudicated": True},
    )
