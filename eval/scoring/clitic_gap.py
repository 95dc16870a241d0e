"""How much of an entity score gap is clitic boundaries alone (``khabar score --clitics``).

A corpus converted without ``--strip-proclitics`` (WojoodNER keeps «و», «ب», «ل»… inside mentions) and a
system that follows khabar's guidelines (or the reverse) disagree on the first letter of many mentions,
and every such mention costs a strict match. Scoring once more with the proclitics left out of the gold
and the predicted mentions alike, by the converters' one rule (:func:`annotation.formats.clitics.strip_proclitics`),
shows what the scores would be if the two agreed on clitics; the difference is the clitic part of the gap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from annotation.formats.clitics import strip_proclitics
from annotation.model import Annotated, Prediction
from eval.scoring.scorer import ScoreConfig, score

SCHEMES = ("strict", "exact", "partial", "type")


@dataclass(frozen=True)
class CliticGap:
    as_scored: dict[str, float]  # micro F1 per scheme
    clitic_free: dict[str, float]
    moved_gold: int  # mention starts moved past a proclitic
    moved_predicted: int


def _f1(result: dict, scheme: str) -> float:
    return float(result["entities"][scheme]["micro"]["f1"])


def clitic_gap(gold: Sequence[Annotated], predictions: Sequence[Prediction], as_scored: dict,
               config: ScoreConfig) -> CliticGap:
    """Score ``predictions`` again with proclitics left out of both sides (no bootstrap), beside ``as_scored``."""
    texts = {doc.id: doc for doc in gold}
    moved_gold = moved_predicted = 0
    stripped_gold = []
    for doc in gold:
        new, changed, _ = strip_proclitics(doc)
        stripped_gold.append(new)
        moved_gold += changed
    stripped_predictions = []
    for prediction in predictions:
        doc = texts.get(prediction.id)
        if doc is None:
            stripped_predictions.append(prediction)
            continue
        new, changed, _ = strip_proclitics(replace(doc, entities=prediction.entities, claims=()))
        stripped_predictions.append(replace(prediction, entities=new.entities))
        moved_predicted += changed
    again = score(stripped_gold, stripped_predictions, config=replace(config, bootstrap=0)).result
    return CliticGap({s: _f1(as_scored, s) for s in SCHEMES}, {s: _f1(again, s) for s in SCHEMES},
                     moved_gold, moved_predicted)
