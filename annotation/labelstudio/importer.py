"""Importing a Label Studio export into a folder of per-annotator records.

The folder (``--out DIR``) holds:

- ``raw/<sha256>.json``: every export, verbatim, named by its checksum (kept before conversion);
- ``records.jsonl``: one ``Annotated`` record per (task, annotation), sorted by task then annotation id;
- ``quarantine.jsonl``: the regions, relations and annotations left out, with their reason.

Only full JSON exports are accepted (JSON_MIN and CSV lose relations and per-region attributes).
An export made with another labeling config (a control, label, choice or relation the scheme does
not have) is refused as a whole. Importing the same export twice changes nothing; a newer export
replaces a record only when the annotation's ``updated_at`` is newer. An export is the whole state
of its project: a record (or quarantine entry) whose annotation it no longer holds was deleted in
Label Studio and is removed (counted). Every record is re-validated against the scheme on the way
in (``annotation.gold.validation``): a claim it refuses is quarantined, not kept. Files are written
atomically.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from annotation.errors import KhabarError
from annotation.io import dumps, folder_lock, iter_json_lines, lone_surrogate, open_input, write_atomic
from annotation.labelstudio.annotations import annotation_to_record, annotator_of, place, region_of, task_article
from annotation.labelstudio.config import RELATIONS, REVIEW_DRAFT, REVIEW_TEXT, TEXT, Vocabulary, vocabulary
from annotation.model import Annotated, Article
from annotation.review.records import load_records
from annotation.scheme import Scheme, load_scheme
from annotation.spans import Problem

RECORDS = "records.jsonl"
QUARANTINE = "quarantine.jsonl"
RAW = "raw"
LOSSY_FORMATS = "JSON_MIN and CSV exports lose relations, cancelled annotations and per-region attributes"

JSON = dict[str, Any]
Key = tuple[int, int]


@dataclass
class ImportReport:
    """What one import did (for the summary) and where it wrote."""

    raw_path: Path
    tasks: int = 0
    annotations: int = 0
    cancelled: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0       # older than the record already imported
    removed: int = 0     # records whose annotation is now cancelled
    deleted: int = 0     # records whose annotation is no longer in the project
    quarantined: list[JSON] = field(default_factory=list)   # entries of this export
    repairs: list[str] = field(default_factory=list)

    def summary(self) -> list[str]:
        lines = [f"read {self.annotations} annotation(s) of {self.tasks} task(s) "
                 f"({self.cancelled} cancelled, not imported); raw export kept as {self.raw_path}",
                 f"records: {self.added} added, {self.updated} updated, {self.unchanged} unchanged"
                 + (f", {self.stale} older than the imported ones (kept the imported)" if self.stale else "")
                 + (f", {self.removed} removed (annotation cancelled)" if self.removed else "")
                 + (f", {self.deleted} removed (annotation deleted in Label Studio)" if self.deleted else "")]
        if self.repairs:
            lines.append(f"{len(self.repairs)} region offset(s) repaired: " + "; ".join(self.repairs[:5])
                         + (" …" if len(self.repairs) > 5 else ""))
        return lines


# --- reading and checking an export -----------------------------------------------------------


def parse_export(data: bytes, where: str) -> list[JSON]:
    """The tasks of a full JSON export; a clear KhabarError for anything else."""
    lowered = where.lower()
    if lowered.endswith((".csv", ".tsv")):
        raise KhabarError(f"{where}: a CSV export is not accepted: {LOSSY_FORMATS} — export the project as JSON")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise KhabarError(f"{where}: not UTF-8 text (byte {exc.start})") from None
    try:
        tasks = json.loads(text)
    except json.JSONDecodeError as exc:
        head = text.lstrip()[:1]
        if head not in ("[", "{", ""):
            raise KhabarError(f"{where}: not JSON (it starts with {text.lstrip()[:20]!r}; a CSV export?): "
                              f"{LOSSY_FORMATS} — export the project as JSON") from None
        hint = " — the file is truncated; export it again" if exc.pos >= len(text.rstrip()) else ""
        raise KhabarError(f"{where}:{exc.lineno}: not valid JSON ({exc.msg} at column {exc.colno}){hint}") from None
    except RecursionError:
        raise KhabarError(f"{where}: JSON nested too deeply (hundreds of levels; an export has a few)") from None
    if not isinstance(tasks, list):
        raise KhabarError(f"{where}: a Label Studio JSON export is a list of tasks, this is a {type(tasks).__name__}")
    for i, task in enumerate(tasks):
        if not isinstance(task, dict):
            raise KhabarError(f"{where}: item {i} is not a task object")
        if "annotations" not in task or "data" not in task:
            if "annotator" in task or "annotation_id" in task or TEXT in task:
                raise KhabarError(f"{where}: this is a JSON_MIN export: {LOSSY_FORMATS} — export the project "
                                  "as JSON (the full format)")
            raise KhabarError(f"{where}: item {i} has no 'data' and 'annotations': not a Label Studio JSON export")
        if not isinstance(task["annotations"], list):
            raise KhabarError(f"{where}: task {task.get('id')}: 'annotations' is not a list")
        _check_ids(task, i, where)
        surrogate = lone_surrogate(task) if "\\u" in text else None
        if surrogate:
            raise KhabarError(f"{where}: task {task['id']}: {surrogate}: a lone surrogate escape (\\ud800-\\udfff) "
                              "is not a character — fix it in Label Studio and export again")
    return tasks


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_ids(task: JSON, i: int, where: str) -> None:
    """Label Studio's task and annotation ids are integers; anything else is not one of its exports."""
    if not _is_id(task.get("id")):
        raise KhabarError(f"{where}: item {i}: the task id {task.get('id')!r} is not an integer "
                          "(Label Studio numbers its tasks): not a Label Studio JSON export")
    for j, annotation in enumerate(task["annotations"]):
        if not isinstance(annotation, dict):
            raise KhabarError(f"{where}: task {task['id']}: annotations[{j}] is a {type(annotation).__name__}, "
                              "not an annotation object")
        if not _is_id(annotation.get("id")):
            raise KhabarError(f"{where}: task {task['id']}: annotations[{j}] has the id {annotation.get('id')!r}, "
                              "not an integer (Label Studio numbers its annotations)")


