"""Scoring a run: gold and predictions in, per-document counts and the result JSON out.

``score(gold, predictions, config=...)`` takes model objects (the library path, used by
``khabar bench``); ``score_files(gold_path, predictions_path, config=...)`` reads JSON lines
quickly (``khabar score``). Both pair predictions with gold articles by id, align offset-free
spans, count per document (:mod:`eval.scoring.entities`, :mod:`eval.scoring.claims`), sum, derive the
metrics (:mod:`eval.scoring.metrics`) and bound them with bootstrap intervals over documents
(:func:`eval.statistics.bootstrap.bootstrap_ci`).

The result JSON (stable paths): ``signature``, ``documents``, ``gold_fingerprint``,
``entities.<scheme>.micro|macro.{precision,recall,f1}`` (micro also has the seven counts),
``entities.<scheme>.per_label.<LABEL>.{precision,recall,f1,<counts>}``,
``claims.detection|exact|cue|check_worthy|end_to_end.{precision,recall,f1,tp,fp,fn}``,
``claims.source.accuracy``, ``claims.claim_type|attribution.{accuracy,macro_f1,per_class}``,
confidence intervals as ``<name>_ci: [low, high]`` beside their value, ``alignment``,
``predictions`` (lines, missing articles, duplicates, dropped labels), ``warnings``,
``config``, ``versions``, ``timing`` and ``per_document`` (``{id: {count key: count}}``, the
non-zero counts of each gold article).
"""

from __future__ import annotations

import json
import platform
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from annotation import __version__
from annotation.errors import KhabarError
from annotation.io import write_atomic
from annotation.matching import DEFAULT_CLAIM_IOU
from annotation.model import Annotated, Prediction
from annotation.scheme import Scheme, load_scheme
from eval.inputs.alignment import AlignConfig
from eval.scoring.claims import claim_counts, claim_errors
from eval.engine.countrows import Block, CountRows, sum_blocks
from eval.extract.folder import prediction_files
from eval.scoring.entities import Ent, entity_blocks, entity_errors, entity_keys
from eval.inputs.reader import MAX_EXAMPLES, Gold, PredictionReader, Predictions, gc_paused, gold_from_documents, read_gold
from eval.inputs.labelmap import LabelMap, load_label_map
from eval.scoring.metrics import SCHEMES, nest, summary, with_intervals
from eval.scoring.signature import DEFAULT_BOOTSTRAP, DEFAULT_SCHEME, DEFAULT_SEED, Signature

DEFAULT_ALPHA = 0.05


@dataclass(frozen=True)
class ScoreConfig:
    """Everything that changes the numbers (and so goes into the signature)."""

    iou: float = DEFAULT_CLAIM_IOU
    align: AlignConfig = AlignConfig()
    label_map: str | None = None
    bootstrap: int = DEFAULT_BOOTSTRAP
    seed: int = DEFAULT_SEED
    alpha: float = DEFAULT_ALPHA
    scheme: str = DEFAULT_SCHEME  # the headline scheme of the signature and the table

    def check(self) -> None:
        if not 0 < self.iou <= 1:
            raise KhabarError(f"the claim IoU threshold must be in (0, 1], not {self.iou}")
        if self.bootstrap < 0:
            raise KhabarError(f"the number of bootstrap resamples cannot be negative ({self.bootstrap})")
        if self.scheme not in SCHEMES:
            raise KhabarError(f"unknown entity scheme {self.scheme!r} (one of {', '.join(SCHEMES)})")


