"""Aligning one prediction: every span given only as text gets offsets, or stays unaligned and listed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from annotation.model import Claim, Mention, Prediction, Span
from eval.inputs.alignment.choice import Candidate, Pool, choose, nearest
from eval.inputs.alignment.config import AlignConfig, AlignReport
from eval.inputs.alignment.folding import fold_span
from eval.inputs.alignment.fuzzy import FUZZY_MIN_WORDS, fuzzy
from eval.inputs.alignment.index import WORD, DocIndex

TYPO_MAX_WORDS = 4  # longer strings with a typo are left to the fuzzy step

class _Aligner:
    def __init__(self, pred_id: str, index: DocIndex, config: AlignConfig, report: AlignReport) -> None:
        self.pred_id = pred_id
        self.index = index
        self.config = config
        self.report = report

    def _exactish(self, needle: str, kind: str, repeated: bool) -> list[Candidate]:
        """Occurrences found verbatim, after normalisation or with a proclitic set aside, each labelled
        with the first step that found it and ranked: a string the list gives once takes a verbatim
        occurrence first; the copies of a repeated string take the whole-word occurrences in document
        order, whichever step found them (the k-th copy, the k-th occurrence)."""
        index, config = self.index, self.config
        steps = [("exact", index.exact(needle))]
        if config.normalise:
            steps.append(("normalised", index.normalised(needle)))
        whole = any(index.tier(*span) == 0 for _, spans in steps for span in spans)
        if config.clitics and not whole:
            steps.append(("clitic", index.clitic(needle, normalise=config.normalise)))
        found: dict[tuple[int, int], str] = {}
        for step, spans in steps:
            for span in spans:
                trimmed = index.trim(span) if config.clitics and index.word_prefix(span[0]) == "" else None
                found.setdefault(span if trimmed is None else trimmed, step if trimmed is None else "clitic")
        merged = not steps[0][1] or (repeated and any(index.tier(*span) == 0 for span in steps[0][1]))

        def rank(span: tuple[int, int], step: str) -> int:
            tier = index.tier(*span)
            return tier if merged or step == "exact" else 2 + tier

        return [Candidate(s, e, step, rank((s, e), step)) for (s, e), step in found.items()]

    def candidates(self, needle: str, kind: str, repeated: bool = False) -> list[Candidate]:
        """The occurrences of ``needle``; the typo step (strings of up to four words) and then the fuzzy
        step (three words or more) only for a string found nowhere by the others, since extra copies of
        a string that does occur are duplicates."""
        found = self._exactish(needle, kind, repeated)
        if found or not self.config.fuzzy:
            return found
        words = len(WORD.findall(fold_span(needle)))
        if words <= TYPO_MAX_WORDS:
            found = [Candidate(s, e, "typo", self.index.tier(s, e)) for s, e in self.index.typo(needle)]
        if found or words < FUZZY_MIN_WORDS:
            return found
        return [Candidate(s, e, "fuzzy", rank) for rank, (s, e, _) in
                enumerate(fuzzy(self.index, needle, self.config.fuzzy))]

    def place(self, needle: str | None, kind: str, pool: Pool | None = None, *, context: str | None = None,
              blocked: Sequence[tuple[int, int]] = (), near: tuple[int, int] | None = None,
              repeated: bool = False) -> tuple[int, int] | None:
        """Offsets for one span (``pool``: an item of the model's list, ``repeated`` when the list has the
        string more than once; else a claim part near ``near``)."""
        self.report.total += 1
        chosen: Candidate | None = None
        if needle and needle.strip():
            found = self.candidates(needle.strip(), kind, repeated)
            if pool is not None:
                chosen = choose(self.index, found, pool, needle=needle, context=context,
                                blocked=[*pool.used, *blocked])
            else:
                ordered = sorted(found, key=lambda c: (c.rank, c.start, c.end))
                span = nearest([c.span for c in ordered], near, self.index.text)
                chosen = next((c for c in ordered if c.span == span), None)
        if chosen is None:
            self.report.unaligned.append({"id": self.pred_id, "kind": kind, "text": needle})
            return None
        if pool is not None:
            pool.take(chosen.span)
        s, e = chosen.span
        self.report.count(chosen.step, None if chosen.step == "exact" else {
            "id": self.pred_id, "kind": kind, "text": needle, "step": chosen.step,
            "aligned": self.index.text[s:e], "start": s, "end": e})
        return chosen.span

    def span(self, span: Span | None, kind: str, near: tuple[int, int] | None) -> Span | None:
        if span is None or span.has_offsets:
            return span
        found = self.place(span.text, kind, near=near)
        if found is None:
            return replace(span, start=None, end=None)
        return replace(span, start=found[0], end=found[1], text=self.index.text[found[0]:found[1]])


def _containers(index: DocIndex, texts: Sequence[str | None]) -> dict[str, list[tuple[int, int]]]:
    """For each listed string, the occurrences of the longer listed strings that contain it."""
    keys = {fold_span(t) for t in texts if t and t.strip()}
    out: dict[str, list[tuple[int, int]]] = {}
    for key in keys:
        longer = [k for k in keys if key != k and key in k]
        out[key] = [span for k in longer for span in index.normalised(k, key=k)]
    return out


def _aligned(item: Mention | Claim, found: tuple[int, int] | None, text: str) -> Mention | Claim:
    if found is None:
        return replace(item, start=None, end=None)
    return replace(item, start=found[0], end=found[1], text=text[found[0]:found[1]])


def _given(item: Mention | Claim) -> tuple[int, int] | None:
    return (item.start, item.end) if item.start is not None and item.end is not None else None


def _align_list(aligner: _Aligner, items: Sequence[Mention | Claim], kind: str) -> list[tuple[int, int] | None]:
    """Places for one list (entities or claims), in the list's order, sharing one pool."""
    pool = Pool()
    for item in items:
        given = _given(item)
        if given is not None:
            pool.used.add(given)
    offset_free = [i.text for i in items if _given(i) is None and i.text and i.text.strip()]
    containers = _containers(aligner.index, offset_free)
    copies = Counter(fold_span(t) for t in offset_free)
    places: list[tuple[int, int] | None] = []
    for item in items:
        given = _given(item)
        if given is not None:
            pool.cursor = given[0]
            places.append(given)
            continue
        key = fold_span(item.text) if item.text and item.text.strip() else ""
        places.append(aligner.place(item.text, kind, pool, context=getattr(item, "context", None),
                                    blocked=containers.get(key, []), repeated=copies[key] > 1))
    return places


def align_prediction(pred: Prediction, text: str, config: AlignConfig = AlignConfig(),
                     report: AlignReport | None = None, *, index: DocIndex | None = None) -> Prediction:
    """Give offsets to every span that has only text; spans that cannot be aligned keep None offsets
    (the scorer counts them as spurious) and are listed in ``report.unaligned``.

    ``index`` may be passed to reuse a prepared ``DocIndex(text)`` across calls."""
    report = report if report is not None else AlignReport()
    aligner = _Aligner(pred.id, index if index is not None and index.text == text else DocIndex(text),
                       config, report)
    entity_places = _align_list(aligner, pred.entities, "entity")
    entities = [m if _given(m) else _aligned(m, found, text) for m, found in zip(pred.entities, entity_places)]
    claim_places = _align_list(aligner, pred.claims, "claim")
    claims: list[Claim] = []
    for c, where in zip(pred.claims, claim_places):
        claim = c if _given(c) else _aligned(c, where, text)
        claims.append(replace(claim, source=aligner.span(c.source, "source", where),
                              cue=aligner.span(c.cue, "cue", where),
                              via=tuple(aligner.span(v, "via", where) for v in c.via)))
    return replace(pred, entities=tuple(entities), claims=tuple(claims))
