"""Confidence intervals and significance tests by resampling documents.

Everything here works on per-document counts (flat ``{dotted key: count}`` mappings, the
sufficient statistics of every headline metric) and one metric function that maps SUMMED
counts to ``{result path: value}`` (``eval.scoring.metrics.headline`` by default). As in sacrebleu,
a resample never re-scores anything: it sums the counts of the documents it draws.

The documents form a ``docs x keys`` matrix. A batch of resamples is a matrix of weights
(how often each document is drawn, from seeded ``rng.integers`` indices, one ``bincount`` per resample);
the resampled sums are one matrix product with the count matrix. The metric then runs once
per summed row on a ``Counter`` of that row's non-zero counts -- exactly what it sees for the
point estimate -- or, when the metric function carries ``array_safe = True`` (its formulas are
element-wise and branch-free), once on arrays of all rows (checked against the per-row path
on a few rows; any disagreement falls back to the per-row path).

Decisions where the brief was silent:
- Percentile intervals (``numpy.quantile``, linear interpolation); resamples where a metric is
  undefined (None or NaN) are left out of its interval; a metric undefined on every resample
  gets no interval.
- Tests are two-sided, and ties count against rejection (``>=``), so identical runs get p = 1.
  Paired bootstrap: the null distribution is the bootstrap differences shifted to mean zero,
  ``p = (#{|d* - mean(d*)| >= |d|} + 1) / (n + 1)``. (sacrebleu takes ``|d*| - mean(|d*|)``
  and counts ``>``, which gives p = 1/(n+1) for a system compared with itself.)
  Approximate randomization: each trial swaps the two systems' counts of each document with
  probability 1/2, ``p = (#{|d_trial| >= |d|} + 1) / (trials + 1)``.
"""

from __future__ import annotations

import difflib
import json
import math
import numbers
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from pathlib import Path
from typing import Any

import numpy as np

from annotation.errors import KhabarError
from annotation.io import open_input

Counts = Mapping[str, Any]
Metric = Callable[[Counts], Mapping[str, Any]]

DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 12345
DEFAULT_ALPHA = 0.05
DEFAULT_TRIALS = 10000
CI_SUFFIXES = ("f1", "accuracy")  # bootstrap_ci bounds these headline values by default
BATCH_CELLS = 4_000_000  # resample weights drawn per batch (rows x documents): bounds memory
_ARRAY_CHECK_ROWS = 8
FLOAT32_EXACT = 2.0**24  # every whole number up to this is exact in float32
_TOLERANCE = 1e-9
# signature parts that may differ between two runs being compared: the system itself and
# the bootstrap settings (they change intervals, not the numbers)
SYSTEM_SIGNATURE_PARTS = frozenset({"sys", "system", "extractor", "pred", "predictions", "bs", "seed"})
# the gold release's version: the same fingerprint is the same annotations whatever the release says
RELEASE_PART = frozenset({"release"})


def default_metric() -> Metric:
    from eval.scoring.metrics import headline

    return headline


# --------------------------------------------------------------------------- count matrices

@dataclass(frozen=True)
class CountMatrix:
    """Per-document counts as a matrix: one row per document (``ids``), one column per key."""

    ids: tuple[str, ...]
    keys: tuple[str, ...]
    values: np.ndarray  # float64, documents x keys; exact for integer counts below 2**53
    integral: bool  # every count is a whole number: rows convert back to ints

    def total(self) -> np.ndarray:
        return self.values.sum(axis=0)


