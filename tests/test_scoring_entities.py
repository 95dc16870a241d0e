"""Entity scoring rules: hand-worked cases (nested, overlapping, touching spans); the vectorised path is
tested against them in tests/test_engine_entities.py."""

from __future__ import annotations

from collections import Counter

import pytest

from eval.scoring.entities import Ent, document_counts, entity_errors
from eval.scoring.metrics import OUTCOMES, SCHEMES, headline


def counts_of(counts: Counter, prefix: str) -> tuple[int, ...]:
    return tuple(counts.get(f"{prefix}.{o}", 0) for o in OUTCOMES)


E = Ent
# (gold, predictions, {scheme: (correct, incorrect, partial, missed, spurious)})
CASES = [
    pytest.param([E(0, 5, "PERS")], [E(0, 5, "PERS")],
                 {"strict": (1, 0, 0, 0, 0), "exact": (1, 0, 0, 0, 0), "partial": (1, 0, 0, 0, 0), "type": (1, 0, 0, 0, 0)},
                 id="exact match"),
    pytest.param([E(0, 5, "PERS")], [E(0, 5, "ORG")],
                 {"strict": (0, 1, 0, 0, 0), "exact": (1, 0, 0, 0, 0), "partial": (1, 0, 0, 0, 0), "type": (0, 1, 0, 0, 0)},
                 id="label confusion"),
    pytest.param([E(0, 10, "ORG")], [E(0, 5, "ORG")],
                 {"strict": (0, 1, 0, 0, 0), "exact": (0, 1, 0, 0, 0), "partial": (0, 0, 1, 0, 0), "type": (1, 0, 0, 0, 0)},
                 id="boundary error"),
    pytest.param([E(0, 10, "ORG")], [E(3, 12, "PERS")],
                 {"strict": (0, 1, 0, 0, 0), "exact": (0, 1, 0, 0, 0), "partial": (0, 0, 1, 0, 0), "type": (0, 1, 0, 0, 0)},
                 id="boundary and label"),
    pytest.param([E(0, 5, "PERS")], [E(6, 9, "PERS")],
                 {s: (0, 0, 0, 1, 1) for s in SCHEMES}, id="no overlap"),
    pytest.param([E(0, 5, "PERS")], [E(5, 9, "PERS")],
                 {s: (0, 0, 0, 1, 1) for s in SCHEMES}, id="touching spans do not overlap"),
    pytest.param([E(0, 20, "ORG"), E(10, 20, "GPE")], [E(10, 20, "GPE")],
                 {s: (1, 0, 0, 1, 0) for s in SCHEMES}, id="nested gold, the inner one predicted"),
    pytest.param([E(0, 20, "ORG"), E(10, 20, "GPE")], [E(0, 20, "ORG"), E(10, 20, "GPE")],
                 {s: (2, 0, 0, 0, 0) for s in SCHEMES}, id="nested gold, both predicted"),
    pytest.param([E(0, 20, "ORG"), E(10, 20, "GPE")], [E(0, 20, "GPE")],
                 {"strict": (0, 1, 0, 1, 0), "exact": (1, 0, 0, 1, 0), "partial": (1, 0, 0, 1, 0), "type": (1, 0, 0, 1, 0)},
                 id="nested gold, outer boundaries with the inner label"),
    pytest.param([E(0, 5, "PERS"), E(6, 10, "PERS")], [E(0, 10, "PERS")],
                 {"strict": (0, 1, 0, 1, 0), "exact": (0, 1, 0, 1, 0), "partial": (0, 0, 1, 1, 0), "type": (1, 0, 0, 1, 0)},
                 id="one prediction over two gold mentions"),
    pytest.param([E(0, 10, "PERS")], [E(0, 4, "PERS"), E(5, 10, "PERS")],
                 {"strict": (0, 1, 0, 0, 1), "exact": (0, 1, 0, 0, 1), "partial": (0, 0, 1, 0, 1), "type": (1, 0, 0, 0, 1)},
                 id="two predictions in one gold mention"),
    pytest.param([E(0, 10, "A"), E(10, 20, "A")], [E(0, 10, "B"), E(0, 10, "A")],
                 {"strict": (1, 0, 0, 1, 1), "exact": (1, 0, 0, 1, 1), "partial": (1, 0, 0, 1, 1), "type": (1, 0, 0, 1, 1)},
                 id="not greedy: the exact match wins whatever the order"),
    pytest.param([E(0, 10, "A")], [E(0, 10, "A"), E(0, 10, "A")],
                 {s: (1, 0, 0, 0, 1) for s in SCHEMES}, id="a repeated prediction is matched once"),
    pytest.param([E(0, 10, "A"), E(2, 8, "B")], [E(2, 8, "A"), E(0, 10, "B")],
                 {"strict": (0, 2, 0, 0, 0), "exact": (2, 0, 0, 0, 0), "partial": (2, 0, 0, 0, 0), "type": (2, 0, 0, 0, 0)},
                 id="nested, labels crossed"),
    pytest.param([E(0, 6, "A"), E(4, 10, "A")], [E(2, 8, "A")],
                 {"strict": (0, 1, 0, 1, 0), "exact": (0, 1, 0, 1, 0), "partial": (0, 0, 1, 1, 0), "type": (1, 0, 0, 1, 0)},
                 id="overlapping gold, one prediction across both"),
    pytest.param([E(0, 5, "A")], [E(None, None, "A")],
                 {s: (0, 0, 0, 1, 1) for s in SCHEMES}, id="an unaligned prediction is spurious"),
    pytest.param([], [E(0, 5, "A")], {s: (0, 0, 0, 0, 1) for s in SCHEMES}, id="only a prediction"),
    pytest.param([E(0, 5, "A")], [], {s: (0, 0, 0, 1, 0) for s in SCHEMES}, id="only gold"),
]


