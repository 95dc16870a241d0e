"""Claim rules of the baseline, after the annotation guidelines (data/guidelines.md, sections 10–14).

Per sentence (a line, cut at «.», «؟», «!» followed by a space):
- each attribution cue (``gazetteers/cues.txt``: قال، صرح، أكد، أعلن، ذكر، أوضح، أضاف، تعهد، نفى، توقع …
  with their feminine, dual, plural, present and participle forms, and و/ف attached) opens a claim;
- the source is the entity mention between the cue and the content (a name before a title), else
  the words there («الوكالة», «مصدر في التحالف» after «نقلت … عن»), else the mention right before
  the cue in the sentence, else the previous claim's source (an implicit subject: «وأوضح أن …»);
- the content starts after the complementizer (أن، إن، بأن with أنه/إنه…), a colon or an opening
  quotation mark, or after «بـ» for a commitment («تعهد كيم بالدعم الكامل» → «الدعم الكامل …»), and
  ends at the sentence end, before the next «وأن» clause (its own claim, same source and cue), before
  the next cue and before «، بحسب …» (which becomes the claim's via);
- «X، بحسب Y» / «وفقا لـ Y»: content X, source Y; belief nouns («المخاوف من أن», «التكهنات بشأن»)
  give claims with a cue and no source;
- every other sentence of six words or more, and the title, is a claim of the article itself.
Attributes: ``direct_quote`` when the content holds a quotation of three words or more, ``indirect``
with a source, ``none`` without; claim_type from the cue (تعهد → commitment, توقع/حذر → prediction,
يرى/يأمل → opinion), else from the content (a number, money or percentage → numerical; بسبب/أدى إلى →
causal; future سـ/سوف/لن/قد → prediction), else factual_event; check_worthy unless opinion or prediction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from annotation.arabic import fold
from eval.extractors.baseline.entities import Found
from eval.extractors.baseline.gazetteer import Token, lexicon, tokenize

SENTENCE_END = re.compile(r"(?<![0-9٠-٩])[.!؟?](?=\s|$)|\n")
COMPLEMENTIZERS = {fold(w) for w in (
    "أن", "إن", "بأن", "وأن", "وإن", "أنه", "إنه", "بأنه", "وأنه", "وإنه", "أنها", "إنها", "بأنها", "وأنها",
    "أنهم", "إنهم", "بأنهم", "أنهما", "إنهما", "بأنهما", "لأن")}
NEXT_CLAUSE = {fold(w) for w in ("وأن", "وإن", "وأنه", "وأنها", "وإنه")}
QUOTES_OPEN = "\"«“"
QUOTES_CLOSE = "\"»”"
CONTENT_EDGE = " \t\"«»“”'.,،:;؛!?؟-–—()"
MIN_OWN_CLAIM_WORDS = 6
ENTITY_SOURCES = ("PERS", "ORG", "GPE", "OCC")
CAUSAL = tuple(fold(w) for w in ("بسبب", "أدى إلى", "أدت إلى", "نتيجة", "بفضل", "مما أدى", "جراء", "بسببه"))
FUTURE = re.compile(r"(?:^|\s)(?:س[يتنأ]\w+|سوف|لن|قد\s+[يت]\w+)")


@dataclass(frozen=True)
class Part:
    start: int
    end: int


@dataclass(frozen=True)
class FoundClaim:
    start: int
    end: int
    source: Part | None
    cue: Part | None
    via: tuple[Part, ...]
    attribution: str
    claim_type: str
    check_worthy: bool


def _sentences(text: str) -> list[tuple[int, int]]:
    out, start = [], 0
    for m in SENTENCE_END.finditer(text):
        if m.start() > start:
            out.append((start, m.start()))
        start = m.end()
    if start < len(text):
        out.append((start, len(text)))
    return [(s, e) for s, e in out if text[s:e].strip()]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in CONTENT_EDGE:
        start += 1
    while end > start and text[end - 1] in CONTENT_EDGE:
        end -= 1
    return start, end


def _strip_conjunction(text: str, start: int, end: int) -> int:
    """«وفي اليوم السابق، التقى …» → «في اليوم السابق، التقى …»: drop a leading conjunction و (or ف before
    a function word or «ال»), unless the word is one that starts with و itself («وزارة», «وافق»)."""
    word = re.match(r"[\w\u064b-\u065f]+", text[start:end])
    if not word or text[start] not in "وف":
        return start
    rest = fold(word.group()[1:])
    stop = lexicon()["stopwords"]
    if rest in stop or rest.startswith("ال") and len(rest) > 3:  # type: ignore[operator]
        return start + 1
    if text[start] == "و" and len(rest) >= 3 and fold(word.group()) not in _W_WORDS:
        return start + 1
    return start


# Common words that begin with و as a root letter (not a conjunction).
_W_WORDS = {fold(w) for w in (
    "وزارة", "وزير", "وزيرة", "وزراء", "وكالة", "وكالات", "وفد", "وقت", "وضع", "ولاية", "وسط", "وصول", "وفق", "وفقا",
    "واشنطن", "وحدة", "وثيقة", "والي", "واقع", "وارد", "واردات", "وجود", "وعود", "وتيرة", "وافق", "وافقت", "واثق",
    "واثقة", "وصل", "وصلت", "وقع", "وقعت", "وجد", "وجدت", "وضعت", "وعد", "وعدت", "وصف", "وصفت", "وقف", "ورد", "وردت",
    "وطني", "وطنية", "الوطني", "ولي", "ولد", "وفاة", "وفيات", "وظائف", "وظيفة", "وسائل", "وسيلة", "ودائع", "وجه",
    "وجهت", "وجهة", "وراء", "ورقة", "وقود", "وكيل", "واجه", "واجهت", "واصل", "واصلت", "وسع", "وحيد", "وحدها")}
ADJUNCT = re.compile(r"[،,:]|\s(?:عقب|بعد|خلال|في|أمس|اليوم|مساء|صباح|لوكالة|لصحيفة|لقناة|ل«|لـ|أمام|على هامش)(?=\s|«|$)")
SOURCE_NOUN = re.compile(r"\s*(?:مصدر|مصادر|مسؤول|مسؤولة|مسؤولون|مسئول|متحدث)\b")
NOUN_SOURCE_CUT = re.compile(r"[،,:]|\s(?:عقب|بعد|خلال|أمس|اليوم|مساء|صباح|لوكالة|لصحيفة|لقناة|ل«|لـ)(?=\s|«|$)")
TAIL_CONNECTORS = {fold(w) for w in ("حيث", "و", "لكنه", "لكنها", "لكن", "كما", "فيما", "إذ", "ثم", "بينما", "في حين")}


class _Claims:
    def __init__(self, text: str, entities: Sequence[Found]) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.entities = [e for e in entities if e.label in ENTITY_SOURCES]
        self.numbers = [e for e in entities if e.label in ("MONEY", "PERCENT")]
        self.dates = [e for e in entities if e.label == "DATE"]
        self.cues: dict[str, str] = lexicon()["cues"]  # type: ignore[assignment]
        self.last_source: Part | None = None
        self.out: list[FoundClaim] = []

    def cue_kind(self, tok: Token) -> tuple[str, int] | None:
        """(kind, characters of proclitic to skip) when the token is an attribution cue."""
        if tok.key in self.cues:
            return self.cues[tok.key], 0
        if tok.key[:1] in ("و", "ف") and tok.key[1:] in self.cues:
            return self.cues[tok.key[1:]], 1
        return None

    # -- pieces ----------------------------------------------------------------------------------

    def source_between(self, start: int, end: int) -> Part | None:
        inside = [e for e in self.entities if start <= e.start and e.end <= end]
        outer = [e for e in inside if not any(o is not e and o.start <= e.start and e.end <= o.end for o in inside)]
        for labels in (("PERS",), ("ORG", "GPE"), ("OCC",)):
            hits = [e for e in inside if e.label in labels] if labels == ("PERS",) else \
                [e for e in outer if e.label in labels]
            if hits:
                return Part(hits[0].start, hits[0].end)
        return None

    def words_source(self, start: int, end: int) -> Part | None:
        """The words between cue and content when no entity is there: «الوكالة», «مصدر في التحالف»."""
        s, e = _trim(self.text, start, end)
        if s >= e:
            return None
        piece = self.text[s:e]
        piece = (NOUN_SOURCE_CUT if SOURCE_NOUN.match(piece) else ADJUNCT).split(piece)[0]
        for date in self.dates:
            if s <= date.start < s + len(piece):
                piece = piece[:date.start - s]
        s2, e2 = _trim(self.text, s, s + len(piece))
        words = self.text[s2:e2].split()
        stop = lexicon()["stopwords"]
        if not words or len(words) > 5 or all(fold(w) in stop for w in words):  # type: ignore[operator]
            return None
        return Part(s2, e2)

    def content_start(self, pos: int, limit: int, kind: str) -> tuple[int, str, int] | None:
        """(content start, how it is introduced: complementizer, colon or ب, where the introducer starts)."""
        for tok in self.tokens:
            if tok.start < pos or tok.start >= limit:
                continue
            if tok.key in COMPLEMENTIZERS:
                return tok.end, "that", tok.start
            if ":" in tok.gap and tok.start > pos:
                return tok.start, "colon", tok.start - len(tok.gap)
            quote = next((q for q in QUOTES_OPEN if q in tok.gap), None)
            if quote and tok.start > pos:
                close = self.text.find(QUOTES_CLOSE[QUOTES_OPEN.index(quote)], tok.start)
                if close != -1 and len(self.text[tok.start:close].split()) >= 3:  # not «قالت "يونهاب"»
                    return tok.start, "quote", tok.start - len(tok.gap)
            if kind == "commitment" and tok.key.startswith("ب") and len(tok.key) > 3 and tok.start > pos:
                return tok.start + 1, "bi", tok.start
            if tok.start - pos > 120:
                break
        return None

    def content_end(self, start: int, sent_end: int, next_cue: int | None) -> int:
        end = sent_end if next_cue is None else next_cue
        opening = self.text[max(0, start - 2):start + 2].strip()[:1]
        if opening and opening in QUOTES_OPEN:  # a quotation: up to its closing mark when a comma follows it
            close = self.text.find(QUOTES_CLOSE[QUOTES_OPEN.index(opening)], start + 1, end)
            if close != -1 and self.text[close + 1:close + 3].strip()[:1] in ("،", ",", ""):
                return close
        if next_cue is not None:  # «…، حيث صرح» / «…، لكنه حذر»: drop the connector before the next cue
            words = [t for t in self.tokens if start < t.start < end]
            while words and words[-1].key in TAIL_CONNECTORS:
                end = words.pop().start
        for tok in self.tokens:
            if start < tok.start < end and tok.key in NEXT_CLAUSE:
                return tok.start
            if start < tok.start < end and tok.key in (fold("بحسب"), fold("وفقا"), fold("وفق")) and "،" in tok.gap:
                return tok.start
        return end

    def via_after(self, end: int, sent_end: int) -> tuple[Part, ...]:
        """«، بحسب ما نقلت وكالات الأنباء الروسية» after the content: the relay."""
        rest = self.text[end:sent_end]
        m = re.match(r"[\s،,]*(?:بحسب|وفقا ل|وفق)\s+(?:ما\s+(?:نقلت|نقله|نقلته|ذكرت|ذكره|أفادت|أوردت)\s+)?", rest)
        if not m:
            return ()
        s, e = _trim(self.text, end + m.end(), sent_end)
        source = self.source_between(s, e)
        if source:
            return (source,)
        return (Part(s, e),) if s < e and len(self.text[s:e].split()) <= 5 else ()

    # -- claims ----------------------------------------------------------------------------------

    def add(self, start: int, end: int, source: Part | None, cue: Part | None, kind: str | None,
            via: tuple[Part, ...] = ()) -> None:
        start, end = _trim(self.text, start, end)
        start = _strip_conjunction(self.text, start, end)
        start, end = _trim(self.text, start, end)
        if end - start < 8 or len(self.text[start:end].split()) < 2:
            return
        content = self.text[start:end]
        quoted = re.search(r"[\"«“]([^\"»”]+)[\"»”]?", self.text[max(0, start - 1):end + 1])
        direct = bool(quoted and len(quoted.group(1).split()) >= 3) or self.text[start - 1:start] in QUOTES_OPEN
        attribution = "none" if source is None else ("direct_quote" if direct else "indirect")
        claim_type = self.claim_type(content, start, end, kind)
        self.out.append(FoundClaim(start, end, source, cue, via, attribution, claim_type,
                                   claim_type not in ("opinion", "prediction")))

    def claim_type(self, content: str, start: int, end: int, kind: str | None) -> str:
        if kind == "commitment":
            return "commitment"
        if kind == "prediction":
            return "prediction"
        if kind == "opinion":
            return "opinion"
        folded = fold(content)
        if any(start <= n.start < end for n in self.numbers):
            return "numerical"
        if any(c in folded for c in CAUSAL):
            return "causal"
        if FUTURE.search(content):
            return "prediction"
        return "factual_event"

    def sentence(self, s: int, e: int, is_title: bool) -> None:
        toks = [t for t in self.tokens if s <= t.start < e]
        cues = [(t, *k) for t in toks if (k := self.cue_kind(t))]
        if not cues:
            if is_title or len(toks) >= MIN_OWN_CLAIM_WORDS:
                self.add(s, e, None, None, None)
            return
        before_first = cues[0][0].start
        for n, (tok, kind, skip) in enumerate(cues):
            cue = Part(tok.start + skip, tok.end)
            next_cue = cues[n + 1][0].start if n + 1 < len(cues) else None
            if kind == "according":
                if n == 0 and before_first - s > 15:
                    source = self.source_between(tok.end, e) or self.words_source(tok.end, e)
                    self.add(s, before_first, source, cue, None)
                elif n == 0:  # «وبحسب الجودر، تستهلك …»: the source, a comma, then the content
                    comma = self.text.find("،", tok.end, e)
                    if comma != -1:
                        source = self.source_between(tok.end, comma) or self.words_source(tok.end, comma)
                        self.add(comma + 1, self.content_end(comma + 1, e, next_cue), source, cue, None)
                continue
            if kind == "belief":
                found = self.content_start(tok.end, e, kind)
                if found:
                    self.add(found[0], self.content_end(found[0], e, next_cue), None, cue, None)
                elif tok.end < e and re.match(r"\s+(?:بشأن|حول)\s", self.text[tok.end:e]):
                    start = tok.end + len(re.match(r"\s+(?:بشأن|حول)\s", self.text[tok.end:e]).group())  # type: ignore[union-attr]
                    self.add(start, self.content_end(start, e, next_cue), None, cue, None)
                continue
            found = self.content_start(tok.end, next_cue or e, kind)
            if found is None:
                continue
            cstart, how, intro = found
            source = self.source_region(tok, intro, s, kind)
            end = self.content_end(cstart, e, next_cue)
            via = self.via_after(end, e)
            self.add(cstart, end, source, cue, kind, via)
            # «… وأن …»: each further clause is a claim with the same source and cue
            clause_end = next_cue or e
            for t in self.tokens:
                if end <= t.start < clause_end and t.key in NEXT_CLAUSE and t.start == end:
                    nxt = self.content_end(t.end, e, next_cue)
                    self.add(t.end, nxt, source, cue, kind, self.via_after(nxt, e))
                    end = nxt

    def source_region(self, cue_tok: Token, intro: int, sent_start: int, kind: str) -> Part | None:
        between = self.text[cue_tok.end:intro]
        cut = (NOUN_SOURCE_CUT if SOURCE_NOUN.match(between) else ADJUNCT).search(between)
        region_end = cue_tok.end + cut.start() if cut else intro
        named = [e for e in self.entities if e.label == "PERS" and cue_tok.end <= e.start and e.end <= intro]
        if named and not SOURCE_NOUN.match(between):  # «أستاذة الاقتصاد في جامعة البحرين مريم …»: the name
            self.last_source = Part(named[0].start, named[0].end)
            return self.last_source
        # «نقلت وكالة … عن مصدر …»: the source follows عن
        m = re.search(r"\sعن\s", between)
        if m and cue_tok.key.endswith(fold("نقل")) or m and cue_tok.key.endswith(fold("نقلت")):
            start = cue_tok.end + m.end()
            source = self.source_between(start, region_end) or self.words_source(start, region_end)
        else:
            source = self.source_between(cue_tok.end, region_end) or self.words_source(cue_tok.end, region_end)
        if source is None:
            before = [e for e in self.entities if sent_start <= e.start and e.end <= cue_tok.start]
            named = [e for e in before if e.label in ("PERS", "ORG", "GPE")]
            pick = (named or before)[-1:] if before and cue_tok.start - (named or before)[-1].end < 40 else []
            source = Part(pick[0].start, pick[0].end) if pick else self.last_source
        if source is not None:
            self.last_source = source
        return source


def find_claims(text: str, entities: Sequence[Found]) -> list[FoundClaim]:
    """Every claim the rules find, in text order."""
    claims = _Claims(text, entities)
    first_line_end = text.find("\n")
    for s, e in _sentences(text):
        claims.sentence(s, e, is_title=first_line_end == -1 or e <= first_line_end)
    return claims.out
