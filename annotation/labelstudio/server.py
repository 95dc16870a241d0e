"""A local Label Studio server (the embedded default): start it, wait for ``/health``, stop it.

``khabar studio`` and the test fixture both use ``start_server``. The server keeps its SQLite
database in a data folder (default ``.khabar/studio/``), listens on 127.0.0.1 only, has signup
closed, no version check and no analytics. Its admin login and API token (40 hex characters)
are generated once and kept in ``<data folder>/credentials.json``, readable by its owner only;
the server's own output goes to ``<data folder>/server.log`` (it never contains the token).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

from annotation.errors import KhabarError
from annotation.io import write_atomic

DEFAULT_DATA_DIR = Path(".khabar/studio")
HOST = "127.0.0.1"
DEFAULT_START_TIMEOUT = 300.0   # the first start runs the migrations: ≈ 22 s on an idle machine, more when busy
STOP_TIMEOUT = 15.0
PORT_WAIT = 10.0                # seconds to wait for the previous port to be released
CREDENTIALS = "credentials.json"
LOG = "server.log"
ADMIN_EMAIL = "admin@khabar.local"
INSTALL_HINT = "pip install 'khabar[server]'"
_STARTED = re.compile(r"Starting development server at https?://[^:/]+:(\d+)/")


@dataclass(frozen=True)
class Credentials:
    """The local server's admin login and API token. ``repr`` hides the secrets."""

    email: str
    password: str
    api_key: str
    secret_key: str
    port: int | None = None

    def __repr__(self) -> str:
        return f"Credentials(email={self.email!r}, password=***, api_key=***, port={self.port})"


def load_credentials(data_dir: Path) -> Credentials | None:
    path = data_dir / CREDENTIALS
    if not path.exists():
        return None
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
        return Credentials(email=obj["email"], password=obj["password"], api_key=obj["api_key"],
                           secret_key=obj["secret_key"], port=obj.get("port"))
    except (ValueError, KeyError, TypeError):
        raise KhabarError(f"{path}: unreadable credentials file — remove the data folder {data_dir} "
                          "to start afresh (its projects are lost)") from None


def save_credentials(data_dir: Path, creds: Credentials) -> Path:
    """Write the credentials file with mode 0600 (created that way, never world-readable for a moment)."""
    path = data_dir / CREDENTIALS
    data_dir.mkdir(parents=True, exist_ok=True)
    old_umask = os.umask(0o077)
    try:
        write_atomic(path, json.dumps(asdict(creds), indent=2) + "\n")
    finally:
        os.umask(old_umask)
    os.chmod(path, 0o600)
    return path


def new_credentials() -> Credentials:
    return Credentials(email=ADMIN_EMAIL, password=secrets.token_urlsafe(12), api_key=secrets.token_hex(20),
                       secret_key=secrets.token_urlsafe(40))


def find_executable() -> str:
    """The ``label-studio`` command of this Python environment (or on PATH); a clear error when missing."""
    beside = Path(sys.executable).parent / "label-studio"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("label-studio")
    if found:
        return found
    raise KhabarError(f"the Label Studio server is not installed (no `label-studio` command): {INSTALL_HINT}")


def port_is_free(port: int, host: str = HOST) -> bool:
    """Can a server listen on ``port``? (With SO_REUSEADDR, as Django's server binds: connections of a
    server that just stopped, in TIME_WAIT, do not count; a live listener does.)"""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout) as answer:  # noqa: S310 - loopback URL
            return answer.status == 200 and json.loads(answer.read()).get("status") == "UP"
    except (OSError, ValueError, urllib.error.URLError):
        return False


def _server_env(data_dir: Path, creds: Credentials) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LABEL_STUDIO_", "DJANGO_"))}
    env.update({
        "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir.resolve()),
        "DJANGO_DB": "sqlite",
        "LABEL_STUDIO_USERNAME": creds.email,
        "LABEL_STUDIO_PASSWORD": creds.password,
        "LABEL_STUDIO_USER_TOKEN": creds.api_key,
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
        "LATEST_VERSION_CHECK": "false",
        "COLLECT_ANALYTICS": "false",
        "SECRET_KEY": creds.secret_key,
    })
    return env


