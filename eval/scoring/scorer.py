"""Scoring a run: gold and predictions in, per-document counts and the result JSON out.

``score(gold, predictions, config=...)`` takes model objects (the library path, used by
``khabar bench``); ``score_files(gold_path, predictions_path, config=...)`` reads JSON lines
quickly (``khabar score``). Both pair predictions with gold articles by id, align offset-free
spans, count per document (:mod:`eval.scoring.entities`, :mod:`eval.scoring.claims`), sum, derive the
metrics (:mod:`eval.scoring.metrics`) and bound them with bootstrap intervals over documents
(:func:`eval.statistics.bootstrap.bootstrap_ci`). Entity counts of a whole corpus come from the
fast path :mod:`eval.engine.entities` and are summed by :mod:`eval.engine.countrows`.

The result JSON (stable paths, typed in :mod:`eval.scoring.result`): ``signature``, ``documents``, ``gold_fingerprint``, ``gold_release``,
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
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, cast

import numpy as np

from annotation.errors import KhabarError
from annotation.gold.release import docs_version, gold_version
from annotation.io import write_atomic
from annotation.model import Annotated, Prediction
from annotation.scheme import Scheme, load_scheme
from eval.engine.countrows import Block, sum_blocks
from eval.engine.entities import entity_blocks, entity_keys
from eval.engine.gcpause import gc_paused
from eval.engine.perdocument import PerDocument
from eval.extract.folder import prediction_files
from eval.inputs.gold import Gold, gold_from_documents, read_gold_columns
from eval.inputs.labelmap import LabelMap, load_label_map
from eval.inputs.predictions import PredictionReader, Predictions
from eval.scoring.claims import claim_counts, claim_errors
from eval.scoring.config import ScoreConfig
from eval.scoring.entities import Ent, document_counts, entity_errors
from eval.scoring.metrics import (ClaimAttributes, claim_attributes, gold_attributes, headline_with, nest, summary,
                                  with_intervals)
from eval.scoring.result import (Alignment, ClaimsResult, EntityScheme, Summary, predictions_summary, versions,
                                 warnings_of)
from eval.scoring.signature import Signature

__all__ = ["PerDocument", "ScoreConfig", "ScoreRun", "score", "score_files"]


@dataclass
class ScoreRun:
    """A scored run: ``per_document`` counts, the ``summary`` (the result without per-document
    counts), ``result`` (the full result JSON), ``warnings`` and, computed on demand, ``errors``."""

    per_document: PerDocument
    summary: Summary
    warnings: list[str]
    gold: Gold = field(repr=False)
    predictions: Predictions = field(repr=False)
    config: ScoreConfig = field(repr=False)
    attributes: ClaimAttributes = field(default_factory=claim_attributes, repr=False)

    @cached_property
    def result(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.summary)
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
                                                                   [Ent(*m) for m in by_doc_p.get(i, [])], text,
                                                                   min_overlap=self.config.min_overlap)]
            items += [{"what": "claim", **x} for x in claim_errors(gold.claims[i], pred.claims.get(i, ()), text,
                                                                  gold.clusters[i], iou=self.config.iou,
                                                                  attributes=self.attributes)]
            if items:
                out[doc_id] = items
        return out


def _reader(gold: Gold, scheme: Scheme, config: ScoreConfig) -> PredictionReader:
    labels = list(scheme.labels) + [label for label in gold.labels() if label not in scheme.labels]
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
    return _run(g, preds, config, scheme, (t0, time.perf_counter()), sources={}, label_map=reader.label_map,
                release=docs_version(gold))


def score_files(gold_path: str | Path, predictions_path: str | Path, *, config: ScoreConfig = ScoreConfig(),
                split: str | None = None, scheme: Scheme | None = None, fast: bool = True) -> ScoreRun:
    """Score a predictions JSON lines file against a gold split file or gold folder (``fast``: read
    regular files by the columnar path; the result is the same without it, only slower)."""
    config.check()
    scheme = scheme or load_scheme()
    t0 = time.perf_counter()
    g = read_gold_columns(gold_path, split, fast=fast)
    if not len(g):
        raise KhabarError(f"{gold_path}: no gold articles{f' in split {split!r}' if split else ''} — nothing to score")
    reader = _reader(g, scheme, config)
    for path in prediction_files(predictions_path):  # a file, or the shards of a khabar extract folder
        reader.read_file(path, fast=fast)
    preds = reader.finish()
    return _run(g, preds, config, scheme, (t0, time.perf_counter()), label_map=reader.label_map,
                sources={"gold": str(gold_path), "split": split, "predictions": str(predictions_path)},
                release=gold_version(gold_path))


def _count(gold: Gold, preds: Predictions, config: ScoreConfig, attributes: ClaimAttributes) -> PerDocument:
    """Per-document counts: entities by the fast path, claims document by document (they are few)."""
    labels = preds.labels
    keys = entity_keys(labels)
    if config.min_overlap is None:
        blocks = [Block(r, c) for r, c in entity_blocks(gold.columns(labels), preds.columns(), labels)]
    else:  # nervaluate's minimum overlap: by the rule, document by document (the fast path has no threshold)
        blocks = [_rule_block(gold, preds, keys, config.min_overlap)]
    column = {k: j for j, k in enumerate(keys)}
    extra_r: list[int] = []
    extra_c: list[int] = []
    extra_v: list[int] = []
    for i in sorted({i for i, c in enumerate(gold.claims) if c} | set(preds.claims)):
        counts = claim_counts(gold.claims[i], preds.claims.get(i, ()), gold.texts[i], gold.clusters[i],
                              iou=config.iou, attributes=attributes)
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


def _intervals(per_document: PerDocument, config: ScoreConfig, attributes: ClaimAttributes,
               warnings: list[str]) -> dict[str, Any]:
    if config.bootstrap <= 0 or not len(per_document):
        return {}
    try:
        from eval.statistics.bootstrap import bootstrap_ci
    except ImportError:
        warnings.append("eval.statistics.bootstrap is not available: no confidence intervals")
        return {}
    return bootstrap_ci(per_document, None, n=config.bootstrap, seed=config.seed, alpha=config.alpha,
                        metric=headline_with(attributes))


def _run(gold: Gold, preds: Predictions, config: ScoreConfig, scheme: Scheme, times: tuple[float, float],
         sources: dict[str, Any], label_map: LabelMap, release: str | None = None) -> ScoreRun:
    """Count, sum, bound and describe a read run (``times``: its start and when reading ended)."""
    attributes, not_scored = gold_attributes(scheme, gold.claims)
    with gc_paused():
        per_document = _count(gold, preds, config, attributes)
    t_count = time.perf_counter()
    warnings, missing = warnings_of(gold.ids, preds, sources.get("predictions", "predictions"),
                                    (gold.duplicate_mentions, gold.duplicate_example))
    if not_scored is not None:
        warnings.insert(0, not_scored)
    flat = with_intervals(summary(per_document.totals(), attributes),
                          _intervals(per_document, config, attributes, warnings))
    t_done = time.perf_counter()
    nested = nest(flat)
    summary_: Summary = {
        "signature": str(_signature(gold, config, label_map, release)),
        "documents": len(gold),
        "gold_fingerprint": gold.fingerprint,
        "gold_release": release,
        "entities": cast(dict[str, EntityScheme], nested.get("entities", {})),
        "claims": cast(ClaimsResult, nested.get("claims", {})),
        "alignment": cast(Alignment, preds.alignment.to_dict()),
        "predictions": predictions_summary(preds, missing),
        "warnings": warnings,
        "config": {**sources, "iou": config.iou, "align": asdict(config.align),  # type: ignore[typeddict-item]
                   "label_map": config.label_map, "bootstrap": config.bootstrap, "seed": config.seed,
                   "alpha": config.alpha, "scheme": config.scheme,
                   **({"min_overlap": config.min_overlap} if config.min_overlap is not None else {})},
        "versions": versions(),
        "timing": {"read_s": round(times[1] - times[0], 3), "count_s": round(t_count - times[1], 3),
                   "bootstrap_s": round(t_done - t_count, 3), "total_s": round(t_done - times[0], 3)},
    }
    return ScoreRun(per_document, summary_, warnings, gold, preds, config, attributes)


def _rule_block(gold: Gold, preds: Predictions, keys: list[str], min_overlap: float) -> Block:
    """The entity counts of every document by :func:`eval.scoring.entities.document_counts`."""
    column = {k: j for j, k in enumerate(keys)}
    by_doc_g, by_doc_p = gold.mention_lists(), preds.mention_lists()
    rows: list[int] = []
    cols: list[int] = []
    counts: list[int] = []
    for i in sorted(set(by_doc_g) | set(by_doc_p)):
        g = [Ent(*m) for m in by_doc_g.get(i, [])]
        p = [Ent(*m) for m in by_doc_p.get(i, [])]
        for key, n in sorted(document_counts(g, p, min_overlap=min_overlap).items(), key=lambda kv: column[kv[0]]):
            rows.append(i)
            cols.append(column[key])
            counts.append(n)
    return Block(np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64), np.asarray(counts, dtype=np.int64))


def _signature(gold: Gold, config: ScoreConfig, label_map: LabelMap, release: str | None) -> Signature:
    return Signature(gold=gold.fingerprint, scheme=config.scheme, iou=config.iou,
                     normalise=config.align.normalise, align=config.align.describe(),
                     label_map=label_map.signature or None, bootstrap=config.bootstrap, seed=config.seed,
                     release=release, min_overlap=config.min_overlap)
