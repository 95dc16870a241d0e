"""Cross-checks against independent references (nervaluate 1.2.1, seqeval) and invariants (hypothesis).

nervaluate matches greedily in input order, so the references agree with khabar only where
greedy and optimal matching coincide: corpora where each prediction overlaps at most one gold
mention and vice versa (``tests.scoring_corpus.flat_corpus``), with spans that touch without
overlapping. nervaluate's span ends are inclusive: khabar's ``[start, end)`` is its
``(start, end - 1)``.
"""

from __future__ import annotations

import random
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotation.model import Claim
from eval.scoring.scorer import ScoreConfig, score
from tests.scoring_corpus import LABELS, flat_corpus, gold_doc, prediction, text_of

FAST = ScoreConfig(bootstrap=0)
NERVALUATE_SCHEME = {"strict": "strict", "exact": "exact", "partial": "partial", "type": "ent_type"}
COUNTS = ("correct", "incorrect", "partial", "missed", "spurious", "possible", "actual")


def khabar_run(gold_docs, pred_docs, n_chars, *, shuffle: random.Random | None = None):
    text = text_of(n_chars)
    gold = [gold_doc(f"d{i}", text, g) for i, g in enumerate(gold_docs)]
    preds = [prediction(f"d{i}", p) for i, p in enumerate(pred_docs)]
    return score(gold, preds, config=FAST).summary


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_counts_equal_nervaluate(seed):
    from nervaluate import Evaluator

    gold_docs, pred_docs, n = flat_corpus(random.Random(seed), 120)
    ours = khabar_run(gold_docs, pred_docs, n)["entities"]

    def inclusive(docs):
        return [[{"label": label, "start": s, "end": e - 1} for s, e, label in doc] for doc in docs]

    theirs = Evaluator(inclusive(gold_docs), inclusive(pred_docs), tags=list(LABELS), loader="dict").evaluate()
    for scheme, name in NERVALUATE_SCHEME.items():
        reference = theirs["overall"][name]
        micro = ours[scheme]["micro"]
        for count in COUNTS:
            assert micro[count] == getattr(reference, count), (scheme, count)
        for metric in ("precision", "recall", "f1"):
            assert micro[metric] == pytest.approx(getattr(reference, metric)), (scheme, metric)
        for label, by_scheme in theirs["entities"].items():
            reference = by_scheme[name]
            node = ours[scheme]["per_label"][label]
            for count in COUNTS:
                assert node[count] == getattr(reference, count), (scheme, label, count)
            assert node["f1"] == pytest.approx(reference.f1), (scheme, label)


def iob2(doc, n_chars):
    tags = ["O"] * n_chars
    for s, e, label in doc:
        tags[s] = f"B-{label}"
        for k in range(s + 1, e):
            tags[k] = f"I-{label}"
    return tags


