"""The annotated document and predictions of the error-report tests (a text with an injected script)."""

from __future__ import annotations

from annotation.model import Annotated, Article, Claim, Mention, Prediction, Span
from tests.helpers import at, span_at

INJECTED = "<script>window.__pwned = 1</script>"
TEXT = (f"بوتين يزور موسكو {INJECTED}\n"
        "قال ديمتري بيسكوف إن الرئيس فلاديمير بوتين سيزور كوريا الشمالية الشهر المقبل. "
        "وأعلنت وزارة الخارجية الروسية أن المحادثات ستتناول التعاون.")


def mention(label: str, needle: str, nth: int = 0, **kw) -> Mention:
    s, e = at(TEXT, needle, nth)
    return Mention(label=label, start=s, end=e, text=needle, **kw)


def span(needle: str, nth: int = 0, entity: str | None = None) -> Span:
    return span_at(TEXT, needle, nth, entity)


def claim(content: str, source: Span | None, cue: Span | None, **kw) -> Claim:
    s, e = at(TEXT, content)
    return Claim(start=s, end=e, text=content, source=source, cue=cue, attribution="indirect",
                 claim_type="factual_event", check_worthy=True, **kw)


GOLD = Annotated(
    Article(id="doc<1>", text=TEXT),
    entities=(
        mention("PERS", "بوتين", 0, id="e1", entity="putin"),
        mention("GPE", "موسكو", id="e2", entity="moscow"),
        mention("PERS", "ديمتري بيسكوف", id="e3", entity="peskov"),
        mention("PERS", "فلاديمير بوتين", id="e4", entity="putin"),
        mention("GPE", "كوريا الشمالية", id="e5", entity="nk"),
        mention("DATE", "الشهر المقبل", id="e6"),
        mention("ORG", "وزارة الخارجية الروسية", id="e7", entity="mfa"),
        mention("NORP", "الروسية", id="e8"),
    ),
    claims=(
        claim("الرئيس فلاديمير بوتين سيزور كوريا الشمالية الشهر المقبل", span("ديمتري بيسكوف", entity="peskov"),
              span("قال"), id="c1"),
        claim("المحادثات ستتناول التعاون", span("وزارة الخارجية الروسية", entity="mfa"), span("أعلنت"), id="c2"),
    ),
)
CLEAN = Annotated(Article(id="clean", text="خبر بلا أخطاء"), entities=(Mention("ORG", 0, 3, "خبر"),))


def predictions() -> list[Prediction]:
    return [
        Prediction(id="doc<1>", entities=(
            mention("PERS", "بوتين", 0),                  # correct
            mention("PERS", "بيسكوف"),                    # boundary (gold ديمتري بيسكوف)
            mention("ORG", "فلاديمير بوتين"),             # label (gold PERS)
            mention("LOC", "كوريا"),                      # boundary+label (gold GPE كوريا الشمالية)
            mention("DATE", "الشهر المقبل"),              # correct
            mention("NORP", "الروسية"),                   # correct, nested in a missed ORG
            mention("EVENT", "المحادثات"),                # spurious
            Mention(label="PERS", text="غير موجود"),      # cannot be aligned: spurious, no offsets
        ), claims=(
            claim("الرئيس فلاديمير بوتين سيزور كوريا الشمالية الشهر المقبل", span("موسكو"), span("قال")),
            claim("بوتين يزور موسكو", None, None),        # spurious claim
        )),
        Prediction(id="clean", entities=(Mention("ORG", 0, 3),)),
    ]
