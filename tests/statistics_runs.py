"""Runs for the statistics tests: a corpus of numbered words and systems of a given skill."""

from __future__ import annotations

import numpy as np

from annotation.model import Annotated, Article, Claim, Mention, Prediction, Span

LABELS = ("PERS", "ORG", "GPE", "DATE")


def corpus(n_docs: int = 40, *, seed: int = 0) -> list[Annotated]:
    """Documents of numbered words; every third word a mention, every doc one claim sourced to a mention."""
    rng = np.random.default_rng(seed)
    docs = []
    for i in range(n_docs):
        words = [f"كلمة{j}" for j in range(30)]
        text = " ".join(words)
        starts = [sum(len(w) + 1 for w in words[:j]) for j in range(len(words))]
        mentions = tuple(Mention(label=str(rng.choice(LABELS)), start=starts[j], end=starts[j] + len(words[j]),
                                 text=words[j], id=f"e{j}", entity=f"x{j}") for j in range(0, 30, 3))
        src = mentions[0]
        content_start, content_end = starts[10], starts[16] + len(words[16])
        claim = Claim(start=content_start, end=content_end, text=text[content_start:content_end], id="c1",
                      source=Span(src.start, src.end, src.text, src.entity), attribution="indirect",
                      claim_type="factual_event", check_worthy=True)
        docs.append(Annotated(Article(id=f"d{i:03d}", text=text), entities=mentions, claims=(claim,)))
    return docs


def system(gold: list[Annotated], skill: float, seed: int) -> list[Prediction]:
    """Keeps each gold mention with probability ``skill``, relabels some, keeps the claim half the time."""
    rng = np.random.default_rng(seed)
    preds = []
    for doc in gold:
        ents = tuple(Mention(label=m.label if rng.random() < 0.9 else "ORG", start=m.start, end=m.end)
                     for m in doc.entities if rng.random() < skill)
        claims = tuple(Claim(start=c.start, end=c.end, source=c.source, attribution=c.attribution,
                             claim_type=c.claim_type, check_worthy=c.check_worthy)
                       for c in doc.claims if rng.random() < skill)
        preds.append(Prediction(id=doc.id, entities=ents, claims=claims))
    return preds
