"""The result JSON of a scored run: its schema (TypedDicts others rely on), its warnings and versions.

The paths are stable (``README.md``, the report, ``khabar compare`` and the benchmarks read them).
A metric that is undefined is ``null``; a confidence interval ``<name>_ci: [low, high]`` stands right
after the value it bounds, when the run has bootstrap resamples. The claim attributes are those of the
scheme (:func:`eval.scoring.metrics.claim_attributes`): the shipped scheme's are typed below.
"""

from __future__ import annotations

import platform
from collections.abc import Sequence
from typing import Any, NotRequired, TypedDict

import numpy as np

from annotation import __version__
from eval.inputs.predictions import Predictions

MAX_EXAMPLES = 5  # ids / places quoted in a warning

Interval = list[float]  # [low, high]


class PRF(TypedDict):
    precision: float | None
    recall: float | None
    f1: float | None
    f1_ci: NotRequired[Interval]


class EntityCounts(PRF):
    """``micro`` and each ``per_label.<LABEL>``: the metrics and nervaluate's seven counts."""

    correct: int
    incorrect: int
    partial: int
    missed: int
    spurious: int
    possible: int
    actual: int


class EntityScheme(TypedDict):
    """``entities.<scheme>`` for scheme in strict, exact, partial, type."""

    micro: EntityCounts
    macro: PRF
    per_label: dict[str, EntityCounts]


class ClaimPRF(PRF):
    """``claims.detection|exact|cue|check_worthy|end_to_end``."""

    tp: int
    fp: int
    fn: int


class Accuracy(TypedDict):
    """``claims.source``."""

    accuracy: float | None
    accuracy_ci: NotRequired[Interval]
    correct: int
    total: int


class ClassCounts(TypedDict):
    gold: int
    pred: int
    tp: int


class ClassAttribute(Accuracy):
    """``claims.claim_type|attribution``: accuracy, macro-F1 and the counts of each class."""

    macro_f1: float | None
    macro_f1_ci: NotRequired[Interval]
    per_class: NotRequired[dict[str, ClassCounts]]


ClaimsResult = TypedDict("ClaimsResult", {
    "detection": ClaimPRF, "exact": ClaimPRF, "cue": ClaimPRF, "check_worthy": ClaimPRF, "end_to_end": ClaimPRF,
    "source": Accuracy, "claim_type": ClassAttribute, "attribution": ClassAttribute}, total=False)


class Alignment(TypedDict):
    """``alignment`` (:meth:`eval.inputs.alignment.AlignReport.to_dict`): offset-free predicted spans."""

    total: int
    aligned: int
    rate: float
    by_step: dict[str, int]
    by_step_rate: dict[str, float]
    clitic: list[dict[str, Any]]
    typo: list[dict[str, Any]]
    unaligned: list[dict[str, Any]]
    non_exact: list[dict[str, Any]]


class PredictionsSummary(TypedDict):
    lines: int
    missing: list[str]
    duplicate_lines: int
    duplicate_mentions: int
    dropped: dict[str, int]
    text_mismatch: int


class Timing(TypedDict):
    read_s: float
    count_s: float
    bootstrap_s: float
    total_s: float


class ConfigSummary(TypedDict, total=False):
    """The sources (``gold``, ``split``, ``predictions``: files only) and :class:`eval.scoring.config.ScoreConfig`."""

    gold: str
    split: str | None
    predictions: str
    iou: float
    align: dict[str, Any]  # eval.inputs.alignment.AlignConfig
    label_map: str | None
    bootstrap: int
    seed: int
    alpha: float
    scheme: str


class Summary(TypedDict):
    """The result JSON without ``per_document``, in its order."""

    signature: str
    documents: int
    gold_fingerprint: str
    gold_release: str | None
    entities: dict[str, EntityScheme]
    claims: ClaimsResult
    alignment: Alignment
    predictions: PredictionsSummary
    warnings: list[str]
    config: ConfigSummary
    versions: dict[str, str]
    timing: Timing


def predictions_summary(preds: Predictions, missing: list[str]) -> PredictionsSummary:
    return {"lines": preds.lines, "missing": missing, "duplicate_lines": len(preds.duplicate_lines),
            "duplicate_mentions": preds.duplicate_mentions, "dropped": dict(sorted(preds.dropped.items())),
            "text_mismatch": len(preds.text_mismatch)}


def warnings_of(ids: Sequence[str], preds: Predictions, source: str,
                gold_duplicates: tuple[int, str] = (0, "")) -> tuple[list[str], list[str]]:
    """The warnings of a run (well-defined oddities of the gold and the predictions), and the gold ids without a line."""
    warnings: list[str] = []
    if gold_duplicates[0]:
        warnings.append(f"{gold_duplicates[0]} repeated identical gold mention(s) counted once "
                        f"(e.g. {gold_duplicates[1]}; `khabar validate` lists them)")
    missing = [doc_id for i, doc_id in enumerate(ids) if i not in preds.where]
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
    taken = [u for u in report.unaligned if u.get("occurrences")]
    lost = [u for u in report.unaligned if not u.get("occurrences")]
    if lost:
        examples = ", ".join(f"{u.get('id')} {u.get('kind')} {u.get('text')!r}" for u in lost[:MAX_EXAMPLES])
        warnings.append(f"{len(lost)} of {report.total} offset-free predicted span(s) could not be "
                        f"aligned to the text and count as spurious (e.g. {examples})")
    if taken:
        examples = ", ".join(f"{u.get('id')} {u.get('kind')} {u.get('text')!r} ({u['occurrences']} in the text)"
                             for u in taken[:MAX_EXAMPLES])
        warnings.append(f"{len(taken)} of {report.total} offset-free predicted span(s) occur in the text, but every "
                        f"occurrence is taken by another predicted span; they count as spurious (e.g. {examples})")
    return warnings, missing


def versions() -> dict[str, str]:
    out = {"khabar": __version__, "python": platform.python_version(), "numpy": np.__version__}
    try:  # the matcher's solver; the package itself is light (no importlib.metadata, no scipy.optimize)
        import scipy
    except ImportError:
        pass
    else:
        out["scipy"] = scipy.__version__
    return out
