"""spaCy ``DocBin`` files (``.spacy``), read into gold documents and written from them (extra ``khabar[spacy]``).

Reading: a document's ``doc.ents`` and its ``doc.spans`` groups named by ``spans_keys`` (nested and
overlapping mentions live there), deduplicated; a span's ``kb_id_`` is read as its coreference cluster
and its ``id_`` as the mention id. Offsets are spaCy's own character offsets into ``doc.text``.
Writing: the text is cut into tokens at whitespace and mention boundaries, with the spaces between them
(other whitespace becomes whitespace tokens, as spaCy's tokenizer makes them), so that ``doc.text`` is the
article's text exactly; ``doc.ents`` holds the outermost mentions, ``doc.spans["khabar"]`` all of them
(clusters as ``kb_id``, mention ids as ``id``), and ``user_data`` the article's id and metadata.
Claims are not written (counted).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from annotation.errors import KhabarError
from annotation.formats.report import InputFailed, LabelMapper, Report, gold_document
from annotation.formats.tokens import nesting_layers, tokenize
from annotation.io import write_atomic
from annotation.model import Annotated, Article, Mention
from annotation.spans import Problem

SPANS_KEY = "khabar"
_ARTICLE_FIELDS = ("id", "title", "source", "url", "published", "lang")


def _spacy() -> Any:
    try:
        import spacy
    except ImportError:
        raise KhabarError("spaCy formats need the 'spacy' extra: pip install 'khabar[spacy]'") from None
    return spacy


def _load(path: Path) -> tuple[Any, list[Any]]:
    spacy = _spacy()
    from spacy.tokens import DocBin

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KhabarError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        docs = list(DocBin(store_user_data=True).from_bytes(data).get_docs(spacy.vocab.Vocab()))
    except Exception as exc:  # noqa: BLE001 - srsly, msgpack and spaCy raise many kinds for a bad file
        raise KhabarError(f"{path}: not a DocBin that spaCy {spacy.__version__} can read (written by another "
                          f"spaCy major version, or not a .spacy file): {type(exc).__name__}: {exc}") from None
    return spacy, docs


def read_docbin(path: Path, spans_keys: Sequence[str], mapper: LabelMapper, report: Report,
                annotation: dict[str, Any]) -> Iterator[Annotated]:
    """Gold documents of a ``.spacy`` file; InputFailed at the end lists every unknown label."""
    _, docs = _load(path)
    problems: list[Problem] = []
    for n, sdoc in enumerate(docs, start=1):
        meta = sdoc.user_data.get("khabar") if isinstance(sdoc.user_data.get("khabar"), dict) else {}
        ident = str(meta.get("id") or f"{path.stem}-{n:05d}")
        spans = list(sdoc.ents) + [s for key in spans_keys if key in sdoc.spans for s in sdoc.spans[key]]
        seen: dict[tuple[int, int, str], Mention] = {}
        for span in spans:
            label = mapper(span.label_, lambda: f"{path} document {n} ({ident}) span [{span.start_char}, "
                                                f"{span.end_char}) {span.text!r}")
            key = (span.start_char, span.end_char, label or "")
            if label is None or key in seen:
                continue
            seen[key] = Mention(label, span.start_char, span.end_char, span.text, span.id_ or None,
                                span.kb_id_ or None)
        problems += mapper.take_problems()
        yield _document(ident, sdoc.text, list(seen.values()), meta, annotation)
    if problems:
        raise InputFailed(problems)


def _document(ident: str, text: str, mentions: list[Mention], meta: dict[str, Any],
              annotation: dict[str, Any]) -> Annotated:
    if meta and all(m.id for m in mentions):  # a khabar export: ids, clusters and the article come back as they were
        ordered = tuple(sorted(mentions, key=lambda m: (m.start or 0, -(m.end or 0), m.label)))
        article = Article(ident, text, **{k: meta.get(k) for k in _ARTICLE_FIELDS[1:] if meta.get(k) is not None})
        return Annotated(article, ordered, (), meta.get("annotation") or annotation)
    return gold_document(ident, text, [(m.start or 0, m.end or 0, m.label) for m in mentions], annotation)


def _words(doc: Annotated) -> tuple[list[str], list[bool], dict[int, int], dict[int, int]]:
    """spaCy words and spaces whose concatenation is the text; token index by start and by end offset."""
    words: list[str] = []
    spaces: list[bool] = []
    by_start: dict[int, int] = {}
    by_end: dict[int, int] = {}
    text, position = doc.text, 0
    bounds = [t for sentence in tokenize(text, list(doc.entities)).sentences for t in sentence]
    for start, end in [*bounds, (len(text), len(text))]:
        gap = text[position:start]
        if gap.startswith(" ") and words and not spaces[-1]:
            spaces[-1], gap = True, gap[1:]
        if gap:
            words.append(gap)
            spaces.append(False)
        if start < end:
            by_start[start], by_end[end] = len(words), len(words) + 1
            words.append(text[start:end])
            spaces.append(False)
        position = end
    return words, spaces, by_start, by_end


def write_docbin(path: Path, docs: Iterable[Annotated], report: Report) -> None:
    """A ``.spacy`` file of ``docs`` (see the module docstring), written atomically."""
    spacy = _spacy()
    from spacy.tokens import Doc, DocBin, Span

    vocab = spacy.vocab.Vocab()
    out = DocBin(store_user_data=True)
    for doc in docs:
        if doc.claims:
            report.cannot_hold("claims (a DocBin holds entity mentions only)", doc.id, len(doc.claims))
        words, spaces, by_start, by_end = _words(doc)
        sdoc = Doc(vocab, words=words, spaces=spaces)
        if sdoc.text != doc.text:
            raise KhabarError(f"{doc.id}: the spaCy tokens do not give back the article's text")

        def span(m: Mention) -> Any:
            return Span(sdoc, by_start[m.start or 0], by_end[m.end or 0], label=m.label, kb_id=m.entity or "",
                        span_id=m.id or "")

        layers = nesting_layers(list(doc.entities))
        sdoc.ents = [span(m) for m in (layers[0] if layers else [])]
        sdoc.spans[SPANS_KEY] = [span(m) for m in doc.entities]
        meta = {k: v for k, v in doc.article.to_dict().items() if k in _ARTICLE_FIELDS and v is not None}
        sdoc.user_data["khabar"] = {**meta, "annotation": doc.annotation}
        out.add(sdoc)
    write_atomic(path, out.to_bytes())