def export_vocabulary(tasks: Iterable[JSON]) -> dict[str, set[str]]:
    """Every (control, value) the annotations of an export use; relations under ``RELATIONS``."""
    found: dict[str, set[str]] = {}
    for task in tasks:
        for annotation in task["annotations"]:
            for item in annotation.get("result") or []:
                if not isinstance(item, dict):
                    continue
                kind = item.get("type")
                value = item.get("value") if isinstance(item.get("value"), dict) else {}
                if kind == "relation":
                    found.setdefault(RELATIONS, set()).update(str(v) for v in item.get("labels") or [])
                elif kind in ("labels", "choices"):
                    values = value.get("labels" if kind == "labels" else "choices") or []
                    found.setdefault(str(item.get("from_name")), set()).update(str(v) for v in values)
                    if item.get("to_name") != TEXT:
                        found.setdefault(f"to_name {item.get('to_name')}", set())
                else:
                    found.setdefault(f"result type {kind}", set())
    return found


def check_export_vocabulary(tasks: list[JSON], expected: Vocabulary, where: str) -> None:
    found = export_vocabulary(tasks)
    problems = []
    for name in sorted(found):
        if name not in expected:
            values = f" (values: {', '.join(sorted(found[name]))})" if found[name] else ""
            problems.append(f"control {name!r} is not in the scheme{values}")
        elif extra := found[name] - expected[name]:
            problems.append(f"{name}: values not in the scheme: {', '.join(sorted(extra))}")
    if problems:
        raise KhabarError(f"{where}: the export was made with a labeling config that does not match the scheme: "
                          f"{'; '.join(problems)} — nothing imported; annotate in a project created by "
                          "`khabar export` (its config comes from the scheme)")


# --- the records folder ------------------------------------------------------------------------


def _key(record: Annotated, where: Path) -> Key:
    task, ident = record.annotation.get("task"), record.annotation.get("annotation_id")
    if not isinstance(task, int) or not isinstance(ident, int):
        raise KhabarError(f"{where}: the record of {record.id} has no integer annotation.task and "
                          "annotation.annotation_id: not a khabar import record")
    return task, ident


def load_imported(out: Path) -> dict[Key, Annotated]:
    """The records already in the folder, by (task, annotation) (read with the one records reader)."""
    path = out / RECORDS
    if not path.exists():
        return {}
    return {_key(r, path): r for r in load_records(path, allow_empty=True)}


def load_quarantine(out: Path) -> list[JSON]:
    """The quarantine already in the folder; a line khabar import did not write is named."""
    path = out / QUARANTINE
    entries = []
    for lineno, obj in iter_json_lines(path) if path.exists() else ():
        if not isinstance(obj, dict) or not {"task", "annotation", "reason"} <= set(obj) \
                or not all(obj[k] is None or _is_id(obj[k]) for k in ("task", "annotation")):
            raise KhabarError(f"{path}:{lineno}: not a quarantine entry of khabar import (an object with an "
                              "integer task and annotation and a reason) — restore the file or move it away")
        entries.append(obj)
    return entries


