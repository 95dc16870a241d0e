"""Secrets never printed: the one redaction every message that can carry a server's answer or a URL
goes through (the command line applies it to every error it prints).

Removed: the values of known credential variables of the environment (``LABEL_STUDIO_API_KEY``,
``OPENAI_API_KEY``, …) and any registered with :func:`register_secret` (keys given as options),
``user:password@`` in URLs, and the token after ``Bearer`` / ``Token`` / ``api_key=``.
"""

from __future__ import annotations

import os
import re

SECRET_ENV = ("LABEL_STUDIO_API_KEY", "LABEL_STUDIO_USER_TOKEN", "LABEL_STUDIO_PASSWORD", "OPENAI_API_KEY",
              "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "KHABAR_API_KEY")
HIDDEN = "***"
MIN_SECRET = 4  # shorter values are not searched for (they would hide ordinary words)

_registered: set[str] = set()
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^\s/@:]*):(?P<password>[^\s/@]*)@")
# After "Bearer"/"Basic" anything is a credential; after "Token" only what looks like one (it has a
# digit), so that "the token expired" stays readable.
_AUTH = re.compile(r"(?i)\b(?P<kind>bearer|basic)(?P<gap>\s+)[A-Za-z0-9._~+/=-]{6,}")
_TOKEN = re.compile(r"(?i)\b(?P<kind>token)(?P<gap>\s+)(?=[A-Za-z0-9._~+/=-]*\d)[A-Za-z0-9._~+/=-]{6,}")
_KEY_FIELDS = re.compile(r"(?i)(?P<key>\b(?:api[_-]?key|access[_-]?token|token|password|secret)\b\"?\s*[:=]\s*\"?)"
                         r"(?P<value>[^\s\"'&,}]{4,})")


def register_secret(value: str | None) -> None:
    """Hide ``value`` from every later message of this process (an API key given on the command line)."""
    if value and len(value) >= MIN_SECRET:
        _registered.add(value)


def redact(text: str) -> str:
    """``text`` with every known secret replaced by ``***``."""
    secrets = set(_registered)
    secrets.update(v for name in SECRET_ENV if len(v := os.environ.get(name, "")) >= MIN_SECRET)
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, HIDDEN)
    text = _URL_CREDENTIALS.sub(lambda m: f"{m['scheme']}{m['user']}:{HIDDEN}@", text)
    for pattern in (_AUTH, _TOKEN):
        text = pattern.sub(lambda m: f"{m['kind']}{m['gap']}{HIDDEN}", text)
    return _KEY_FIELDS.sub(lambda m: f"{m['key']}{HIDDEN}", text)
