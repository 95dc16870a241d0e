"""Adjudication into gold: ground truth wins, then the adjudicator, then the majority; ties are listed."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from annotation.review.adjudication import adjudicate
from annotation.gold.records import load_gold
from annotation.errors import KhabarError
from annotation.io import write_jsonl
from annotation.model import Annotated
from annotation.scheme import load_scheme
from annotation.gold.validation import validate_corpus
from annotation.versions import UNNAMED  # the test records name no scheme version
from tests.review_records import (CONTENT1, _three_annotators, annotator_a, annotator_b, claim, claims_a,
                                  ment, mentions_a, record, sp)

SCHEME = load_scheme()
A, B, C = "a@x.org", "b@x.org", "c@x.org"


def content(doc: Annotated) -> dict:
    """What adjudication decides: mentions and claims without ids (they are renumbered)."""
    d = doc.to_dict()
    return {"entities": sorted((json.dumps({k: v for k, v in m.items() if k != "id"}, ensure_ascii=False)
                                for m in d["entities"])),
            "claims": sorted((json.dumps({k: v for k, v in c.items() if k != "id"}, ensure_ascii=False)
                              for c in d["claims"]))}


def by_id(result) -> dict[str, Annotated]:
    return {d.id: d for d in result.docs}


def test_majority_of_three_annotators() -> None:
    result = adjudicate(_three_annotators(), SCHEME)
    assert result.unresolved == []
    docs = by_id(result)
    # on doc-1, a and c agree against b on the label, the boundary, the second claim, the source, the type
    assert content(docs["doc-1"]) == content(annotator_a())
    assert docs["doc-1"].annotation == {"annotators": [A, B, C], "adjudicated": True, "scheme": UNNAMED,
                                        "rule": "majority"}
    # on doc-2 claim 1 is prediction/true (a), opinion/true (b), opinion/false (c): opinion, true
    first = min(docs["doc-2"].claims, key=lambda c: c.start)
    assert (first.claim_type, first.check_worthy) == ("opinion", True)
    assert len(docs["doc-2"].claims) == 2  # the second claim: a and b have it, c does not
    assert [m.id for m in docs["doc-1"].entities] == [f"e{i}" for i in range(1, 8)]
    assert validate_corpus(result.docs, SCHEME) == []
    assert result.rules == {"majority": 2}


def test_ground_truth_wins_over_the_majority() -> None:
    records = _three_annotators()
    records[1] = annotator_b(ground_truth=True)
    result = adjudicate(records, SCHEME)
    docs = by_id(result)
    assert content(docs["doc-1"]) == content(annotator_b())
    assert docs["doc-1"].annotation["rule"] == "ground_truth"
    assert docs["doc-2"].annotation["rule"] == "majority"
    assert result.unresolved == []


def test_ground_truth_beats_the_adjudicator_and_conflicting_ground_truths_are_unresolved() -> None:
    records = [annotator_a(ground_truth=True), annotator_b(), record(C, mentions_a(), claims_a())]
    assert content(by_id(adjudicate(records, SCHEME, adjudicator=B))["doc-1"]) == content(annotator_a())
    records[1] = annotator_b(ground_truth=True)
    result = adjudicate(records, SCHEME)
    assert result.docs == []
    (item,) = result.unresolved
    assert (item["unit"], item["what"]) == ("task", "ground_truth") and "a@x.org, b@x.org" in item["detail"]
    # identical ground truths are no conflict
    records[1] = record(B, mentions_a(), claims_a(), ground_truth=True)
    assert adjudicate(records, SCHEME).unresolved == []


def test_adjudicator_wins_where_they_annotated() -> None:
    records = _three_annotators() + [record(A, mentions_a(), [], doc="doc-9", task=9)]
    result = adjudicate(records, SCHEME, adjudicator=B)
    docs = by_id(result)
    assert content(docs["doc-1"]) == content(annotator_b())
    assert docs["doc-1"].annotation["rule"] == "adjudicator"
    assert docs["doc-9"].annotation == {"annotators": [A], "adjudicated": True, "scheme": UNNAMED,
                                        "rule": "majority"}  # b did not annotate it: the majority of one
    assert result.rules == {"adjudicator": 2, "majority": 1}


def test_unknown_adjudicator() -> None:
    with pytest.raises(KhabarError, match="unknown adjudicator 'nobody'.*a@x.org, b@x.org, c@x.org"):
        adjudicate(_three_annotators(), SCHEME, adjudicator="nobody")


TIES = {("mention", "label"), ("mention", "boundaries"), ("claim", "presence"), ("claim", "source"),
        ("claim", "claim_type")}


def test_two_annotators_who_disagree_leave_ties_unresolved() -> None:
    result = adjudicate([annotator_a(), annotator_b()], SCHEME)
    assert {(u["unit"], u["what"]) for u in result.unresolved} == TIES
    label = next(u for u in result.unresolved if u["what"] == "label")
    assert label["votes"] == {"PERS": [A], "ORG": [B]} and label["span"]["text"] == "ديمتري بيسكوف"
    presence = next(u for u in result.unresolved if u["what"] == "presence")
    assert presence["votes"] == {"present": [A], "absent": [B]}
    # the contested units are left out: both claims, the two contested mentions
    (doc,) = result.docs
    assert doc.claims == ()
    assert sorted(m.text for m in doc.entities) == sorted(m.text for m in mentions_a()
                                                          if m.text not in ("ديمتري بيسكوف", "الشهر المقبل"))
    assert validate_corpus(result.docs, SCHEME) == []


def test_coreference_by_majority_and_tie() -> None:
    split = [replace(m, entity="putin-2") if m.start > 30 and m.text == "بوتين" else m for m in mentions_a()]
    three = adjudicate([annotator_a(), record(B, split, claims_a()), record(C, mentions_a(), claims_a())], SCHEME)
    putins = {m.entity for m in three.docs[0].entities if m.text == "بوتين"}
    assert putins == {"putin"} and three.unresolved == []
    two = adjudicate([annotator_a(), record(B, split, claims_a())], SCHEME)
    (item,) = two.unresolved
    assert (item["unit"], item["what"]) == ("coreference", "same entity")
    assert item["votes"] == {"same": [A], "different": [B]}
    assert len({m.entity for m in two.docs[0].entities if m.text == "بوتين"}) == 2  # not linked


def test_source_votes_count_the_same_entity_as_one_value() -> None:
    ents = mentions_a() + [ment("المتحدث", "OCC", "peskov")]
    peskov, speaker = sp("ديمتري بيسكوف", entity="peskov"), sp("المتحدث", entity="peskov")
    records = [record(A, ents, [claim(CONTENT1, peskov, sp("قال"))]),
               record(B, ents, [claim(CONTENT1, speaker, sp("قال"))]),
               record(C, ents, [claim(CONTENT1, peskov, sp("قال"))])]
    result = adjudicate(records, SCHEME)
    assert result.unresolved == []
    (gold_claim,) = result.docs[0].claims
    assert gold_claim.source == peskov  # the span most voters chose for the entity they all chose
    # with two annotators who chose different mentions of the same entity there is nothing to settle
    assert adjudicate(records[:2], SCHEME).unresolved == []



def test_a_non_mention_source_of_an_entity_keeps_its_span() -> None:
    # a SOURCE region (not a mention) joined to the cluster of a mention, as Label Studio import writes it
    speaker = sp("المتحدث", entity="peskov")
    records = [record(who, mentions_a(), [claim(CONTENT1, speaker, sp("قال"))]) for who in (A, B, C)]
    (gold_claim,) = adjudicate(records, SCHEME).docs[0].claims
    assert gold_claim.source == speaker

def test_source_and_attribution_votes_that_contradict_are_unresolved() -> None:
    def one(who, source, attribution):
        return record(who, mentions_a(), [claim(CONTENT1, source, None, attribution=attribution)])

    records = [one("p", sp("الكرملين", entity="kremlin"), "direct_quote"),
               one("q", sp("ديمتري بيسكوف", entity="peskov"), "direct_quote"),
               one("r", None, "none"), one("s", None, "none"),
               one("t", sp("بوتين", nth=1, entity="putin"), "direct_quote")]
    result = adjudicate(records, SCHEME)
    assert [(u["unit"], u["what"]) for u in result.unresolved] == [("claim", "consistency")]
    assert result.docs[0].claims == ()


def test_missing_attribute_value_is_not_settled() -> None:
    bare = [replace(c, check_worthy=None) for c in claims_a()]
    result = adjudicate([record(A, mentions_a(), bare)], SCHEME)
    assert {(u["unit"], u["what"]) for u in result.unresolved} == {("claim", "check_worthy")}


# ---------------------------------------------------------------- the command


def _records(tmp_path: Path, records) -> Path:
    path = tmp_path / "records.jsonl"
    write_jsonl(path, records)
    return path


def test_command_writes_a_loadable_gold_folder(khabar, tmp_path: Path) -> None:
    out = tmp_path / "gold"
    result = khabar("adjudicate", _records(tmp_path, _three_annotators()), "--out", out)
    assert result.exit_code == 0, result.output
    assert (out / "unresolved.jsonl").read_text(encoding="utf-8") == ""
    docs = {d.id: d for d in load_gold(out)}
    assert content(docs["doc-1"]) == content(annotator_a())
    assert docs["doc-1"].annotation["rule"] == "majority"
    from datasets import load_dataset

    ds = load_dataset(str(out))
    rows = [r for split in ds.values() for r in split]
    assert {r["annotation"]["rule"] for r in rows} == {"majority"}
    assert {tuple(r["annotation"]["annotators"]) for r in rows} == {(A, B, C)}
    assert f"scheme khabar {UNNAMED}" in (out / "README.md").read_text(encoding="utf-8")  # the records name none


def test_command_stops_on_unresolved_and_writes_only_the_list(khabar, tmp_path: Path) -> None:
    out = tmp_path / "gold"
    path = _records(tmp_path, [annotator_a(), annotator_b()])
    result = khabar("adjudicate", path, "--out", out)
    assert result.exit_code == 1
    assert "5 unresolved disagreement(s)" in result.stderr and "--allow-unresolved" in result.stderr
    assert "unresolved: doc-1: label of mention 'ديمتري بيسكوف': tie" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["unresolved.jsonl"]
    listed = [json.loads(line) for line in (out / "unresolved.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {(u["unit"], u["what"]) for u in listed} == TIES
    result = khabar("adjudicate", path, "--out", out, "--allow-unresolved")
    assert result.exit_code == 0, result.output
    (doc,) = load_gold(out)
    assert doc.claims == () and len(doc.entities) == 5


def test_command_ground_truth_and_adjudicator(khabar, tmp_path: Path) -> None:
    records = _three_annotators()
    records[1] = annotator_b(ground_truth=True)
    result = khabar("adjudicate", _records(tmp_path, records), "--out", tmp_path / "g", "--adjudicator", C)
    assert result.exit_code == 0, result.output
    docs = {d.id: d for d in load_gold(tmp_path / "g")}
    assert docs["doc-1"].annotation["rule"] == "ground_truth" and docs["doc-2"].annotation["rule"] == "adjudicator"
    assert "ground_truth 1" in result.stdout and "adjudicator 1" in result.stdout


def test_command_unknown_adjudicator(khabar, tmp_path: Path) -> None:
    result = khabar("adjudicate", _records(tmp_path, _three_annotators()), "--out", tmp_path / "g",
                    "--adjudicator", "nobody@x.org")
    assert result.exit_code == 1
    assert "unknown adjudicator 'nobody@x.org'" in result.stderr
    assert not (tmp_path / "g").exists()


def test_command_writes_nothing_when_the_gold_is_invalid(khabar, tmp_path: Path) -> None:
    bad = record(A, [ment("بوتين", "PER", "putin")], [], ground_truth=True)
    result = khabar("adjudicate", _records(tmp_path, [bad, annotator_b()]), "--out", tmp_path / "g")
    assert result.exit_code == 1
    assert "unknown label 'PER'" in result.stderr and "nothing written" in result.stderr
    assert not (tmp_path / "g").exists()


def test_command_articles(khabar, tmp_path: Path) -> None:
    records = _three_annotators()
    articles = tmp_path / "articles.jsonl"
    arts = {r.id: r.article for r in records}
    write_jsonl(articles, [replace(a, url=f"https://example.org/{a.id}", meta={"group": "story"})
                           for a in arts.values()])
    path = _records(tmp_path, records)
    result = khabar("adjudicate", path, "--out", tmp_path / "g", "--articles", articles)
    assert result.exit_code == 0, result.output
    splits = {s: load_gold(tmp_path / "g", s) for s in ("dev", "test")}
    assert sorted(len(docs) for docs in splits.values()) == [0, 2]  # one story group: one split
    assert {d.article.url for docs in splits.values() for d in docs} == {f"https://example.org/{i}" for i in arts}

    write_jsonl(articles, [replace(arts["doc-1"], text=arts["doc-1"].text + ".")])
    result = khabar("adjudicate", path, "--out", tmp_path / "h", "--articles", articles)
    assert result.exit_code == 1 and "doc-1: the article text" in result.stderr
    write_jsonl(articles, [arts["doc-1"]])
    result = khabar("adjudicate", path, "--out", tmp_path / "h", "--articles", articles)
    assert result.exit_code == 1 and "doc-2 (task 2): no article with this id" in result.stderr
    assert not (tmp_path / "h").exists()


def test_sources_that_agreement_counts_as_one_are_one_vote_in_adjudication() -> None:
    from annotation.review.agreement import agreement_report

    long, short = sp("المتحدث باسم الكرملين ديمتري بيسكوف"), sp("الكرملين ديمتري بيسكوف")   # token IoU 3/5
    records = [record(A, [], [claim(CONTENT1, long, sp("قال"))]), record(B, [], [claim(CONTENT1, short, sp("قال"))])]
    assert agreement_report(records)["overall"]["source"]["agreement"] == 1.0
    result = adjudicate(records, SCHEME)
    assert [u for u in result.unresolved if u["what"] == "source"] == []
    (doc,) = result.docs
    assert doc.claims[0].source.text in (long.text, short.text)


def _tied() -> list[Annotated]:
    """Two annotators who disagree on doc-1: the majority cannot settle it."""
    return [annotator_a(), annotator_b()]


def test_the_review_queue_gets_one_task_per_unsettled_article_with_every_version() -> None:
    from annotation.review.queue import MAJORITY, review_tasks

    tasks, _ = review_tasks(_tied() + [record(A, mentions_a(), claims_a(), doc="doc-2", task=2),
                                       record(B, mentions_a(), claims_a(), doc="doc-2", task=2)], SCHEME)
    (task,) = tasks                                    # doc-2: no disagreement, no task
    assert task["data"]["id"] == "doc-1"
    assert [p["model_version"] for p in task["predictions"]] == [A, B, MAJORITY]   # the draft: the newest
    words = task["data"]["disputes"]
    assert f"claim «{CONTENT1}»: claim_type: {A} prediction; {B} factual_event" in words
    assert "«الشهر المقبل»" in words and "the majority cannot settle" in words
    labels = {r["value"]["labels"][0] for r in task["predictions"][1]["result"] if r["type"] == "labels"}
    assert "ORG" in labels                               # b's version: Peskov as ORG


def test_a_review_decision_wins_over_the_majority_and_ground_truth() -> None:
    decision = record("lead@x.org", mentions_a(), claims_a()[:1], annotation_id=77)
    decision = replace(decision, annotation={**decision.annotation, "review": True})
    records = _tied() + [annotator_b(ground_truth=True), decision]
    result = adjudicate(records, SCHEME)
    (doc,) = result.docs
    assert doc.annotation["rule"] == "review" and result.unresolved == []
    assert content(doc) == content(decision) and doc.annotation["annotators"] == [A, B]
    assert validate_corpus(result.docs, SCHEME) == []


def test_the_card_names_the_pre_annotation_model(khabar, tmp_path: Path) -> None:
    records = [replace(r, annotation={**r.annotation, "pre_annotation": "baseline@0.1"})
               for r in [annotator_a(), record(B, mentions_a(), claims_a())]]
    path = tmp_path / "records.jsonl"
    write_jsonl(path, [r.to_dict() for r in records])
    result = khabar("adjudicate", path, "--out", tmp_path / "gold")
    assert result.exit_code == 0, result.output
    card = (tmp_path / "gold" / "README.md").read_text(encoding="utf-8")
    assert "started from the pre-annotations of baseline@0.1" in card and "flatters it" in card


def test_intermediate_sources_that_agreement_counts_as_one_are_one_vote() -> None:
    from annotation.review.agreement import agreement_report

    long, short = sp("المتحدث باسم الكرملين ديمتري بيسكوف"), sp("الكرملين ديمتري بيسكوف")   # token IoU 3/5
    source = sp("مصادر مطلعة")
    records = [record(A, [], [replace(claim(CONTENT1, source, sp("قال")), via=(long,))]),
               record(B, [], [replace(claim(CONTENT1, source, sp("قال")), via=(short,))])]
    assert not [d for d in agreement_report(records)["disagreements"] if d["kind"] == "via_difference"]
    result = adjudicate(records, SCHEME)
    assert [u for u in result.unresolved if u["what"] == "via"] == []
    (doc,) = result.docs
    assert [v.text for v in doc.claims[0].via] in ([long.text], [short.text])