def count_matrix(per_document: Mapping[str, Counts], keys: Sequence[str] | None = None,
                 *, where: str = "") -> CountMatrix:
    """Stack per-document counts into a matrix; ``keys`` fixes the columns (default: all keys seen).

    Rows are in sorted id order, so a seed draws the same resamples however the documents came.
    A mapping that already holds its counts as a sparse matrix (``eval.scoring.scorer.PerDocument``:
    ``ids``, ``count_keys`` and ``matrix`` attributes, the matrix in CSR form: ``indptr``,
    ``indices``, ``data``) is taken as it is, without a Counter per document.
    """
    stored = getattr(per_document, "matrix", None)
    if (keys is None and all(hasattr(stored, a) for a in ("indptr", "indices", "data"))
            and isinstance(getattr(per_document, "count_keys", None), list)):
        return _from_sparse(list(per_document.ids), list(per_document.count_keys), stored)  # type: ignore[attr-defined]
    ids = tuple(sorted(per_document))
    for doc in ids:
        if not isinstance(per_document[doc], Mapping):
            raise KhabarError(f"{where}per_document[{doc!r}]: expected an object of counts, "
                              f"not {type(per_document[doc]).__name__}")
    if keys is None:
        seen: set[str] = set()
        for counts in per_document.values():
            seen.update(counts)
        keys = sorted(seen)
    column = {k: j for j, k in enumerate(keys)}
    docs = [per_document[doc] for doc in ids]
    rows = np.repeat(np.arange(len(ids)), [len(counts) for counts in docs])
    cols = np.fromiter(map(column.get, chain.from_iterable(docs), repeat(-1)), dtype=np.int64, count=len(rows))
    data = list(chain.from_iterable(counts.values() for counts in docs))
    if not set(map(type, data)) <= {int, float}:
        _bad_count(ids, rows, cols, data, keys, where)
    flat = np.array(data, dtype=np.float64)
    if not np.isfinite(flat).all():
        _bad_count(ids, rows, cols, data, keys, where)
    kept = cols >= 0
    rows, cols, flat = rows[kept], cols[kept], flat[kept]
    values = np.zeros((len(ids), len(keys)), dtype=np.float64)
    values[rows, cols] = flat
    return CountMatrix(ids, tuple(keys), values, bool(np.all(flat == np.round(flat))))


def _from_sparse(ids: list[str], keys: list[str], stored: Any) -> CountMatrix:
    """The dense matrix of a CSR one (``indptr``, ``indices``, ``data``; repeated columns in a row
    add up), rows in sorted id order, only columns with a non-zero count. Filled from the non-zero
    entries straight into a column-major array, so that its transpose (what :class:`Summer`
    multiplies) is contiguous."""
    indptr = np.asarray(stored.indptr)
    data = np.asarray(stored.data)
    cols = np.asarray(stored.indices)
    rows = np.repeat(np.arange(len(ids)), np.diff(indptr))
    nonzero = data != 0
    if not nonzero.all():
        rows, cols, data = rows[nonzero], cols[nonzero], data[nonzero]
    order = sorted(range(len(ids)), key=ids.__getitem__)
    if any(i != j for i, j in enumerate(order)):
        rank = np.empty(len(ids), dtype=np.int64)
        rank[order] = np.arange(len(ids))
        rows = rank[rows]
    used = np.flatnonzero(np.bincount(cols, minlength=len(keys)))
    column = np.zeros(len(keys), dtype=np.int64)
    column[used] = np.arange(len(used))
    by_key = np.bincount(column[cols] * len(ids) + rows, weights=data,
                         minlength=len(used) * len(ids)).reshape(len(used), len(ids))
    integral = data.dtype.kind in "iub" or bool(np.all(data == np.round(data)))
    return CountMatrix(tuple(ids[i] for i in order), tuple(keys[j] for j in used.tolist()), by_key.T, integral)


def _bad_count(ids: Sequence[str], rows: np.ndarray, cols: np.ndarray, data: list[Any], keys: Sequence[str],
               where: str) -> None:
    for i, j, value in zip(rows.tolist(), cols.tolist(), data):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise KhabarError(f"{where}per_document[{ids[i]!r}][{keys[j]!r}]: a count must be a finite "
                              f"number, not {value!r}")


