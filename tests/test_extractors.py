"""Extractors: the registry, each adapter end to end, and the runner's checks on bad output."""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from annotation.errors import KhabarError
from annotation.io import write_jsonl
from annotation.model import Article, Mention, Prediction
from eval.extractors import REGISTRY, get_extractor, run_extractor
from eval.extractors.base import Extractor
from eval.extractors.adapters.command import CommandExtractor
from eval.extractors.adapters.openai_chat import OpenAIChatExtractor
from eval.extractors.registry import Registry
from eval.extractors.runner import check_batch
from tests.helpers import serving

ARTICLES = [
    Article("a1", "بوتين يقبل دعوة كيم\nوقال كيم إن روسيا صديقة"),
    Article("a2", "أعلنت مصر أن التضخم تراجع إلى 11%"),
    Article("a3", "كيم في موسكو"),
]

# A tiny extractor, as a user would write it: finds «كيم» and «بوتين» by their text only.
EXTRACTOR_SOURCE = '''
import json, sys

NAMES = ("كيم", "بوتين")


def extract(articles, label="PERS"):
    out = []
    for art in articles:
        ents = []
        for name in NAMES:
            ents += [{"label": label, "text": name}] * art["text"].count(name)
        out.append({"id": art["id"], "entities": ents})
    return out


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "ok"
    arts = [json.loads(line) for line in sys.stdin if line.strip()]
    if mode == "crash" and any(a["id"] == "a2" for a in arts):
        print("Traceback: boom in the model", file=sys.stderr)
        sys.exit(3)
    if mode == "hang":
        import time
        time.sleep(60)
    if mode == "garbage":
        print("loading model... done")
    if mode == "unknown":
        print(json.dumps({"id": "zzz", "entities": []}))
    if mode == "outside":
        print(json.dumps({"id": arts[0]["id"], "entities": [{"label": "PERS", "start": 0, "end": 9999}]}))
        arts = arts[1:]
    for pred in extract(arts):
        print(json.dumps(pred, ensure_ascii=False))
'''


