"""Running an extractor over many articles: batches, worker processes, and checks on what comes back.

``run_extractor`` cuts the articles into batches, runs them in this process (``jobs=1``) or in
``jobs`` worker processes (the extractor is pickled to each), and checks every batch's output:
one prediction per article at most, only ids of the batch, offsets inside the article and
agreeing with the span's text. A failure names the extractor and the article (when a batch of
several articles fails, its articles are retried one by one to find the culprit) and nothing
is returned: callers write their outputs only after a complete run.
"""

from __future__ import annotations

import multiprocessing
import os
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

from annotation.errors import KhabarError
from annotation.io import lone_surrogate
from annotation.model import Annotated, Article, Prediction, Span
from annotation.spans import check_span
from eval.extractors.base import DEFAULT_BATCH_SIZE, Extractor, ExtractorError, describe, prediction_from

DEFAULT_JOBS = 1


@dataclass
class RunReport:
    """What a run did: the extractor, how many articles, which got no prediction, how long it took."""

    extractor: dict[str, str]
    articles: int = 0
    predicted: int = 0
    missing: list[str] = field(default_factory=list)
    batches: int = 0
    jobs: int = 1
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"extractor": self.extractor, "articles": self.articles, "predicted": self.predicted,
                "missing": list(self.missing), "batches": self.batches, "jobs": self.jobs,
                "seconds": round(self.seconds, 3)}


def resolve_jobs(jobs: int) -> int:
    """``jobs`` as given, or every core for 0 (or less)."""
    return jobs if jobs > 0 else (os.cpu_count() or 1)


def bind_gold(extractor: Extractor, gold: Sequence[Annotated]) -> Extractor:
    """Give the gold documents to an extractor that asks for them (``uses_gold``)."""
    if getattr(extractor, "uses_gold", False):
        return extractor.bind_gold(gold)  # type: ignore[attr-defined, no-any-return]
    return extractor


def _where(articles: Sequence[Article]) -> str:
    if len(articles) == 1:
        return f"article {articles[0].id}"
    return f"articles {articles[0].id} … {articles[-1].id} ({len(articles)} in the batch)"


def _crash(name: str, articles: Sequence[Article], exc: BaseException) -> ExtractorError:
    if isinstance(exc, KhabarError):
        message = str(exc)
        if not (len(articles) == 1 and articles[0].id in message):
            message = f"{message} [{_where(articles)}]"
        return ExtractorError(message if name in message else f"extractor {name!r}: {message}", pinpoint=False)
    frames = traceback.extract_tb(exc.__traceback__)
    at = f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return ExtractorError(f"extractor {name!r} crashed on {_where(articles)}: "
                          f"{type(exc).__name__}: {exc}{at}")


def _exit_error(name: str, where: str, exc: SystemExit) -> ExtractorError:
    return ExtractorError(f"extractor {name!r} called sys.exit({exc.code!r}){where}; an extractor must return "
                          "its predictions or raise an exception", pinpoint=False)


def _extract(extractor: Extractor, articles: Sequence[Article]) -> list[Prediction]:
    name = describe(extractor)["name"]
    try:
        result = extractor.extract(articles)
    except SystemExit as exc:  # the process is khabar's, not the extractor's: a clear error instead of an exit
        raise _exit_error(name, "", exc) from None  # run_batch adds the articles
    if not isinstance(result, list | tuple):
        raise ExtractorError(f"extractor {name!r} returned a {type(result).__name__} for {_where(articles)}, "
                             "expected a list of predictions")
    return [prediction_from(p, name, f"{_where(articles)}, item {i}") for i, p in enumerate(result)]


def run_batch(extractor: Extractor, articles: Sequence[Article]) -> list[Prediction]:
    """Run and check one batch; on a failure, find the article that causes it."""
    name = describe(extractor)["name"]
    try:
        preds = _extract(extractor, articles)
    except Exception as exc:
        if len(articles) > 1 and getattr(exc, "pinpoint", True):
            for article in articles:
                try:
                    _extract(extractor, [article])
                except Exception as single:
                    raise _crash(name, [article], single) from None
        raise _crash(name, articles, exc) from None
    check_batch(name, articles, preds)
    return preds


def _spans(pred: Prediction) -> list[tuple[str, Span]]:
    out: list[tuple[str, Span]] = [(f"entities[{i}] ({m.label})", m.span) for i, m in enumerate(pred.entities)]
    for i, c in enumerate(pred.claims):
        out.append((f"claims[{i}]", c.span))
        parts = [("source", c.source), ("cue", c.cue)] + [(f"via[{j}]", v) for j, v in enumerate(c.via)]
        out += [(f"claims[{i}] {part}", span) for part, span in parts if span is not None]
    return out


