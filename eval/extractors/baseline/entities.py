"""Entity rules of the baseline, after the annotation guidelines (data/guidelines.md, sections 3–8).

- DATE, MONEY, PERCENT: patterns over Arabic-Indic and Latin digits and number words, without
  a leading preposition («منذ أربع سنوات» → «أربع سنوات»).
- GPE, LOC, named ORG, NORP (nationality adjectives in every form), known PERS: gazetteers,
  longest match, attached proclitics left out («وروسيا» → «روسيا», «للأمم المتحدة» → «أمم المتحدة»).
- ORG and FAC phrases: a head word («وزارة», «وكالة», «مجلس», «شركة», «مستشفى», …) and the words
  that continue the name (definite words, «لل…» genitives, «وال…» coordination, a short construct chain).
- OCC: a title («الرئيس», «وزير», «المتحدث باسم», …) with its complements (portfolio, nationality,
  «باسم X», «في/لدى X» for an organisation). A title followed by a name gives two mentions.
- PERS: a title or honorific followed by name words, a first name followed by name words, and
  later repetitions of a found name's first or last word.
- EVENT: «القمة», «الاجتماع» … alone, or a head word with its complement («قمة الزعيمين», «حرب في أوكرانيا»).
- Nesting as in section 6: NORP and other mentions inside a proper ORG/FAC/LOC name are dropped
  (a GPE name inside stays); everything inside an OCC stays.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from annotation.arabic import fold
from eval.extractors.baseline.gazetteer import PhraseList, Token, adjacent, lexicon, phrase_key, tokenize

NUM = r"[0-9٠-٩]+(?:[.,٫٬][0-9٠-٩]+)*"
NUM_WORDS = (r"(?:واحد|اثنين|اثنان|ثلاث|ثلاثة|أربع|أربعة|خمس|خمسة|ست|ستة|سبع|سبعة|ثماني|ثمانية|تسع|تسعة|"
             r"عشر|عشرة|عشرين|عشرون|ثلاثين|أربعين|خمسين|مئة|مائة|مئات)")
SCALE = r"(?:\s+(?:ألف|آلاف|مليون|ملايين|مليار|مليارات|تريليون|تريليونات))?"
CURRENCY = (r"(?:دولار(?:ا|ات)?|جنيه(?:ا|ات)?|ريال(?:ا|ات)?|درهم(?:ا)?|دراهم|دينار(?:ا)?|دنانير|يورو|"
            r"ليرة|ليرات|روبل|يوان|فرنك|شيكل)")
WEEKDAY = r"(?:الأحد|الاثنين|الإثنين|الثلاثاء|الأربعاء|الخميس|الجمعة|السبت)"
MONTH = (r"(?:يناير|فبراير|مارس|أبريل|إبريل|مايو|يونيو|يوليو|أغسطس|سبتمبر|أكتوبر|نوفمبر|ديسمبر|"
         r"كانون الثاني|شباط|آذار|نيسان|أيار|حزيران|تموز|آب|أيلول|تشرين الأول|تشرين الثاني|كانون الأول|"
         r"شهر رمضان|رمضان|شوال|محرم|ذو الحجة|ذي الحجة)")
EDGE = r"(?:(?:نهاية|بداية|مطلع|منتصف|أواخر|أوائل)\s+)"
RELATIVE = (r"(?:الماضي|المقبل|القادم|الجاري|الحالي|السابق|التالي|الماضية|المقبلة|الماضيين|المقبلين|"
            r"المقبلتين|الماضيتين)")
PERIOD_NOUN = r"(?:العام|الشهر|الأسبوع|السنة|الأعوام|العامين|الأشهر|الأسابيع|الأيام|السنتين|الشهرين|السنوات)"
ORDINAL = r"(?:الأول|الأولى|الثاني|الثانية|الثالث|الرابع|الأخير|الخامس|العاشر)"
YEAR = r"(?:19|20|١٩|٢٠)[0-9٠-٩]{2}"
UNIT = (r"(?:سنوات|سنة|أعوام|عاما|عام|أشهر|شهور|شهرا|أسابيع|أسبوعا|أيام|يوما|ساعات|ساعة|دقائق|دقيقة)")

PATTERNS: list[tuple[str, str]] = [
    ("PERCENT", rf"{NUM}\s?[%٪]|(?:{NUM}|{NUM_WORDS})\s+(?:في المئة|في المائة|بالمئة|بالمائة)"),
    ("MONEY", rf"(?:{NUM}|{NUM_WORDS}){SCALE}\s+{CURRENCY}|(?:ملياري|مليوني|مليار|مليون)\s+{CURRENCY}"),
    ("DATE", "|".join([
        rf"(?:(?:اليوم|يوم|مساء|صباح|ليلة|أمس|مساء اليوم|صباح اليوم)\s+)?{WEEKDAY}(?:\s+(?:الماضي|المقبل|القادم))?",
        rf"(?:(?:{NUM}|{ORDINAL})\s+(?:من\s+)?)?{EDGE}?{MONTH}(?:\s+{RELATIVE})?(?:\s+(?:من\s+)?(?:عام\s+)?{NUM})?",
        rf"{EDGE}?(?:الربع|النصف)\s+{ORDINAL}(?:\s+من\s+(?:عام\s+{NUM}|العام(?:\s+{RELATIVE})?|{NUM}))?",
        rf"{EDGE}?{PERIOD_NOUN}(?:\s+(?:الستة|الثلاثة|الخمسة|الأربعة|العشرة|الثلاث|الخمس))?\s+{RELATIVE}",
        rf"{EDGE}(?:العام|الشهر|الأسبوع|السنة)",
        rf"{EDGE}?عامي?\s+{NUM}(?:\s*(?:و|-)\s*{YEAR})?",
        rf"{EDGE}?{YEAR}(?:\s*-\s*{YEAR})?",
        r"اليوم السابق|اليوم التالي|مساء اليوم|صباح اليوم|أمس|اليوم",
        rf"(?:{NUM}|{NUM_WORDS})\s+{UNIT}",
        r"(?<=منذ )(?:عامين|شهرين|أسبوعين|يومين|سنتين)|(?<=خلال )(?:عامين|شهرين|أسبوعين|يومين|سنتين)",
        r"(?<=لمدة )(?:عامين|شهرين|أسبوعين|يومين|سنتين)|(?<=بعد )(?:عامين|شهرين|أسبوعين|يومين|سنتين)",
    ])),
]
_PATTERN = re.compile("|".join(f"(?P<{label}>{rx})" for label, rx in PATTERNS))
_BEFORE = r"(?<![\w\u064b-\u065f])(?:[وفبل]|ول|وب|فل)?"
_MATCHER = re.compile(rf"{_BEFORE}(?:{_PATTERN.pattern})(?![\w\u064b-\u065f])")

NAME_CONNECTORS = {"بن", "بنت", "ابن", "ابو", "عبد"}
# A name word that is not in a list must not start like a verb or a word with a proclitic.
NOT_A_NAME_START = ("ي", "ت", "و", "ف", "ل", "ب", "ك", "سي", "ست")
_MARKS = re.compile("[\u064b-\u065f\u0670\u0640]")


@dataclass(frozen=True)
class Found:
    label: str
    start: int
    end: int
    rule: str


def _span(text: str, start: int, end: int) -> tuple[int, int]:
    """Trim spaces and punctuation (quotation marks included) at both edges."""
    while start < end and not (text[start].isalnum() or text[start] in "%٪"):
        start += 1
    while end > start and not (text[end - 1].isalnum() or text[end - 1] in "%٪+" or 0x064B <= ord(text[end - 1]) <= 0x0652):
        end -= 1
    return start, end


def numeric_mentions(text: str) -> list[Found]:
    out = []
    for m in _MATCHER.finditer(text):
        label = m.lastgroup or "DATE"
        start, end = m.span(label)
        out.append(Found(label, start, end, "pattern"))
    return out


class _Doc:
    def __init__(self, text: str, outlet: str | None) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.lx = lexicon()
        self.found: list[Found] = []
        self.entities: PhraseList = self.lx["entities"]  # type: ignore[assignment]
        self.outlet = PhraseList({phrase_key(outlet): "ORG"}) if outlet else None
        self.gpe_keys: set[str] = self.lx["single_names"]  # type: ignore[assignment]
        self.stop: set[str] = self.lx["stopwords"]  # type: ignore[assignment]
        self.raw_stop: set[str] = self.lx["raw_stopwords"]  # type: ignore[assignment]
        self.cues: dict[str, str] = self.lx["cues"]  # type: ignore[assignment]

    def add(self, label: str, start: int, end: int, rule: str) -> Found | None:
        start, end = _span(self.text, start, end)
        if start >= end:
            return None
        if label == "ORG" and self.text[end:end + 1] == "+":
            end += 1  # «أوبك+»
        item = Found(label, start, end, rule)
        self.found.append(item)
        return item

    def is_function_word(self, tok: Token) -> bool:
        return _MARKS.sub("", tok.text) in self.raw_stop or tok.key in self.stop or tok.key in self.cues or any(
            tok.key == p + w for p in ("و", "ف") for w in self.stop | set(self.cues))

    # -- rules ---------------------------------------------------------------------------------

    def gazetteer(self) -> None:
        i = 0
        while i < len(self.tokens):
            hit = self.entities.match(self.tokens, i)
            if self.outlet is not None:
                own = self.outlet.match(self.tokens, i)
                hit = own if own and (hit is None or own[1] >= hit[1]) else hit
            if hit:
                start, after, label = hit
                self.add(label, start, self.tokens[after - 1].end, "gazetteer")
                i = after
            else:
                i += 1

    def phrases(self, heads: PhraseList, label: str, *, max_words: int = 7) -> None:
        """Head word + the words that continue the name."""
        for i in range(len(self.tokens)):
            hit = heads.match(self.tokens, i)
            if not hit:
                continue
            start, j, _ = hit
            quoted = self._quoted_after(j)
            if quoted:
                self.add(label, *quoted, "quoted")  # «صحيفة «الأطلس اليوم»» → the name in the marks
                continue
            j = self._continue_name(j, max_words - (j - i))
            if j - i >= 2 or self.tokens[i].definite and j - i >= 2:
                self.add(label, start, self.tokens[j - 1].end, "phrase")

    def _quoted_after(self, j: int) -> tuple[int, int] | None:
        """The span inside quotation marks that follow token ``j - 1`` directly (at most 5 words)."""
        if j >= len(self.tokens) or self.tokens[j].gap.strip() not in ("«", '"', "“"):
            return None
        close = {"«": "»", '"': '"', "“": "”"}[self.tokens[j].gap.strip()]
        end = self.text.find(close, self.tokens[j].start, self.tokens[j].start + 80)
        if end == -1 or "\n" in self.text[self.tokens[j].start:end] or len(self.text[self.tokens[j].start:end].split()) > 5:
            return None
        return self.tokens[j].start, end

    def _continue_name(self, j: int, budget: int) -> int:
        indefinite_run = 0
        while j < len(self.tokens) and budget > 0 and adjacent(self.tokens[j]):
            tok = self.tokens[j]
            key = tok.key
            if self.is_function_word(tok) or key[0].isdigit() or self._mention_at(tok.start, ("DATE", "MONEY", "PERCENT")):
                break
            if tok.definite or key.startswith(("لل", "وال")) and len(key) > 4:
                indefinite_run = 0
            elif indefinite_run < 2 and (self._name_word(tok) and not self._known_name(j) or key in self._gpe_keys()):
                indefinite_run += 1
            elif (key.startswith("ل") and j + 1 < len(self.tokens) and self.tokens[j + 1].definite
                  and adjacent(self.tokens[j + 1]) and not self.is_function_word(tok)):
                indefinite_run = 0  # «مركز الواحة لدراسات الطاقة»
            else:
                break
            j += 1
            budget -= 1
        # a name does not end on a coordinated word alone
        return j

    def _gpe_keys(self) -> set[str]:
        return self.gpe_keys

    def titles(self) -> None:
        titles: PhraseList = self.lx["titles"]  # type: ignore[assignment]
        complements: set[str] = self.lx["complements"]  # type: ignore[assignment]
        for i in range(len(self.tokens)):
            hit = titles.match(self.tokens, i)
            if not hit:
                continue
            start, j, _ = hit
            # portfolio and other complements: «وزير الخارجية», «الرئيس التنفيذي»; a construct chain
            # «كبير محللي أسواق الطاقة»; a genitive «الرئيس التنفيذي للمجموعة»
            while j < len(self.tokens) and adjacent(self.tokens[j]) and self.tokens[j].key in complements:
                j += 1
            run = 0
            while (j < len(self.tokens) and adjacent(self.tokens[j]) and not self.tokens[j - 1].definite and run < 2
                   and not self.tokens[j - 1].key.endswith("باسم") and self._name_word(self.tokens[j])
                   and not self._known_name(j)):
                j, run = j + 1, run + 1
            if run and j < len(self.tokens) and adjacent(self.tokens[j]) and self.tokens[j].definite:
                j += 1
            while j < len(self.tokens) and adjacent(self.tokens[j]) and self.tokens[j].key in complements:
                j += 1
            if (j < len(self.tokens) and adjacent(self.tokens[j]) and self.tokens[j].key.startswith("لل")
                    and not self.is_function_word(self.tokens[j])):
                j += 1
            end_tok = j
            # «باسم X», a nationality, an organisation after في/لدى/بـ, a genitive organisation or place
            if self.tokens[j - 1].key.endswith("باسم") and j < len(self.tokens):
                j = self._mention_end(j) or (j + 1 if self.tokens[j].definite else j)
            if j < len(self.tokens) and adjacent(self.tokens[j]):
                nested = self._mention_at(self.tokens[j].start, ("NORP",))
                if nested:
                    j = self._token_after(nested.end)
                elif not self.tokens[j - 1].definite and not self.tokens[j - 1].key.endswith("باسم"):
                    j = self._mention_end(j, ("GPE", "ORG")) or j
                    # «زعيما كوريا الشمالية وروسيا»
                    while j < len(self.tokens) and adjacent(self.tokens[j]) and self.tokens[j].key.startswith("و") \
                            and self._mention_at(self.tokens[j].start + 1, ("GPE",)):
                        j = self._mention_end(j, ("GPE",)) or j + 1
            if j < len(self.tokens) and adjacent(self.tokens[j]) and self.tokens[j].key in ("في", "لدى"):
                org_end = self._mention_end(j + 1, ("ORG",))
                if org_end is None and self.tokens[j].key == "لدى":
                    org_end = self._company_after(j + 1)  # «لدى أفق كابيتال»: a name up to the punctuation
                j = org_end or j
            elif j < len(self.tokens) and adjacent(self.tokens[j]) and self.tokens[j].key.startswith("ب"):
                nested = self._mention_at(self.tokens[j].start + 1, ("ORG",))
                j = self._token_after(nested.end) if nested else j
            j = max(j, end_tok)
            self.add("OCC", start, self.tokens[j - 1].end, "title")
            self._name_after(j, allow_comma=True)

    def _company_after(self, j: int) -> int | None:
        end = j
        while end < len(self.tokens) and end - j < 3 and (end == j or adjacent(self.tokens[end])) \
                and not self.is_function_word(self.tokens[end]) and self.tokens[end].key.isalpha():
            end += 1
        closed = end < len(self.tokens) and self.tokens[end].gap.strip()[:1] in ("،", ",", ".", "")
        if end > j and (end == len(self.tokens) or closed and not adjacent(self.tokens[end])):
            self.add("ORG", self.tokens[j].start, self.tokens[end - 1].end, "company")
            return end
        return None

    def _mention_at(self, offset: int, labels: tuple[str, ...]) -> Found | None:
        best = None
        for f in self.found:
            if f.start == offset and f.label in labels and (best is None or f.end > best.end):
                best = f
        return best

    def _token_after(self, end: int) -> int:
        for k, tok in enumerate(self.tokens):
            if tok.start >= end:
                return k
        return len(self.tokens)

    def _mention_end(self, j: int, labels: tuple[str, ...] = ("ORG", "GPE")) -> int | None:
        if j >= len(self.tokens):
            return None
        tok = self.tokens[j]
        for skip in (0, 1, 2):
            found = self._mention_at(tok.start + skip, labels)
            if found:
                return self._token_after(found.end)
        return None

    def _known_name(self, j: int) -> bool:
        tok = self.tokens[j]
        if _MARKS.sub("", tok.text) in self.raw_stop:
            return False  # «على» folds like the name «علي»
        names: PhraseList = self.lx["first_names"]  # type: ignore[assignment]
        hit = names.match(self.tokens, j, proclitics=False) or self.entities.match(self.tokens, j, proclitics=False)
        return bool(hit) and hit[2] == "PERS"

    def _name_word(self, tok: Token) -> bool:
        """A word that may be part of a name although no list has it."""
        return (tok.key.isalpha() and len(tok.key) >= 2 and not tok.definite
                and not tok.key.startswith(NOT_A_NAME_START) and not self.is_function_word(tok)
                and tok.key not in self._gpe_keys())

    def _name_after(self, j: int, *, allow_comma: bool = False) -> None:
        """Name words right after a title or honorific become a PERS mention."""
        if j >= len(self.tokens):
            return
        first = self.tokens[j]
        known = self._known_name(j)
        if not adjacent(first) and not (allow_comma and first.gap.strip() in ("،", ",") and known):
            return
        if known or self._name_word(first):
            self._name_from(j)

    def _name_from(self, j: int) -> None:
        end = j + 1
        while end < len(self.tokens) and end - j < 5 and adjacent(self.tokens[end]):
            tok = self.tokens[end]
            prev = self.tokens[end - 1].key
            if prev in NAME_CONNECTORS or tok.key in NAME_CONNECTORS or self._known_name(end) or self._name_word(tok):
                end += 1
                continue
            if tok.definite and (tok.key.endswith("ي") or end - j >= 2) and tok.key not in self.entities \
                    and not self.is_function_word(tok):
                end += 1  # a family name with ال ends the name: «رانيا القاضي», «حسين عبد الله الجودر»
            break
        while end - 1 > j and self.tokens[end - 1].key in NAME_CONNECTORS:
            end -= 1
        self.add("PERS", self.tokens[j].start, self.tokens[end - 1].end, "name")

    def names(self) -> None:
        honorifics: PhraseList = self.lx["honorifics"]  # type: ignore[assignment]
        for i in range(len(self.tokens)):
            hon = honorifics.match(self.tokens, i)
            if hon:
                self._name_after(hon[1])
            elif self._known_name(i) and not self._inside(self.tokens[i].start, "PERS"):
                j = i + 1
                nxt = self.tokens[j] if j < len(self.tokens) else None
                if nxt is not None and adjacent(nxt) and (
                        self._known_name(j) or self._name_word(nxt) or nxt.key in NAME_CONNECTORS
                        or nxt.definite and nxt.key.endswith("ي") and nxt.key not in self.entities):
                    self._name_from(i)

    def _inside(self, offset: int, label: str) -> bool:
        return any(f.label == label and f.start <= offset < f.end for f in self.found)

    def repeated_names(self) -> None:
        """Later mentions of a found name by its first or last word («كيم», «الغامدي»)."""
        words: set[str] = set()
        for f in self.found:
            if f.label == "PERS":
                parts = [w for w in fold(self.text[f.start:f.end]).split() if w not in NAME_CONNECTORS]
                if len(parts) > 1:
                    words.update({parts[0], parts[-1]} - self.stop)
        words = {w for w in words if len(w) > 2 and w not in self._gpe_keys()}
        for tok in self.tokens:
            for skip, key in ((0, tok.key),) + tuple((1, tok.key[1:]) for _ in [0] if tok.key[:1] in "وفبلك"):
                if key in words and not self._inside(tok.start + skip, "PERS"):
                    self.add("PERS", tok.start + skip, tok.end, "repeat")
                    break

    def events(self) -> None:
        events: PhraseList = self.lx["events"]  # type: ignore[assignment]
        for i in range(len(self.tokens)):
            hit = events.match(self.tokens, i)
            if not hit:
                continue
            start, j, kind = hit
            head_end = j
            if j < len(self.tokens) and adjacent(self.tokens[j]):
                tok = self.tokens[j]
                if tok.key in ("في", "على", "مع", "ضد") and j + 1 < len(self.tokens):
                    j = self._mention_end(j + 1, ("GPE",)) or j
                elif tok.definite or tok.key.startswith("لل"):
                    j = self._continue_name(j, 4)
                elif kind == "head" and not self.is_function_word(tok) and tok.key.isalpha():
                    j += 1
            if j > head_end or kind == "alone":
                self.add("EVENT", start, self.tokens[j - 1].end, "event")

    def resolve(self) -> list[Found]:
        """Drop duplicates, shorter same-start same-label spans, crossing spans and names nested wrongly."""
        items = sorted(set(self.found), key=lambda f: (f.start, -f.end, f.label))
        keep: list[Found] = []
        for f in items:
            if any(k.label == f.label and k.start == f.start for k in keep):
                continue  # a longer one of the same label starts here
            crossing = [k for k in keep if k.start < f.start < k.end < f.end]
            if crossing:
                continue
            container = [k for k in keep if k.start <= f.start and f.end <= k.end and (k.start, k.end) != (f.start, f.end)]
            if any(k.label in ("ORG", "FAC", "LOC") and f.label not in ("GPE", "ORG") for k in container):
                continue  # inside an organisation, facility or location name: only a full GPE or ORG name
            if any(k.label in ("DATE", "MONEY", "PERCENT", "PERS") for k in container):
                continue
            if any((k.start, k.end) == (f.start, f.end) for k in keep):
                continue  # one label per span
            keep.append(f)
        return sorted(keep, key=lambda f: (f.start, f.end))


def find_entities(text: str, *, outlet: str | None = None) -> list[Found]:
    """Every entity mention the rules find, in text order."""
    doc = _Doc(text, outlet)
    doc.found.extend(numeric_mentions(text))
    doc.gazetteer()
    doc.phrases(doc.lx["org_heads"], "ORG")  # type: ignore[arg-type]
    doc.phrases(doc.lx["fac_heads"], "FAC")  # type: ignore[arg-type]
    doc.titles()
    doc.names()
    doc.repeated_names()
    doc.events()
    return doc.resolve()
