"""The exception types that the command line turns into a clean message (exit 1)."""

from __future__ import annotations


class KhabarError(Exception):
    """Bad input or a failed check. The message names the place (file, line, task, region)."""


class FormatError(KhabarError, ValueError):
    """A JSON object does not have the shape of the spec. The message names the field."""