@dataclass
class Studio:
    """A running local server. Use as a context manager, or call ``stop()``."""

    url: str
    port: int
    data_dir: Path
    credentials: Credentials
    process: subprocess.Popen[bytes]
    log_path: Path
    created: bool = False      # the credentials were made by this start (the password is new)

    @property
    def api_key(self) -> str:
        return self.credentials.api_key

    @property
    def credentials_path(self) -> Path:
        return self.data_dir / CREDENTIALS

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop the server (its own process group only): SIGTERM, then SIGKILL after ``timeout``."""
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def __enter__(self) -> Studio:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _log_tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _reported_port(path: Path, offset: int) -> int | None:
    """The port the server says it listens on, from the log written since ``offset``."""
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            match = _STARTED.search(handle.read().decode("utf-8", errors="replace"))
    except OSError:
        return None
    return int(match.group(1)) if match else None


def owner_only(data_dir: Path) -> None:
    """Create the data folder readable by its owner only, and make what is already in it so
    (a database created by an older start was 0644 in a 0755 folder, and it holds the API token)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    for folder, dirs, names in os.walk(data_dir):
        os.chmod(folder, 0o700)
        for name in names:
            path = Path(folder) / name
            if not path.is_symlink():
                os.chmod(path, 0o600)


def _choose_port(asked: int | None, previous: int | None) -> int:
    """``asked``, else the previous start's port (so that an exported LABEL_STUDIO_URL keeps working), else a
    free one; a clear error when the port is taken (the previous one after waiting for it to be released)."""
    if asked is not None:
        if not port_is_free(asked):
            raise KhabarError(f"port {asked} on {HOST} is in use — pick another one or leave --port out")
        return asked
    if previous is None:
        return free_port()
    deadline = time.monotonic() + PORT_WAIT
    while not port_is_free(previous):
        if time.monotonic() > deadline:
            raise KhabarError(f"port {previous} on {HOST}, where this server ran before (and where "
                              f"LABEL_STUDIO_URL points), is in use — stop what uses it, or pass --port N "
                              "(then export the new LABEL_STUDIO_URL)")
        time.sleep(0.5)
    return previous


def start_server(data_dir: str | Path = DEFAULT_DATA_DIR, *, port: int | None = None,
                 timeout: float = DEFAULT_START_TIMEOUT, on_wait: Callable[[], None] | None = None) -> Studio:
    """Start Label Studio on 127.0.0.1 and return once ``/health`` answers there.

    The port is ``port``, else the one of the previous start (an error when it stays taken), else a
    free one. Credentials are created on the first start and reused afterwards. Everything in the
    data folder is readable by its owner only.
    """
    executable = find_executable()
    data_dir = Path(data_dir)
    owner_only(data_dir)
    creds = load_credentials(data_dir)
    created = creds is None
    if creds is None:
        creds = new_credentials()
    port = _choose_port(port, creds.port)
    creds = Credentials(creds.email, creds.password, creds.api_key, creds.secret_key, port)
    save_credentials(data_dir, creds)
    log_path = data_dir / LOG
    log: IO[bytes] = os.fdopen(os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab")
    offset = log.tell()
    command = [executable, "start", "--no-browser", "--internal-host", HOST, "--port", str(port)]
    try:  # umask 077: the database, its journal and the media files are the owner's only
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                   env=_server_env(data_dir, creds), cwd=data_dir, start_new_session=True,
                                   umask=0o077)
    finally:
        log.close()
    studio = Studio(f"http://{HOST}:{port}", port, data_dir, creds, process, log_path, created)
    deadline = time.monotonic() + timeout
    try:
        while True:
            if process.poll() is not None:
                raise KhabarError(f"Label Studio exited (status {process.returncode}) before answering; "
                                  f"end of {log_path}:\n{_log_tail(log_path)}")
            reported = _reported_port(log_path, offset)
            if reported is not None and reported != port:
                raise KhabarError(f"Label Studio moved to port {reported} instead of {port} (was {port} taken "
                                  "meanwhile?); start it again")
            if reported == port and healthy(studio.url):
                return studio
            if time.monotonic() > deadline:
                raise KhabarError(f"Label Studio did not answer on {studio.url}/health within {timeout:g} s; "
                                  f"end of {log_path}:\n{_log_tail(log_path)}")
            if on_wait is not None:
                on_wait()
            time.sleep(0.5)
    except BaseException:
        studio.stop()
        raise

