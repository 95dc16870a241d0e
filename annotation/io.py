"""Reading and writing khabar's files: errors name the file and line; writes are atomic.

- **Reading**: :func:`iter_json_lines` (JSON lines) and :func:`parse_json` (one JSON document) are the
  readers every input goes through. Both check UTF-8, bound the nesting depth and refuse lone
  surrogates (``"\\ud800"``), naming the file, line and field.
- **Writing**: :func:`write_atomic` is the one writer. Readers see the old content or the new, never
  half of it; the temporary file is removed on an error, Ctrl-C, SIGTERM or SIGHUP; a target that is
  not a regular file (``/dev/null``, a folder) is refused; new files get the usual permissions of the
  user's umask (``secret=True``: owner only) and an existing file keeps its own.
  :func:`replace_folder` replaces a folder of files (a gold release) as a whole.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import json.scanner
import os
import re
import shutil
import signal
import stat
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any, TypeVar

from annotation.errors import KhabarError
from annotation.model import Article, FormatError, Prediction

T = TypeVar("T")


def dumps(obj: Any) -> str:
    """The one JSON encoding khabar writes: UTF-8 text, keys in the model's order."""
    return json.dumps(obj, ensure_ascii=False)


_scan = json.scanner.make_scanner(json.JSONDecoder())  # type: ignore[attr-defined]
_JSON_SPACE = " \t\n\r"  # the whitespace JSON allows around a value
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_TOO_DEEP = "JSON nested too deeply (hundreds of levels; khabar's formats need fewer than ten)"


def lone_surrogate(obj: Any, path: str = "") -> str | None:
    """The place (``entities[0].text``) of the first string in ``obj`` holding a lone surrogate, or None."""
    if isinstance(obj, str):
        try:
            obj.encode("utf-8")
        except UnicodeEncodeError:
            return path or "the value"
        return None
    items: Iterable[tuple[str, Any]]
    if isinstance(obj, dict):
        items = ((f"{path}.{k}" if path else str(k), v) for k, v in obj.items())
        for key in obj:
            if lone_surrogate(key) is not None:
                return f"{path}.<key>" if path else "<key>"
    elif isinstance(obj, list):
        items = ((f"{path}[{i}]", v) for i, v in enumerate(obj))
    else:
        return None
    for place, value in items:
        found = lone_surrogate(value, place)
        if found:
            return found
    return None


def _checked(obj: Any, text: str, where: str) -> Any:
    """``obj`` parsed from ``text``, refused when it holds a lone surrogate (it cannot be written as UTF-8)."""
    if "\\u" in text and _SURROGATE_ESCAPE.search(text):
        place = lone_surrogate(obj)
        if place:
            raise KhabarError(f"{where}{place}: a lone surrogate escape (\\ud800-\\udfff) is not a character "
                              "— fix the text (it cannot be written as UTF-8)")
    return obj


