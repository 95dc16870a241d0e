"""An LLM behind an OpenAI-compatible chat endpoint (``openai:MODEL``) as an extractor.

One ``POST {base_url}/chat/completions`` per article: a system prompt in Arabic and English
that describes the scheme (labels with their definitions from ``data/scheme.json``, claims
with source, cue and attributes, the annotation rules that matter for strings: no proclitic,
copy the text exactly) and a JSON schema for the answer; the user message is the article.
The model answers with strings only; ``eval.inputs.alignment`` gives them offsets when scoring.

- Articles of a batch are sent ``concurrency`` at a time (threads).
- 429, 408, 5xx, timeouts and dropped connections are retried with exponential backoff.
- Every answer is cached on disk under ``cache_dir`` (default ``$KHABAR_CACHE_DIR/llm`` or
  ``~/.cache/khabar/llm``), keyed by sha256 of (messages, model, parameters): a rerun costs nothing.
- The API key is read from the environment variable ``api_key_env`` (``OPENAI_API_KEY``); it is
  sent as a bearer token and never logged, stored or put in an error message. A local server
  that needs no key works without it.
- ``base_url`` defaults to ``$OPENAI_BASE_URL``, else OpenAI's own endpoint.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from annotation.errors import KhabarError
from annotation.redact import register_secret
from annotation.io import write_atomic
from annotation.model import Article, Claim, Mention, Prediction, Span
from annotation.scheme import Scheme, load_scheme
from eval.extractors.base import BatchCallable, ExtractorError, count_option, seconds_option
from eval.extractors.adapters.http import DEFAULT_BACKOFF, DEFAULT_HTTP_TIMEOUT, DEFAULT_RETRIES, post

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_CONCURRENCY = 4
DEFAULT_MAX_TOKENS = 4096
RESPONSE_FORMATS = ("json_schema", "json_object", "none")
PROMPT_VERSION = "1"


def answer_schema(scheme: Scheme) -> dict[str, Any]:
    """The JSON schema of the answer: entities and claims as strings."""
    span = {"type": ["string", "null"]}
    attributes = {a.name: {"type": "boolean"} if a.is_boolean else {"type": "string", "enum": list(a.value_names)}
                  for a in scheme.attributes}  # from scheme 1.1 also stance and certainty
    return {
        "type": "object", "additionalProperties": False, "required": ["entities", "claims"],
        "properties": {
            "entities": {"type": "array", "items": {
                "type": "object", "additionalProperties": False, "required": ["text", "label"],
                "properties": {"text": {"type": "string"}, "label": {"type": "string", "enum": list(scheme.labels)}}}},
            "claims": {"type": "array", "items": {
                "type": "object", "additionalProperties": False,
                "required": ["text", "source", "cue", *attributes],
                "properties": {"text": {"type": "string"}, "source": span, "cue": span, **attributes}}},
        },
    }


def system_prompt(scheme: Scheme) -> str:
    labels = "\n".join(f"- {i.name} ({i.ar} / {i.en}): {i.definition}" for i in scheme.entity_labels)
    attributes = "\n".join(
        f"- {a.name} ({a.ar}): " + "; ".join(f"{v.name} = {v.ar} / {v.en}" for v in a.values)
        for a in scheme.attributes)
    return f"""أنت خبير في استخراج الكيانات والادعاءات من الأخبار العربية.
You extract entity mentions and claims from Arabic news articles.

المهمة / Task:
1. كل إشارة إلى كيان في النص، بما فيها العنوان والتكرارات، بإحدى التسميات الآتية.
   Every entity mention in the text, title and repetitions included, with one of these labels:
{labels}
2. كل ادعاء: القضية التي ينقلها المقال أو يقررها، مع مصدرها وفعل الإسناد وسماتها.
   Every claim: the proposition the article reports or asserts, with its source, its cue and its attributes:
{attributes}

