"""The one writer and the one reader under faults: targets that are not files, places that cannot be
written, signals mid-write, folders replaced as a whole, hostile JSON; and the one redaction."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from annotation.errors import KhabarError
from annotation.io import iter_json_lines, load_json, replace_folder, write_atomic
from annotation.redact import redact, register_secret

ROOT = Path(__file__).resolve().parent.parent


def test_a_device_is_refused_and_left_alone():
    before = os.stat("/dev/null")
    with pytest.raises(KhabarError, match="/dev/null: is not a regular file"):
        write_atomic("/dev/null", "x")
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino


def test_a_directory_as_the_target_is_refused(tmp_path):
    with pytest.raises(KhabarError, match="is a directory; give the path of a file"):
        write_atomic(tmp_path, "x")


def _under_a_file(tmp_path: Path) -> Path:
    (tmp_path / "file").write_text("x")
    return tmp_path / "file" / "out.json"


@pytest.mark.parametrize("make_target, message", [
    (_under_a_file, "Not a directory"),
    (lambda tmp_path: Path("/proc/khabar-test/out.json"), "cannot be created"),
])
def test_places_that_cannot_be_written_are_named(tmp_path, make_target, message):
    target = make_target(tmp_path)
    with pytest.raises(KhabarError, match=message) as caught:
        write_atomic(target, "x")
    assert str(target.parent) in str(caught.value)


def test_new_files_follow_the_umask_and_existing_files_keep_their_mode(tmp_path):
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "new.json", "x")
        assert stat.S_IMODE(os.stat(tmp_path / "new.json").st_mode) == 0o644
        os.chmod(tmp_path / "new.json", 0o640)
        write_atomic(tmp_path / "new.json", "y")
        assert stat.S_IMODE(os.stat(tmp_path / "new.json").st_mode) == 0o640
        write_atomic(tmp_path / "secret.json", "k", secret=True)
        assert stat.S_IMODE(os.stat(tmp_path / "secret.json").st_mode) == 0o600
        os.umask(0o077)
        write_atomic(tmp_path / "private.json", "x")
        assert stat.S_IMODE(os.stat(tmp_path / "private.json").st_mode) == 0o600
    finally:
        os.umask(old)


def _slow_writer(tmp_path: Path, call: str) -> subprocess.Popen:
    """A child process that writes ``call`` with a generator that never ends (it signals when started)."""
    code = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from annotation.io import write_atomic, replace_folder
        out = Path({str(tmp_path)!r})
        def chunks():
            yield "x" * 100_000
            (out / "started").write_text("1")
            while True:
                time.sleep(0.01)
                yield "x" * 100_000
        {call}
    """)
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})


def _wait_started(tmp_path: Path, child: subprocess.Popen) -> None:
    for _ in range(500):
        if (tmp_path / "started").exists():
            return
        assert child.poll() is None, "the writer ended early"
        time.sleep(0.02)
    raise AssertionError("the writer never started")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_mid_write_leaves_the_old_file_and_no_temporary_file(tmp_path, signum):
    (tmp_path / "result.json").write_text("old")
    child = _slow_writer(tmp_path, "write_atomic(out / 'result.json', chunks())")
    _wait_started(tmp_path, child)
    child.send_signal(signum)
    assert child.wait(timeout=20) != 0
    assert (tmp_path / "result.json").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.json", "started"]


def test_a_folder_is_replaced_as_a_whole(tmp_path):
    gold = tmp_path / "gold"
    replace_folder(gold, {"dev.jsonl": "d1\n", "test.jsonl": "t1\n", "README.md": "card 1\n"})
    (gold / "NOTES.txt").write_text("mine\n")
    replace_folder(gold, {"dev.jsonl": "d2\n", "test.jsonl": "t2\n"})
    assert {p.name: p.read_text() for p in gold.iterdir()} == {  # files it does not write are kept
        "dev.jsonl": "d2\n", "test.jsonl": "t2\n", "README.md": "card 1\n", "NOTES.txt": "mine\n"}
    assert [p.name for p in tmp_path.iterdir()] == ["gold"]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL])
def test_a_folder_killed_after_its_first_file_keeps_the_old_release(tmp_path, signum):
    gold = tmp_path / "gold"
    replace_folder(gold, {"dev.jsonl": "old dev\n", "test.jsonl": "old test\n"})
    child = _slow_writer(tmp_path, "replace_folder(out / 'gold', {'dev.jsonl': 'new dev', 'test.jsonl': chunks()})")
    _wait_started(tmp_path, child)
    child.send_signal(signum)
    child.wait(timeout=20)
    assert {p.name: p.read_text() for p in gold.iterdir()} == {"dev.jsonl": "old dev\n", "test.jsonl": "old test\n"}
    if signum == signal.SIGTERM:  # cleaned up; after SIGKILL a hidden staging folder may stay behind
        assert sorted(p.name for p in tmp_path.iterdir()) == ["gold", "started"]