@pytest.fixture
def user_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "my_extractor.py"
    path.write_text(EXTRACTOR_SOURCE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("my_extractor", None)
    return path


def _names(preds: list[Prediction]) -> dict[str, list[str | None]]:
    return {p.id: [m.text for m in p.entities] for p in preds}


EXPECTED = {"a1": ["كيم", "كيم", "بوتين"], "a2": [], "a3": ["كيم"]}


# --- registry -------------------------------------------------------------------------------


def test_builtin_names_and_did_you_mean() -> None:
    assert {"baseline", "oracle", "empty", "openai", "hf"} <= set(REGISTRY.names())
    with pytest.raises(KhabarError, match="did you mean 'baseline'"):
        get_extractor("baselin")
    with pytest.raises(KhabarError, match="did you mean 'oracle'"):
        get_extractor("oracel")
    with pytest.raises(KhabarError, match="unknown extractor 'zzzz'") as info:
        get_extractor("zzzz")
    assert "did you mean" not in str(info.value)


def test_duplicate_names_are_refused() -> None:
    registry = Registry("extractor")
    registry.register("mine", "eval.extractors.sanity:EmptyExtractor")
    with pytest.raises(KhabarError, match="already registered"):
        registry.register("mine", "eval.extractors.sanity:OracleExtractor")
    with pytest.raises(KhabarError, match="already registered"):
        REGISTRY.register("baseline", "eval.extractors.sanity:EmptyExtractor")
    assert registry.get("mine").__name__ == "EmptyExtractor"  # loaded lazily, on first use


def test_entry_point_plugins_are_registered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dist = tmp_path / "khabar_plugin_demo-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: khabar-plugin-demo\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[khabar.extractors]\ndemo = eval.extractors.sanity:EmptyExtractor\noracle = x.y:Z\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = Registry("extractor", "khabar.extractors")
    registry.register("oracle", "eval.extractors.sanity:OracleExtractor")
    with pytest.raises(KhabarError, match="'oracle' is already registered .*khabar-plugin-demo"):
        registry.names()
    clean = Registry("extractor", "khabar.extractors")
    (dist / "entry_points.txt").write_text("[khabar.extractors]\ndemo = eval.extractors.sanity:EmptyExtractor\n")
    assert "demo" in clean.names()
    assert clean.get("demo")().name == "empty"


# --- adapters, end to end -------------------------------------------------------------------


def test_python_callable_takes_article_dicts_and_options(user_module: Path) -> None:
    extractor = get_extractor("my_extractor:extract", label="OCC")
    assert isinstance(extractor, Extractor)
    preds, report = run_extractor(extractor, ARTICLES, batch_size=2)
    assert _names(preds) == EXPECTED
    assert {m.label for p in preds for m in p.entities} == {"OCC"}
    assert report.missing == [] and report.batches == 2


def test_python_callable_in_worker_processes(user_module: Path) -> None:
    preds, report = run_extractor(get_extractor("my_extractor:extract"), ARTICLES, batch_size=1, jobs=2)
    assert _names(preds) == EXPECTED and report.jobs == 2
    assert [p.id for p in preds] == ["a1", "a2", "a3"]


def test_command_reads_json_lines_and_writes_predictions(user_module: Path) -> None:
    extractor = get_extractor(f"cmd:{sys.executable} {user_module}")
    preds, _ = run_extractor(extractor, ARTICLES, batch_size=2)
    assert _names(preds) == EXPECTED
    assert extractor.name.startswith("cmd:")


@pytest.mark.parametrize(("mode", "message"), [
    ("crash", r"(?s)failed on article a2 \(exit status 3\).*boom in the model"),
    ("garbage", r"line 1: not JSON .*'loading model... done'"),
    ("unknown", r"article 'zzz', which is not one of the articles"),
    ("outside", r"article a1 entities\[0\] \(PERS\): offsets \[0, 9999\) are outside the text"),
])
def test_command_failures_name_the_extractor_and_the_article(user_module: Path, mode: str, message: str) -> None:
    extractor = CommandExtractor(f"{sys.executable} {user_module} {mode}", name="mine")
    with pytest.raises(KhabarError, match=message) as info:
        run_extractor(extractor, ARTICLES, batch_size=3)
    assert "'mine'" in str(info.value)


def test_command_that_hangs_is_stopped_by_its_timeout(user_module: Path) -> None:
    extractor = CommandExtractor([sys.executable, str(user_module), "hang"], timeout=0.5, name="slow")
    with pytest.raises(KhabarError, match=r"'slow' did not finish within 0.5 s on articles a1, a2"):
        run_extractor(extractor, ARTICLES[:2])


def test_missing_command_is_a_clear_error() -> None:
    with pytest.raises(KhabarError, match="command 'no-such-khabar-tool' not found"):
        run_extractor(get_extractor("cmd:no-such-khabar-tool --x"), ARTICLES)


def test_in_process_crash_names_the_article_of_a_batch(user_module: Path, tmp_path: Path) -> None:
    (tmp_path / "crashy.py").write_text(textwrap.dedent('''
        def extract(articles):
            for a in articles:
                if a["id"] == "a3":
                    raise ValueError("bad token")
            return [{"id": a["id"]} for a in articles]
    '''))
    with pytest.raises(KhabarError, match=r"'crashy:extract' crashed on article a3: ValueError: bad token"):
        run_extractor(get_extractor("crashy:extract"), ARTICLES, batch_size=3)


def test_predictions_file(tmp_path: Path) -> None:
    path = tmp_path / "preds.jsonl"
    write_jsonl(path, [Prediction("a1", (Mention("PERS", text="كيم"),)), Prediction("a3")])
    preds, report = run_extractor(get_extractor(str(path)), ARTICLES)
    assert [p.id for p in preds] == ["a1", "a3"] and report.missing == ["a2"]
    write_jsonl(path, [Prediction("a1"), Prediction("nope")])
    with pytest.raises(KhabarError, match="not among the 3 articles of this run: 'nope'"):
        run_extractor(get_extractor(str(path)), ARTICLES)


def test_check_batch_requires_offsets_to_match_the_text() -> None:
    art = ARTICLES[2]
    check_batch("x", [art], [Prediction("a3", (Mention("PERS", 0, 3, "كيم"),))])
    with pytest.raises(KhabarError, match="does not match the text"):
        check_batch("x", [art], [Prediction("a3", (Mention("PERS", 0, 3, "بوت"),))])
    with pytest.raises(KhabarError, match="needs both start and end"):
        check_batch("x", [art], [Prediction("a3", (Mention("PERS", 0, None, "كيم"),))])
    with pytest.raises(KhabarError, match="two predictions for article 'a3'"):
        check_batch("x", [art], [Prediction("a3"), Prediction("a3")])


def test_columnar_batch_call_for_datasets_and_ray(user_module: Path) -> None:
    extractor = get_extractor("my_extractor:extract")
    out = extractor({"id": ["a1", "a3"], "text": [ARTICLES[0].text, ARTICLES[2].text]})
    assert out["id"] == ["a1", "a3"]
    assert [len(json.loads(p)["entities"]) for p in out["prediction"]] == [3, 1]


def test_datasets_map_runs_an_adapter_in_worker_processes(user_module: Path) -> None:
    from datasets import Dataset

    ds = Dataset.from_list([a.to_dict() for a in ARTICLES])
    mapped = ds.map(get_extractor("my_extractor:extract"), batched=True, batch_size=2, num_proc=2,
                    remove_columns=ds.column_names)
    assert {r["id"]: len(json.loads(r["prediction"])["entities"]) for r in mapped} == {"a1": 3, "a2": 0, "a3": 1}


# --- HTTP services on loopback (they stand in for a hosted model) -----------------------------


class _Service(BaseHTTPRequestHandler):
    """A local stand-in for a hosted prediction service and an OpenAI-compatible LLM endpoint."""

    calls: list[dict[str, Any]] = []
    failures_left = 0

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    def _send(self, status: int, body: str, content_type: str = "application/json") -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        if status == 429:
            self.send_header("Retry-After", "0")
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8")
        type(self).calls.append({"path": self.path, "headers": dict(self.headers), "body": body})
        if type(self).failures_left > 0:
            type(self).failures_left -= 1
            self._send(503 if type(self).failures_left % 2 else 429, '{"error": "busy"}')
            return
        if self.path.startswith("/predict"):
            ctype = self.headers["Content-Type"]
            articles = ([json.loads(x) for x in body.splitlines() if x.strip()] if "ndjson" in ctype
                        else json.loads(body))
            preds = [{"id": a["id"], "entities": [{"label": "PERS", "text": "كيم"}] * a["text"].count("كيم")}
                     for a in articles]
            if self.path == "/predict/list":
                self._send(200, json.dumps(preds, ensure_ascii=False))
            else:
                self._send(200, "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in preds))
        elif self.path == "/garbage":
            self._send(200, "<html>oops</html>", "text/html")
        elif self.path == "/v1/chat/completions":
            request = json.loads(body)
            text = request["messages"][-1]["content"]
            answer = {"entities": [{"text": "كيم", "label": "PERS"}] * text.count("كيم"),
                      "claims": [{"text": "روسيا صديقة", "source": "كيم", "cue": "قال",
                                  "attribution": "indirect", "claim_type": "opinion", "check_worthy": "false"}]
                      if "صديقة" in text else []}
            content = "```json\n" + json.dumps(answer, ensure_ascii=False) + "\n```"
            self._send(200, json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]}))
        else:
            self._send(404, '{"error": "no such path"}')


