"""The fault sweep, Label Studio import, secrets and permissions: a malformed export or records folder is
one message naming the task or line and changes nothing; two imports into one folder lose nothing;
no credential is ever printed; outputs follow the umask.

Case ids start with the class of the sweep's table (``traceback``, ``wrong_exit``, ``misleading``,
``data_loss``, ``unsafe``, ``permissions``).
"""

from __future__ import annotations

import copy
import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from annotation.errors import KhabarError
from annotation.io import folder_lock
from annotation.labelstudio.importer import import_export
from tests.helpers import assert_clean, encode, sample, serving

ROOT = Path(__file__).resolve().parent.parent
EXPORT = "export_snapshot_full.json"
Tasks = list[dict[str, Any]]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _records(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "records.jsonl").read_text(encoding="utf-8").splitlines()]


def _set(path: Callable[[Tasks], Any], key: Any, value: Any) -> Callable[[Tasks], None]:
    return lambda tasks: path(tasks).__setitem__(key, value)


BAD_EXPORTS = [
    ("traceback-import-string-task-id", _set(lambda t: t[1], "id", "2"), ["item 1", "task id '2'"]),
    ("traceback-import-bool-task-id", _set(lambda t: t[1], "id", True), ["item 1", "task id True"]),
    ("traceback-import-string-annotation-id", _set(lambda t: t[0]["annotations"][1], "id", "2"),
     ["task 1", "annotations[1]", "'2'"]),
    ("traceback-import-missing-annotation-id", lambda t: t[0]["annotations"][0].pop("id"),
     ["task 1", "annotations[0]", "None"]),
    ("traceback-import-non-object-annotation", lambda t: t[0]["annotations"].append("text"),
     ["task 1", "annotations[2] is a str"]),
    ("traceback-import-lone-surrogate", _set(lambda t: t[0]["data"], "title", "\ud800"),
     ["task 1", "data.title", "lone surrogate"]),
]


@pytest.mark.parametrize("change, says", [c[1:] for c in BAD_EXPORTS], ids=[c[0] for c in BAD_EXPORTS])
def test_a_malformed_export_is_named_and_changes_nothing(khabar, tmp_path, change, says):
    out = tmp_path / "records"
    assert_clean(khabar("import", _export(tmp_path / "good.json", sample(EXPORT)), "--out", out), 0)
    before = _snapshot(out)
    tasks = sample(EXPORT)
    change(tasks)
    export = _export(tmp_path / "bad.json", tasks)
    assert_clean(khabar("import", export, "--out", out), 1, str(export), *says)
    assert _snapshot(out) == before


def _export(path: Path, tasks: Tasks) -> Path:
    path.write_text(json.dumps(tasks), encoding="ascii")  # escapes: a lone surrogate stays an escape
    return path


@pytest.mark.parametrize("line", ['[1, 2]', '{"task": "a", "annotation": 1, "reason": "x"}', '{"task": 1}'],
                         ids=["traceback-import-quarantine-not-object", "traceback-import-quarantine-string-task",
                              "traceback-import-quarantine-no-reason"])
def test_a_malformed_quarantine_is_named_and_kept(khabar, tmp_path, line):
    out = tmp_path / "records"
    assert_clean(khabar("import", _export(tmp_path / "good.json", sample(EXPORT)), "--out", out), 0)
    (out / "quarantine.jsonl").write_text(line + "\n", encoding="utf-8")
    before = _snapshot(out)
    assert_clean(khabar("import", tmp_path / "good.json", "--out", out), 1, f"{out / 'quarantine.jsonl'}:1",
                 "not a quarantine entry")
    assert _snapshot(out) == before


def test_a_string_ground_truth_does_not_count(tmp_path):
    tasks = sample(EXPORT)
    tasks[0]["annotations"][0]["ground_truth"] = "false"  # wrong_exit: counted as ground truth before
    import_export(encode(tasks), tmp_path, where="x.json")
    assert [r["annotation"]["ground_truth"] for r in _records(tmp_path)][:2] == [False, False]


def test_annotations_without_a_user_are_not_one_annotator(tmp_path):
    tasks = sample(EXPORT)
    for annotation in tasks[0]["annotations"]:  # wrong_exit: both became annotator "None"
        annotation["completed_by"] = None
    import_export(encode(tasks), tmp_path, where="x.json")
    first = [r["annotation"]["annotator"] for r in _records(tmp_path) if r["annotation"]["task"] == 1]
    assert len(set(first)) == 2 and "None" not in first and all("annotation" in a for a in first)


def test_changed_regions_under_the_same_timestamp_are_updated_not_unchanged(tmp_path):
    tasks = sample(EXPORT)
    import_export(encode(tasks), tmp_path, where="x.json")
    before = _records(tmp_path)
    edited = copy.deepcopy(tasks)
    annotation = edited[0]["annotations"][1]  # misleading: said "4 unchanged" before
    annotation["result"] = [r for r in annotation["result"] if r.get("id") != "x3"]
    report = import_export(encode(edited), tmp_path, where="y.json")
    assert (report.updated, report.unchanged) == (1, 3)
    after = _records(tmp_path)
    assert [i for i, (a, b) in enumerate(zip(before, after)) if a != b] == [1]
    again = import_export(encode(edited), tmp_path, where="y.json")
    assert (again.updated, again.unchanged) == (0, 4)