def _quarantine_sort(entry: JSON) -> tuple[Any, ...]:
    return (entry["task"] if isinstance(entry["task"], int) else -1,
            entry["annotation"] if isinstance(entry["annotation"], int) else -1,
            str(entry.get("region") or ""), entry["reason"])


def _entry(task: JSON, annotation: JSON, article: str | None, problem: Problem) -> JSON:
    """A quarantine line: the task, annotation, region and reason of one problem."""
    return {"task": task.get("id"), "annotation": annotation.get("id"), "article": article,
            "annotator": annotator_of(annotation), "updated_at": annotation.get("updated_at"),
            "region": region_of(problem, task.get("id"), annotation.get("id")), "reason": problem.message,
            **({"project": annotation["project"]} if annotation.get("project") is not None else {})}


def _newer(a: Any, b: Any) -> bool:
    """Is timestamp ``a`` newer than ``b``? (ISO 8601 strings of one server compare as text.)"""
    return str(a or "") > str(b or "")


def _wholly_quarantined(quarantine: list[JSON]) -> dict[Key, Any]:
    """The ``updated_at`` of each annotation that was quarantined as a whole (it has no record)."""
    return {(e["task"], e["annotation"]): e.get("updated_at") for e in quarantine if e.get("region") is None}


def _task_article(task: JSON) -> tuple[Article | None, str | None]:
    try:
        return task_article(task), None
    except KhabarError as exc:
        return None, str(exc)


def _task_facts(task: JSON, annotation: JSON) -> JSON:
    """What a task says about how its annotation was made: the pre-annotation model the annotator
    started from (the annotation's ``prediction``, else the task's predictions, which Label Studio
    shows as the draft), and whether it is a decision of the review project (``khabar review push``)."""
    data = task.get("data") if isinstance(task.get("data"), dict) else {}
    if REVIEW_TEXT in data:
        drafts = [p for p in task.get("predictions") or [] if isinstance(p, dict)
                  and p.get("model_version") == REVIEW_DRAFT and isinstance(p.get("result"), list)]
        return {"review": True, **({"draft_result": drafts[-1]["result"]} if drafts else {})}
    own = annotation.get("prediction")
    if isinstance(own, dict) and own.get("model_version"):
        return {"pre_annotation": str(own["model_version"])}
    predictions = [p for p in task.get("predictions") or [] if isinstance(p, dict) and p.get("model_version")]
    versions = sorted({str(p["model_version"]) for p in predictions})
    return {"pre_annotation": ", ".join(versions)} if versions else {}


