"""The fault sweep, scoring edge cases: one rule for duplicates (gold and predictions, offsets and text
only), a text whose occurrences are all taken is said to be there, and nervaluate's
``min_overlap_percentage`` as ``--min-overlap-percentage`` (checked against nervaluate itself).

Case ids start with the class of the sweep's table (``misleading``, ``wrong_exit``).
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from eval.scoring.entities import Ent, document_counts
from tests.helpers import assert_clean, at, write_lines

ROOT = Path(__file__).resolve().parent.parent
TEST_SPLIT = ROOT / "data" / "gold" / "test.jsonl"


def _article() -> dict[str, Any]:
    doc = json.loads(TEST_SPLIT.read_text(encoding="utf-8").splitlines()[0])
    return {**doc, "entities": [], "claims": []}


def _word(text: str, times: int) -> str:
    """A word of more than four letters that occurs exactly ``times`` times in ``text``."""
    return next(w for w in text.split() if len(w) > 4 and w.isalpha() and text.count(w) == times)


def _result(khabar: Any, tmp_path: Path, gold: dict[str, Any], entities: list[dict[str, Any]],
            *options: str) -> tuple[dict[str, Any], str]:
    gold_file = write_lines(tmp_path / "gold.jsonl", [gold])
    predictions = write_lines(tmp_path / "p.jsonl", [{"id": gold["id"], "entities": entities}])
    out = tmp_path / "r.json"
    output = assert_clean(khabar("score", gold_file, predictions, "--bootstrap", "0", "--json", out, *options), 0)
    return json.loads(out.read_text(encoding="utf-8")), output


def _strict(result: dict[str, Any]) -> tuple[Any, ...]:
    micro = result["entities"]["strict"]["micro"]
    return micro["precision"], micro["recall"], micro["correct"], micro["spurious"], micro["missed"]


def test_a_prediction_equal_to_a_gold_with_a_repeated_mention_scores_one(khabar, tmp_path):
    """misleading: R 0.5 before (the gold kept both copies, the predictions one)."""
    gold = _article()
    word = _word(gold["text"], 1)
    start, end = at(gold["text"], word)
    mention = {"start": start, "end": end, "text": word, "label": "ORG"}
    gold["entities"] = [{"id": "e1", **mention}, {"id": "e2", **mention}]
    result, output = _result(khabar, tmp_path, gold, [mention, mention])
    assert _strict(result) == (1.0, 1.0, 1, 0, 0)
    assert "repeated identical gold mention(s) counted once" in output
    assert "repeated identical predicted mention(s) counted once" in output


@pytest.mark.parametrize("given", ["offsets+text", "text+text"],
                         ids=["misleading-duplicate-offsets-and-text", "misleading-duplicate-text-twice"])
def test_a_text_only_copy_of_a_mention_counts_once(khabar, tmp_path, given):
    """misleading: P 0.5 before, with a warning that the span 'could not be aligned' though it is there."""
    gold = _article()
    word = _word(gold["text"], 1)
    start, end = at(gold["text"], word)
    gold["entities"] = [{"id": "e1", "start": start, "end": end, "text": word, "label": "ORG"}]
    first = {"start": start, "end": end, "label": "ORG"} if given == "offsets+text" else {"text": word, "label": "ORG"}
    result, output = _result(khabar, tmp_path, gold, [first, {"text": word, "label": "ORG"}])
    assert _strict(result) == (1.0, 1.0, 1, 0, 0)
    assert "repeated identical predicted mention(s) counted once" in output and "(text only)" in output
    assert "could not be aligned" not in output
    assert result["predictions"]["duplicate_mentions"] == 1


def test_a_text_whose_occurrences_are_taken_by_another_label_says_so(khabar, tmp_path):
    gold = _article()
    word = _word(gold["text"], 1)
    start, end = at(gold["text"], word)
    gold["entities"] = [{"id": "e1", "start": start, "end": end, "text": word, "label": "ORG"}]
    result, output = _result(khabar, tmp_path, gold, [{"text": word, "label": "ORG"}, {"text": word, "label": "PERS"}])
    assert _strict(result)[3] == 1  # a different mention: spurious
    assert "occur in the text, but every occurrence is taken" in output and "(1 in the text)" in output
    assert "could not be aligned" not in output


def test_a_repeated_string_takes_its_next_occurrence(khabar, tmp_path):
    """The rule does not swallow real repeats: a string given twice that the text holds twice is two mentions."""
    gold = _article()
    word = _word(gold["text"], 2)
    gold["entities"] = [{"id": f"e{k}", "start": s, "end": e, "text": word, "label": "ORG"}
                        for k, (s, e) in enumerate((at(gold["text"], word, 0), at(gold["text"], word, 1)))]
    result, output = _result(khabar, tmp_path, gold, [{"text": word, "label": "ORG"}] * 2)
    assert _strict(result) == (1.0, 1.0, 2, 0, 0) and "counted once" not in output


def test_min_overlap_percentage_changes_a_boundary_error_into_a_miss(khabar, tmp_path):
    gold = _article()
    word = _word(gold["text"], 1)
    start, end = at(gold["text"], word)
    gold["entities"] = [{"id": "e1", "start": start, "end": end, "text": word, "label": "ORG"}]
    shifted = [{"start": start, "end": start + 1, "label": "ORG"}]  # one character of the gold mention
    default, _ = _result(khabar, tmp_path, gold, shifted)
    assert default["entities"]["partial"]["micro"]["partial"] == 1
    strict_overlap, _ = _result(khabar, tmp_path, gold, shifted, "--min-overlap-percentage", "50")
    partial = strict_overlap["entities"]["partial"]["micro"]
    assert (partial["partial"], partial["missed"], partial["spurious"]) == (0, 1, 1)
    assert "|ov:50|" in strict_overlap["signature"] and "ov:" not in default["signature"]
    assert strict_overlap["config"]["min_overlap"] == 50


def _one_to_one(gold: list[tuple[int, int, str]], pred: list[tuple[int, int, str]]) -> bool:
    def overlaps(a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
        return min(a[1], b[1]) > max(a[0], b[0])
    return (all(sum(overlaps(g, p) for p in pred) <= 1 for g in gold)
            and all(sum(overlaps(g, p) for g in gold) <= 1 for p in pred))


def test_min_overlap_gives_nervaluates_counts():
    """Against nervaluate 1.2.1 itself (tokens = characters), wherever its greedy matching does not depend on
    the input order (each mention overlaps at most one on the other side)."""
    from nervaluate import Evaluator

    rng = random.Random(15)

    def spans() -> list[tuple[int, int, str]]:
        out, last = [], -1
        for s, e, label in sorted((s, rng.randrange(s + 1, min(30, s + 8) + 1), rng.choice("AB"))
                                  for s in (rng.randrange(29) for _ in range(3))):
            if s >= last:
                out.append((s, e, label))
                last = e
        return out

    compared = 0
    for _ in range(400):
        gold, pred = spans(), spans()
        if not _one_to_one(gold, pred):
            continue
        percent = rng.choice([1, 20, 50, 80, 100])
        theirs = Evaluator([[{"label": l, "start": s, "end": e - 1} for s, e, l in gold]],
                           [[{"label": l, "start": s, "end": e - 1} for s, e, l in pred]],
                           tags=["A", "B"], loader="dict", min_overlap_percentage=percent).evaluate()["overall"]
        ours = document_counts([Ent(*g) for g in gold], [Ent(*p) for p in pred], min_overlap=percent)
        for scheme, name in (("strict", "strict"), ("exact", "exact"), ("partial", "partial"), ("type", "ent_type")):
            for kind in ("correct", "incorrect", "partial", "missed", "spurious"):
                assert getattr(theirs[name], kind) == ours.get(f"entities.{scheme}.{kind}", 0), (gold, pred, percent)
        compared += 1
    assert compared > 150
