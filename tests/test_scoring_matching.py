"""The one span matcher: maximum-weight, one-to-one, order-independent; token IoU."""

from __future__ import annotations

import itertools
import random
from dataclasses import astuple, dataclass
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotation.matching import char_iou, components, match, overlap, token_iou


@dataclass(frozen=True)
class S:
    start: int | None
    end: int | None
    label: str = "X"


def same_label_then_overlap(g: S, p: S) -> tuple[float, ...]:
    exact = g.start == p.start and g.end == p.end and g.label == p.label
    return (float(exact), 1.0, char_iou(g, p))


@pytest.mark.parametrize("a, b, expected", [
    (S(0, 5), S(5, 9), 0),  # touching spans share nothing (end-exclusive)
    (S(0, 5), S(4, 9), 1),
    (S(0, 10), S(2, 4), 2),  # nested
    (S(0, 5), S(None, None), 0),
    (S(3, 3), S(0, 9), 0),  # empty span
])
def test_overlap(a, b, expected):
    assert overlap(a, b) == expected
    assert overlap(b, a) == expected


@pytest.mark.parametrize("a, b, expected", [
    ((0, 11), (0, 11), 1.0),
    ((0, 5), (6, 11), 0.0),  # "alpha" vs "gamma"
    ((0, 11), (0, 5), 0.5),  # "alpha gamma" vs "alpha"
    ((1, 5), (0, 5), 1.0),  # cutting into a word touches the whole word
    ((0, 5), (5, 6), 0.0),  # a span of only a space touches no token
    ((5, 6), (5, 6), 1.0),
])
def test_token_iou(a, b, expected):
    text = "alpha gamma, delta"
    assert token_iou(S(*a), S(*b), text) == pytest.approx(expected)


def test_token_iou_arabic_clitic():
    text = "قال إن وروسيا والصين اتفقتا"
    ru = text.index("روسيا")
    # the mention روسيا touches the token وروسيا; so does the span with the clitic
    assert token_iou(S(ru, ru + 5), S(ru - 1, ru + 5), text) == 1.0
    assert token_iou(S(0, len(text)), S(ru, ru + 5), text) == pytest.approx(1 / 5)


def test_not_greedy():
    # greedy in input order would match p0 with g0 (the larger overlap first) and leave p1 alone
    gold = [S(0, 10), S(10, 20)]
    pred = [S(2, 12), S(0, 4)]
    pairs = match(gold, pred, lambda g, p: (1.0, char_iou(g, p)))
    assert pairs == [(0, 1), (1, 0)]


def test_exact_match_first_then_most_pairs():
    gold = [S(0, 5, "A"), S(0, 5, "B")]
    pred = [S(0, 5, "B"), S(0, 3, "A")]
    assert match(gold, pred, same_label_then_overlap) == [(0, 1), (1, 0)]


def test_weights_at_or_below_zero_are_not_candidates():
    gold = [S(0, 5, "A")]
    pred = [S(0, 5, "B")]
    assert match(gold, pred, lambda g, p: 1.0 if g.label == p.label else 0.0) == []
    assert match(gold, pred, lambda g, p: (0.0, 0.0)) == []
    assert match(gold, pred, lambda g, p: -1.0) == []


def test_spans_without_offsets_never_match():
    gold = [S(0, 5)]
    pred = [S(None, None), S(0, 5)]
    assert match(gold, pred, lambda g, p: 1.0) == [(0, 1)]


def test_components_sweep():
    gold = [S(0, 5), S(20, 30), S(22, 25), S(40, 41)]
    pred = [S(4, 8), S(8, 10), S(29, 35), S(50, 60)]
    comps = sorted((sorted(g), sorted(p)) for g, p in components(gold, pred))
    assert comps == [([], [1]), ([], [3]), ([0], [0]), ([1, 2], [2]), ([3], [])]


def brute_force(gold, pred, weight):
    """The best total weight over every one-to-one matching of overlapping candidate pairs."""
    best = 0.0
    for choice in itertools.product(range(-1, len(pred)), repeat=len(gold)):
        used = [j for j in choice if j >= 0]
        if len(set(used)) != len(used):
            continue
        total = 0.0
        for i, j in enumerate(choice):
            if j >= 0 and overlap(gold[i], pred[j]):
                total += max(0.0, weight(gold[i], pred[j]))
        best = max(best, total)
    return best


