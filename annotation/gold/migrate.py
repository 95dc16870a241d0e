"""Migrating gold of scheme 1.0 to 1.1: propose ``stance`` and ``certainty``, list what needs a person.

A claim of 1.0 has neither attribute. The migration proposes, by rule (guidelines section 14):

- ``stance``: ``denied`` when the cue is a denial verb or noun (نفى، نفت، تنفي، ينفي، نفي …),
  else ``asserted``;
- ``certainty``: ``hedged`` when the content or its cue region (the cue and the words between the cue and
  the content, or, without a cue, the clause before the content) carries a hedge (قد before an imperfect
  verb, من المرجح، يُعتقد، ربما، يرجح …), else ``certain``.

Every claim whose proposal rests on a cue of the rule (a denial, a hedge) and every claim with a weaker
signal (قد before a perfect verb, an expectation or a rejection verb) is **listed** for a person's
decision; the others get ``asserted`` / ``certain`` unlisted. A value already present is a person's
decision and is kept as it is, never overwritten; a record already of the target version is left alone.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from annotation.arabic import fold
from annotation.model import Annotated, Claim
from annotation.scheme import Scheme
from annotation.versions import record_version

# Folded forms (annotation.arabic.fold: no diacritics, أ/إ/آ → ا, ى → ي, ة → ه).
DENIALS = frozenset(fold(w) for w in ("نفى", "نفت", "تنفي", "ينفي", "نفي", "نفيه", "نفوا", "نفيا", "نفتا", "تنفيان",
                                     "ينفون", "كذب", "كذبت", "دحض", "دحضت"))
HEDGES = tuple(fold(w).split() for w in ("من المرجح", "يُعتقد", "ربما", "يرجح", "رجح", "رجحت", "ترجح",
                                          "من المحتمل", "على الأرجح", "يبدو أن", "لا يستبعد", "لم يستبعد",
                                          "التكهنات", "الشائعات", "الأنباء المتداولة"))
WEAK_STANCE = frozenset(fold(w) for w in ("رفض", "رفضت", "يرفض", "ترفض", "استبعد", "استبعدت"))
WEAK_CERTAINTY = tuple(fold(w).split() for w in ("توقع", "توقعت", "يتوقع", "تتوقع", "متوقع", "المخاوف",
                                                  "مخاوف", "احتمال", "إذا", "اذا"))
MAY = fold("قد")
IMPERFECT = ("ي", "ت", "ن")  # قد before these starts an imperfect verb (a hedge); before a perfect one it is emphatic
BE = frozenset(fold(w) for w in ("كان", "كانت", "كانوا", "يكون", "تكون", "يكونوا", "سيكون", "ستكون"))  # كان قد فعل
_WORD = re.compile(r"\w+")
_CLAUSE_END = re.compile(r"[.،,:؛;!?؟\n]")


@dataclass(frozen=True)
class Listed:
    """One claim attribute that needs a person's decision."""

    doc: str
    claim: str | None
    attribute: str
    proposed: str
    kind: str  # "proposal" (a rule's cue) or "uncertain" (a weaker signal)
    reason: str
    text: str | None
    cue: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.doc, "claim": self.claim, "attribute": self.attribute, "proposed": self.proposed,
                "kind": self.kind, "reason": self.reason, "text": self.text, "cue": self.cue}


@dataclass
class Migration:
    """What :func:`migrate` made: the documents, the listed decisions and counts."""

    docs: list[Annotated] = field(default_factory=list)
    listed: list[Listed] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        c = self.counts
        return (f"{c['migrated']} records migrated, {c['already']} already of the scheme; {c['claims']} claims: "
                f"{c['denied']} denials and {c['hedged']} hedges proposed, {c['kept']} values kept; "
                f"{len({(x.doc, x.claim) for x in self.listed})} claims listed for a person's decision")


def _words(text: str | None) -> list[str]:
    return _WORD.findall(fold(text or "").replace("_", " "))


def _has(words: list[str], phrase: list[str]) -> bool:
    n = len(phrase)
    return any(words[i:i + n] == phrase for i in range(len(words) - n + 1))


