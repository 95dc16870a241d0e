"""A conversion: inputs of one format, read into gold documents (labels through the label map, proclitics
optionally moved), written in another format. What ``khabar convert`` runs.

Each input is converted whole or not at all: a bad input is reported with every problem and its place,
the others are converted, and nothing half-written is left (each output file is written atomically;
several inputs into one output file are spooled one by one and joined at the end).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from annotation.errors import KhabarError
from annotation.formats.clitics import strip_proclitics, vocabulary
from annotation.formats.conll import ConllOptions, read_conll
from annotation.formats.conll_out import ConllWriteOptions, conll_lines, layer_count
from annotation.formats.gold_files import (SPLIT_NAMES, gold_lines, read_gold_lines, split_of,
                                           write_gold_folder_converted)
from annotation.formats.guess import Source, expand, guess_format, guess_tags
from annotation.formats.report import InputFailed, LabelMapper, Report, converted_annotation
from annotation.io import write_atomic
from annotation.labelmaps import load_label_map
from annotation.model import Annotated
from annotation.scheme import load_scheme
from annotation.spans import Problem

FORMATS = ("conll", "conll-nested", "hf", "brat", "spacy", "gold")
SUFFIX = {"conll": ".conll", "conll-nested": ".conll", "spacy": ".spacy", "gold": ".jsonl"}


@dataclass(frozen=True)
class ConvertOptions:
    source: str = "auto"
    target: str = "gold"
    label_map: str | None = None
    tags: str = "iob2"
    tags_given: bool = True  # False: --from auto may guess the tag scheme of a CoNLL input (and says so)
    strict: bool = True
    doc_sentences: int | None = None
    strip_proclitics: bool = False
    layer: int | None = 0  # flat token outputs: the nesting layer written; None: one file per layer
    text_comments: bool = False
    spans_keys: tuple[str, ...] = ("khabar",)
    split: str = "test"  # the split of inputs whose name says none (gold folder outputs)


def read_source(source: Source, fmt: str, options: ConvertOptions, mapper: LabelMapper,
                report: Report) -> Iterator[Annotated]:
    """The gold documents of one input, in the format ``fmt``."""
    annotation = converted_annotation(fmt, load_scheme().version,
                                      proclitics="stripped" if options.strip_proclitics else "kept")
    if fmt in ("conll", "conll-nested"):
        tags = options.tags
        if options.source == "auto" and not options.tags_given and fmt == "conll":
            tags = guess_tags(source.path)
            report.notes.append(f"{source.name}: guessed --tags {tags}")
        conll = ConllOptions(scheme=tags, nested=fmt == "conll-nested", strict=options.strict,
                             doc_sentences=options.doc_sentences)
        return read_conll(source.path, conll, mapper, report, annotation)
    if fmt == "gold":
        return read_gold_lines(source.path, mapper, report)
    if fmt == "hf":
        from annotation.formats.hf import read_hf

        return read_hf(source, source.part or "train", options.tags, options.strict, mapper, report, annotation)
    if fmt == "brat":
        from annotation.formats.brat import read_brat

        return read_brat(source.path, mapper, report, annotation)
    if fmt == "spacy":
        from annotation.formats.spacy_docbin import read_docbin

        return read_docbin(source.path, options.spans_keys, mapper, report, annotation)
    raise KhabarError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")


def _documents(source: Source, fmt: str, options: ConvertOptions, mapper: LabelMapper,
               report: Report, words: set[str] | None) -> Iterator[Annotated]:
    for doc in read_source(source, fmt, options, mapper, report):
        if options.strip_proclitics:
            doc, changed, ambiguous = strip_proclitics(doc, words)
            report.proclitics_stripped += changed
            report.proclitics_ambiguous += ambiguous
        report.documents += 1
        report.mentions += len(doc.entities)
        yield doc


def _text_lines(docs: Iterable[Annotated], options: ConvertOptions, report: Report, layer: int | None, *,
                cut_all: bool = False) -> Iterator[str]:
    if options.target == "gold":
        return gold_lines(docs)
    write = ConllWriteOptions(scheme=options.tags, nested=options.target == "conll-nested",
                              layer=layer or 0, text_comments=options.text_comments, cut_all=cut_all)
    return conll_lines(docs, write, report)


class _Run:
    def __init__(self, inputs: list[Path], out: Path, options: ConvertOptions) -> None:
        self.out, self.options = out, options
        self.report = Report()
        scheme = load_scheme()
        self.mapper = LabelMapper(load_label_map(options.label_map, scheme.labels), scheme.labels, self.report)
        self.sources: list[Source] = []
        for path in inputs:
            try:
                self.sources += [self._with_format(s) for s in expand(path, options.source)]
            except InputFailed as exc:
                self.report.failed[str(path)] = exc.problems
            except KhabarError as exc:
                self.report.failed[str(path)] = [Problem(str(path), str(exc))]
        self.sources = [part for s in self.sources for part in self._parts(s)]
        self.collected: dict[str, list[Annotated]] = {}
        self.words: set[str] | None = None  # the corpus's words, for --strip-proclitics
        self.single = options.target in SUFFIX and out.suffix != "" and not out.is_dir()
        if options.target == "gold" and out.suffix not in ("", ".jsonl"):
            raise KhabarError(f"{out}: a gold output is a .jsonl file or a folder")

    def _with_format(self, source: Source) -> Source:
        if self.options.source != "auto":
            return replace(source, format=self.options.source)
        fmt, why = guess_format(source.path)
        self.report.notes.append(f"{source.name}: guessed --from {fmt} ({why})")
        return replace(source, format=fmt)

    def _parts(self, source: Source) -> list[Source]:
        """A Hugging Face set stands for its splits (train, validation -> dev, test)."""
        if source.format != "hf":
            return [source]
        from annotation.formats.hf import load_splits

        try:
            names = list(load_splits(source.path))
        except KhabarError as exc:
            self.report.failed[source.name] = [Problem(source.name, str(exc))]
            return []
        return [replace(source, split=SPLIT_NAMES.get(n), name=f"{source.name}-{n}", part=n) for n in names]

    def convert_one(self, source: Source, spool: Path | None) -> bool:
        """Convert one input into ``spool`` (streamed outputs) or into memory; False when it failed."""
        fmt = source.format
        report = Report()
        self.mapper.report = report
        try:
            docs = _documents(source, fmt, self.options, self.mapper, report, self.words)
            if spool is not None:
                write_atomic(spool, _text_lines(docs, self.options, report, self.options.layer))
            else:
                self.collected.setdefault(source.name, []).extend(docs)
        except InputFailed as exc:
            self.report.failed[source.name] = exc.problems
            self.collected.pop(source.name, None)
            return False
        except KhabarError as exc:
            self.report.failed[source.name] = [Problem(source.name, str(exc))]
            self.collected.pop(source.name, None)
            return False
        finally:
            self.mapper.take_problems()
        self.report.absorb(report)
        return True

    def streamed(self) -> bool:
        return self.options.target in ("gold", "conll", "conll-nested") and self.options.layer is not None \
            and not (self.options.target == "gold" and not self.single)

    def _vocabulary(self) -> set[str]:
        """The words of every input (a first reading; its problems are reported by the second)."""
        scratch = Report()
        mapper = LabelMapper(self.mapper.label_map, self.mapper.labels, scratch)
        words: set[str] = set()
        for source in self.sources:
            try:
                for doc in read_source(source, source.format, self.options, mapper, scratch):
                    words |= vocabulary([doc.text])
            except KhabarError:
                pass
        return words

    def run(self) -> Report:
        if self.options.strip_proclitics:
            self.words = self._vocabulary()
        if self.streamed() and self.single:
            self._into_one_file()
        elif self.streamed():
            for source in self.sources:
                self.convert_one(source, self.out / f"{source.name}{SUFFIX[self.options.target]}")
        else:
            for source in self.sources:
                self.convert_one(source, None)
            self._write_collected()
        return self.report

    def _into_one_file(self) -> None:
        if len(self.sources) == 1:
            self.convert_one(self.sources[0], self.out)
            return
        self.out.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=f".{self.out.name}.", dir=self.out.parent) as tmp:
            spools = [Path(tmp) / f"{i}.part" for i in range(len(self.sources))]
            done = [sp for source, sp in zip(self.sources, spools) if self.convert_one(source, sp)]
            if done:
                write_atomic(self.out, _chunks(done))

    def _write_collected(self) -> None:
        target, out = self.options.target, self.out
        if not self.collected:
            return
        if target == "gold":
            splits: dict[str, list[Annotated]] = {}
            for source in self.sources:
                docs = self.collected.get(source.name)
                if docs is not None:
                    split = source.split or split_of(Path(source.name)) or self.options.split
                    splits.setdefault(split, []).extend(docs)
            write_gold_folder_converted(out, splits, self.report, provenance=_provenance(self.sources),
                                        converted={"from": sorted({s.name for s in self.sources}),
                                                   "proclitics": "stripped" if self.options.strip_proclitics
                                                   else "kept"})
        elif target in ("conll", "conll-nested"):
            self._layer_files()
        elif target == "spacy":
            from annotation.formats.spacy_docbin import write_docbin

            if self.single:  # one file: every input's documents
                write_docbin(out, [d for docs in self.collected.values() for d in docs], self.report)
            for name, docs in self.collected.items() if not self.single else ():
                write_docbin(out / f"{name}.spacy", docs, self.report)
        elif target == "hf":
            from annotation.formats.hf import write_hf_folder

            write_hf_folder(out, self.collected, self.options.tags, self.report)
        elif target == "brat":
            from annotation.formats.brat import write_brat

            write_brat(out, [d for docs in self.collected.values() for d in docs], self.report)

    def _layer_files(self) -> None:
        for name, docs in self.collected.items():
            base = self.out.with_suffix("") if self.single else self.out / name
            suffix = self.out.suffix if self.single else ".conll"
            for layer in range(layer_count(docs)):
                path = base.with_name(f"{base.name}.layer{layer}{suffix}")
                write_atomic(path, _text_lines(docs, self.options, Report(), layer, cut_all=True))
            self.report.notes.append(f"{name}: {layer_count(docs)} nesting layer file(s) {base}.layer*{suffix}")


def _chunks(paths: list[Path]) -> Iterator[bytes]:
    for path in paths:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                yield chunk


def _provenance(sources: list[Source]) -> str:
    names = ", ".join(sorted({s.name for s in sources}))
    return (f"Converted with `khabar convert` from {names}. Mentions and their labels come from the source "
            "corpus (through the label map named in the card); the corpus has no claims, no coreference "
            "clusters and no annotator records here, hence `adjudicated: false` and empty claims.")


def convert(inputs: list[Path], out: Path, options: ConvertOptions) -> Report:
    """Convert ``inputs`` into ``out`` (see the module docstring); the report lists every failed input."""
    if not inputs:
        raise KhabarError("no input given")
    for fmt in (options.source, options.target):
        if fmt not in FORMATS and fmt != "auto":
            raise KhabarError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")
    if options.target == "auto":
        raise KhabarError("--to must name a format; only --from may be auto")
    return _Run(inputs, out, options).run()