spans = st.builds(lambda s, n, lab: S(s, s + n, lab), st.integers(0, 20), st.integers(1, 8), st.sampled_from("AB"))


@settings(max_examples=150, deadline=None)
@given(st.lists(spans, max_size=4), st.lists(spans, max_size=5))
def test_maximum_weight_equals_brute_force(gold, pred):
    def weight(g, p):
        return 2.0 * (g.label == p.label) + char_iou(g, p)

    pairs = match(gold, pred, weight)
    assert len({g for g, _ in pairs}) == len(pairs) == len({p for _, p in pairs})
    assert sum(weight(gold[g], pred[p]) for g, p in pairs) == pytest.approx(brute_force(gold, pred, weight))


@settings(max_examples=250, deadline=None)
@given(st.lists(spans, max_size=7), st.lists(spans, max_size=7), st.randoms(), st.none() | st.integers(0, 10**6))
def test_order_of_inputs_never_changes_the_matched_contents(gold, pred, rnd, fractional_seed):
    """With 0/1 tiers, and with fractional tiers (a function of the spans' contents, see tier_table)."""
    weight = same_label_then_overlap if fractional_seed is None else tier_table(fractional_seed, 3, False)

    def contents(g_list, p_list):
        pairs = match(g_list, p_list, weight)
        return sorted((astuple(g_list[g]), astuple(p_list[p])) for g, p in pairs)

    shuffled_gold, shuffled_pred = gold[:], pred[:]
    rnd.shuffle(shuffled_gold)
    rnd.shuffle(shuffled_pred)
    assert contents(gold, pred) == contents(shuffled_gold, shuffled_pred)


def test_large_component_is_solved_exactly():
    rng = random.Random(7)
    gold = [S(i, i + rng.randint(1, 30), rng.choice("AB")) for i in range(0, 200, 3)]
    pred = [S(i, i + rng.randint(1, 30), rng.choice("AB")) for i in range(1, 200, 3)]
    pairs = match(gold, pred, same_label_then_overlap)
    assert len(pairs) == min(len(gold), len(pred))  # every span overlaps its neighbours: a perfect matching


# ------------------------------------------------------------------ lexicographic tiers


def test_fractional_first_tier_beats_the_second_tier():
    """(0.5, 1) on the diagonal, (0.6, 0) off it: 0.6 + 0.6 > 0.5 + 0.5 decides before the second tier."""
    gold, pred = [S(0, 10, "A"), S(0, 10, "B")], [S(0, 10, "A"), S(0, 10, "B")]

    def weight(g, p):
        return (0.5, 1.0) if g.label == p.label else (0.6, 0.0)

    assert match(gold, pred, weight) == [(0, 1), (1, 0)]


@pytest.mark.parametrize("bad, message", [
    ((1.5, 0.0), r"in \[0, 1\]"),
    ((0.5, -0.1), r"in \[0, 1\]"),
    ((float("nan"), 1.0), r"in \[0, 1\]"),
])
def test_tuples_outside_the_contract_are_refused(bad, message):
    gold, pred = [S(0, 10, "A"), S(0, 10, "B")], [S(0, 10, "A")]
    with pytest.raises(ValueError, match=message):
        match(gold, pred, lambda g, p: bad)
    with pytest.raises(ValueError, match=message):
        match(gold[:1], pred, lambda g, p: bad)  # a lone pair too


@pytest.mark.parametrize("first, second", [((1.0, 0.5), (1.0, 0.5, 0.2)), (0.7, (1.0, 0.5))])
def test_weights_of_one_matching_have_one_shape(first, second):
    gold, pred = [S(0, 10, "A"), S(0, 10, "B")], [S(0, 10, "A"), S(0, 10, "B")]
    with pytest.raises(ValueError, match="must all be numbers or all tuples of one length"):
        match(gold, pred, lambda g, p: first if g.label == p.label else second)