def cue_region(text: str, claim: Claim) -> str:
    """The cue and the words between it and the content; without a cue, the clause before the content."""
    if claim.start is None or claim.end is None:
        return (claim.cue.text or "") if claim.cue else ""
    cue = claim.cue
    if cue is not None and cue.start is not None and cue.end is not None:
        return text[cue.start:claim.start] if cue.start < claim.start else text[claim.end:cue.end]
    before = text[:claim.start]
    ends = [m.end() for m in _CLAUSE_END.finditer(before)]
    return before[ends[-1] if ends else 0:]


def propose_stance(claim: Claim) -> tuple[str, str | None, str | None]:
    """(value, kind, reason): ``denied`` on a denial cue; kind None when nothing needs a person."""
    cue = _words(claim.cue.text if claim.cue else None)
    shown = claim.cue.text if claim.cue else ""
    if any(w in DENIALS for w in cue):
        return "denied", "proposal", f"denial cue «{shown}»"
    if any(w in WEAK_STANCE for w in cue):
        return "asserted", "uncertain", f"cue «{shown}» may deny its content"
    return "asserted", None, None


def _may(words: list[str]) -> tuple[bool, bool]:
    """(قد as a hedge: before an imperfect verb, قد as emphasis: after كان or before a perfect verb)."""
    hedge = emphatic = False
    for i, w in enumerate(words[:-1]):
        if w != MAY:
            continue
        if words[i + 1].startswith(IMPERFECT) and not (i and words[i - 1] in BE):
            hedge = True
        else:
            emphatic = True
    return hedge, emphatic


def propose_certainty(text: str, claim: Claim) -> tuple[str, str | None, str | None]:
    """(value, kind, reason): ``hedged`` on a hedge in the content or the cue region."""
    for where, words in (("content", _words(claim.text)), ("cue region", _words(cue_region(text, claim)))):
        hedge = next((" ".join(h) for h in HEDGES if _has(words, h)), None)
        imperfect, perfect = _may(words)
        if hedge or imperfect:
            return "hedged", "proposal", f"hedge «{hedge or 'قد'}» in the {where}"
        weak = next((" ".join(h) for h in WEAK_CERTAINTY if _has(words, h)), None)
        if perfect or weak:
            return "certain", "uncertain", (f"«قد» before a perfect verb in the {where} (emphatic, not a hedge?)"
                                            if perfect else f"«{weak}» in the {where} may hedge the content")
    return "certain", None, None


def migrate_claim(doc: Annotated, claim: Claim, out: Migration) -> Claim:
    """The claim with both attributes set: kept where present, else proposed (and listed when needed)."""
    values: dict[str, str] = {}
    proposals = {"stance": lambda: propose_stance(claim), "certainty": lambda: propose_certainty(doc.text, claim)}
    for name, propose in proposals.items():
        present = getattr(claim, name)
        if present is not None:
            values[name] = present
            out.counts["kept"] += 1
            continue
        value, kind, reason = propose()
        values[name] = value
        if value in ("denied", "hedged"):
            out.counts[value] += 1
        if kind is not None:
            out.listed.append(Listed(doc.id, claim.id, name, value, kind, reason or "", claim.text,
                                     claim.cue.text if claim.cue else None))
    return replace(claim, **values)


def migrate(docs: Sequence[Annotated], scheme: Scheme) -> Migration:
    """Bring every record to ``scheme``'s version (see the module docstring)."""
    out = Migration()
    for doc in docs:
        if record_version(doc) == scheme.version:
            out.counts["already"] += 1
            out.docs.append(doc)
            continue
        scheme.at(record_version(doc))  # a version the scheme file does not describe is an error
        claims = tuple(migrate_claim(doc, c, out) for c in doc.claims)
        out.counts["claims"] += len(claims)
        out.counts["migrated"] += 1
        annotation = {k: v for k, v in doc.annotation.items() if k != "release"}
        out.docs.append(replace(doc, claims=claims, annotation={**annotation, "scheme": scheme.version}))
    return out