class PerDocument(Mapping[str, Counter]):
    """Per-document counts as a sparse documents x keys matrix, read as ``{doc id: Counter}``.

    ``ids``, ``count_keys`` and ``matrix`` (a :class:`eval.engine.countrows.CountRows`: the ``indptr``,
    ``indices`` and ``data`` arrays of a CSR matrix, like scipy's) are public: eval.statistics.bootstrap
    resamples the matrix directly instead of building a Counter per document."""

    def __init__(self, ids: Sequence[str], keys: Sequence[str], matrix: CountRows) -> None:
        self.ids = list(ids)
        self.count_keys = list(keys)
        self.matrix = matrix
        self._row = {doc_id: i for i, doc_id in enumerate(self.ids)}

    def __getitem__(self, doc_id: str) -> Counter:
        i = self._row[doc_id]
        lo, hi = self.matrix.indptr[i], self.matrix.indptr[i + 1]
        keys = self.count_keys
        return Counter({keys[j]: v for j, v in zip(self.matrix.indices[lo:hi].tolist(),
                                                   self.matrix.data[lo:hi].tolist()) if v})

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def totals(self) -> Counter:
        sums = self.matrix.column_sums()
        return Counter({self.count_keys[j]: int(sums[j]) for j in np.flatnonzero(sums).tolist()})

    def json_rows(self) -> Iterator[tuple[str, str]]:
        """(document id, its non-zero counts as a JSON object), straight from the matrix."""
        pieces, starts = self._json_pieces()
        for i, doc_id in enumerate(self.ids):
            entries = pieces[starts[i] + 1:starts[i + 1]]
            yield doc_id, "{" + "".join(entries) + "}"

    def json_blocks(self, rows: int = 10_000) -> Iterator[str]:
        """The members of the ``per_document`` object as text, ``rows`` documents per block: a line
        ``    "id": {counts}`` per document, the lines separated by a comma and a newline, and a
        newline before the first."""
        pieces, starts = self._json_pieces()
        n = len(self.ids)
        for lo in range(0, n, rows):
            hi = min(n, lo + rows)
            text = "".join(pieces[starts[lo]:starts[hi]])
            yield text + "}" if hi == n else text

    def _json_pieces(self) -> tuple[list[str], list[int]]:
        """Text pieces whose concatenation is every document's line (see :meth:`json_blocks`), and
        where each document's pieces start (one more entry: the end). A document's pieces are a head
        (the previous document's closing brace, a comma, a newline, then ``    "id": {``; only the
        newline and ``    "id": {`` for the first document), then ``"key": count`` for its first
        non-zero count and ``, "key": count`` for each further one. The texts of counts come from a
        table over the distinct (column, count, first or not) codes: few, as counts are small."""
        m = self.matrix
        data, indices, indptr = m.data, m.indices, m.indptr
        nonzero = data != 0
        if not nonzero.all():
            data, indices = data[nonzero], indices[nonzero]
            indptr = np.concatenate([[0], np.cumsum(nonzero)])[indptr]
        n = len(self.ids)
        row_of = np.repeat(np.arange(n), np.diff(indptr))
        position = np.arange(len(data)) + row_of + 1  # after the heads of documents 0..row
        first = np.zeros(len(data), dtype=np.int64)
        first[indptr[:-1][np.diff(indptr) > 0]] = 1
        pieces = np.empty(len(data) + n, dtype=object)
        if len(data):
            low = int(data.min())
            span = int(data.max()) - low + 1
            codes = (indices.astype(np.int64) * span + (data.astype(np.int64) - low)) * 2 + first
            quoted = [json.dumps(k, ensure_ascii=False) for k in self.count_keys]

            def text(code: int) -> str:
                column, count = divmod(code >> 1, span)
                return f"{'' if code & 1 else ', '}{quoted[column]}: {count + low}"

            size = len(self.count_keys) * span * 2
            if size <= max(1 << 16, 2 * len(codes)):  # a direct table
                used = np.flatnonzero(np.bincount(codes, minlength=size))
                table = np.empty(size, dtype=object)
                table[used] = [text(c) for c in used.tolist()]
                slot = codes
            else:
                used, slot = np.unique(codes, return_inverse=True)
                table = np.array([text(c) for c in used.tolist()], dtype=object)
                slot = slot.ravel()
            pieces[position] = table[slot]
        heads = [f"}},\n    {_quote(doc_id)}: {{" for doc_id in self.ids]
        if heads:
            heads[0] = heads[0][2:]
        pieces[indptr[:-1] + np.arange(n)] = heads
        return pieces.tolist(), (indptr + np.arange(n + 1)).tolist()

    def to_json(self) -> dict[str, dict[str, int]]:
        keys, data, indices, indptr = self.count_keys, self.matrix.data.tolist(), self.matrix.indices.tolist(), \
            self.matrix.indptr.tolist()
        return {doc_id: {keys[indices[k]]: data[k] for k in range(indptr[i], indptr[i + 1]) if data[k]}
                for i, doc_id in enumerate(self.ids)}