قواعد / Rules:
- انسخ كل نص من المقال حرفيًا كما هو، دون تصحيح أو إعادة صياغة.
  Copy every string from the article exactly as written; never correct or paraphrase.
- لا تُدخل السوابق و ف ب ل ك في الإشارة: «وروسيا» ← «روسيا»، و«للرئيس الروسي» ← «رئيس الروسي». لا علامات ترقيم في الطرفين.
  Leave attached proclitics out of mentions (وروسيا → روسيا; للرئيس الروسي → رئيس الروسي); no punctuation at the edges.
- اللقب (OCC) والاسم (PERS) إشارتان منفصلتان: [الرئيس]OCC [بوتين]PERS.
  A title (OCC) and a name (PERS) are two separate mentions.
- نص الادعاء بلا فعل الإسناد وبلا «أن/إن/بأن» وبلا علامات التنصيص في طرفيه وبلا النقطة الأخيرة؛ كل جملة «أن» ادعاء مستقل.
  Claim text without the cue, without أن/إن/بأن, without quotation marks at its edges and without the final period; each أن-clause is its own claim.
- source هو نص المصدر (الاسم أولى من اللقب) أو null إذا قرر المقال الادعاء بنفسه؛ cue هو فعل الإسناد بلا الواو («قال»، «أعلنت») أو null.
  source is the source's text (prefer the name to the title) or null when the article asserts the claim itself; cue is the attribution word without و, or null.

أجب بكائن JSON واحد فقط بالشكل الآتي / Answer with one JSON object only, of this form:
{json.dumps(answer_schema(scheme), ensure_ascii=False)}"""


def _strip_fences(content: str) -> str:
    match = re.search(r"```(?:json)?\s*(.*?)```", content, re.S)
    return match.group(1) if match else content


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def prediction_from_answer(article_id: str, answer: Any, scheme: Scheme) -> Prediction:
    """Turn the model's JSON answer into a ``Prediction`` of strings; unknown values become None."""
    if not isinstance(answer, dict):
        raise ValueError("the answer is not a JSON object")
    attrs = {a.name: set(a.value_names) for a in scheme.attributes}
    entities = []
    for item in answer.get("entities") or []:
        if isinstance(item, dict) and _text(item.get("text")) and isinstance(item.get("label"), str):
            entities.append(Mention(label=item["label"].strip().upper(), text=_text(item["text"])))
    claims = []
    for item in answer.get("claims") or []:
        if not isinstance(item, dict) or not _text(item.get("text")):
            continue
        source, cue = _text(item.get("source")), _text(item.get("cue"))
        claims.append(Claim(
            text=_text(item["text"]),
            source=Span(text=source) if source else None,
            cue=Span(text=cue) if cue else None,
            **{a.name: _value(item.get(a.name), attrs[a.name], a.is_boolean) for a in scheme.attributes}))
    return Prediction(article_id, tuple(entities), tuple(claims))


def _value(value: Any, allowed: set[str], boolean: bool) -> Any:
    """An attribute value of the answer: a known value, a boolean (also written "true" / "false"), else None."""
    if boolean:
        if isinstance(value, str):
            value = {"true": True, "false": False}.get(value.strip().lower())
        return value if isinstance(value, bool) else None
    return value if isinstance(value, str) and value in allowed else None


def default_cache_dir() -> Path:
    root = os.environ.get("KHABAR_CACHE_DIR")
    return Path(root) / "llm" if root else Path.home() / ".cache" / "khabar" / "llm"


