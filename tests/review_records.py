"""Records of annotators who disagree in known ways, shared by the agreement, adjudication and review tests."""

from __future__ import annotations

from dataclasses import replace

from annotation.model import Annotated, Article, Claim, Mention, Span

TITLE = "بوتين يزور كوريا الشمالية"


TEXT = (TITLE + "\nقال المتحدث باسم الكرملين ديمتري بيسكوف إن بوتين سيزور كوريا الشمالية الشهر المقبل."
        " وذكرت مصادر مطلعة أن الزيارة ستستغرق يومين.")


def sp(needle: str, nth: int = 0, entity: str | None = None, text: str = TEXT) -> Span:
    start = -1
    for _ in range(nth + 1):
        start = text.index(needle, start + 1)
    return Span(start, start + len(needle), needle, entity)


def ment(needle: str, label: str, entity: str | None = None, nth: int = 0) -> Mention:
    s = sp(needle, nth)
    return Mention(label=label, start=s.start, end=s.end, text=needle, entity=entity)


def claim(needle: str, source: Span | None, cue: Span | None, claim_type: str = "prediction",
          check_worthy: bool = True, attribution: str | None = None) -> Claim:
    s = sp(needle)
    return Claim(start=s.start, end=s.end, text=needle, source=source, cue=cue,
                 attribution=attribution or ("indirect" if source else "none"),
                 claim_type=claim_type, check_worthy=check_worthy)


def record(annotator: str, entities, claims, *, doc: str = "doc-1", task: int = 1, text: str = TEXT,
           title: str = TITLE, ground_truth: bool = False, annotation_id: int | None = None,
           updated_at: str = "2025-01-01T00:00:00Z") -> Annotated:
    ents = tuple(replace(m, id=f"e{i}") for i, m in enumerate(entities, 1))
    cls = tuple(replace(c, id=f"c{i}") for i, c in enumerate(claims, 1))
    return Annotated(article=Article(id=doc, text=text, title=title, source="الدستور"), entities=ents, claims=cls,
                     annotation={"annotator": annotator, "task": task, "annotation_id": annotation_id or hash(annotator) % 1000,
                                 "ground_truth": ground_truth, "updated_at": updated_at})


CONTENT1 = "بوتين سيزور كوريا الشمالية الشهر المقبل"


CONTENT2 = "الزيارة ستستغرق يومين"


def mentions_a() -> list[Mention]:
    return [ment("بوتين", "PERS", "putin"), ment("كوريا الشمالية", "GPE", "nk"),
            ment("الكرملين", "ORG", "kremlin"), ment("ديمتري بيسكوف", "PERS", "peskov"),
            ment("بوتين", "PERS", "putin", nth=1), ment("كوريا الشمالية", "GPE", "nk", nth=1),
            ment("الشهر المقبل", "DATE", "next-month")]


def claims_a() -> list[Claim]:
    return [claim(CONTENT1, sp("ديمتري بيسكوف", entity="peskov"), sp("قال")),
            claim(CONTENT2, sp("مصادر مطلعة"), sp("ذكرت"), claim_type="prediction", check_worthy=False)]


def annotator_a(**kw) -> Annotated:
    return record("a@x.org", mentions_a(), claims_a(), **kw)


def annotator_b(**kw) -> Annotated:
    """Disagrees with a on a label, a boundary, a missing claim, a source and an attribute."""
    ents = mentions_a()
    ents[3] = replace(ents[3], label="ORG")  # label difference
    ents[6] = ment("الشهر", "DATE", "next-month")  # boundary difference
    claims = [claim(CONTENT1, sp("الكرملين", entity="kremlin"), sp("قال"), claim_type="factual_event")]
    return record("b@x.org", ents, claims, **kw)


EXPECTED_KINDS = {("label_difference", None), ("boundary_difference", None), ("missing_claim", None),
                  ("source_difference", None), ("attribute_difference", "claim_type")}


def _kinds(disagreements) -> set:
    return {(d["kind"], d["attribute"]) for d in disagreements}


def _three_annotators() -> list[Annotated]:
    """a and c agree; b disagrees (see annotator_b); on a second article c leaves out one claim."""
    records = [annotator_a(), annotator_b(), record("c@x.org", mentions_a(), claims_a())]
    two = [claim(CONTENT1, sp("ديمتري بيسكوف", entity="peskov"), sp("قال"), claim_type=t, check_worthy=w)
           for t, w in (("prediction", True), ("opinion", True), ("opinion", False))]
    records += [record("a@x.org", mentions_a(), [two[0], claims_a()[1]], doc="doc-2", task=2),
                record("b@x.org", mentions_a(), [two[1], claims_a()[1]], doc="doc-2", task=2),
                record("c@x.org", mentions_a(), [two[2]], doc="doc-2", task=2)]
    return records