def test_export_pre_annotate_names_the_runs_articles_not_a_gold_set(khabar, tmp_path):
    articles = ROOT / "data" / "articles.jsonl"
    predictions = tmp_path / "p.jsonl"
    predictions.write_text('{"id": "not-an-article", "entities": []}\n', encoding="utf-8")
    output = assert_clean(khabar("export", articles, "--tasks", tmp_path / "t.json", "--pre-annotate", predictions),
                          1, str(predictions), "'not-an-article'", "articles of this run")
    assert "gold" not in output and not (tmp_path / "t.json").exists()


# --- two imports into one folder -------------------------------------------------------------------

def _project(tasks: Tasks, project: int, shift: int) -> Tasks:
    out = copy.deepcopy(tasks)
    for task in out:
        task["id"] += shift
        for annotation in task["annotations"]:
            annotation["id"] += shift
            annotation["project"] = project
    return out


def test_two_concurrent_imports_lose_no_record(tmp_path):
    """data_loss: two real processes import two projects into one folder at once, many times over."""
    exports = [_export(tmp_path / f"p{n}.json", _project(sample(EXPORT), n, 100 * n)) for n in (1, 2)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    expected = None
    for trial in range(8):
        out = tmp_path / f"records{trial}"
        children = [subprocess.Popen([sys.executable, "-m", "eval.cli", "import", str(e), "--out", str(out)],
                                     env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for e in exports]
        for child in children:
            _, err = child.communicate(timeout=120)
            assert child.returncode == 0 and b"Traceback" not in err, err
        tasks = sorted((r["annotation"]["task"], r["annotation"]["annotation_id"]) for r in _records(out))
        expected = expected or tasks
        assert tasks == expected and {t // 100 for t, _ in tasks} == {1, 2}, (trial, tasks)


def test_a_held_lock_makes_the_second_writer_stop_with_a_message(tmp_path):
    with folder_lock(tmp_path, what="importing into"):
        with pytest.raises(KhabarError, match="another process has been importing into this folder"):
            with folder_lock(tmp_path, wait=0.2, what="importing into"):
                pass
    with folder_lock(tmp_path, wait=0.2):  # released: the next writer goes ahead
        pass


# --- secrets ----------------------------------------------------------------------------------------

TOKEN = "sk-test-0123456789abcdef"
PASSWORD = "pa55-w0rd-xyz"


@pytest.fixture
def echo_server() -> Iterator[str]:
    """A local HTTP server that refuses every request and echoes its credentials in the answer, as a
    misconfigured service does (no real service can be made to do that on purpose: this one stands in)."""
    class Echo(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            body = json.dumps({"error": f"invalid credentials: {self.headers.get('Authorization')}",
                               "path": self.path, "detail": f"token {TOKEN}"}).encode()
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args: Any) -> None:
            pass

    with serving(Echo) as host:
        yield host


SECRET_CASES = [
    ("unsafe-http-extractor-echoes-the-token",
     lambda host: ["bench", "-e", f"http://{host}/x", "-o", "token_env=KHABAR_TEST_SECRET", "-o", "retries=0"]),
    ("unsafe-http-extractor-url-password",
     lambda host: ["bench", "-e", f"http://user:{PASSWORD}@{host}/x", "-o", "retries=0"]),
    ("unsafe-openai-extractor-echoes-the-key",
     lambda host: ["bench", "-e", "openai:m", "-o", f"base_url=http://{host}/v1", "-o", "api_key_env=KHABAR_TEST_SECRET",
                   "-o", "retries=0", "-o", "cache=false"]),
    ("unsafe-label-studio-echoes-the-key",
     lambda host: ["import", "--project", "p", "--out", "r", "--url", f"http://{host}", "--api-key", TOKEN]),
    ("unsafe-label-studio-url-password",
     lambda host: ["export", str(ROOT / "data" / "articles.jsonl"), "--project", "p",
                   "--url", f"http://admin:{PASSWORD}@{host}", "--api-key", TOKEN]),
]


@pytest.mark.parametrize("args", [c[1] for c in SECRET_CASES], ids=[c[0] for c in SECRET_CASES])
def test_no_secret_is_printed(khabar, tmp_path, monkeypatch, echo_server, args):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KHABAR_TEST_SECRET", TOKEN)  # not one of the well-known variables: registered by the adapter
    monkeypatch.setenv("KHABAR_CACHE_DIR", str(tmp_path / "cache"))
    output = assert_clean(khabar(*args(echo_server)), 1, echo_server)
    assert TOKEN not in output and PASSWORD not in output, output
    assert "***" in output


# --- permissions -------------------------------------------------------------------------------------

def test_outputs_follow_the_umask(khabar, tmp_path):
    """permissions: a result written by a command is 0644 under umask 022 (it was 0600 whatever the umask)."""
    old = os.umask(0o022)
    try:
        out = tmp_path / "result.json"
        gold = ROOT / "data" / "gold"
        assert_clean(khabar("score", gold, gold / "test.jsonl", "--bootstrap", "0", "--json", out), 0)
        assert stat.S_IMODE(out.stat().st_mode) == 0o644
    finally:
        os.umask(old)


def test_gold_build_keeps_the_mode_of_the_files_it_replaces(khabar, tmp_path):
    """permissions: re-running gold build over 0644 files made them 0600."""
    out = tmp_path / "gold"
    old = os.umask(0o077)
    try:
        assert_clean(khabar("gold", "build", "--out", out), 0)
        assert stat.S_IMODE((out / "test.jsonl").stat().st_mode) == 0o600
        for file in out.iterdir():
            file.chmod(0o644)
        assert_clean(khabar("gold", "build", "--out", out), 0)
        assert {stat.S_IMODE(f.stat().st_mode) for f in out.iterdir() if f.is_file()} == {0o644}
    finally:
        os.umask(old)