class OpenAIChatExtractor(BatchCallable):
    def __init__(self, model: str, *, base_url: str | None = None, api_key_env: str = "OPENAI_API_KEY",
                 temperature: float = 0.0, max_tokens: int = DEFAULT_MAX_TOKENS, seed: int | None = None,
                 response_format: str = "json_schema", timeout: float = DEFAULT_HTTP_TIMEOUT,
                 retries: int = DEFAULT_RETRIES, backoff: float = DEFAULT_BACKOFF,
                 concurrency: int = DEFAULT_CONCURRENCY, cache_dir: str | Path | None = None,
                 cache: bool = True, scheme: str | None = None) -> None:
        if not model:
            raise KhabarError("openai: needs a model name, e.g. openai:gpt-4o-mini")
        if response_format not in RESPONSE_FORMATS:
            raise KhabarError(f"openai: response_format must be one of {', '.join(RESPONSE_FORMATS)}")
        self.model = model
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        self.api_key_env = api_key_env
        self.params: dict[str, Any] = {"temperature": float(temperature), "max_tokens": int(max_tokens)}
        if seed is not None:
            self.params["seed"] = int(seed)
        self.response_format = response_format
        self.timeout, self.retries = seconds_option(timeout, "timeout"), count_option(retries, "retries")
        self.backoff = seconds_option(backoff, "backoff") if backoff else 0.0
        self.concurrency = max(1, int(concurrency))
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        self.cache = bool(cache)
        self.scheme_path = scheme
        self.name = f"openai:{model}"
        self.version = f"prompt{PROMPT_VERSION}-{load_scheme(scheme).fingerprint}"

    # -- the request ---------------------------------------------------------------------------

    def request_body(self, article: Article) -> dict[str, Any]:
        scheme = load_scheme(self.scheme_path)
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": "system", "content": system_prompt(scheme)},
                         {"role": "user", "content": article.text}],
            **self.params,
        }
        if self.response_format == "json_schema":
            body["response_format"] = {"type": "json_schema", "json_schema": {
                "name": "khabar_extraction", "schema": answer_schema(scheme), "strict": True}}
        elif self.response_format == "json_object":
            body["response_format"] = {"type": "json_object"}
        return body

    @staticmethod
    def cache_key(body: dict[str, Any]) -> str:
        """sha256 of the prompt, the model and the parameters (everything the answer depends on)."""
        return hashlib.sha256(json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        key = os.environ.get(self.api_key_env) if self.api_key_env else None
        register_secret(key)  # an answer that echoes it is redacted
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _content(self, article: Article) -> str:
        body = self.request_body(article)
        key = self.cache_key(body)
        path = self.cache_dir / key[:2] / f"{key}.json"
        if self.cache and path.is_file():
            try:
                return str(json.loads(path.read_text(encoding="utf-8"))["content"])
            except (ValueError, KeyError, TypeError):
                pass  # a damaged cache entry is fetched again
        what = f"extractor {self.name!r} on article {article.id}"
        raw = post(f"{self.base_url}/chat/completions", json.dumps(body, ensure_ascii=False).encode("utf-8"),
                   headers=self._headers(), timeout=self.timeout, retries=self.retries, backoff=self.backoff,
                   what=what)
        try:
            content = json.loads(raw)["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise ExtractorError(f"{what}: the endpoint's answer is not a chat completion: "
                                 f"{raw[:200].decode('utf-8', 'replace')!r}") from None
        if not isinstance(content, str):
            raise ExtractorError(f"{what}: the chat completion has no text content")
        self._parse(article, content)  # an unusable answer is not cached
        if self.cache:
            write_atomic(path, json.dumps({"model": self.model, "article": article.id, "content": content},
                                          ensure_ascii=False))
        return content

    def _parse(self, article: Article, content: str) -> Prediction:
        try:
            return prediction_from_answer(article.id, json.loads(_strip_fences(content)),
                                          load_scheme(self.scheme_path))
        except ValueError as exc:
            shown = content if len(content) <= 120 else content[:117] + "..."
            raise ExtractorError(f"extractor {self.name!r} on article {article.id}: the model's answer is not "
                                 f"the expected JSON ({exc}): {shown!r}") from None

    def extract(self, articles: Sequence[Article]) -> list[Prediction]:
        def one(article: Article) -> Prediction:
            return self._parse(article, self._content(article))

        if self.concurrency == 1 or len(articles) <= 1:
            return [one(a) for a in articles]
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(articles))) as pool:
            return list(pool.map(one, articles))