def check_batch(name: str, articles: Sequence[Article], preds: Sequence[Prediction]) -> None:
    """Only ids of the batch, each once; every span with an offset has both, inside the text, matching its text."""
    texts = {a.id: a.text for a in articles}
    seen: set[str] = set()
    for pred in preds:
        if pred.id not in texts:
            raise ExtractorError(f"extractor {name!r} returned a prediction for article {pred.id!r}, which is not "
                                 f"one of the articles it was given ({_where(articles)})")
        if pred.id in seen:
            raise ExtractorError(f"extractor {name!r} returned two predictions for article {pred.id!r}")
        seen.add(pred.id)
        place = lone_surrogate(pred.to_dict())
        if place:
            raise ExtractorError(f"extractor {name!r}, article {pred.id} {place}: a lone surrogate (\\ud800-\\udfff) "
                                 "is not a character; it cannot be written as UTF-8")
        for item, span in _spans(pred):
            if span.start is None and span.end is None:
                continue
            if span.start is None or span.end is None:
                raise ExtractorError(f"extractor {name!r}, article {pred.id} {item}: a span needs both start "
                                     "and end, or neither (then it is aligned by its text)")
            problems = check_span(span, texts[pred.id], "")
            if problems:
                raise ExtractorError(f"extractor {name!r}, article {pred.id} {item}: {problems[0].message}")


def _batches(articles: Sequence[Article], size: int) -> list[list[Article]]:
    size = max(1, size)
    return [list(articles[i:i + size]) for i in range(0, len(articles), size)]


def _prepare(extractor: Extractor, articles: Sequence[Article], name: str) -> None:
    """Call the extractor's optional ``prepare(articles)``; a crash there names the extractor."""
    prepare = getattr(extractor, "prepare", None)
    if not callable(prepare):
        return
    try:
        prepare(articles)
    except SystemExit as exc:
        raise _exit_error(name, " while preparing", exc) from None
    except KhabarError:
        raise
    except Exception as exc:
        raise ExtractorError(f"extractor {name!r} failed to prepare: {type(exc).__name__}: {exc}") from None


Progress = Callable[[int], None] | None


def _run_here(extractor: Extractor, batches: list[list[Article]], progress: Progress) -> list[list[Prediction]]:
    results = []
    for batch in batches:
        results.append(run_batch(extractor, batch))
        if progress:
            progress(len(batch))
    return results


def _run_in_pool(extractor: Extractor, batches: list[list[Article]], jobs: int, name: str,
                 progress: Progress) -> list[list[Prediction]]:
    """The batches in ``jobs`` worker processes; the first failure stops the run (pending batches are cancelled)."""
    results: list[list[Prediction]] = [[] for _ in batches]
    context = multiprocessing.get_context()  # the platform's default (fork on Linux: works from any __main__)
    with ProcessPoolExecutor(max_workers=min(jobs, len(batches)), mp_context=context) as pool:
        futures = {pool.submit(run_batch, extractor, batch): i for i, batch in enumerate(batches)}
        pending = set(futures)
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_EXCEPTION)
                for future in sorted(done, key=futures.__getitem__):
                    i = futures[future]
                    try:
                        results[i] = future.result()
                    except BrokenProcessPool:
                        raise ExtractorError(f"extractor {name!r}: a worker process died while running "
                                             f"{_where(batches[i])} (out of memory? run with --jobs 1 to see "
                                             "the error)") from None
                    if progress:
                        progress(len(batches[i]))
        except BaseException:
            for future in pending:
                future.cancel()
            raise
    return results


def run_extractor(extractor: Extractor, articles: Sequence[Article], *, batch_size: int = DEFAULT_BATCH_SIZE,
                  jobs: int = DEFAULT_JOBS, progress: Progress = None) -> tuple[list[Prediction], RunReport]:
    """Predictions for ``articles`` in their order (articles the extractor skipped have none) and a report."""
    started = time.perf_counter()
    ids = [a.id for a in articles]
    if len(set(ids)) != len(ids):
        raise KhabarError("the articles given to the extractor have duplicate ids")
    jobs = resolve_jobs(jobs)
    info = describe(extractor)
    _prepare(extractor, articles, info["name"])
    batches = _batches(articles, batch_size)
    if jobs == 1 or len(batches) <= 1:
        results = _run_here(extractor, batches, progress)
    else:
        results = _run_in_pool(extractor, batches, jobs, info["name"], progress)
    preds = [p for batch in results for p in batch]
    by_id = {p.id for p in preds}
    order = {a: i for i, a in enumerate(ids)}
    preds.sort(key=lambda p: order[p.id])
    report = RunReport(extractor=info, articles=len(articles), predicted=len(preds),
                       missing=[i for i in ids if i not in by_id], batches=len(batches), jobs=jobs,
                       seconds=time.perf_counter() - started)
    return preds, report
