"""The review queue: disagreements the majority cannot settle go to a Label Studio project for an adjudicator.

Label Studio Community has no reviewer stream, so khabar builds one (as Prodigy's ``review`` does):
one task per article with unresolved disagreements (:func:`annotation.review.adjudication.adjudicate`
lists them), whose predictions are each annotator's version (``model_version`` = the annotator, one
tab each in the UI) and the majority proposal (``model_version`` "majority", pushed last: Label Studio
makes the draft the adjudicator starts from out of the newest prediction),
and whose data lists the disputed units in words (:mod:`annotation.review.disputes`). The
adjudicator accepts or edits the draft in the ordinary annotation UI and submits; ``khabar import``
of the review project marks those annotations as review decisions, which ``khabar adjudicate``
takes over the majority.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from annotation.labelstudio.config import REVIEW_DRAFT, REVIEW_TEXT
from annotation.labelstudio.tasks import article_task, prediction_payload, predictions_to_results
from annotation.model import Annotated, Prediction
from annotation.review.adjudication import adjudicate
from annotation.review.disputes import article_disputes
from annotation.review.records import group_articles
from annotation.review.units import CLAIM_IOU
from annotation.scheme import Scheme

MAJORITY = REVIEW_DRAFT
JSON = dict[str, Any]


def _prediction(doc: Annotated, version: str, scheme: Scheme) -> JSON:
    pred = Prediction(id=doc.id, entities=doc.entities, claims=doc.claims)
    return prediction_payload(predictions_to_results(pred, doc.article, scheme), version)


def _in_words(disputes: Sequence[Any], unresolved: Sequence[JSON]) -> str:
    lines = [f"{i}. {d.sentence()}" for i, d in enumerate(disputes, 1)]
    lines += [f"— the majority cannot settle: {u['detail']}" for u in unresolved]
    return "\n".join(lines)


def review_tasks(records: Sequence[Annotated], scheme: Scheme, *, claim_iou: float = CLAIM_IOU
                 ) -> tuple[list[JSON], list[str]]:
    """The review tasks (one per article with unresolved disagreements), and notes to print.

    Review decisions already among the records are not annotators: they are left out, and an
    article they settle gets no task."""
    annotations = [r for r in records if not r.annotation.get("review")]
    decided = {r.id for r in records if r.annotation.get("review")}
    grouped, notes = group_articles(annotations)
    result = adjudicate(annotations, scheme, claim_iou=claim_iou)
    proposals = {d.id: d for d in result.docs}
    attributes = [a.name for a in scheme.attributes]
    tasks = []
    for art in grouped:
        unresolved = [u for u in result.unresolved if u["id"] == art.id]
        if not unresolved or art.id in decided:
            continue
        article = next(iter(art.records.values())).article
        predictions = [_prediction(art.records[who], who, scheme) for who in art.annotators]
        if art.id in proposals:   # last: Label Studio makes the draft from the newest prediction
            predictions.append(_prediction(proposals[art.id], MAJORITY, scheme))
        task = article_task(article, predictions)
        task["data"][REVIEW_TEXT] = _in_words(article_disputes(art, attributes, claim_iou=claim_iou), unresolved)
        tasks.append(task)
    if decided:
        notes.append(f"{len(decided)} article(s) already have a review decision: not pushed again")
    return tasks, notes
