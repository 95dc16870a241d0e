"""A prediction service over HTTP as an extractor (``http://…`` or ``https://…``).

For each batch the adapter POSTs the articles (the spec's article objects) either as JSON
lines (``format="jsonl"``, ``Content-Type: application/x-ndjson``, the default) or as one JSON
list (``format="json"``), and reads back predictions as a JSON list or as JSON lines (either is
accepted, whatever was sent). 429, 408 and 5xx answers, timeouts and dropped connections are
retried with exponential backoff (``Retry-After`` is honoured). A bearer token is read from
the environment variable named by ``token_env``; it is sent, never logged or stored.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from typing import Any

from annotation.errors import KhabarError
from annotation.redact import redact, register_secret
from annotation.io import dumps
from annotation.model import Article, Prediction
from eval.extractors.base import (BatchCallable, ExtractorError, article_dicts, count_option, prediction_from,
                                  seconds_option)
from eval.extractors.adapters.command import parse_json_lines

DEFAULT_HTTP_TIMEOUT = 120.0
DEFAULT_RETRIES = 4
DEFAULT_BACKOFF = 1.0  # seconds before the first retry; doubled each time
MAX_BACKOFF = 60.0
RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})
FORMATS = ("jsonl", "json")


def _delay(attempt: int, backoff: float, retry_after: str | None) -> float:
    if retry_after:
        try:
            return min(MAX_BACKOFF, max(0.0, float(retry_after)))
        except ValueError:
            pass
    return min(MAX_BACKOFF, backoff * 2 ** attempt)


def post(url: str, body: bytes, *, headers: dict[str, str], timeout: float, retries: int = DEFAULT_RETRIES,
         backoff: float = DEFAULT_BACKOFF, what: str, sleep: Callable[[float], None] = time.sleep) -> bytes:
    """POST ``body`` and return the answer's body; retry what is worth retrying, then fail naming ``what``.

    Error messages name the URL and the status, never the request headers (they may hold a key)."""
    last = ""
    for attempt in range(retries + 1):
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode("utf-8", "replace").strip()
            last = f"HTTP {exc.code} {exc.reason}" + (f": {detail}" if detail else "")
            if exc.code not in RETRY_STATUS:
                raise ExtractorError(redact(f"{what}: {url} answered {last}")) from None
            retry_after = exc.headers.get("Retry-After") if exc.headers else None
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            last = f"no answer ({reason})"
            retry_after = None
        if attempt < retries:
            sleep(_delay(attempt, backoff, retry_after))
    raise ExtractorError(redact(f"{what}: {url} failed after {retries + 1} attempt(s): {last}"), pinpoint=False)


def parse_predictions(raw: bytes, name: str, where: str) -> list[Prediction]:
    """A JSON list of predictions, or JSON lines."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ExtractorError(f"extractor {name!r}: {where}: the answer is not UTF-8 text") from None
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            items: Any = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise ExtractorError(f"extractor {name!r}: {where}: the answer is not JSON ({exc.msg})") from None
        return [prediction_from(obj, name, f"{where}, item {i}") for i, obj in enumerate(items)]
    return parse_json_lines(text, name, where)


class HttpExtractor(BatchCallable):
    """POSTs each batch of articles to ``url`` and reads the predictions from the answer."""

    def __init__(self, url: str, *, format: str = "jsonl", timeout: float = DEFAULT_HTTP_TIMEOUT,
                 retries: int = DEFAULT_RETRIES, backoff: float = DEFAULT_BACKOFF, token_env: str | None = None,
                 name: str | None = None, version: str = "unknown") -> None:
        if format not in FORMATS:
            raise KhabarError(f"http extractor: format must be one of {', '.join(FORMATS)}, not {format!r}")
        self.url = url
        self.format = format
        self.timeout = seconds_option(timeout, "timeout")
        self.retries = count_option(retries, "retries")
        self.backoff = seconds_option(backoff, "backoff") if backoff else 0.0
        self.token_env = token_env
        self.name = name or redact(url)  # the name goes into the table, the signature and the result JSON
        self.version = version

    def _headers(self) -> dict[str, str]:
        content_type = "application/x-ndjson" if self.format == "jsonl" else "application/json"
        headers = {"Content-Type": f"{content_type}; charset=utf-8", "Accept": "application/json"}
        if self.token_env:
            token = os.environ.get(self.token_env)
            if not token:
                raise KhabarError(f"extractor {self.name!r}: the environment variable {self.token_env} is not set")
            register_secret(token)  # an answer that echoes it is redacted
            headers["Authorization"] = f"Bearer {token}"
        return headers

    def extract(self, articles: Sequence[Article]) -> list[Prediction]:
        if not articles:
            return []
        objs = article_dicts(articles)
        body = ("".join(dumps(o) + "\n" for o in objs) if self.format == "jsonl" else dumps(objs)).encode("utf-8")
        where = f"articles {articles[0].id}…{articles[-1].id}" if len(articles) > 1 else f"article {articles[0].id}"
        raw = post(self.url, body, headers=self._headers(), timeout=self.timeout, retries=self.retries,
                   backoff=self.backoff, what=f"extractor {self.name!r} on {where}")
        return parse_predictions(raw, self.name, f"answer for {where}")