@dataclass
class ScoreRun:
    """A scored run: ``per_document`` counts, the ``summary`` (the result without per-document
    counts), ``result`` (the full result JSON), ``warnings`` and, computed on demand, ``errors``."""

    per_document: PerDocument
    summary: dict[str, Any]
    warnings: list[str]
    gold: Gold = field(repr=False)
    predictions: Predictions = field(repr=False)
    config: ScoreConfig = field(repr=False)

    @cached_property
    def result(self) -> dict[str, Any]:
        out = dict(self.summary)
        out["per_document"] = self.per_document.to_json()
        return out

    def json_chunks(self) -> Iterator[str]:
        """The result JSON as text chunks: the summary indented, then one line per document's counts."""
        head = json.dumps(self.summary, ensure_ascii=False, indent=2)
        yield head[:-2] + ',\n  "per_document": {'
        empty = True
        for block in self.per_document.json_blocks():
            empty = False
            yield block
        yield "}\n}\n" if empty else "\n  }\n}\n"

    def write_json(self, path: str | Path) -> None:
        """Write the result JSON atomically (:meth:`json_chunks`)."""
        write_atomic(path, self.json_chunks())

    @cached_property
    def errors(self) -> dict[str, list[dict[str, Any]]]:
        """Per document: entity errors (strict matching: ``spurious``, ``missed``, ``boundary``,
        ``label``, ``boundary+label``) and claim errors (``spurious``, ``missed``, ``mismatch``),
        each a dict with ``what`` (entity/claim), ``kind`` and the gold and predicted item with offsets."""
        gold, pred = self.gold, self.predictions
        by_doc_g = gold.mention_lists()
        by_doc_p = pred.mention_lists()
        out: dict[str, list[dict[str, Any]]] = {}
        for i, doc_id in enumerate(gold.ids):
            text = gold.texts[i]
            items = [{"what": "entity", **x} for x in entity_errors([Ent(*m) for m in by_doc_g.get(i, [])],
                                                                   [Ent(*m) for m in by_doc_p.get(i, [])], text)]
            items += [{"what": "claim", **x} for x in claim_errors(gold.claims[i], pred.claims.get(i, ()), text,
                                                                  gold.clusters[i], iou=self.config.iou)]
            if items:
                out[doc_id] = items
        return out


def _quote(text: str) -> str:
    """A JSON string literal (ids are usually plain: no escaping needed)."""
    if text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    return json.dumps(text, ensure_ascii=False)


def _labels(gold: Gold, scheme: Scheme) -> list[str]:
    return list(scheme.labels) + [label for label in gold.labels() if label not in scheme.labels]


def _reader(gold: Gold, scheme: Scheme, config: ScoreConfig) -> PredictionReader:
    labels = _labels(gold, scheme)
    return PredictionReader(gold, scheme, labels=labels, label_map=load_label_map(config.label_map, labels),
                            align=config.align)


def score(gold: Sequence[Annotated], predictions: Sequence[Prediction], *, config: ScoreConfig = ScoreConfig(),
          scheme: Scheme | None = None) -> ScoreRun:
    """Score predictions (model objects) against gold documents."""
    config.check()
    scheme = scheme or load_scheme()
    t0 = time.perf_counter()
    g = gold_from_documents(gold)
    reader = _reader(g, scheme, config)
    with gc_paused():
        for i, p in enumerate(predictions):
            reader.add_prediction(p, f"prediction {i + 1} ({p.id}): ")
    preds = reader.finish()
    return _run(g, preds, config, t0, time.perf_counter(), sources={}, label_map=reader.label_map)


def score_files(gold_path: str | Path, predictions_path: str | Path, *, config: ScoreConfig = ScoreConfig(),
                split: str | None = None, scheme: Scheme | None = None) -> ScoreRun:
    """Score a predictions JSON lines file against a gold split file or gold folder."""
    config.check()
    scheme = scheme or load_scheme()
    t0 = time.perf_counter()
    g = read_gold(gold_path, split)
    if not len(g):
        raise KhabarError(f"{gold_path}: no gold articles{f' in split {split!r}' if split else ''} — nothing to score")
    reader = _reader(g, scheme, config)
    for path in prediction_files(predictions_path):  # a file, or the shards of a khabar extract folder
        reader.read_file(path)
    preds = reader.finish()
    return _run(g, preds, config, t0, time.perf_counter(), label_map=reader.label_map,
                sources={"gold": str(gold_path), "split": split, "predictions": str(predictions_path)})


def _count(gold: Gold, preds: Predictions, config: ScoreConfig) -> PerDocument:
    labels = preds.labels
    blocks = [Block(r, c) for r, c in entity_blocks(gold.columns(labels), preds.columns(), labels)]
    keys = entity_keys(labels)
    column = {k: j for j, k in enumerate(keys)}
    extra_r: list[int] = []
    extra_c: list[int] = []
    extra_v: list[int] = []
    for i in sorted({i for i, c in enumerate(gold.claims) if c} | set(preds.claims)):
        counts = claim_counts(gold.claims[i], preds.claims.get(i, ()), gold.texts[i], gold.clusters[i], iou=config.iou)
        for key, n in counts.items():
            j = column.get(key)
            if j is None:
                j = column[key] = len(keys)
                keys.append(key)
            extra_r.append(i)
            extra_c.append(j)
            extra_v.append(n)
    if extra_r:
        blocks.append(Block(np.asarray(extra_r, dtype=np.int64), np.asarray(extra_c, dtype=np.int64),
                            np.asarray(extra_v, dtype=np.int64)))
    return PerDocument(gold.ids, keys, sum_blocks(blocks, len(gold), len(keys)))