def bootstrap_weights(n_documents: int, n: int, rng: np.random.Generator, *, batch_cells: int = BATCH_CELLS,
                      dtype: type = np.float64) -> Iterator[np.ndarray]:
    """Yield batches of resample weights (rows x documents): how often each document is drawn.

    Each resample is ``rng.integers(0, n_documents, size=n_documents)`` (a batch draws all its rows
    at once: the same stream), counted with one ``bincount`` per row (per row, the counts fit in cache)."""
    if n_documents == 0:
        if n:
            yield np.zeros((n, 0), dtype=dtype)
        return
    per_batch = max(1, batch_cells // n_documents)
    for start in range(0, n, per_batch):
        rows = min(per_batch, n - start)
        draws = rng.integers(0, n_documents, size=(rows, n_documents))
        weights = np.empty((rows, n_documents), dtype=dtype)
        for i in range(rows):
            weights[i] = np.bincount(draws[i], minlength=n_documents)
        yield weights


def resampled_sums(summer: Summer, n_documents: int, n: int, seed: int) -> np.ndarray:
    """``n`` bootstrap resamples of the documents (seeded :func:`bootstrap_weights`) summed by ``summer``."""
    weights = bootstrap_weights(n_documents, n, np.random.default_rng(seed), dtype=summer.dtype)
    sums = [summer(w) for w in weights]
    return np.concatenate(sums) if sums else np.zeros((0, summer.columns))


def coin_flips(rng: np.random.Generator, rows: int, columns: int) -> np.ndarray:
    """A rows x columns matrix of fair 0/1 draws as floats (eight per random byte)."""
    packed = np.frombuffer(rng.bytes(rows * -(-columns // 8)), dtype=np.uint8).reshape(rows, -1)
    return np.unpackbits(packed, axis=1, count=columns).astype(np.float64)


class Summer:
    """Weighted sums of the rows of a count matrix: ``weights @ values``, one BLAS product per batch.

    Computed as ``values.T @ weights.T`` with ``values.T`` contiguous: several times faster than
    the direct product for a few dozen weight rows over many documents, and faster than a sparse
    product even at 10% non-zero counts. In float32 (twice as fast) when that is provably exact:
    whole counts and weights, and every possible sum below 2**24 given the total and the largest
    weight of a row (``weight_total``, ``weight_max``). Identical columns (common in the scorer's
    counts: a label's missed count is the same under strict, exact and partial matching) are
    summed once and their sums copied.
    """

    def __init__(self, values: np.ndarray, *, integral: bool, weight_total: float, weight_max: float) -> None:
        bound = 0.0
        if values.size:
            magnitude = values if values.min() >= 0 else np.abs(values)
            bound = float(np.minimum(weight_total * magnitude.max(axis=0), weight_max * magnitude.sum(axis=0)).max())
        self.dtype = np.float32 if integral and bound < FLOAT32_EXACT else np.float64
        transposed = np.ascontiguousarray(values.T, dtype=self.dtype)
        distinct, self.expand = _distinct_rows(transposed)
        self.transposed = transposed if len(distinct) == len(transposed) else transposed[distinct]

    @property
    def columns(self) -> int:
        return len(self.expand)

    def __call__(self, weights: np.ndarray) -> np.ndarray:
        sums = (self.transposed @ weights.astype(self.dtype, copy=False).T).T
        if len(self.transposed) != len(self.expand):
            sums = sums[:, self.expand]
        return sums.astype(np.float64)


def _distinct_rows(matrix: np.ndarray) -> tuple[list[int], np.ndarray]:
    """The first index of each distinct row of ``matrix``, and for every row its distinct row's
    position in that list (rows grouped by a hash of their bytes, then compared)."""
    distinct: list[int] = []
    where = np.empty(len(matrix), dtype=np.int64)
    by_hash: dict[int, list[int]] = {}
    for i, row in enumerate(matrix):
        seen = by_hash.setdefault(hash(row.tobytes()), [])
        for k in seen:
            if np.array_equal(matrix[distinct[k]], row):
                where[i] = k
                break
        else:
            seen.append(len(distinct))
            where[i] = len(distinct)
            distinct.append(i)
    return distinct, where


# --------------------------------------------------------------------------- metric evaluation

class _ArrayCounts(dict):
    """Summed counts of many resamples at once: missing keys read as zeros, like a Counter."""

    def __init__(self, data: Mapping[str, np.ndarray], rows: int) -> None:
        super().__init__(data)
        self.rows = rows

    def __missing__(self, key: str) -> np.ndarray:
        return np.zeros(self.rows)


def _as_number(value: Any) -> float:
    return math.nan if value is None else float(value)


class Evaluator:
    """The metric on rows of summed counts, as an array rows x paths (NaN where undefined).

    Per row, the metric sees a Counter of that row's non-zero counts (ints for whole counts),
    exactly what it sees for a point estimate. A metric marked ``array_safe`` runs once on arrays
    of all rows instead, checked against the per-row results on a few rows (the first call) or
    one row (later calls); any disagreement (or an error) turns the array path off.
    """

    def __init__(self, metric: Metric, keys: Sequence[str], paths: Sequence[str], *, integral: bool) -> None:
        self.metric, self.keys, self.paths, self.integral = metric, list(keys), list(paths), integral
        self.vectorised: bool | None = None if getattr(metric, "array_safe", False) else False

    def counts(self, row: Sequence[float]) -> Counter:
        if self.integral:
            return Counter({k: int(round(v)) for k, v in zip(self.keys, row) if v})
        return Counter({k: v for k, v in zip(self.keys, row) if v})

    def row(self, row: Sequence[float]) -> list[float]:
        values = self.metric(self.counts(row))
        return [_as_number(values.get(p)) for p in self.paths]

    def __call__(self, sums: np.ndarray) -> np.ndarray:
        if sums.shape[0] and self.vectorised is not False:
            out = self._arrays(sums)
            self.vectorised = out is not None
            if out is not None:
                return out
        return np.array([self.row(r) for r in sums.tolist()], dtype=np.float64).reshape(len(sums), len(self.paths))

    def _arrays(self, sums: np.ndarray) -> np.ndarray | None:
        rows = sums.shape[0]
        try:
            with np.errstate(divide="ignore", invalid="ignore"):
                values = self.metric(_ArrayCounts({k: sums[:, j] for j, k in enumerate(self.keys)}, rows))
            out = np.empty((rows, len(self.paths)))
            for j, path in enumerate(self.paths):
                column = values.get(path)
                out[:, j] = np.nan if column is None else np.broadcast_to(np.asarray(column, dtype=float), (rows,))
        except (TypeError, ValueError, ZeroDivisionError):
            return None
        checks = _ARRAY_CHECK_ROWS if self.vectorised is None else 1
        for i in np.unique(np.linspace(0, rows - 1, min(rows, checks)).astype(int)):
            if not np.allclose(out[i], self.row(sums[i].tolist()), rtol=0, atol=_TOLERANCE, equal_nan=True):
                return None
        return out


def headline_paths(metric: Metric, counts: Mapping[str, Any], suffixes: Sequence[str] = CI_SUFFIXES) -> list[str]:
    """The metric's paths whose last part ends with one of ``suffixes`` (f1, macro_f1, accuracy ...)."""
    return [p for p in metric(counts) if p.rsplit(".", 1)[-1].endswith(tuple(suffixes))]


def check_paths(paths: Sequence[str], known: Iterable[str]) -> None:
    """Refuse a metric path that the metric does not produce, suggesting near ones."""
    known = list(known)
    for path in paths:
        if path not in known:
            close = difflib.get_close_matches(path, known, n=3, cutoff=0.6)
            hint = f"did you mean {', '.join(close)}?" if close else f"e.g. {', '.join(known[:3])}"
            raise KhabarError(f"unknown metric {path!r} — {hint}")


def percentile_interval(samples: np.ndarray, alpha: float) -> tuple[float, float] | None:
    """The central ``1 - alpha`` percentile interval of the defined samples (None if there are none)."""
    defined = samples[~np.isnan(samples)]
    if defined.size == 0:
        return None
    low, high = np.quantile(defined, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)


def _check_knobs(n: int, alpha: float) -> None:
    if n < 1:
        raise KhabarError(f"the number of resamples must be at least 1, not {n}")
    if not 0 < alpha < 1:
        raise KhabarError(f"alpha must be between 0 and 1, not {alpha}")


# --------------------------------------------------------------------------- confidence intervals

def bootstrap_ci(per_document: Mapping[str, Counts], metric_paths: Sequence[str] | None = None, *,
                 n: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED, alpha: float = DEFAULT_ALPHA,
                 metric: Metric | None = None) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap intervals of headline metrics, resampling documents with replacement.

    ``metric_paths`` defaults to every path of the metric ending in f1 or accuracy. A path that
    is undefined on every resample (e.g. an accuracy over no matched claims) gets no interval.
    """
    _check_knobs(n, alpha)
    metric = metric or default_metric()
    matrix = count_matrix(per_document)
    if not matrix.ids:
        return {}
    totals = Evaluator(metric, matrix.keys, [], integral=matrix.integral).counts(matrix.total().tolist())
    paths = list(metric_paths) if metric_paths is not None else headline_paths(metric, totals)
    check_paths(paths, metric(totals))
    if not paths:
        return {}
    evaluate = Evaluator(metric, matrix.keys, paths, integral=matrix.integral)
    summer = Summer(matrix.values, integral=matrix.integral, weight_total=len(matrix.ids), weight_max=len(matrix.ids))
    scores = evaluate(resampled_sums(summer, len(matrix.ids), n, seed))
    out = {}
    for j, path in enumerate(paths):
        interval = percentile_interval(scores[:, j], alpha)
        if interval is not None:
            out[path] = interval
    return out


# --------------------------------------------------------------------------- paired tests

def read_run(path: str | Path) -> dict[str, Any]:
    """A result JSON file (``khabar score --json``), with a clear error when it is not one."""
    path = Path(path)
    with open_input(path, "a result JSON file", binary=True) as handle:
        raw = handle.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise KhabarError(f"{path}: not UTF-8 text") from None
    try:
        run = json.loads(text)
    except json.JSONDecodeError as exc:
        raise KhabarError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(run, dict):
        raise KhabarError(f"{path}: a result JSON must be an object, not {type(run).__name__}")
    return run


def parse_signature(signature: str) -> dict[str, str]:
    """``khabar:0.1|gold:3f2a9c1e|ents:strict`` -> {"khabar": "0.1", "gold": "3f2a9c1e", "ents": "strict"}."""
    parts: dict[str, str] = {}
    for part in signature.split("|"):
        key, _, value = part.partition(":")
        parts[key.strip()] = value.strip()
    return parts


def run_documents(run: Mapping[str, Any], name: str = "run") -> dict[str, Counts]:
    """A result JSON's per-document counts: ``{id: {key: count}}`` (or a list of ``{"id", "counts"}``)."""
    per_document = run.get("per_document") if isinstance(run, Mapping) else None
    if isinstance(per_document, Mapping):
        return dict(per_document)
    if isinstance(per_document, list):
        out: dict[str, Counts] = {}
        for i, item in enumerate(per_document):
            if not isinstance(item, Mapping) or "id" not in item or not isinstance(item.get("counts"), Mapping):
                raise KhabarError(f"{name}: per_document[{i}] must be an object with 'id' and 'counts'")
            out[str(item["id"])] = item["counts"]
        return out
    raise KhabarError(f"{name}: no per-document counts ('per_document') — "
                      "compare needs result JSONs written by `khabar score --json` or `khabar bench --json`")


def gold_release(run: Mapping[str, Any]) -> str | None:
    """The gold release a result JSON was scored on (``gold_release``, else its signature's ``release``)."""
    release = run.get("gold_release") or parse_signature(str(run.get("signature", ""))).get("release")
    return str(release) if release else None


def check_comparable(run_a: Mapping[str, Any], run_b: Mapping[str, Any],
                     names: tuple[str, str] = ("run A", "run B")) -> None:
    """Refuse two runs scored on different gold or with settings that change the numbers."""
    na, nb = names
    for run, name in ((run_a, na), (run_b, nb)):
        if not isinstance(run, Mapping):
            raise KhabarError(f"{name}: a result JSON must be an object, not {type(run).__name__}")
        for field in ("gold_fingerprint", "signature"):
            if not isinstance(run.get(field), str):
                raise KhabarError(f"{name}: no '{field}' — not a khabar result JSON (write one with `khabar score --json`)")
    if run_a["gold_fingerprint"] != run_b["gold_fingerprint"]:
        releases = [gold_release(run) or "(none)" for run in (run_a, run_b)]
        raise KhabarError(f"{na} and {nb} were scored on different gold (fingerprint {run_a['gold_fingerprint']} "
                          f"vs {run_b['gold_fingerprint']}; release {releases[0]} vs {releases[1]}) — "
                          "`khabar gold diff OLD NEW` lists what changed between the two gold folders; "
                          "score both systems on the same gold release")
    docs_a, docs_b = set(run_documents(run_a, na)), set(run_documents(run_b, nb))
    if docs_a != docs_b:
        only_a, only_b = sorted(docs_a - docs_b), sorted(docs_b - docs_a)
        detail = "; ".join(f"{len(ids)} only in {name} (e.g. {ids[0]})"
                           for ids, name in ((only_a, na), (only_b, nb)) if ids)
        raise KhabarError(f"{na} and {nb} cover different documents: {detail} — score both on the same gold split")
    sig_a, sig_b = parse_signature(run_a["signature"]), parse_signature(run_b["signature"])
    differ = sorted(k for k in set(sig_a) | set(sig_b)
                    if k not in SYSTEM_SIGNATURE_PARTS | RELEASE_PART and sig_a.get(k) != sig_b.get(k))
    if differ:
        detail = ", ".join(f"{k}: {sig_a.get(k, '(none)')} vs {sig_b.get(k, '(none)')}" for k in differ)
        raise KhabarError(f"{na} and {nb} were scored with different settings ({detail}) — "
                          "score both systems with the same settings and khabar version")


def paired_tests(run_a: Mapping[str, Any], run_b: Mapping[str, Any], *, n: int = DEFAULT_RESAMPLES,
                 seed: int = DEFAULT_SEED, trials: int = DEFAULT_TRIALS, alpha: float = DEFAULT_ALPHA,
                 metric_paths: Sequence[str] | None = None, metric: Metric | None = None,
                 names: tuple[str, str] = ("run A", "run B")) -> dict[str, Any]:
    """Paired bootstrap and approximate randomization tests of B - A on every headline metric.

    Both runs are result JSONs on the same gold (fingerprint, documents and non-system signature
    parts must agree). Returns ``{"metrics": {path: {"a", "b", "difference", "difference_ci",
    "p_bootstrap", "p_randomization"}}, ...}``; values that are undefined are None.
    """
    _check_knobs(n, alpha)
    if trials < 1:
        raise KhabarError(f"the number of randomization trials must be at least 1, not {trials}")
    check_comparable(run_a, run_b, names)
    metric = metric or default_metric()
    docs_a, docs_b = run_documents(run_a, names[0]), run_documents(run_b, names[1])
    keys = sorted({k for counts in (*docs_a.values(), *docs_b.values()) for k in counts})
    a = count_matrix(docs_a, keys, where=f"{names[0]}: ")
    b = count_matrix(docs_b, keys, where=f"{names[1]}: ")
    integral = a.integral and b.integral
    as_counts = Evaluator(metric, keys, [], integral=integral).counts
    totals = as_counts(a.total().tolist()), as_counts(b.total().tolist())
    if metric_paths is None:
        metric_paths = list(dict.fromkeys(headline_paths(metric, totals[0]) + headline_paths(metric, totals[1])))
    paths = list(metric_paths)
    check_paths(paths, {**metric(totals[0]), **metric(totals[1])})
    evaluate = Evaluator(metric, keys, paths, integral=integral)
    point = evaluate(np.stack([a.total(), b.total()]))
    observed = point[1] - point[0]
    boot = _bootstrap_differences(a, b, evaluate, n, seed)
    randomized = _randomized_differences(a, b, evaluate, trials, seed)

    metrics: dict[str, dict[str, Any]] = {}
    for j, path in enumerate(paths):
        d = observed[j]
        entry: dict[str, Any] = {"a": _defined(point[0, j]), "b": _defined(point[1, j]),
                                 "difference": _defined(d), "difference_ci": None,
                                 "p_bootstrap": None, "p_randomization": None}
        if not math.isnan(d):
            interval = percentile_interval(boot[:, j], alpha)
            entry["difference_ci"] = list(interval) if interval else None
            entry["p_bootstrap"] = _p_value(np.abs(boot[:, j] - np.nanmean(boot[:, j])), abs(d))
            entry["p_randomization"] = _p_value(np.abs(randomized[:, j]), abs(d))
        metrics[path] = entry
    return {
        "gold_fingerprint": run_a["gold_fingerprint"],
        "documents": len(a.ids),
        "names": list(names),
        "signature_a": run_a["signature"],
        "signature_b": run_b["signature"],
        "resamples": n, "trials": trials, "seed": seed, "alpha": alpha,
        "metrics": metrics,
    }


def _bootstrap_differences(a: CountMatrix, b: CountMatrix, evaluate: Evaluator, n: int, seed: int) -> np.ndarray:
    """B - A on each resample, both systems resampled with the same documents."""
    k, docs = len(a.keys), len(a.ids)
    summer = Summer(np.hstack([a.values, b.values]), integral=a.integral and b.integral,
                    weight_total=docs, weight_max=docs)
    sums = resampled_sums(summer, docs, n, seed)
    return evaluate(sums[:, k:]) - evaluate(sums[:, :k])


def _randomized_differences(a: CountMatrix, b: CountMatrix, evaluate: Evaluator, trials: int,
                            seed: int) -> np.ndarray:
    """B' - A' on each trial, where B' and A' swap the systems' counts of each document with probability 1/2.

    Only documents (and keys) where the systems differ can change a sum: a swap moves the
    document's ``B - A`` from B's sums to A's.
    """
    delta = b.values - a.values
    changed = delta != 0
    docs, keys = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
    if not len(docs):
        return np.zeros((trials, len(evaluate.paths)))
    moves = Summer(delta[np.ix_(docs, keys)], integral=a.integral and b.integral, weight_total=len(docs), weight_max=1)
    total_a, total_b = a.total(), b.total()
    rng = np.random.default_rng(seed)
    per_batch = max(1, BATCH_CELLS // len(docs))
    moved = np.concatenate([moves(coin_flips(rng, min(per_batch, trials - start), len(docs)))
                            for start in range(0, trials, per_batch)])
    sums_a, sums_b = np.tile(total_a, (trials, 1)), np.tile(total_b, (trials, 1))
    sums_a[:, keys] += moved
    sums_b[:, keys] -= moved
    return evaluate(sums_b) - evaluate(sums_a)


def _defined(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def _p_value(null: np.ndarray, observed: float) -> float | None:
    """(#{null >= observed} + 1) / (#null + 1) over the defined null samples; ties count as extreme."""
    defined = null[~np.isnan(null)]
    if defined.size == 0:
        return None
    extreme = int(np.count_nonzero(defined >= observed - _TOLERANCE))
    return (extreme + 1) / (defined.size + 1)