@pytest.mark.parametrize("gold, pred, expected", CASES)
def test_hand_worked_micro_counts(gold, pred, expected):
    counts = document_counts(gold, pred)
    for scheme in SCHEMES:
        assert counts_of(counts, f"entities.{scheme}") == expected[scheme], scheme
    # the same numbers whatever the order of the predictions
    assert document_counts(gold, list(reversed(pred))) == counts


# per label: (label, scheme) -> (correct, incorrect, partial, missed, spurious)
PER_LABEL = [
    pytest.param([E(0, 5, "PERS")], [E(0, 5, "ORG")],
                 {("PERS", s): (0, 0, 0, 1, 0) for s in SCHEMES} | {("ORG", s): (0, 0, 0, 0, 1) for s in SCHEMES},
                 id="a confusion is missed for the gold label, spurious for the predicted one"),
    pytest.param([E(0, 10, "ORG")], [E(0, 5, "ORG")],
                 {("ORG", "strict"): (0, 1, 0, 0, 0), ("ORG", "exact"): (0, 1, 0, 0, 0),
                  ("ORG", "partial"): (0, 0, 1, 0, 0), ("ORG", "type"): (1, 0, 0, 0, 0)},
                 id="a boundary error stays within its label"),
    pytest.param([E(0, 20, "ORG"), E(10, 20, "GPE")], [E(0, 20, "GPE")],
                 {("ORG", s): (0, 0, 0, 1, 0) for s in SCHEMES}
                 | {("GPE", "strict"): (0, 1, 0, 0, 0), ("GPE", "exact"): (0, 1, 0, 0, 0),
                    ("GPE", "partial"): (0, 0, 1, 0, 0), ("GPE", "type"): (1, 0, 0, 0, 0)},
                 id="nested: per label, the prediction meets the inner gold mention of its label"),
]


@pytest.mark.parametrize("gold, pred, expected", PER_LABEL)
def test_hand_worked_per_label_counts(gold, pred, expected):
    counts = document_counts(gold, pred)
    for (label, scheme), value in expected.items():
        assert counts_of(counts, f"entities.{scheme}.per_label.{label}") == value, (label, scheme)


def test_precision_recall_formulas():
    # one correct, one partial, one missed, one spurious under the partial scheme
    gold = [E(0, 5, "A"), E(10, 20, "A"), E(30, 35, "A")]
    pred = [E(0, 5, "A"), E(12, 20, "B"), E(40, 45, "A")]
    m = headline(document_counts(gold, pred))
    # partial: correct 1, partial 1 -> credit 1.5; actual 3, possible 3
    assert m["entities.partial.micro.precision"] == pytest.approx(1.5 / 3)
    assert m["entities.partial.micro.recall"] == pytest.approx(1.5 / 3)
    # strict: correct 1 of 3 each way, no half credit
    assert m["entities.strict.micro.f1"] == pytest.approx(1 / 3)
    # type: the overlap has another label: incorrect, no credit
    assert m["entities.type.micro.precision"] == pytest.approx(1 / 3)


def test_macro_is_the_mean_over_labels_present():
    gold = [E(0, 5, "A"), E(10, 15, "B")]
    pred = [E(0, 5, "A"), E(20, 25, "C")]
    m = headline(document_counts(gold, pred))
    # A: f1 1; B: f1 0 (missed); C: f1 0 (spurious)
    assert m["entities.strict.macro.f1"] == pytest.approx(1 / 3)
    assert m["entities.strict.per_label.A.f1"] == 1.0


def test_errors_name_each_kind():
    text = "x" * 40
    gold = [E(0, 5, "A"), E(10, 15, "A"), E(20, 25, "A"), E(30, 35, "A")]
    pred = [E(0, 5, "B"), E(10, 14, "A"), E(20, 23, "B"), E(36, 39, "A")]
    kinds = Counter(e["kind"] for e in entity_errors(gold, pred, text))
    assert kinds == {"label": 1, "boundary": 1, "boundary+label": 1, "missed": 1, "spurious": 1}