def test_zero_tuples_of_another_length_are_not_candidates():
    gold, pred = [S(0, 10, "A"), S(0, 10, "B")], [S(0, 10, "A"), S(0, 10, "B")]
    assert match(gold, pred, lambda g, p: (1.0, 0.3) if g.label == p.label else (0.0,)) == [(0, 0), (1, 1)]


FRACTIONS = (0.0, 0.1, 0.25, 1 / 3, 0.5, 0.6, 2 / 3, 1.0)


def tier_table(seed: int, tiers: int, binary_prefix: bool):
    """A weight that is a function of the two spans' contents (so reordering inputs cannot change it)."""
    def weight(g: S, p: S) -> tuple[float, ...]:
        rnd = random.Random(f"{seed}|{astuple(g)}|{astuple(p)}")
        first = [rnd.choice((0.0, 1.0) if binary_prefix else FRACTIONS) for _ in range(tiers - 1)]
        return (*first, rnd.choice(FRACTIONS))

    return weight


def tier_sums(pairs, gold, pred, weight, tiers):
    sums = [Fraction(0)] * tiers
    for g, p in pairs:
        sums = [s + Fraction(x) for s, x in zip(sums, weight(gold[g], pred[p]))]
    return sums


def lexicographic_best(gold, pred, weight, tiers):
    """The lexicographically largest tier sums over every one-to-one matching (exact fractions)."""
    best = [Fraction(0)] * tiers
    for choice in itertools.product(range(-1, len(pred)), repeat=len(gold)):
        used = [j for j in choice if j >= 0]
        if len(set(used)) != len(used):
            continue
        pairs = [(i, j) for i, j in enumerate(choice) if j >= 0 and overlap(gold[i], pred[j])]
        best = max(best, tier_sums(pairs, gold, pred, weight, tiers))
    return best


tight_spans = st.builds(lambda s, n, lab: S(s, s + n, lab), st.integers(0, 6), st.integers(1, 8), st.sampled_from("AB"))


@settings(max_examples=200, deadline=None)
@given(st.lists(tight_spans, max_size=4), st.lists(tight_spans, max_size=4), st.integers(0, 10**6),
       st.integers(1, 3), st.booleans())
def test_lexicographic_tiers_equal_brute_force(gold, pred, seed, tiers, binary_prefix):
    weight = tier_table(seed, tiers, binary_prefix)
    pairs = match(gold, pred, weight)
    assert len({g for g, _ in pairs}) == len(pairs) == len({p for _, p in pairs})
    assert all(overlap(gold[g], pred[p]) and any(weight(gold[g], pred[p])) for g, p in pairs)
    got, best = tier_sums(pairs, gold, pred, weight, tiers), lexicographic_best(gold, pred, weight, tiers)
    if binary_prefix or tiers == 1:  # one float per pair (the float path): exact but for rounding in the last tier
        assert got[:-1] == best[:-1] and float(got[-1]) == pytest.approx(float(best[-1]), abs=1e-9)
    else:
        assert got == best


def test_large_component_with_fractional_tiers_is_solved_exactly():
    rng = random.Random(11)
    gold = [S(i, i + rng.randint(1, 30), rng.choice("AB")) for i in range(0, 150, 3)]
    pred = [S(i, i + rng.randint(1, 30), rng.choice("AB")) for i in range(1, 150, 3)]

    def weight(g, p):
        return (0.5 + 0.5 * (g.label == p.label) * char_iou(g, p), 1.0, char_iou(g, p))

    pairs = match(gold, pred, weight)
    assert len(pairs) == min(len(gold), len(pred))  # every pair is a candidate: a perfect matching
    scalar = match(gold, pred, lambda g, p: (1.0, 1.0, 0.5 + 0.5 * (g.label == p.label) * char_iou(g, p)))
    # every first tier is >= 0.5, so its best sum is over a perfect matching: what the float path finds
    # when the same values are its last tier (after "as many pairs as possible")
    first = sum(weight(gold[g], pred[p])[0] for g, p in pairs)
    assert first == pytest.approx(sum(weight(gold[g], pred[p])[0] for g, p in scalar), abs=1e-9)