@pytest.fixture
def service() -> Iterator[str]:
    _Service.calls = []
    _Service.failures_left = 0
    with serving(_Service) as host:
        yield f"http://{host}"


@pytest.mark.parametrize(("path", "fmt"), [("/predict", "jsonl"), ("/predict/list", "json")])
def test_http_service(service: str, path: str, fmt: str) -> None:
    extractor = get_extractor(service + path, format=fmt)
    preds, _ = run_extractor(extractor, ARTICLES, batch_size=2)
    assert {p.id: len(p.entities) for p in preds} == {"a1": 2, "a2": 0, "a3": 1}
    assert len(_Service.calls) == 2
    assert ("ndjson" in _Service.calls[0]["headers"]["Content-Type"]) == (fmt == "jsonl")


def test_http_retries_429_and_5xx_with_backoff(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _Service.failures_left = 2
    monkeypatch.setenv("KHABAR_TEST_TOKEN", "s3cret-token")
    extractor = get_extractor(service + "/predict", backoff=0.01, token_env="KHABAR_TEST_TOKEN")
    preds, _ = run_extractor(extractor, ARTICLES[:1])
    assert len(preds[0].entities) == 2
    assert len(_Service.calls) == 3
    assert _Service.calls[-1]["headers"]["Authorization"] == "Bearer s3cret-token"


def test_http_failures_are_clear_and_never_show_the_token(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KHABAR_TEST_TOKEN", "s3cret-token")
    _Service.failures_left = 10
    with pytest.raises(KhabarError, match=r"failed after 2 attempt\(s\): HTTP (429|503)") as info:
        run_extractor(get_extractor(service + "/predict", retries=1, backoff=0.01, token_env="KHABAR_TEST_TOKEN"),
                      ARTICLES[:1])
    assert "s3cret" not in str(info.value)
    _Service.failures_left = 0
    with pytest.raises(KhabarError, match=r"answer for article a1, line 1: not JSON"):
        run_extractor(get_extractor(service + "/garbage"), ARTICLES[:1])
    with pytest.raises(KhabarError, match="answered HTTP 404"):
        run_extractor(get_extractor(service + "/nothing"), ARTICLES[:1])


def test_openai_compatible_endpoint_with_cache(service: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("KHABAR_TEST_KEY", "sk-test-do-not-log")
    _Service.failures_left = 1  # one 429 first: retried
    options = {"base_url": service + "/v1", "api_key_env": "KHABAR_TEST_KEY", "cache_dir": str(tmp_path / "cache"),
               "backoff": 0.01, "concurrency": 2}
    extractor = get_extractor("openai:test-model", **options)
    assert isinstance(extractor, OpenAIChatExtractor)
    preds, _ = run_extractor(extractor, ARTICLES)
    by_id = {p.id: p for p in preds}
    assert [m.text for m in by_id["a1"].entities] == ["كيم", "كيم"]
    [claim] = by_id["a1"].claims
    assert (claim.text, claim.source.text, claim.cue.text, claim.claim_type, claim.check_worthy) == (
        "روسيا صديقة", "كيم", "قال", "opinion", False)
    assert by_id["a2"].claims == ()
    posted = [c for c in _Service.calls if c["path"] == "/v1/chat/completions"]
    assert len(posted) == 4  # three articles, one retried
    request = json.loads(posted[-1]["body"])
    assert request["model"] == "test-model" and request["temperature"] == 0.0
    assert request["response_format"]["type"] == "json_schema"
    system = request["messages"][0]["content"]
    assert "Every entity mention" in system and "كل إشارة إلى كيان" in system and "PERS" in system
    assert posted[-1]["headers"]["Authorization"] == "Bearer sk-test-do-not-log"
    # A rerun is answered from the disk cache: no request at all.
    again, _ = run_extractor(get_extractor("openai:test-model", **options), ARTICLES)
    assert again == preds and len(_Service.calls) == 4
    assert len(list((tmp_path / "cache").rglob("*.json"))) == 3
    assert "sk-test" not in "".join(p.read_text() for p in (tmp_path / "cache").rglob("*.json"))
    # Another model is another cache key.
    get_extractor("openai:other-model", **options).extract(ARTICLES[:1])
    assert len(_Service.calls) == 5
    captured = capsys.readouterr()
    assert "sk-test" not in captured.out + captured.err


def test_openai_unusable_answer_is_an_error_naming_the_article(service: str, tmp_path: Path) -> None:
    extractor = OpenAIChatExtractor("m", base_url=service + "/nothing", cache_dir=tmp_path, retries=0)
    with pytest.raises(KhabarError, match=r"'openai:m' on article a1: .*HTTP 404"):
        run_extractor(extractor, ARTICLES[:1])