class _Import:
    """One export merged into the records and quarantine of a folder."""

    def __init__(self, out: Path, where: str, scheme: Scheme, report: ImportReport) -> None:
        self.out, self.where, self.scheme, self.report = out, where, scheme, report
        self.records = load_imported(out)
        self.quarantine = load_quarantine(out)
        self.wholly_quarantined = _wholly_quarantined(self.quarantine)
        self.replaced: set[Key] = set()
        self.seen: set[Key] = set()
        self.new_entries: list[JSON] = []
        self.projects: set[Any] = {None}

    def task(self, task: JSON) -> None:
        article, problem = _task_article(task)
        for annotation in sorted(task["annotations"], key=lambda a: a["id"]):  # ids checked by parse_export
            self.annotation(task, article, problem, {**annotation, "task": task["id"], **_task_facts(task, annotation)})

    def is_current(self, key: Key, old: Annotated | None, annotation: JSON, cancelled: bool,
                   article: Article | None) -> bool:
        """Is the imported version (record or whole quarantine) at least as new? Counts it. Under the
        same ``updated_at`` an annotation whose content changed (regions edited without a new
        timestamp) is not current: it is imported again and counted as updated."""
        before = old.annotation.get("updated_at") if old is not None else self.wholly_quarantined.get(key)
        if before is None or _newer(annotation.get("updated_at"), before):
            return False
        if _newer(before, annotation.get("updated_at")):
            self.report.stale += 1
        elif not cancelled:
            if old is not None and article is not None and self.changed_in_place(old, article, annotation):
                return False
            self.report.unchanged += 1
        return True

    def changed_in_place(self, old: Annotated, article: Article, annotation: JSON) -> bool:
        try:
            record, _, _ = annotation_to_record(article, annotation, self.scheme)
        except KhabarError:
            return True  # it no longer converts: import it again, so that the quarantine says why
        return record.to_dict() != old.to_dict()

    def check_same_article(self, key: Key, old: Annotated | None, article: Article | None) -> None:
        if old is not None and article is not None and old.id != article.id:
            raise KhabarError(f"{self.where}: task {key[0]} annotation {key[1]} is about article {article.id!r}, "
                              f"but {self.out / RECORDS} has it for article {old.id!r} — import exports of "
                              "different projects or servers into different --out folders")

    def annotation(self, task: JSON, article: Article | None, task_problem: str | None, annotation: JSON) -> None:
        self.report.annotations += 1
        key: Key = (task["id"], annotation["id"])
        self.seen.add(key)
        old = self.records.get(key)
        self.check_same_article(key, old, article)
        cancelled = bool(annotation.get("was_cancelled"))
        self.report.cancelled += cancelled
        if self.is_current(key, old, annotation, cancelled, article):
            return
        self.replaced.add(key)
        if old is not None:
            del self.records[key]
        if cancelled:
            self.report.removed += old is not None
            return
        if task_problem is not None or article is None:
            whole = Problem(place(task["id"], annotation["id"]), task_problem or "task has no article")
            self.new_entries.append(_entry(task, annotation, None, whole))
            return
        self.convert(task, article, annotation, key, updated=old is not None)

    def convert(self, task: JSON, article: Article, annotation: JSON, key: Key, *, updated: bool) -> None:
        try:
            record, problems, repairs = annotation_to_record(article, annotation, self.scheme)
        except KhabarError as exc:
            whole = Problem(place(task["id"], annotation["id"]), str(exc))
            self.new_entries.append(_entry(task, annotation, article.id, whole))
            return
        self.new_entries += [_entry(task, annotation, article.id, p) for p in problems]
        if annotation.get("draft_result") is not None:
            record = self.with_draft(article, annotation, record)
        self.report.repairs += [f"task {key[0]} annotation {key[1]} region {r}" for r in repairs]
        self.report.updated += updated
        self.report.added += not updated
        self.records[key] = record

    def with_draft(self, article: Article, annotation: JSON, record: Annotated) -> Annotated:
        """A review decision with the majority draft its task was made from (``annotation.draft``: its
        mentions and claims), so that adjudication can tell the units the adjudicator changed."""
        try:
            draft, _, _ = annotation_to_record(article, {**annotation, "result": annotation["draft_result"]},
                                               self.scheme)
        except KhabarError:
            return record   # an unreadable draft: the decision is taken as a whole
        parts = draft.to_dict()
        return replace(record, annotation={**record.annotation,
                                           "draft": {"entities": parts["entities"], "claims": parts["claims"]}})

    def drop_deleted(self, tasks: list[JSON]) -> None:
        """Records of annotations the export of their project no longer has were deleted in Label Studio:
        they go too. (Records of another project, such as the review project, stay.)"""
        self.projects = {a.get("project") for t in tasks for a in t["annotations"] if isinstance(a, dict)} or {None}
        for key in sorted(set(self.records) - self.seen):
            if self.records[key].annotation.get("project") in self.projects:
                del self.records[key]
                self.report.deleted += 1

    def merged_quarantine(self) -> list[JSON]:
        kept = [e for e in self.quarantine if (e["task"], e["annotation"]) not in self.replaced
                and ((e["task"], e["annotation"]) in self.seen or e.get("project") not in self.projects)]
        return sorted(kept + self.new_entries, key=_quarantine_sort)


def import_export(data: bytes, out: str | Path, *, where: str, scheme: Scheme | None = None) -> ImportReport:
    """Import one export (its bytes) into the records folder ``out``; returns what it did.

    Raises KhabarError (and writes nothing) when the export is unreadable, lossy or from another config.
    """
    scheme = scheme or load_scheme()
    out = Path(out)
    tasks = parse_export(data, where)
    check_export_vocabulary(tasks, vocabulary(scheme), where)
    digest = hashlib.sha256(data).hexdigest()
    report = ImportReport(raw_path=out / RAW / f"{digest}.json", tasks=len(tasks))
    with folder_lock(out, what="importing into"):  # two imports into one folder: one after the other
        run = _Import(out, where, scheme, report)
        for task in sorted(tasks, key=lambda t: t["id"]):
            run.task(task)
        run.drop_deleted(tasks)
        quarantine = run.merged_quarantine()
        report.quarantined = [e for e in quarantine if (e["task"], e["annotation"]) in run.seen]
        if not report.raw_path.exists():
            write_atomic(report.raw_path, data)
        records = run.records
        write_atomic(out / RECORDS, "".join(dumps(records[k].to_dict()) + "\n" for k in sorted(records)))
        write_atomic(out / QUARANTINE, "".join(dumps(e) + "\n" for e in quarantine))
    return report


def import_file(path: str | Path, out: str | Path, *, scheme: Scheme | None = None) -> ImportReport:
    path = Path(path)
    with open_input(path, "a Label Studio JSON export", binary=True) as handle:
        data = handle.read()
    return import_export(data, out, where=str(path), scheme=scheme)