def parse_json(text: str, where: str, *, lines: bool = False) -> Any:
    """One JSON value, with the readers' checks; ``where`` names it (``file: ``). Bad JSON says the
    column, and with ``lines=True`` (a whole file) names the line as ``file:LINE:``."""
    try:
        return _checked(json.loads(text), text, where)
    except json.JSONDecodeError as exc:
        place = f"{where.rstrip(': ')}:{exc.lineno}: " if lines else where
        raise KhabarError(f"{place}not valid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise KhabarError(f"{where}{_TOO_DEEP}") from None


def load_json(path: str | Path, expected: str) -> Any:
    """A whole JSON file the user named (``expected`` says what it should be, for the errors)."""
    path = Path(path)
    with open_input(path, expected, binary=True) as handle:
        data = handle.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise KhabarError(f"{path}:{line}: not UTF-8 text") from None
    return parse_json(text.removeprefix("\ufeff"), f"{path}: ", lines=True)


def open_input(path: Path, expected: str, *, binary: bool = False) -> IO[Any]:
    """Open a file the user named; a missing file or a folder is an error naming it and what was
    ``expected`` there (e.g. "a JSON lines file")."""
    try:
        return path.open("rb") if binary else path.open(encoding="utf-8")
    except FileNotFoundError:
        raise KhabarError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise KhabarError(f"{path}: is a directory, expected {expected}") from None
    except OSError as exc:
        raise KhabarError(f"{path}: cannot be read ({exc.strerror})") from None


def iter_json_lines(path: str | Path) -> Iterator[tuple[int, Any]]:
    """Yield (line number, parsed object) for each non-blank line; bad JSON or UTF-8 names file and line."""
    path = Path(path)
    with open_input(path, "a JSON lines file", binary=True) as handle:
        yield from parse_json_lines(handle, path)


def parse_json_lines(lines: Iterable[bytes], path: str | Path, first: int = 1) -> Iterator[tuple[int, Any]]:
    """``iter_json_lines`` over lines already opened in binary (the first is line ``first`` of ``path``)."""
    lineno = first - 1
    try:
        for lineno, raw in enumerate(lines, start=first):
            line = raw.decode("utf-8")
            try:  # json.loads without its Python wrappers; anything unusual goes through json.loads
                obj, end = _scan(line, 0)
            except (StopIteration, json.JSONDecodeError):
                pass
            else:
                if not line[end:].strip(_JSON_SPACE):
                    yield lineno, _checked(obj, line, f"{path}:{lineno}: ")
                    continue
            if not line.strip():
                continue
            try:
                yield lineno, _checked(json.loads(line), line, f"{path}:{lineno}: ")
            except json.JSONDecodeError as exc:
                raise KhabarError(f"{path}:{lineno}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    except UnicodeDecodeError:
        raise KhabarError(f"{path}:{lineno}: not UTF-8 text") from None
    except RecursionError:
        raise KhabarError(f"{path}:{lineno}: {_TOO_DEEP}") from None


def read_records(path: str | Path, parse: Callable[[Any, str], T]) -> list[T]:
    """Parse every line of ``path`` with ``parse(obj, where)``; a bad record names file and line."""
    out = []
    for lineno, obj in iter_json_lines(path):
        where = f"{path}:{lineno}: "
        try:
            out.append(parse(obj, where))
        except FormatError as exc:
            raise KhabarError(str(exc)) from None
    return out


def read_articles(path: str | Path) -> list[Article]:
    return read_records(path, Article.from_dict)


def read_predictions(path: str | Path) -> list[Prediction]:
    return read_records(path, Prediction.from_dict)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _target(path: Path) -> int | None:
    """The permission bits to give the new file: an existing regular file keeps its own (None: a new
    file); anything else at ``path`` (a folder, a device such as /dev/null, a pipe) is refused."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise KhabarError(f"{path}: cannot be written ({exc.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise KhabarError(f"{path}: is {kind}; give the path of a file to write (it is created or replaced)")
    return stat.S_IMODE(info.st_mode)


def make_folder(folder: Path) -> None:
    """Create ``folder`` and its parents; what stands in the way is an error naming it (no traceback)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise KhabarError(f"{folder}: exists and is not a directory") from None
    except NotADirectoryError:
        raise KhabarError(f"{folder}: cannot be created: a parent is a file, not a directory") from None
    except OSError as exc:
        raise KhabarError(f"{folder}: cannot be created ({exc.strerror})") from None


class _Terminated(BaseException):
    """SIGTERM or SIGHUP arrived while a file was being written (the temporary file is removed first)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _signals_unwind() -> Iterator[None]:
    """While writing, SIGTERM and SIGHUP unwind like Ctrl-C does (so ``finally`` removes the temporary
    file), then end the process with the signal's usual status. Main thread only (elsewhere: as is)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def raise_terminated(signum: int, frame: Any) -> None:
        raise _Terminated(signum)

    previous = {}
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) in (signal.SIG_DFL, None):
            previous[sig] = signal.signal(sig, raise_terminated)
    try:
        yield
    except _Terminated as exc:
        raise SystemExit(128 + exc.signum) from None
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def write_atomic(path: str | Path, content: str | bytes | Iterable[str | bytes], *, secret: bool = False) -> None:
    """Write a file so that readers see the old content or the new, never half of it.

    ``content`` may also be an iterable of chunks, written as they come (large outputs). ``secret``
    makes the file readable by its owner only; otherwise a new file gets 0666 less the umask and an
    existing one keeps its mode. A full disk, a read-only place or a parent that is a file is an error
    naming the path (the old file, if any, is untouched)."""
    path = Path(path)
    mode = _target(path)
    make_folder(path.parent)
    mode = 0o600 if secret else (0o666 & ~_umask() if mode is None else mode)
    chunks = [content] if isinstance(content, (str, bytes)) else content
    with _signals_unwind():
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        except OSError as exc:
            raise KhabarError(f"{path}: cannot be written ({exc.strerror})") from None
        try:
            with os.fdopen(fd, "wb") as handle:
                for chunk in chunks:
                    handle.write(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
                handle.flush()
                os.fchmod(handle.fileno(), mode)
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise KhabarError(f"{path}: cannot be written ({exc.strerror}); the previous file is untouched") from None
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    done = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return done == 0


def replace_folder(folder: str | Path, files: Mapping[str, str | bytes | Iterable[str | bytes]]) -> None:
    """Write ``files`` (name -> content) into ``folder`` as a whole: a reader (or an interrupted run)
    sees the old folder or the new one, never a mix of the two. Other files of the old folder are kept.

    The new folder is written beside the old one, then the two are swapped in one step where the
    system allows it (Linux), else by two renames; the old folder is then removed."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise KhabarError(f"{folder}: exists and is not a directory")
    make_folder(folder.parent)
    with _signals_unwind():
        try:
            staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".new", dir=folder.parent))
        except OSError as exc:
            raise KhabarError(f"{folder}: cannot be written ({exc.strerror})") from None
        try:
            if folder.is_dir():
                for other in folder.iterdir():
                    if other.name not in files:
                        (shutil.copytree if other.is_dir() and not other.is_symlink() else shutil.copy2)(
                            other, staging / other.name)
            for name, content in files.items():
                old_mode = _target(folder / name) if folder.is_dir() else None
                write_atomic(staging / name, content)
                if old_mode is not None:
                    os.chmod(staging / name, old_mode)
            os.chmod(staging, stat.S_IMODE(os.stat(folder).st_mode) if folder.is_dir() else 0o777 & ~_umask())
            if not folder.exists():
                os.rename(staging, folder)
                return
            if not _exchange(staging, folder):
                old = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".old", dir=folder.parent))
                os.rmdir(old)
                os.rename(folder, old)
                os.rename(staging, folder)
                staging = old
        except OSError as exc:
            raise KhabarError(f"{folder}: cannot be written ({exc.strerror}); the previous folder is untouched") from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def write_jsonl(path: str | Path, records: Iterable[Any]) -> None:
    """Write objects (or model instances with ``to_dict``) as JSON lines, atomically."""
    lines = [dumps(r.to_dict() if hasattr(r, "to_dict") else r) + "\n" for r in records]
    write_atomic(path, "".join(lines))


LOCK_NAME = ".lock"
LOCK_WAIT = 120.0  # seconds a second writer of the same folder waits before it gives up


@contextlib.contextmanager
def folder_lock(folder: str | Path, *, wait: float = LOCK_WAIT, what: str = "writing") -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (its ``.lock`` file; released when the process ends,
    however it ends) for a read-modify-write. A second holder waits up to ``wait`` seconds, then
    stops with a message naming the folder."""
    folder = Path(folder)
    make_folder(folder)
    try:
        handle = open(folder / LOCK_NAME, "a")  # noqa: SIM115 - held for the block
    except OSError as exc:
        raise KhabarError(f"{folder}: cannot lock the folder for {what} ({exc.strerror})") from None
    with handle:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise KhabarError(f"{folder}: another process has been {what} this folder for {wait:g} s; "
                                      "run again when it has finished") from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