@pytest.mark.parametrize("line, message", [
    ("[" * 100_000, "nested too deeply"),
    ('{"id": "a", "text": "\\ud800x"}', "text: a lone surrogate"),
    ('{"id": "a", "entities": [{"text": "\\uDFFF"}]}', r"entities\[0\].text: a lone surrogate"),
])
def test_hostile_json_lines_are_named_by_file_line_and_field(tmp_path, line, message):
    path = tmp_path / "in.jsonl"
    path.write_text('{"id": "ok"}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(KhabarError, match=f"{path}:2: .*{message}"):
        list(iter_json_lines(path))


def test_surrogate_pairs_are_characters_not_errors(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text('{"text": "\\ud83d\\ude00"}\n', encoding="utf-8")
    assert list(iter_json_lines(path)) == [(1, {"text": "😀"})]


def test_invalid_utf8_names_its_line(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"a": 1}\n{"text": "\xff\xfe"}\n')
    with pytest.raises(KhabarError, match=f"{path}:2: not UTF-8"):
        list(iter_json_lines(path))
    whole = tmp_path / "export.json"
    whole.write_bytes(b'[\n{"a": "\xff"}]\n')
    with pytest.raises(KhabarError, match=f"{whole}:2: not UTF-8"):
        load_json(whole, "a Label Studio export")


def test_a_whole_json_file_is_checked_like_a_line(tmp_path):
    path = tmp_path / "run.json"
    path.write_text("[" * 50_000, encoding="utf-8")
    with pytest.raises(KhabarError, match="nested too deeply"):
        load_json(path, "a result JSON")
    path.write_text('{"a": "\\udc00"}', encoding="utf-8")
    with pytest.raises(KhabarError, match="a: a lone surrogate"):
        load_json(path, "a result JSON")


@pytest.mark.parametrize("text, secret", [
    ('answered HTTP 400 Bad Request: {"error": "invalid credentials: Bearer sk-live-0123456789"}', "sk-live-0123456789"),
    ("cannot reach http://lead:hunter22@ls.example:8080/api", "hunter22"),
    ("Authorization: Token 3f2a9c1e0b7d4a55", "3f2a9c1e0b7d4a55"),
    ('{"api_key": "abcd-1234-efgh"}', "abcd-1234-efgh"),
])
def test_secrets_are_redacted(text, secret):
    out = redact(text)
    assert secret not in out and "***" in out


def test_known_keys_from_the_environment_and_options_are_redacted(monkeypatch):
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "0123456789abcdef0123")
    register_secret("opt-key-98765")
    out = redact("server said: unknown key 0123456789abcdef0123; also opt-key-98765")
    assert "0123456789abcdef0123" not in out and "opt-key-98765" not in out


def test_ordinary_words_are_not_redacted():
    text = "the token expired; Token refused; the password is wrong"
    assert redact(text) == text


def test_the_command_line_redacts_its_errors(khabar, tmp_path, monkeypatch):
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "feedface0123456789feedface")
    missing = tmp_path / "feedface0123456789feedface.jsonl"
    result = khabar("score", missing, missing)
    assert result.exit_code == 1
    assert "feedface0123456789feedface" not in result.output and "***" in result.output


@pytest.mark.parametrize("sources", ["data/anotations", "empty"])
def test_gold_build_never_replaces_the_gold_with_nothing(khabar, tmp_path, sources):
    import shutil

    gold = tmp_path / "gold"
    shutil.copytree(ROOT / "data" / "gold", gold)
    before = {p.name: p.read_bytes() for p in gold.iterdir()}
    (tmp_path / "empty").mkdir()
    result = khabar("gold", "build", "--articles", ROOT / "data" / "articles.jsonl",
                    "--sources", tmp_path / sources, "--out", gold)
    assert result.exit_code == 1
    assert "nothing written" in result.output or "no such folder" in result.output
    assert {p.name: p.read_bytes() for p in gold.iterdir()} == before


def test_the_card_escapes_annotator_names():
    from annotation.gold.card import markdown_text

    assert markdown_text("<script>alert(1)</script>") == "&lt;script&gt;alert\\(1\\)&lt;/script&gt;"
    assert markdown_text("[click](http://x)") == "\\[click\\]\\(http://x\\)"
    assert markdown_text("khabar-team") == "khabar-team"
