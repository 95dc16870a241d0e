"""Hugging Face token-classification sets (``tokens`` + ``ner_tags``, WikiANN's shape), read into gold and written.

Reading: a local dataset folder (data files with or without a card, or a ``save_to_disk`` folder) or
data files (JSON lines, JSON, parquet), through ``datasets`` — never from the hub. ``ner_tags`` are
``ClassLabel`` indices (their names are the tags) or tag strings; a row is one document, its tokens joined
by a space. Rows keep their ``id`` column when there is one. Every split of the set is read; an index
outside the ``ClassLabel`` names, a tag the scheme does not allow or a row whose two lists differ in
length is a problem named by file, split, row and token.

Writing: a dataset folder with one JSON lines file per split, one row per sentence (``id``,
``document``, ``tokens``, ``ner_tags``) and a card declaring ``ner_tags`` as a ``ClassLabel`` of the
scheme's tags. Nested mentions: the outermost layer only (the others counted); claims are not held.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from annotation.errors import KhabarError
from annotation.formats.guess import Source
from annotation.formats.report import InputFailed, LabelMapper, Report, gold_document
from annotation.formats.tags import decode, encode, split_tag
from annotation.formats.tokens import nesting_layers, token_chunks, tokenize
from annotation.io import dumps, write_atomic
from annotation.model import Annotated
from annotation.spans import Problem

DATA_SUFFIXES = {".jsonl": "json", ".json": "json", ".parquet": "parquet", ".arrow": "arrow"}
HF_SPLIT = {"dev": "validation"}


@lru_cache(maxsize=1)
def _cache() -> str:
    """A cache folder of this process only, removed at exit: a set is read as it is now, never from an old cache."""
    import tempfile

    global _CACHE
    _CACHE = tempfile.TemporaryDirectory(prefix="khabar-hf-")
    return _CACHE.name


_CACHE: Any = None


@lru_cache(maxsize=8)
def load_splits(path: Path) -> dict[str, Any]:
    """The splits of a local dataset (folder or data file), as ``datasets`` loads them."""
    try:
        import datasets
    except ImportError:  # pragma: no cover - datasets is a core dependency
        raise KhabarError("reading Hugging Face sets needs the 'datasets' package") from None
    datasets.disable_progress_bars()
    try:
        if path.is_dir() and ((path / "dataset_dict.json").is_file() or (path / "state.json").is_file()):
            loaded = datasets.load_from_disk(str(path))
        elif path.is_dir():
            loaded = datasets.load_dataset(str(path), cache_dir=_cache())
        elif path.suffix in DATA_SUFFIXES:
            loaded = datasets.load_dataset(DATA_SUFFIXES[path.suffix], data_files=str(path), cache_dir=_cache())
        else:
            raise KhabarError(f"{path}: not a dataset folder or a data file ({', '.join(DATA_SUFFIXES)})")
    except KhabarError:
        raise
    except Exception as exc:  # noqa: BLE001 - datasets raises many kinds for a bad folder or file
        raise KhabarError(f"{path}: cannot load it as a Hugging Face dataset: {type(exc).__name__}: {exc}") from None
    return dict(loaded) if isinstance(loaded, datasets.DatasetDict) else {"train": loaded}


def _tag_names(split: Any, where: str) -> list[str] | None:
    feature = split.features.get("ner_tags")
    if feature is None or "tokens" not in split.features:
        raise KhabarError(f"{where}: a token-classification set needs 'tokens' and 'ner_tags' columns "
                          f"(found {', '.join(split.column_names)})")
    inner = getattr(feature, "feature", None)
    names = getattr(inner, "names", None)
    return list(names) if names else None


def read_hf(source: Source, split_name: str, scheme: str, strict: bool, mapper: LabelMapper, report: Report,
            annotation: dict[str, Any]) -> Iterator[Annotated]:
    """The gold documents of one split of a local Hugging Face set; InputFailed lists every problem."""
    split = load_splits(source.path)[split_name]
    where = f"{source.path}[{split_name}]"
    names = _tag_names(split, where)
    problems: list[Problem] = []
    for row_number, row in enumerate(split):
        place = f"{where} row {row_number}"
        tokens, raw = row["tokens"], row["ner_tags"]
        if len(tokens) != len(raw):
            problems.append(Problem(place, f"{len(tokens)} tokens but {len(raw)} ner_tags"))
            continue
        sparse = []
        for i, tag in enumerate(raw):
            if isinstance(tag, int):
                if names is None:
                    raise InputFailed([Problem(where, "ner_tags are integers but the set declares no ClassLabel "
                                                      "names (declare the features in its card, or give string tags)")])
                if not 0 <= tag < len(names):
                    problems.append(Problem(f"{place} token {i} {tokens[i]!r}", f"ner_tags index {tag} is outside "
                                            f"the ClassLabel names ({len(names)} names)"))
                    continue
                tag = names[tag]
            if tag == "O":
                continue
            parts = split_tag(str(tag), scheme)
            if parts is None:
                problems.append(Problem(f"{place} token {i} {tokens[i]!r}", f"{tag!r} is not a {scheme.upper()} tag"))
                continue
            sparse.append((i, *parts))
        yield _document(row, row_number, tokens, sparse, scheme, strict, source, split_name, mapper, report,
                        problems, annotation)
        problems += mapper.take_problems()
    if problems:
        raise InputFailed(problems)


def _document(row: dict[str, Any], row_number: int, tokens: list[str], sparse: list[tuple[int, str, str]],
              scheme: str, strict: bool, source: Source, split_name: str, mapper: LabelMapper, report: Report,
              problems: list[Problem], annotation: dict[str, Any]) -> Annotated:
    place = f"{source.path}[{split_name}] row {row_number}"
    chunks, issues = decode(sparse, scheme)
    for issue in issues:
        problem = Problem(f"{place} token {issue.index} {tokens[issue.index]!r}", issue.message)
        problems.append(problem) if strict else report.repair(problem)
    starts, position = [], 0
    for token in tokens:
        starts.append(position)
        position += len(token) + 1
    mentions = []
    for first, end, typ in chunks:
        label = mapper(typ, lambda: f"{place} token {first} {tokens[first]!r}")
        if label is not None:
            mentions.append((starts[first], starts[end - 1] + len(tokens[end - 1]), label))
    ident = (str(row["id"]) if row.get("id") not in (None, "")
             else f"{source.path.stem}-{split_name}-{row_number:05d}")
    return gold_document(ident, " ".join(tokens), mentions, annotation)


def tag_names(labels: tuple[str, ...], scheme: str) -> list[str]:
    prefixes = {"iob1": "BI", "iob2": "BI", "ioe1": "IE", "ioe2": "IE", "iobes": "BIES", "bilou": "BILU"}[scheme]
    return ["O"] + [f"{p}-{label}" for label in labels for p in prefixes]


def write_hf_folder(folder: Path, collected: dict[str, list[Annotated]], scheme: str, report: Report) -> None:
    """A dataset folder: ``<split>.jsonl`` per input and the card (see the module docstring)."""
    import yaml

    from annotation.formats.gold_files import split_of
    from annotation.scheme import load_scheme

    names = tag_names(load_scheme().labels, scheme)
    index = {name: i for i, name in enumerate(names)}
    files = []
    for name, docs in collected.items():
        split = split_of(Path(name))
        split = HF_SPLIT.get(split, split) if split else name
        rows = [dumps(row) + "\n" for doc in docs for row in _rows(doc, scheme, index, report)]
        write_atomic(folder / f"{split}.jsonl", "".join(rows))
        files.append({"split": split, "path": f"{split}.jsonl"})
    features = [{"name": "id", "dtype": "string"}, {"name": "document", "dtype": "string"},
                {"name": "tokens", "list": "string"},
                {"name": "ner_tags", "list": {"class_label": {"names": {str(i): n for i, n in enumerate(names)}}}}]
    card = {"task_categories": ["token-classification"],
            "configs": [{"config_name": "default", "data_files": files}], "dataset_info": {"features": features}}
    write_atomic(folder / "README.md", "---\n" + yaml.safe_dump(card, allow_unicode=True, sort_keys=False)
                 + "---\n\n# Token classification set converted from khabar gold\n\nOne row per sentence; "
                 f"`ner_tags` in {scheme.upper()} over the scheme's entity labels; nested mentions: the outermost.\n")


def _rows(doc: Annotated, scheme: str, index: dict[str, int], report: Report) -> Iterator[dict[str, Any]]:
    layers = nesting_layers(list(doc.entities))
    for depth, layer in enumerate(layers[1:], start=1):
        for m in layer:
            report.cannot_hold(f"mention of nesting layer {depth} (the outermost written)", f"{doc.id} {m.id}")
    if doc.claims:
        report.cannot_hold("claims (token tags hold entity mentions only)", doc.id, len(doc.claims))
    written = layers[0] if layers else []
    tokens = tokenize(doc.text, written)
    chunks, lost = token_chunks(tokens, written)
    for m in lost:
        report.cannot_hold("mention across a line break or whitespace at its edge", f"{doc.id} {m.id}")
    for s in range(len(tokens.sentences)):
        words = tokens.words(s)
        tags = encode(sorted((f, e, m.label) for f, e, m in chunks[s]), len(words), scheme)
        yield {"id": f"{doc.id}-{s + 1}", "document": doc.id, "tokens": words, "ner_tags": [index[t] for t in tags]}
