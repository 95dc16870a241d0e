"""Shared fixtures. The Label Studio server fixture (session-wide) lives here too."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

# `datasets` caches every folder it loads under HF_HOME: the run's temporary gold folders must not land in
# the user's cache. A temporary HF_HOME for the whole run, set before any test imports datasets.
os.environ["HF_HOME"] = _HF_HOME = tempfile.mkdtemp(prefix="khabar-test-hf-")
atexit.register(shutil.rmtree, _HF_HOME, ignore_errors=True)

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"


@pytest.fixture
def khabar():
    """Run ``khabar ARGS`` in-process; returns click's Result (exit_code, stdout, stderr)."""
    from eval.cli import cli

    def run(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)

    return run


# --- Label Studio server (owned by the Label Studio engineer) ---------------------------------


@pytest.fixture(scope="session")
def label_studio(tmp_path_factory: pytest.TempPathFactory):
    """A real Label Studio server on a free 127.0.0.1 port with a throwaway data folder, started ONCE per
    test run with the code of ``khabar studio`` (``annotation.labelstudio.server.start_server``) and stopped at the end.

    It installs nothing: the test set-up installs ``khabar[server,test]``. Without the ``label-studio``
    command the tests that use it fail when ``CI`` is set, and are skipped otherwise.
    """
    import os

    from annotation.errors import KhabarError
    from annotation.labelstudio.server import find_executable, start_server

    try:
        find_executable()
    except KhabarError as exc:
        message = f"Label Studio server tests need the server extra: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    studio = start_server(tmp_path_factory.mktemp("label-studio"))
    try:
        yield studio
    finally:
        studio.stop()


# --- headless Chromium (Debian's, through playwright) --------------------------------------------

CHROMIUM = os.environ.get("KHABAR_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def _no_browser(reason: str) -> None:
    message = f"{reason} — install it with: apt-get update && apt-get install -y chromium fonts-noto-core"
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, through playwright (no browser download). Skipped without it,
    failed when CI is set."""
    import shutil

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _no_browser("playwright is not installed in .venv")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _no_browser(f"Debian's chromium is missing ({CHROMIUM})")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# --- Ray (owned by khabar extract) --------------------------------------------------------------


@pytest.fixture(scope="session")
def ray_local():
    """A real local Ray instance with 2 CPUs, started ONCE per test run in this process and stopped at the
    end; ``khabar extract --engine ray`` run in-process uses it. Yields its address (for --address).

    Without Ray (the ``ray`` extra) the tests that use it fail when ``CI`` is set, and are skipped otherwise."""
    import logging
    import os

    try:
        import ray
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("the Ray tests need the ray extra (pip install 'khabar[ray]')", pytrace=False)
        pytest.skip("the Ray tests need the ray extra (pip install 'khabar[ray]')")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": path}})
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()