@pytest.mark.parametrize("seed", [21, 22])
def test_strict_micro_f1_equals_seqeval(seed):
    from seqeval.metrics import classification_report, f1_score
    from seqeval.scheme import IOB2

    gold_docs, pred_docs, n = flat_corpus(random.Random(seed), 150)
    ours = khabar_run(gold_docs, pred_docs, n)["entities"]["strict"]
    y_true = [iob2(d, n) for d in gold_docs]
    y_pred = [iob2(d, n) for d in pred_docs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert ours["micro"]["f1"] == pytest.approx(f1_score(y_true, y_pred, mode="strict", scheme=IOB2))
        report = classification_report(y_true, y_pred, mode="strict", scheme=IOB2, output_dict=True)
    for label in LABELS:
        if label in report:
            assert ours["per_label"][label]["f1"] == pytest.approx(report[label]["f1-score"]), label
    assert ours["macro"]["f1"] == pytest.approx(report["macro avg"]["f1-score"])


# ------------------------------------------------------------------------------ invariants

N_CHARS = 60
mention = st.builds(lambda s, n, label: (s, min(N_CHARS, s + n), label),
                    st.integers(0, N_CHARS - 1), st.integers(1, 12), st.sampled_from(LABELS[:3]))
documents = st.lists(st.lists(mention, max_size=6, unique=True), min_size=1, max_size=4)
SCHEMES = ("strict", "exact", "partial", "type")
TEXT = text_of(N_CHARS)
CLAIM_WORDS = [(0, 3), (4, 10), (14, 20)]


def docs_and_claims(mentions_per_doc, with_claims=True):
    gold = []
    for i, mentions in enumerate(mentions_per_doc):
        claims = [Claim(start=s, end=e, id=f"c{k}", attribution="none", claim_type="opinion", check_worthy=False)
                  for k, (s, e) in enumerate(CLAIM_WORDS[: i % 3])] if with_claims else []
        gold.append(gold_doc(f"d{i}", TEXT, mentions, claims))
    return gold


def numbers(summary):
    """Every number of a result that depends on the predictions."""
    return {k: summary[k] for k in ("entities", "claims", "alignment", "predictions", "signature")}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_perfect_predictions_score_one(mentions_per_doc):
    gold = docs_and_claims(mentions_per_doc)
    preds = [prediction(d.id, [(m.start, m.end, m.label) for m in d.entities], d.claims) for d in gold]
    summary = score(gold, preds, config=FAST).summary
    for scheme in SCHEMES:
        micro = summary["entities"][scheme]["micro"]
        if micro["possible"]:
            assert micro["f1"] == 1.0 and summary["entities"][scheme]["macro"]["f1"] == 1.0
    if summary["claims"]["detection"]["fn"] + summary["claims"]["detection"]["tp"]:
        assert summary["claims"]["end_to_end"]["f1"] == 1.0
        assert summary["claims"]["source"]["accuracy"] == 1.0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_empty_predictions_score_zero(mentions_per_doc):
    gold = docs_and_claims(mentions_per_doc)
    summary = score(gold, [], config=FAST).summary
    for scheme in SCHEMES:
        micro = summary["entities"][scheme]["micro"]
        if micro["possible"]:
            assert (micro["precision"], micro["recall"], micro["f1"]) == (0.0, 0.0, 0.0)
        else:
            assert micro["f1"] is None  # nothing to find and nothing found: undefined


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents, documents, st.randoms(use_true_random=False))
def test_shuffling_predictions_never_changes_a_number(gold_mentions, pred_mentions, rnd):
    gold = docs_and_claims(gold_mentions)
    preds = [prediction(f"d{i}", p) for i, p in enumerate(pred_mentions[: len(gold)])]
    before = numbers(score(gold, preds, config=FAST).summary)
    shuffled = []
    for p in preds:
        entities = list(p.entities)
        rnd.shuffle(entities)
        shuffled.append(prediction(p.id, [(m.start, m.end, m.label) for m in entities]))
    rnd.shuffle(shuffled)
    assert numbers(score(gold, shuffled, config=FAST).summary) == before


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents, documents, st.data())
def test_an_added_prediction(gold_mentions, pred_mentions, data):
    """A spurious prediction (overlapping no gold mention) never raises precision; no added
    prediction ever lowers recall (maximum-weight matching is monotone; greedy is not)."""
    gold = docs_and_claims(gold_mentions, with_claims=False)
    preds = [prediction(f"d{i}", p) for i, p in enumerate(pred_mentions[: len(gold)])]
    while len(preds) < len(gold):
        preds.append(prediction(f"d{len(preds)}"))
    before = score(gold, preds, config=FAST).summary["entities"]
    i = data.draw(st.integers(0, len(gold) - 1))
    extra = data.draw(mention)
    grown = list(preds)
    grown[i] = prediction(preds[i].id, [(m.start, m.end, m.label) for m in preds[i].entities] + [extra])
    after = score(gold, grown, config=FAST).summary["entities"]
    overlaps_gold = any(max(m.start, extra[0]) < min(m.end, extra[1]) for m in gold[i].entities)
    for scheme in SCHEMES:
        b, a = before[scheme]["micro"], after[scheme]["micro"]
        if b["possible"]:
            assert a["recall"] >= b["recall"] - 1e-12, scheme
        if not overlaps_gold and b["precision"] is not None:
            assert a["precision"] <= b["precision"] + 1e-12, scheme
