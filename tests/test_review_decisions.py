"""Review decisions unit by unit: the adjudicator's changes to the draft win, the rest keeps the majority rule.

The round trip through a real review project is in tests/test_labelstudio_team.py; here the records
are made by hand so that each case of annotation.review.decisions is shown on its own.
"""

from __future__ import annotations

from dataclasses import replace

from annotation.model import Annotated
from annotation.review.adjudication import adjudicate
from annotation.review.decisions import merge_units, mention_key
from annotation.review.units import pairing_weight
from annotation.scheme import load_scheme
from tests.review_records import claim, ment, record, sp

SCHEME = load_scheme()
A, B, C, LEAD = "a@x.org", "b@x.org", "c@x.org", "lead@x.org"
PUTIN, KOREA, MONTH = ("بوتين", "PERS", "putin"), ("كوريا الشمالية", "GPE", "nk"), ("الشهر المقبل", "DATE", None)
CONTENT = "بوتين سيزور كوريا الشمالية الشهر المقبل"


def decision(entities, claims, draft: Annotated) -> Annotated:
    rec = record(LEAD, entities, claims, annotation_id=900)
    parts = draft.to_dict()
    return replace(rec, annotation={**rec.annotation, "review": True,
                                    "draft": {"entities": parts["entities"], "claims": parts["claims"]}})


def labels(doc: Annotated) -> dict[str, str]:
    return {m.text: m.label for m in doc.entities}


def test_merge_units_each_case() -> None:
    majority = [ment(*PUTIN), ment("كوريا", "LOC"), ment(*MONTH)]       # now; KOREA's label changed since
    draft = [ment(*PUTIN), ment("كوريا", "GPE"), ment("الكرملين", "ORG")]
    decision_ = [ment(*PUTIN), ment("كوريا", "GPE"), ment(*MONTH, nth=0)]   # removed الكرملين, added the month
    merged = merge_units(majority, draft, decision_, pairing_weight, mention_key)
    # PUTIN and كوريا left as drafted: the majority's (LOC, as the records say now); الكرملين removed and the
    # month added by the adjudicator: one of each, the majority's month (settled since) not kept twice
    assert sorted((m.text, m.label) for m in merged.items) == [("الشهر المقبل", "DATE"), ("بوتين", "PERS"),
                                                              ("كوريا", "LOC")]
    assert merged.decided == 2 and [m.text for m in merged.untouched] == ["بوتين", "كوريا"]


def test_a_decision_wins_on_the_units_it_changed_and_the_majority_on_the_rest() -> None:
    source = sp("ديمتري بيسكوف")
    base = [ment(*PUTIN), ment(*KOREA), ment("ديمتري بيسكوف", "PERS")]
    tie = [claim(CONTENT, source, sp("قال"), claim_type=t) for t in ("prediction", "opinion", "commitment")]
    records = [record(A, base, [tie[0]]), record(B, base, [tie[1]]), record(C, base, [tie[2]])]
    first = adjudicate(records, SCHEME)
    (draft,) = first.docs
    assert [u["what"] for u in first.unresolved] == ["claim_type"] and draft.claims == ()
    # the adjudicator adds the claim (as A had it) and relabels كوريا الشمالية; بوتين left as drafted
    edited = [ment(*PUTIN), ment("كوريا الشمالية", "LOC", "nk"), ment("ديمتري بيسكوف", "PERS")]
    lead = decision(edited, [tie[0]], draft)
    # since the review was made, A and B relabelled بوتين: the majority now says ORG
    changed = [replace(m, label="ORG") if m.text == "بوتين" else m for m in base]
    now = [record(A, changed, [tie[0]], updated_at="2025-02-01T00:00:00Z"),
           record(B, changed, [tie[1]], updated_at="2025-02-01T00:00:00Z"), records[2]]
    result = adjudicate([*now, lead], SCHEME)
    (doc,) = result.docs
    assert doc.annotation["rule"] == "review" and result.unresolved == []
    assert labels(doc) == {"بوتين": "ORG", "كوريا الشمالية": "LOC", "ديمتري بيسكوف": "PERS"}
    assert [c.claim_type for c in doc.claims] == ["prediction"]
    assert result.review_units == {"decided": 2, "majority": 2}
    # the same decision taken as a whole (no draft kept) would have left بوتين a PERS
    whole = replace(lead, annotation={k: v for k, v in lead.annotation.items() if k != "draft"})
    assert labels(adjudicate([*now, whole], SCHEME).docs[0])["بوتين"] == "PERS"


def test_a_contest_that_arose_on_a_unit_left_as_drafted_is_still_unresolved() -> None:
    base = [ment(*PUTIN), ment(*KOREA)]
    records = [record(A, base, []), record(B, base, []), record(C, [ment(*PUTIN)], [])]
    (draft,) = adjudicate(records, SCHEME).docs
    lead = decision(list(draft.entities), [], draft)       # accepted as drafted
    now = [records[0], record(B, [ment(*PUTIN)], [], updated_at="2025-02-01T00:00:00Z")]   # C's deleted, B changed
    result = adjudicate([*now, lead], SCHEME)
    assert [(u["what"], u["span"]["text"]) for u in result.unresolved] == [("presence", "كوريا الشمالية")]
