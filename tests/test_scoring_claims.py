"""Claim scoring: hand-worked cases (IoU threshold, sources through coreference, cues, attributes)."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from sklearn.metrics import accuracy_score, f1_score

from annotation.model import Claim, Span
from annotation.scheme import load_scheme
from eval.scoring.claims import claim_counts, claim_errors
from eval.scoring.metrics import headline
from tests.scoring_corpus import claim, span

# tokens:   0    1      2   3        4      5     6    7   8     9     10        11    12     13
TEXT = "قال الرئيس إن الاقتصاد سينمو بنسبة خمسة في المئة العام المقبل. وأكد الرئيس ذلك."
CONTENT = "الاقتصاد سينمو بنسبة خمسة في المئة العام المقبل"  # tokens 3..10 (8 tokens)
PRESIDENT = span(TEXT, "الرئيس", 0, entity="pres")
PRESIDENT_AGAIN = span(TEXT, "الرئيس", 1)
CUE = span(TEXT, "قال")
CLUSTERS = {"pres": [Span(PRESIDENT.start, PRESIDENT.end), Span(PRESIDENT_AGAIN.start, PRESIDENT_AGAIN.end)]}
GOLD = claim(TEXT, CONTENT, source=PRESIDENT, cue=CUE, attribution="indirect", claim_type="prediction",
             check_worthy=True)


def pred(content: str = CONTENT, **kw) -> Claim:
    args = {"source": Span(PRESIDENT.start, PRESIDENT.end), "cue": Span(CUE.start, CUE.end),
            "attribution": "indirect", "claim_type": "prediction", "check_worthy": True} | kw
    return claim(TEXT, content, **args)


def run(gold, predicted, iou=0.5):
    return claim_counts(gold, predicted, TEXT, CLUSTERS, iou=iou)


@pytest.mark.parametrize("content, iou, matched, exact", [
    (CONTENT, 0.5, 1, 1),
    ("الاقتصاد سينمو بنسبة خمسة في المئة", 0.5, 1, 0),  # 6 of 8 tokens: IoU 0.75
    ("في المئة العام المقبل", 0.5, 1, 0),  # 4 of 8: IoU 0.5 reaches the threshold
    ("المئة العام المقبل", 0.5, 0, 0),  # 3 of 8: 0.375
    ("في المئة العام المقبل", 0.6, 0, 0),  # the threshold is configurable
    ("الاقتصاد سينم", 0.2, 1, 0),  # a cut word still touches its token: 2 of 8 = 0.25
])
def test_detection_by_token_iou(content, iou, matched, exact):
    counts = run([GOLD], [pred(content)], iou=iou)
    assert counts["claims.detection.tp"] == matched
    assert counts["claims.detection.fp"] == 1 - matched
    assert counts["claims.detection.fn"] == 1 - matched
    assert counts["claims.exact.tp"] == exact


@pytest.mark.parametrize("source, right", [
    (Span(PRESIDENT.start, PRESIDENT.end), True),  # the gold source span
    (Span(PRESIDENT_AGAIN.start, PRESIDENT_AGAIN.end), True),  # another mention of the same cluster
    (Span(PRESIDENT.start - 4, PRESIDENT.end), True),  # «قال الرئيس»: token IoU 1/2
    (Span(CUE.start, CUE.end), False),  # the cue is not the source
    (Span(None, None, "الرئيس"), False),  # a source that could not be aligned
    (None, False),  # null while the gold has a source
])
def test_source_right_by_span_or_cluster(source, right):
    counts = run([GOLD], [pred(source=source)])
    assert counts["claims.source.total"] == 1
    assert counts.get("claims.source.correct", 0) == int(right)
    assert counts.get("claims.end_to_end.tp", 0) == int(right)


@pytest.mark.parametrize("gold_source, pred_source, right", [
    (None, None, True),  # the article asserts it, and so says the prediction
    (None, Span(PRESIDENT.start, PRESIDENT.end), False),
])
def test_null_source(gold_source, pred_source, right):
    gold = claim(TEXT, CONTENT, source=gold_source, attribution="none")
    counts = run([gold], [pred(source=pred_source, attribution="none", claim_type="factual_event")])
    assert counts.get("claims.source.correct", 0) == int(right)


@pytest.mark.parametrize("pred_cue, tp, fp, fn", [
    (Span(CUE.start, CUE.end), 1, 0, 0),
    (None, 0, 0, 1),
    (Span(PRESIDENT.start, PRESIDENT.end), 0, 1, 1),
])
def test_cue(pred_cue, tp, fp, fn):
    counts = run([GOLD], [pred(cue=pred_cue)])
    assert (counts.get("claims.cue.tp", 0), counts.get("claims.cue.fp", 0), counts.get("claims.cue.fn", 0)) == (tp, fp, fn)


@pytest.mark.parametrize("gold_cw, pred_cw, key", [
    (True, True, "tp"), (False, True, "fp"), (True, False, "fn"), (True, None, "fn"), (False, False, None),
])
def test_check_worthy_positive_class(gold_cw, pred_cw, key):
    gold = claim(TEXT, CONTENT, source=PRESIDENT, cue=CUE, claim_type="prediction", check_worthy=gold_cw)
    counts = run([gold], [pred(check_worthy=pred_cw)])
    found = {k.rsplit(".", 1)[1] for k in counts if k.startswith("claims.check_worthy.")}
    assert found == ({key} if key else set())


def test_attributes_and_end_to_end():
    counts = run([GOLD], [pred(claim_type="opinion")])
    assert counts["claims.claim_type.total"] == 1
    assert counts.get("claims.claim_type.correct", 0) == 0
    assert counts["claims.claim_type.gold.prediction"] == 1
    assert counts["claims.claim_type.pred.opinion"] == 1
    assert counts["claims.attribution.correct"] == 1
    assert counts.get("claims.end_to_end.tp", 0) == 0
    assert counts["claims.end_to_end.fp"] == 1 and counts["claims.end_to_end.fn"] == 1
    assert counts["claims.detection.tp"] == 1


def test_missing_attribute_is_wrong_and_counts_for_no_class():
    counts = run([GOLD], [pred(claim_type=None)])
    assert counts.get("claims.claim_type.correct", 0) == 0
    assert not any(k.startswith("claims.claim_type.pred.") for k in counts)


def test_matching_prefers_the_pair_that_is_right_whatever_the_order():
    wrong = pred(claim_type="opinion")
    right = pred()
    for order in ([wrong, right], [right, wrong]):
        counts = run([GOLD], order)
        assert counts["claims.end_to_end.tp"] == 1
        assert counts["claims.detection.tp"] == 1 and counts["claims.detection.fp"] == 1


def test_unaligned_claim_is_spurious():
    counts = run([GOLD], [Claim(text="جملة لا توجد في النص")])
    assert (counts["claims.detection.tp"] if "claims.detection.tp" in counts else 0,
            counts["claims.detection.fp"], counts["claims.detection.fn"]) == (0, 1, 1)


def test_errors_list_what_is_wrong():
    errors = claim_errors([GOLD], [pred(claim_type="opinion", source=None)], TEXT, CLUSTERS)
    assert errors[0]["kind"] == "mismatch"
    assert errors[0]["wrong"] == ["source", "claim_type"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_macro_f1_and_accuracy_equal_scikit_learn(seed):
    rng = random.Random(seed)
    scheme = load_scheme()
    values = {a: list(scheme.attribute(a).value_names) for a in ("claim_type", "attribution")}
    words = TEXT.split()
    truth: dict = {a: [] for a in values}
    guess: dict = {a: [] for a in values}
    summed: Counter = Counter()
    for _ in range(30):  # documents, each with a few claims on separate words, all matched exactly
        gold, predicted = [], []
        for k in rng.sample(range(len(words)), 3):
            s = sum(len(w) + 1 for w in words[:k])
            g = {a: rng.choice(v[:4]) for a, v in values.items()}
            p = {a: rng.choice(v[:4]) for a, v in values.items()}
            gold.append(Claim(start=s, end=s + len(words[k]), **g, check_worthy=True))
            predicted.append(Claim(start=s, end=s + len(words[k]), **p, check_worthy=True))
            for a in values:
                truth[a].append(g[a])
                guess[a].append(p[a])
        summed.update(claim_counts(gold, predicted, TEXT, {}))
    metrics = headline(summed)
    for a in values:
        assert metrics[f"claims.{a}.macro_f1"] == pytest.approx(f1_score(truth[a], guess[a], average="macro"))
        assert metrics[f"claims.{a}.accuracy"] == pytest.approx(accuracy_score(truth[a], guess[a]))


def _scheme_without(tmp_path, name: str):
    import json
    from pathlib import Path

    raw = json.loads((Path(__file__).resolve().parent.parent / "data" / "scheme.json").read_text(encoding="utf-8"))
    raw["claim_attributes"] = [a for a in raw["claim_attributes"] if a["name"] != name]
    path = tmp_path / "scheme.json"
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    return load_scheme(path)


def test_claim_attributes_come_from_the_scheme(tmp_path):
    """The shipped scheme gives the attributes in the result's order; a scheme without ``claim_type``
    scores no claim type, and a claim whose only wrong attribute is its type is then right end to end."""
    from eval.scoring.metrics import claim_attributes, summary

    shipped = claim_attributes(load_scheme())
    later = ("stance", "certainty")  # scheme 1.1: not judged on a gold claim that lacks them
    assert shipped == (("claim_type", "attribution", *later), ("check_worthy",), later)
    assert {a.name for a in load_scheme().attributes} == set(shipped.names)
    assert shipped.prf_parts == ("detection", "exact", "cue", "check_worthy", "end_to_end")
    smaller = claim_attributes(_scheme_without(tmp_path, "claim_type"))
    assert smaller == (("attribution", *later), ("check_worthy",), later)
    wrong_type = [pred(claim_type="opinion")]
    assert run([GOLD], wrong_type)["claims.end_to_end.tp"] == 0
    counts = claim_counts([GOLD], wrong_type, TEXT, CLUSTERS, attributes=smaller)
    assert counts["claims.end_to_end.tp"] == 1 and not any(k.startswith("claims.claim_type") for k in counts)
    paths = summary(counts, smaller)
    assert "claims.attribution.accuracy" in paths and not any(p.startswith("claims.claim_type") for p in paths)
    errors = claim_errors([GOLD], [pred(claim_type="opinion", check_worthy=False)], TEXT, CLUSTERS)
    assert errors[0]["wrong"] == ["claim_type", "check_worthy"]
    errors = claim_errors([GOLD], [pred(claim_type="opinion", check_worthy=False)], TEXT, CLUSTERS, attributes=smaller)
    assert errors[0]["wrong"] == ["check_worthy"]
