"""``baseline``: a rule-based Arabic extractor of entity mentions and claims (no model, no download).

Entities come from ``baseline_entities`` (gazetteers and patterns), claims from ``baseline_claims``
(attribution cues, complementizers, quotation marks); both follow data/guidelines.md as far as
rules can. Every span carries offsets. The version is the baseline's rule version plus a hash of
the gazetteer files, so a changed word list is a different version.
"""

from __future__ import annotations

from collections.abc import Sequence

from annotation.model import Article, Claim, Mention, Prediction, Span
from eval.extractors.base import BatchCallable
from eval.extractors.baseline.claims import Part, find_claims
from eval.extractors.baseline.entities import find_entities
from eval.extractors.baseline.gazetteer import gazetteer_hash

RULES_VERSION = "1"


class BaselineExtractor(BatchCallable):
    name = "baseline"

    def __init__(self, *, entities: bool = True, claims: bool = True) -> None:
        self.entities = entities
        self.claims = claims
        self.version = f"{RULES_VERSION}+{gazetteer_hash()}"

    def predict(self, article: Article) -> Prediction:
        text = article.text
        found = find_entities(text, outlet=article.source)
        mentions = tuple(Mention(f.label, f.start, f.end, text[f.start:f.end], id=f"e{i + 1}")
                         for i, f in enumerate(found)) if self.entities else ()

        def span(part: Part | None) -> Span | None:
            return Span(part.start, part.end, text[part.start:part.end]) if part else None

        claims = tuple(
            Claim(c.start, c.end, text[c.start:c.end], id=f"c{i + 1}", source=span(c.source), cue=span(c.cue),
                  via=tuple(Span(v.start, v.end, text[v.start:v.end]) for v in c.via), attribution=c.attribution,
                  claim_type=c.claim_type, check_worthy=c.check_worthy)
            for i, c in enumerate(find_claims(text, found))) if self.claims else ()
        return Prediction(article.id, mentions, claims)

    def extract(self, articles: Sequence[Article]) -> list[Prediction]:
        return [self.predict(a) for a in articles]