def _warnings(gold: Gold, preds: Predictions, source: str) -> tuple[list[str], list[str]]:
    warnings: list[str] = []
    missing = [doc_id for i, doc_id in enumerate(gold.ids) if i not in preds.where]
    if preds.lines == 0:
        warnings.append(f"{source}: no predictions: every gold mention and claim counts as missed")
    elif missing:
        warnings.append(f"{len(missing)} gold article(s) have no prediction line and count as predicted empty "
                        f"(e.g. {', '.join(missing[:MAX_EXAMPLES])})")
    if preds.duplicate_lines:
        warnings.append(f"{len(preds.duplicate_lines)} repeated identical prediction line(s) counted once "
                        f"(e.g. {'; '.join(preds.duplicate_lines[:MAX_EXAMPLES])})")
    if preds.duplicate_mentions:
        warnings.append(f"{preds.duplicate_mentions} repeated identical predicted mention(s) counted once "
                        f"(e.g. {preds.duplicate_example})")
    if preds.dropped:
        detail = ", ".join(f"{label}: {n}" for label, n in sorted(preds.dropped.items()))
        warnings.append(f"the label mapping dropped {sum(preds.dropped.values())} predicted mention(s) ({detail})")
    if preds.text_mismatch:
        warnings.append(f"{len(preds.text_mismatch)} predicted span(s) have a text that differs from the article "
                        f"at their offsets; the offsets count (e.g. {', '.join(preds.text_mismatch[:MAX_EXAMPLES])})")
    report = preds.alignment
    if report.unaligned:
        examples = ", ".join(f"{u.get('id')} {u.get('kind')} {u.get('text')!r}" for u in report.unaligned[:MAX_EXAMPLES])
        warnings.append(f"{len(report.unaligned)} of {report.total} offset-free predicted span(s) could not be "
                        f"aligned to the text and count as spurious (e.g. {examples})")
    return warnings, missing


def _versions() -> dict[str, str]:
    out = {"khabar": __version__, "python": platform.python_version(), "numpy": np.__version__}
    try:  # the matcher's solver; the package itself is light (no importlib.metadata, no scipy.optimize)
        import scipy
    except ImportError:
        pass
    else:
        out["scipy"] = scipy.__version__
    return out


def _intervals(per_document: PerDocument, config: ScoreConfig, warnings: list[str]) -> dict[str, Any]:
    if config.bootstrap <= 0 or not len(per_document):
        return {}
    try:
        from eval.statistics.bootstrap import bootstrap_ci
    except ImportError:
        warnings.append("eval.statistics.bootstrap is not available: no confidence intervals")
        return {}
    return bootstrap_ci(per_document, None, n=config.bootstrap, seed=config.seed, alpha=config.alpha)


def _run(gold: Gold, preds: Predictions, config: ScoreConfig, t0: float, t_read: float,
         sources: dict[str, Any], label_map: LabelMap) -> ScoreRun:
    with gc_paused():
        per_document = _count(gold, preds, config)
    t_count = time.perf_counter()
    warnings, missing = _warnings(gold, preds, sources.get("predictions", "predictions"))
    flat = with_intervals(summary(per_document.totals()), _intervals(per_document, config, warnings))
    t_done = time.perf_counter()
    signature = Signature(gold=gold.fingerprint, scheme=config.scheme, iou=config.iou,
                          normalise=config.align.normalise, align=config.align.describe(),
                          label_map=label_map.signature or None, bootstrap=config.bootstrap,
                          seed=config.seed)
    nested = nest(flat)
    alignment = preds.alignment.to_dict()
    summary_ = {
        "signature": str(signature),
        "documents": len(gold),
        "gold_fingerprint": gold.fingerprint,
        "entities": nested.get("entities", {}),
        "claims": nested.get("claims", {}),
        "alignment": alignment,
        "predictions": {"lines": preds.lines, "missing": missing, "duplicate_lines": len(preds.duplicate_lines),
                        "duplicate_mentions": preds.duplicate_mentions, "dropped": dict(sorted(preds.dropped.items())),
                        "text_mismatch": len(preds.text_mismatch)},
        "warnings": warnings,
        "config": {**sources, "iou": config.iou, "align": asdict(config.align), "label_map": config.label_map,
                   "bootstrap": config.bootstrap, "seed": config.seed, "alpha": config.alpha, "scheme": config.scheme},
        "versions": _versions(),
        "timing": {"read_s": round(t_read - t0, 3), "count_s": round(t_count - t_read, 3),
                   "bootstrap_s": round(t_done - t_count, 3), "total_s": round(t_done - t0, 3)},
    }
    return ScoreRun(per_document, summary_, warnings, gold, preds, config)
