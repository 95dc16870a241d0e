"""Shared fixtures. The Label Studio server fixture (session-wide) lives here too."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"


@pytest.fixture
def khabar():
    """Run ``khabar ARGS`` in-process; returns click's Result (exit_code, stdout, stderr)."""
    from eval.cli import cli

    def run(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)

    return run
