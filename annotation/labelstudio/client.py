"""Talking to a Label Studio server with label-studio-sdk 2.x: connect, find or create a project, push, pull.

Server errors become one KhabarError naming the server and what to do: a refused API key (401),
a server that is down, a server that does not answer in time. The API key never appears in a
message. The SDK is imported inside functions so that importing this module stays cheap.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from annotation.errors import KhabarError
from annotation.labelstudio.config import check_config, instructions, label_config
from annotation.redact import redact, register_secret
from annotation.scheme import Scheme, load_scheme

if TYPE_CHECKING:
    from label_studio_sdk import LabelStudio

URL_ENV = "LABEL_STUDIO_URL"
KEY_ENV = "LABEL_STUDIO_API_KEY"
DEFAULT_TIMEOUT = 60.0         # seconds per HTTP request
DEFAULT_BATCH = 500            # tasks per import request
EXPORT_POLL = 0.2              # seconds between export status checks
T = TypeVar("T")
JSON = dict[str, Any]


@dataclass
class Server:
    """A connection to one server (the client and the URL for messages)."""

    url: str
    client: LabelStudio
    timeout: float

    def call(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with server_errors(self.url, what, self.timeout):
            return fn(*args, **kwargs)


def _detail(body: Any) -> str:
    if isinstance(body, dict):
        parts = [str(body.get("detail") or "")]
        if body.get("validation_errors"):
            parts.append(str(body["validation_errors"]))
        return " ".join(p for p in parts if p) or str(body)[:300]
    return str(body)[:300]


@contextmanager
def server_errors(url: str, what: str, timeout: float) -> Iterator[None]:
    """Turn the SDK's and httpx's exceptions into one clear KhabarError (never showing the key)."""
    import httpx
    from label_studio_sdk.core.api_error import ApiError

    try:
        yield
    except ApiError as exc:
        if exc.status_code == 401:
            raise KhabarError(f"{url}: the API key was refused (401) while trying to {what} — check "
                              f"{KEY_ENV} or --api-key (a local `khabar studio` keeps it in its credentials file)") from None
        if exc.status_code == 403:
            raise KhabarError(f"{url}: permission denied (403) while trying to {what}") from None
        raise KhabarError(redact(f"{url}: the server refused to {what} ({exc.status_code}: {_detail(exc.body)})")) from None
    except httpx.TimeoutException:
        raise KhabarError(f"{url}: no answer within {timeout:g} s while trying to {what} — the server is slow "
                          "or stuck; try again or raise --timeout") from None
    except httpx.HTTPError as exc:
        raise KhabarError(redact(f"{url}: cannot reach Label Studio to {what} ({type(exc).__name__}: {exc}) — is "
                                 "the server running? (`khabar studio` starts a local one)")) from None


def connect(url: str | None = None, api_key: str | None = None, *, timeout: float = DEFAULT_TIMEOUT) -> Server:
    """A checked connection: URL and key from the arguments or ``LABEL_STUDIO_URL`` / ``LABEL_STUDIO_API_KEY``."""
    from label_studio_sdk import LabelStudio

    url = (url or os.environ.get(URL_ENV) or "").rstrip("/")
    api_key = api_key or os.environ.get(KEY_ENV)
    if not url:
        raise KhabarError(f"no Label Studio URL: pass --url or set {URL_ENV}")
    if not url.startswith(("http://", "https://")):
        raise KhabarError(f"{url}: not an http(s) URL")
    if not api_key:
        raise KhabarError(f"no Label Studio API key: set {KEY_ENV} (or pass --api-key)")
    register_secret(api_key)
    register_secret(urlsplit(url).password)
    # the URL shown in messages and links hides a user:password@ part; the client gets the real one
    server = Server(redact(url), LabelStudio(base_url=url, api_key=api_key, timeout=timeout), timeout)
    server.call("check the API key", server.client.users.whoami)
    return server


def find_project(server: Server, title: str) -> Any | None:
    """The project with exactly this title, None when there is none; an error when several share it."""
    found = [p for p in server.call("list projects", lambda: list(server.client.projects.list(title=title)))
             if p.title == title]
    if len(found) > 1:
        raise KhabarError(f"{server.url}: {len(found)} projects are titled {title!r} "
                          f"(ids {', '.join(str(p.id) for p in found)}); rename all but one")
    return found[0] if found else None


def project_config(server: Server, project_id: int) -> str:
    return str(server.call("read the project", server.client.projects.get, id=project_id).label_config)


def overlap_settings(annotators: int) -> JSON:
    """Project settings under which the normal queue ("Label All Tasks", ``/api/projects/N/next``) gives
    every task to ``annotators`` different people: ``maximum_annotations`` of them per task, on 100 % of
    the tasks, each annotator served the tasks they have not labelled yet in order."""
    return {"maximum_annotations": annotators, "overlap_cohort_percentage": 100,
            "show_overlap_first": annotators > 1, "sampling": "Sequential sampling"}


def project_overlap(server: Server, project_id: int) -> int:
    """How many annotators the queue gives each task to (``maximum_annotations``)."""
    project = server.call("read the project", server.client.projects.get, id=project_id)
    return int(project.maximum_annotations or 1)


def set_overlap(server: Server, project_id: int, annotators: int) -> bool:
    """Make the project's queue give each task to ``annotators`` people; False when it already did.

    Label Studio applies a changed ``maximum_annotations`` to the tasks already in the project too."""
    if project_overlap(server, project_id) == annotators:
        return False
    server.call("change the project's overlap", server.client.projects.update, id=project_id,
                **overlap_settings(annotators))
    return True


def ensure_project(server: Server, title: str, scheme: Scheme | None = None, *,
                   overlap: int | None = None, review: bool = False) -> tuple[int, bool]:
    """The id of the project titled ``title`` (created from the scheme when missing), and whether it was created.

    An existing project must store the scheme's names (``check_config``). ``overlap``: how many
    annotators label each task from the queue (None: Label Studio's default, one; an existing project
    is changed only when given). ``review``: a review project (its config shows the disputed units)."""
    scheme = scheme or load_scheme()
    project = find_project(server, title)
    if project is not None:
        check_config(project_config(server, project.id), scheme,
                     where=f"{server.url}: project {title!r} (id {project.id})")
        if overlap is not None:
            set_overlap(server, int(project.id), overlap)
        return int(project.id), False
    settings = overlap_settings(overlap) if overlap is not None else {}
    created = server.call("create the project", server.client.projects.create, title=title,
                          label_config=label_config(scheme, review=review), expert_instruction=instructions(),
                          show_instruction=True, show_skip_button=True, **settings)
    return int(created.id), True


def show_every_prediction(server: Server, project_id: int) -> None:
    """Let annotators see every prediction of a task (Label Studio shows only those of the project's
    ``model_version``, which an import of predictions sets to the last one)."""
    server.call("show every prediction", server.client.projects.update, id=project_id, model_version="")


@dataclass
class PushReport:
    project_id: int
    created: bool
    added: int = 0
    present: int = 0
    predictions_added: int = 0
    overlap: int = 1                                          # annotators per task in the queue
    task_ids: dict[str, int] = field(default_factory=dict)   # article id -> task id, for the added tasks


def existing_tasks(server: Server, project_id: int) -> dict[str, int]:
    """Article id -> task id for the tasks already in the project."""
    def fetch() -> list[Any]:
        tasks = server.client.tasks.list(project=project_id, fields="task_only", include="id,data", page_size=1000)
        return list(tasks)

    out: dict[str, int] = {}
    for task in server.call("list the project's tasks", fetch):
        ident = (task.data or {}).get("id")
        if ident is not None:
            out.setdefault(str(ident), int(task.id))
    return out


def prediction_versions(server: Server, project_id: int) -> dict[int, set[str]]:
    """Task id -> the model versions of its predictions."""
    out: dict[int, set[str]] = {}
    for p in server.call("list the project's predictions", server.client.predictions.list, project=project_id):
        out.setdefault(int(p.task), set()).add(str(p.model_version))
    return out


def push_tasks(server: Server, title: str, tasks: Sequence[JSON], *, scheme: Scheme | None = None,
               batch: int = DEFAULT_BATCH, overlap: int | None = None, review: bool = False) -> PushReport:
    """Add the tasks whose article is not in the project yet; attach predictions of a model version a task lacks.

    Idempotent by article id: pushing the same tasks twice adds nothing the second time. ``overlap``
    as in :func:`ensure_project`."""
    ids = [str(t["data"]["id"]) for t in tasks]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise KhabarError(f"duplicate article ids among the tasks to push: {', '.join(dup[:5])}")
    project_id, created = ensure_project(server, title, scheme, overlap=overlap, review=review)
    report = PushReport(project_id, created, overlap=project_overlap(server, project_id))
    present = {} if created else existing_tasks(server, project_id)
    new = [t for t in tasks if str(t["data"]["id"]) not in present]
    report.present = len(tasks) - len(new)
    for start in range(0, len(new), batch):
        chunk = new[start:start + batch]
        answer = server.call("import tasks", server.client.projects.import_tasks, id=project_id,
                             request=list(chunk), return_task_ids=True)
        task_ids = list(answer.task_ids or [])
        if len(task_ids) != len(chunk):
            raise KhabarError(f"{server.url}: imported {len(chunk)} tasks but the server returned "
                              f"{len(task_ids)} task ids; check project {title!r}")
        report.task_ids.update({str(t["data"]["id"]): tid for t, tid in zip(chunk, task_ids)})
        report.added += len(chunk)
    extra = []
    if any(task.get("predictions") and str(task["data"]["id"]) in present for task in tasks):
        versions = prediction_versions(server, project_id)
        for task in tasks:
            task_id = present.get(str(task["data"]["id"]))
            if task_id is not None:
                extra += [{"task": task_id, **p} for p in task.get("predictions", [])
                          if p["model_version"] not in versions.get(task_id, set())]
    for start in range(0, len(extra), batch):
        server.call("import predictions", server.client.projects.import_predictions, id=project_id,
                    request=extra[start:start + batch])
    report.predictions_added = len(extra)
    return report


def pull_export(server: Server, title: str, *, scheme: Scheme | None = None, timeout: float | None = None) -> bytes:
    """The full JSON export of the project (annotators as user objects with their email, predictions with
    their model version), as bytes."""
    project = find_project(server, title)
    if project is None:
        raise KhabarError(f"{server.url}: no project titled {title!r}")
    pid = int(project.id)
    check_config(project_config(server, pid), scheme or load_scheme(), where=f"{server.url}: project {title!r} (id {pid})")
    exports = server.client.projects.exports
    snapshot = server.call("create an export", exports.create, id=pid, title="khabar import",
                           serialization_options={"annotations__completed_by": {"only_id": False},
                                                  "predictions": {"only_id": False}})
    deadline = time.monotonic() + (timeout or server.timeout)
    try:
        while True:
            status = str(server.call("check the export", exports.get, id=pid, export_pk=snapshot.id).status)
            if status == "completed":
                break
            if status == "failed":
                raise KhabarError(f"{server.url}: project {title!r}: the server failed to build the export")
            if time.monotonic() > deadline:
                raise KhabarError(f"{server.url}: project {title!r}: the export was not ready within "
                                  f"{timeout or server.timeout:g} s — try again or raise --timeout")
            time.sleep(EXPORT_POLL)
        return server.call("download the export",
                           lambda: b"".join(exports.download(id=pid, export_pk=snapshot.id, export_type="JSON")))
    finally:
        try:
            exports.delete(id=pid, export_pk=snapshot.id)
        except Exception:  # the snapshot is only a server-side cache; leaving it is harmless
            pass
