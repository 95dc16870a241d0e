"""An external command as an extractor (``cmd:COMMAND`` or ``khabar bench --command``).

For each batch the command is started once, without a shell (``shlex.split``), reads the
batch's articles as JSON lines on standard input (one article object per line, the spec's
article format) and writes one prediction per line on standard output (the spec's predictions
format). It must exit with status 0 within ``timeout`` seconds. Its standard error is shown
when it fails; output that is not JSON is an error naming the line.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from annotation.errors import KhabarError
from annotation.io import dumps
from annotation.model import Article, Prediction
from eval.extractors.base import (DEFAULT_TIMEOUT, BatchCallable, ExtractorError, article_dicts, prediction_from,
                                  seconds_option)

STDERR_TAIL = 2000  # characters of the command's standard error shown on failure


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()


def _ids(articles: Sequence[Article]) -> str:
    ids = [a.id for a in articles]
    shown = ", ".join(ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")
    return f"article {shown}" if len(ids) == 1 else f"articles {shown}"


def _tail(stderr: str) -> str:
    stderr = stderr.strip()
    if not stderr:
        return " (no standard error output)"
    return "; its standard error ends with:\n" + stderr[-STDERR_TAIL:]


class CommandExtractor(BatchCallable):
    """Runs ``command`` once per batch: articles as JSON lines in, predictions as JSON lines out."""

    def __init__(self, command: str | Sequence[str], *, timeout: float = DEFAULT_TIMEOUT,
                 name: str | None = None, version: str | None = None, env: dict[str, str] | None = None,
                 cwd: str | None = None) -> None:
        try:
            self.argv = shlex.split(command) if isinstance(command, str) else list(command)
        except ValueError as exc:  # an unclosed quote: the user's command line, not the extractor
            raise KhabarError(f"cmd: the command {command!r} does not parse ({exc}); check its quotes") from None
        if not self.argv:
            raise KhabarError("cmd: needs a command, e.g. cmd:'python my_extractor.py'")
        self.timeout = seconds_option(timeout, "timeout")
        if cwd is not None and not Path(cwd).is_dir():
            raise KhabarError(f"option cwd: {cwd!r} is not a folder")
        self.name = name or f"cmd:{shlex.join(self.argv)}"
        # Without a declared version, the command line stands for it (a changed command is a new version).
        self.version = version or "cmd-" + hashlib.sha256(shlex.join(self.argv).encode()).hexdigest()[:8]
        self.env = env
        self.cwd = cwd

    def extract(self, articles: Sequence[Article]) -> list[Prediction]:
        stdin = "".join(dumps(a) + "\n" for a in article_dicts(articles))
        where = _ids(articles)
        try:
            # Its own session, so that a timeout ends the command and anything it started.
            proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, env=self.env, cwd=self.cwd, start_new_session=True)
        except FileNotFoundError:
            raise ExtractorError(f"extractor {self.name!r}: command {self.argv[0]!r} not found") from None
        except PermissionError:
            raise ExtractorError(f"extractor {self.name!r}: command {self.argv[0]!r} is not executable") from None
        try:
            out, err = proc.communicate(stdin.encode("utf-8"), timeout=self.timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            _, err = proc.communicate()
            raise ExtractorError(f"extractor {self.name!r} did not finish within {self.timeout:g} s on {where} "
                                 f"(raise it with --timeout){_tail(err.decode('utf-8', 'replace'))}", pinpoint=False) from None
        except BaseException:
            _kill_group(proc)
            proc.communicate()
            raise
        if proc.returncode != 0:
            raise ExtractorError(f"extractor {self.name!r} failed on {where} (exit status {proc.returncode})"
                                 f"{_tail(err.decode('utf-8', 'replace'))}")
        try:
            stdout = out.decode("utf-8")
        except UnicodeDecodeError:
            raise ExtractorError(f"extractor {self.name!r} wrote output that is not UTF-8 on {where}") from None
        return parse_json_lines(stdout, self.name, f"output for {where}")


def parse_json_lines(output: str, name: str, where: str) -> list[Prediction]:
    """Predictions from JSON lines (blank lines skipped); anything else names its line."""
    out = []
    for lineno, line in enumerate(output.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj: Any = json.loads(line)
        except json.JSONDecodeError as exc:
            shown = line if len(line) <= 80 else line[:77] + "..."
            raise ExtractorError(f"extractor {name!r}: {where}, line {lineno}: not JSON ({exc.msg}): "
                                 f"{shown!r}") from None
        out.append(prediction_from(obj, name, f"{where}, line {lineno}"))
    return out
