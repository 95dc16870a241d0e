"""The data model: articles, spans, entity mentions, claims and gold documents.

Offsets are Python ``str`` indices (code points) into the article's ``text``,
end-exclusive. In gold every span has both offsets and ``text[start:end] == span.text``;
in predictions any offset may be missing (the span is then aligned by its text).

Each type converts to and from the JSON objects of the spec with ``to_dict`` /
``from_dict``; ``to_dict`` always writes every field in the spec's order, so
JSON lines -> objects -> JSON lines is byte-stable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from annotation.errors import FormatError

JSON = dict[str, Any]


def _get(obj: JSON, key: str, kind: type | tuple[type, ...], *, required: bool = True, where: str = "") -> Any:
    if key not in obj or obj[key] is None:
        if required:
            raise FormatError(f"{where}missing field '{key}'")
        return None
    value = obj[key]
    if isinstance(value, bool) and kind in (int, (int,)):
        raise FormatError(f"{where}field '{key}' must be an integer, not {value!r}")
    if not isinstance(value, kind):
        expected = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise FormatError(f"{where}field '{key}' must be {expected}, not {type(value).__name__}")
    return value


def _object(value: Any, where: str) -> JSON:
    if not isinstance(value, dict):
        raise FormatError(f"{where}must be a JSON object, not {type(value).__name__}")
    return value


def _list(obj: JSON, key: str, where: str) -> list[Any]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise FormatError(f"{where}field '{key}' must be a list")
    return value


@dataclass(frozen=True)
class Span:
    """A stretch of an article: offsets (optional in predictions) and its text.

    ``entity`` is the coreference cluster of the span when it is (or stands for)
    an entity mention, e.g. a claim's source.
    """

    start: int | None = None
    end: int | None = None
    text: str | None = None
    entity: str | None = None

    @property
    def has_offsets(self) -> bool:
        return self.start is not None and self.end is not None

    def to_dict(self, *, with_entity: bool = True) -> JSON:
        out: JSON = {"start": self.start, "end": self.end, "text": self.text}
        if with_entity:
            out["entity"] = self.entity
        return out

    @classmethod
    def from_dict(cls, obj: Any, where: str = "") -> Span:
        obj = _object(obj, where)
        return cls(
            start=_get(obj, "start", int, required=False, where=where),
            end=_get(obj, "end", int, required=False, where=where),
            text=_get(obj, "text", str, required=False, where=where),
            entity=_get(obj, "entity", str, required=False, where=where),
        )


@dataclass(frozen=True)
class Mention:
    """An entity mention: a labelled span with its coreference cluster id."""

    label: str
    start: int | None = None
    end: int | None = None
    text: str | None = None
    id: str | None = None
    entity: str | None = None
    context: str | None = None  # predictions only: words around an offset-free mention, to place it

    @property
    def span(self) -> Span:
        return Span(self.start, self.end, self.text, self.entity)

    def to_dict(self) -> JSON:
        out: JSON = {"id": self.id, "start": self.start, "end": self.end, "text": self.text,
                     "label": self.label, "entity": self.entity}
        return {**out, "context": self.context} if self.context is not None else out

    @classmethod
    def from_dict(cls, obj: Any, where: str = "") -> Mention:
        obj = _object(obj, where)
        return cls(
            label=_get(obj, "label", str, where=where),
            start=_get(obj, "start", int, required=False, where=where),
            end=_get(obj, "end", int, required=False, where=where),
            text=_get(obj, "text", str, required=False, where=where),
            id=_get(obj, "id", (str, int), required=False, where=where),
            entity=_get(obj, "entity", (str, int), required=False, where=where),
            context=_get(obj, "context", str, required=False, where=where),
        )


@dataclass(frozen=True)
class Claim:
    """A claim: its content span, source, cue, intermediate sources and attributes.

    ``source`` is None when the article itself asserts the claim; attributes are
    None when unknown (predictions may omit them). ``stance`` and ``certainty`` came with
    scheme 1.1: a claim of scheme 1.0 has neither, and ``to_dict`` then leaves both keys out
    (so a 1.0 gold line stays byte-stable); otherwise both are written, after ``check_worthy``.
    """

    start: int | None = None
    end: int | None = None
    text: str | None = None
    id: str | None = None
    source: Span | None = None
    cue: Span | None = None
    via: tuple[Span, ...] = ()
    attribution: str | None = None
    claim_type: str | None = None
    check_worthy: bool | None = None
    stance: str | None = None
    certainty: str | None = None
    context: str | None = None  # predictions only: words around an offset-free claim, to place it

    @property
    def span(self) -> Span:
        return Span(self.start, self.end, self.text)

    def to_dict(self) -> JSON:
        out: JSON = {
            "id": self.id, "start": self.start, "end": self.end, "text": self.text,
            "source": self.source.to_dict() if self.source else None,
            "cue": self.cue.to_dict(with_entity=False) if self.cue else None,
            "via": [v.to_dict() for v in self.via],
            "attribution": self.attribution, "claim_type": self.claim_type,
            "check_worthy": self.check_worthy,
        }
        if self.stance is not None or self.certainty is not None:
            out["stance"] = self.stance
            out["certainty"] = self.certainty
        return {**out, "context": self.context} if self.context is not None else out

    @classmethod
    def from_dict(cls, obj: Any, where: str = "") -> Claim:
        obj = _object(obj, where)
        source = obj.get("source")
        cue = obj.get("cue")
        return cls(
            start=_get(obj, "start", int, required=False, where=where),
            end=_get(obj, "end", int, required=False, where=where),
            text=_get(obj, "text", str, required=False, where=where),
            id=_get(obj, "id", (str, int), required=False, where=where),
            source=Span.from_dict(source, f"{where}source: ") if source is not None else None,
            cue=Span.from_dict(cue, f"{where}cue: ") if cue is not None else None,
            via=tuple(Span.from_dict(v, f"{where}via[{i}]: ") for i, v in enumerate(_list(obj, "via", where))),
            attribution=_get(obj, "attribution", str, required=False, where=where),
            claim_type=_get(obj, "claim_type", str, required=False, where=where),
            check_worthy=_get(obj, "check_worthy", bool, required=False, where=where),
            stance=_get(obj, "stance", str, required=False, where=where),
            certainty=_get(obj, "certainty", str, required=False, where=where),
            context=_get(obj, "context", str, required=False, where=where),
        )


@dataclass(frozen=True)
class Article:
    """A clean article. The title is the first line of ``text``."""

    id: str
    text: str
    title: str | None = None
    source: str | None = None
    url: str | None = None
    published: str | None = None
    lang: str = "ar"
    meta: JSON = field(default_factory=dict)

    def to_dict(self) -> JSON:
        return {"id": self.id, "text": self.text, "title": self.title, "source": self.source,
                "url": self.url, "published": self.published, "lang": self.lang, "meta": self.meta}

    @classmethod
    def from_dict(cls, obj: Any, where: str = "") -> Article:
        obj = _object(obj, where)
        return cls(
            id=str(_get(obj, "id", (str, int), where=where)),
            text=_get(obj, "text", str, where=where),
            title=_get(obj, "title", str, required=False, where=where),
            source=_get(obj, "source", str, required=False, where=where),
            url=_get(obj, "url", str, required=False, where=where),
            published=_get(obj, "published", str, required=False, where=where),
            lang=_get(obj, "lang", str, required=False, where=where) or "ar",
            meta=_get(obj, "meta", dict, required=False, where=where) or {},
        )


@dataclass(frozen=True)
class Annotated:
    """An article with its entity mentions and claims: a gold document or an annotator's record."""

    article: Article
    entities: tuple[Mention, ...] = ()
    claims: tuple[Claim, ...] = ()
    annotation: JSON = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.article.id

    @property
    def text(self) -> str:
        return self.article.text

    def to_dict(self) -> JSON:
        out = self.article.to_dict()
        out["entities"] = [m.to_dict() for m in self.entities]
        out["claims"] = [c.to_dict() for c in self.claims]
        out["annotation"] = self.annotation
        return out

    @classmethod
    def from_dict(cls, obj: Any, where: str = "") -> Annotated:
        obj = _object(obj, where)
        return cls(
            article=Article.from_dict(obj, where),
            entities=tuple(Mention.from_dict(m, f"{where}entities[{i}]: ")
                           for i, m in enumerate(_list(obj, "entities", where))),
            claims=tuple(Claim.from_dict(c, f"{where}claims[{i}]: ")
                         for i, c in enumerate(_list(obj, "claims", where))),
            annotation=_get(obj, "annotation", dict, required=False, where=where) or {},
        )


