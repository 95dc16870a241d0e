"""Helpers for the scoring tests: small gold documents and predictions built from spans."""

from __future__ import annotations

import random
from collections.abc import Sequence

from annotation.model import Annotated, Article, Claim, Mention, Prediction, Span
from tests.helpers import span_at, write_gold, write_lines  # noqa: F401  (re-exported for the scoring tests)

LABELS = ("PERS", "ORG", "GPE", "LOC", "DATE")
WORDS = ("قال", "الرئيس", "إن", "الحكومة", "ستعمل", "على", "تعزيز", "التعاون", "مع", "الدول", "المجاورة", "في",
         "الاقتصاد", "والطاقة", "العام", "المقبل", "وأضاف", "أن", "المفاوضات", "مستمرة")


def text_of(n_chars: int, seed: int = 0) -> str:
    """An Arabic-looking text of exactly ``n_chars`` characters."""
    rng = random.Random(seed)
    out = ""
    while len(out) < n_chars:
        out += rng.choice(WORDS) + " "
    return out[:n_chars]


def gold_doc(doc_id: str, text: str, mentions: Sequence[tuple[int, int, str]] = (),
             claims: Sequence[Claim] = (), clusters: Sequence[str | None] | None = None) -> Annotated:
    clusters = clusters or [None] * len(mentions)
    return Annotated(
        article=Article(id=doc_id, text=text, title=None),
        entities=tuple(Mention(label=label, start=s, end=e, text=text[s:e], id=f"e{k + 1}", entity=c)
                       for k, ((s, e, label), c) in enumerate(zip(mentions, clusters))),
        claims=tuple(claims))


def prediction(doc_id: str, mentions: Sequence[tuple[int, int, str]] = (), claims: Sequence[Claim] = ()) -> Prediction:
    return Prediction(id=doc_id, entities=tuple(Mention(label=label, start=s, end=e) for s, e, label in mentions),
                      claims=tuple(claims))


def span(text: str, needle: str, occurrence: int = 0, entity: str | None = None) -> Span:
    """The span of the ``occurrence``-th (from 0) ``needle`` in ``text``."""
    return span_at(text, needle, occurrence, entity)


def claim(text: str, content: str, *, source: Span | None = None, cue: Span | None = None,
          attribution: str | None = "indirect", claim_type: str | None = "factual_event",
          check_worthy: bool | None = True, occurrence: int = 0, ident: str | None = None) -> Claim:
    s = span(text, content, occurrence)
    return Claim(start=s.start, end=s.end, text=content, id=ident, source=source, cue=cue,
                 attribution=attribution, claim_type=claim_type, check_worthy=check_worthy)


def flat_corpus(rng: random.Random, n_docs: int, *, slots: int = 12, width: int = 10,
                labels: Sequence[str] = LABELS) -> tuple[list[list[tuple[int, int, str]]], list[list[tuple[int, int, str]]], int]:
    """Gold and predictions where neither side overlaps itself and each prediction overlaps at most one
    gold mention (and vice versa): spans live in fixed slots of ``width`` characters that touch each
    other (end-exclusive), so greedy and optimal matching agree. Returns gold, predictions, text length."""
    gold_docs, pred_docs = [], []
    for _ in range(n_docs):
        gold, pred = [], []
        for slot in range(slots):
            lo = slot * width
            has_gold = rng.random() < 0.7
            if has_gold:
                s = lo + rng.randint(0, width - 2)
                e = rng.randint(s + 1, lo + width)
                label = rng.choice(labels)
                gold.append((s, e, label))
                r = rng.random()
                if r < 0.45:
                    pred.append((s, e, label))
                elif r < 0.6:
                    ps = lo + rng.randint(0, width - 2)
                    pe = rng.randint(ps + 1, lo + width)
                    if max(s, ps) < min(e, pe):
                        pred.append((ps, pe, label))
                elif r < 0.7:
                    pred.append((s, e, rng.choice(labels)))
                elif r < 0.8:
                    ps = lo + rng.randint(0, width - 2)
                    pe = rng.randint(ps + 1, lo + width)
                    if max(s, ps) < min(e, pe):
                        pred.append((ps, pe, rng.choice(labels)))
            elif rng.random() < 0.3:
                ps = lo + rng.randint(0, width - 2)
                pred.append((ps, rng.randint(ps + 1, lo + width), rng.choice(labels)))
        gold_docs.append(gold)
        pred_docs.append(pred)
    return gold_docs, pred_docs, slots * width