@dataclass(frozen=True)
class Prediction:
    """One article's predictions: the extractor's mentions and claims, offsets optional."""

    id: str
    entities: tuple[Mention, ...] = ()
    claims: tuple[Claim, ...] = ()

    def to_dict(self) -> JSON:
        return {"id": self.id,
                "entities": [_drop_none(m.to_dict()) for m in self.entities],
                "claims": [_drop_none(c.to_dict()) for c in self.claims]}

    @classmethod
    def from_dict(cls, obj: Any, where: str = "") -> Prediction:
        obj = _object(obj, where)
        return cls(
            id=str(_get(obj, "id", (str, int), where=where)),
            entities=tuple(Mention.from_dict(m, f"{where}entities[{i}]: ")
                           for i, m in enumerate(_list(obj, "entities", where))),
            claims=tuple(Claim.from_dict(c, f"{where}claims[{i}]: ")
                         for i, c in enumerate(_list(obj, "claims", where))),
        )


def _drop_none(obj: JSON) -> JSON:
    out: JSON = {}
    for key, value in obj.items():
        if isinstance(value, dict):
            value = _drop_none(value)
        elif isinstance(value, list):
            value = [_drop_none(v) if isinstance(v, dict) else v for v in value]
        if value is None or value == [] or value == {}:
            continue
        out[key] = value
    return out
