"""``khabar bench`` and the built-in extractors: oracle scores 1, empty scores 0, the baseline follows the
guidelines on cases the rules cover, failures leave nothing behind."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from annotation.gold.records import load_gold
from annotation.io import read_predictions, write_jsonl
from annotation.model import Annotated, Article, Claim, Mention, Span
from eval.extractors import get_extractor
from eval.extractors.bench import bench
from eval.extractors.baseline.extractor import BaselineExtractor
from tests.helpers import span_at

SHIPPED = Path(__file__).resolve().parent.parent / "data" / "gold"

TEXTS = {
    "g1": "بوتين يقبل دعوة كيم لزيارة كوريا الشمالية\n"
          "وكان المتحدث باسم الكرملين ديمتري بيسكوف، صرح بأنه لا توجد حاليًا خطط لزيارة الرئيس بوتين لكوريا الشمالية.",
    "g2": "التضخم في مصر يتراجع\n"
          "وقالت رانيا القاضي إن التضخم تراجع إلى 11% خلال فبراير الماضي. وتعهدت الحكومة بخفض الأسعار.",
}


def _span(text: str, needle: str, entity: str | None = None, nth: int = 0) -> Span:
    return span_at(text, needle, nth, entity)


def _mention(doc: str, ident: str, needle: str, label: str, entity: str, nth: int = 0) -> Mention:
    s = _span(TEXTS[doc], needle, nth=nth)
    return Mention(label, s.start, s.end, needle, ident, entity)


def _claim(doc: str, ident: str, content: str, source: Span | None, cue: Span | None, **attrs: object) -> Claim:
    s = _span(TEXTS[doc], content)
    return Claim(s.start, s.end, content, ident, source, cue, (), **attrs)  # type: ignore[arg-type]


def gold_docs() -> list[Annotated]:
    t1, t2 = TEXTS["g1"], TEXTS["g2"]
    g1 = Annotated(Article("g1", t1, title=t1.split("\n")[0], source="الدستور"), (
        _mention("g1", "e1", "بوتين", "PERS", "putin"),
        _mention("g1", "e2", "كيم", "PERS", "kim"),
        _mention("g1", "e3", "كوريا الشمالية", "GPE", "nk"),
        _mention("g1", "e4", "المتحدث باسم الكرملين", "OCC", "spokesman"),
        _mention("g1", "e5", "الكرملين", "ORG", "kremlin"),
        _mention("g1", "e6", "ديمتري بيسكوف", "PERS", "peskov"),
        _mention("g1", "e7", "الرئيس", "OCC", "president"),
        _mention("g1", "e8", "بوتين", "PERS", "putin", nth=1),
        _mention("g1", "e9", "كوريا الشمالية", "GPE", "nk", nth=1),
    ), (
        _claim("g1", "c1", "بوتين يقبل دعوة كيم لزيارة كوريا الشمالية", None, None, attribution="none",
               claim_type="factual_event", check_worthy=True),
        _claim("g1", "c2", "لا توجد حاليًا خطط لزيارة الرئيس بوتين لكوريا الشمالية",
               _span(t1, "ديمتري بيسكوف", "peskov"), _span(t1, "صرح"), attribution="indirect",
               claim_type="factual_event", check_worthy=True),
    ), {"annotators": ["t"], "adjudicated": True})
    g2 = Annotated(Article("g2", t2, title=t2.split("\n")[0]), (
        _mention("g2", "e1", "مصر", "GPE", "egypt"),
        _mention("g2", "e2", "رانيا القاضي", "PERS", "rania"),
        _mention("g2", "e3", "11%", "PERCENT", "p1"),
        _mention("g2", "e4", "فبراير الماضي", "DATE", "d1"),
    ), (
        _claim("g2", "c1", "التضخم تراجع إلى 11% خلال فبراير الماضي", _span(t2, "رانيا القاضي", "rania"),
               _span(t2, "قالت"), attribution="indirect", claim_type="numerical", check_worthy=True),
    ), {"annotators": ["t"], "adjudicated": True})
    return [g1, g2]


@pytest.fixture
def gold_file(tmp_path: Path) -> Path:
    path = tmp_path / "gold.jsonl"
    write_jsonl(path, gold_docs())
    return path


HEADLINES = ["entities.strict.micro.f1", "claims.detection.f1", "claims.end_to_end.f1"]


def _value(result: dict, path: str) -> float:
    node = result
    for part in path.split("."):
        node = node[part]
    return node  # type: ignore[return-value]


@pytest.mark.parametrize(("name", "expected"), [("oracle", 1.0), ("empty", 0.0)])
def test_sanity_extractors_on_a_small_gold_set(name: str, expected: float) -> None:
    run = bench(gold_docs(), get_extractor(name), config=_config())
    for path in HEADLINES:
        assert _value(run.result, path) == expected, path
    if name == "oracle":
        assert run.result["claims"]["source"]["accuracy"] == 1.0


@pytest.mark.skipif(not (SHIPPED / "test.jsonl").is_file(), reason="the shipped gold set data/gold is not built")
@pytest.mark.parametrize(("name", "expected"), [("oracle", 1.0), ("empty", 0.0)])
def test_sanity_extractors_on_the_shipped_gold(name: str, expected: float) -> None:
    run = bench(load_gold(SHIPPED, "test"), get_extractor(name), config=_config())
    for path in HEADLINES:
        assert _value(run.result, path) == expected, path


def _config():  # type: ignore[no-untyped-def]
    from eval.scoring.scorer import ScoreConfig

    return ScoreConfig(bootstrap=0)


def test_oracle_outside_bench_asks_for_the_gold() -> None:
    with pytest.raises(Exception, match="needs the gold documents"):
        get_extractor("oracle").extract([gold_docs()[0].article])


# --- the baseline, on cases its rules cover (guidelines sections 4, 5, 11, 12, 14) -----------------


def _baseline(doc_id: str):  # type: ignore[no-untyped-def]
    return BaselineExtractor().predict(Article(doc_id, TEXTS[doc_id], source="الدستور"))


@pytest.mark.parametrize(("doc_id", "mention", "label"), [
    ("g1", "بوتين", "PERS"),
    ("g1", "كوريا الشمالية", "GPE"),
    ("g1", "المتحدث باسم الكرملين", "OCC"),
    ("g1", "الكرملين", "ORG"),
    ("g1", "ديمتري بيسكوف", "PERS"),
    ("g1", "الرئيس", "OCC"),
    ("g2", "مصر", "GPE"),
    ("g2", "رانيا القاضي", "PERS"),
    ("g2", "11%", "PERCENT"),
    ("g2", "فبراير الماضي", "DATE"),
])
def test_baseline_entities(doc_id: str, mention: str, label: str) -> None:
    found = {(m.text, m.label) for m in _baseline(doc_id).entities}
    assert (mention, label) in found


@pytest.mark.parametrize(("text", "mention", "label"), [
    ("وصلت الطائرة إلى وروسيا أمس", "روسيا", "GPE"),  # proclitic left out
    ("وجه دعوة للرئيس الروسي أمس", "رئيس الروسي", "OCC"),  # «لل» → the mention starts after it
    ("وجه دعوة للرئيس الروسي أمس", "الروسي", "NORP"),  # nested inside the OCC
    ("وزير الخارجية الروسي سيرجي لافروف وافق", "وزير الخارجية الروسي", "OCC"),
    ("وزير الخارجية الروسي سيرجي لافروف وافق", "سيرجي لافروف", "PERS"),
    ("قالت وكالة الأنباء المركزية الكورية الشمالية إن", "وكالة الأنباء المركزية الكورية الشمالية", "ORG"),
    ("بلغت الأرباح ٣٫٩٥ مليار دينار في ١٥ مايو المقبل", "٣٫٩٥ مليار دينار", "MONEY"),
    ("بلغت الأرباح ٣٫٩٥ مليار دينار في ١٥ مايو المقبل", "١٥ مايو المقبل", "DATE"),
    ("ارتفع المؤشر بنسبة ١١٫٨٪ منذ أربع سنوات", "١١٫٨٪", "PERCENT"),
    ("ارتفع المؤشر بنسبة ١١٫٨٪ منذ أربع سنوات", "أربع سنوات", "DATE"),  # without «منذ»
])
def test_baseline_follows_boundary_rules(text: str, mention: str, label: str) -> None:
    pred = BaselineExtractor().predict(Article("x", text))
    assert (mention, label) in {(m.text, m.label) for m in pred.entities}
    assert all(text[m.start:m.end] == m.text for m in pred.entities)


def test_baseline_leaves_nationality_out_of_an_organisation_name() -> None:
    text = "قالت وكالة الأنباء المركزية الكورية الشمالية إن"
    labels = {m.text: m.label for m in BaselineExtractor().predict(Article("x", text)).entities}
    assert "الكورية" not in labels


def test_baseline_claims() -> None:
    claims = {c.text: c for c in _baseline("g1").claims}
    c2 = claims["لا توجد حاليًا خطط لزيارة الرئيس بوتين لكوريا الشمالية"]
    assert (c2.source.text, c2.cue.text, c2.attribution) == ("ديمتري بيسكوف", "صرح", "indirect")
    title = claims["بوتين يقبل دعوة كيم لزيارة كوريا الشمالية"]
    assert (title.source, title.attribution) == (None, "none")
    claims = {c.text: c for c in _baseline("g2").claims}
    c1 = claims["التضخم تراجع إلى 11% خلال فبراير الماضي"]
    assert (c1.source.text, c1.cue.text, c1.claim_type, c1.check_worthy) == ("رانيا القاضي", "قالت", "numerical", True)
    c2 = claims["خفض الأسعار"]
    assert (c2.cue.text, c2.claim_type) == ("تعهدت", "commitment")


@pytest.mark.parametrize(("text", "content", "attribution", "claim_type", "check_worthy"), [
    ('وقال كيم: "الجيش والشعب الروسي سينتصران على قوى الشر"، في تأييد واضح',
     "الجيش والشعب الروسي سينتصران على قوى الشر", "direct_quote", "prediction", False),
    ("وتوقع النعيمي أن يتحرك سعر برنت قرب 78 دولارا", "يتحرك سعر برنت قرب 78 دولارا", "indirect", "prediction",
     False),
    ("وأوضح الوزير أن الاجتماع سيعقد في موسكو، وأن الزيارة تمت أمس", "الزيارة تمت أمس", "indirect", "factual_event",
     True),
])
def test_baseline_claim_attributes(text: str, content: str, attribution: str, claim_type: str,
                                   check_worthy: bool) -> None:
    claims = {c.text: c for c in BaselineExtractor().predict(Article("x", "عنوان\n" + text)).claims}
    assert content in claims, list(claims)
    c = claims[content]
    assert (c.attribution, c.claim_type, c.check_worthy) == (attribution, claim_type, check_worthy)


# --- the command ------------------------------------------------------------------------------


def test_bench_help(khabar) -> None:  # type: ignore[no-untyped-def]
    result = khabar("bench", "--help")
    assert result.exit_code == 0 and "--extractor" in result.output and "--jobs" in result.output


def test_bench_writes_result_and_predictions(khabar, gold_file: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out, preds = tmp_path / "run.json", tmp_path / "preds.jsonl"
    result = khabar("bench", "--gold", gold_file, "--json", out, "--predictions-out", preds, "--bootstrap", "20")
    assert result.exit_code == 0, result.output
    assert "entities (strict) F1" in result.output and "khabar:" in result.output
    run = json.loads(out.read_text(encoding="utf-8"))
    assert run["extractor"]["name"] == "baseline" and run["documents"] == 2
    assert run["run"]["articles"] == 2 and run["signature"].startswith("khabar:")
    assert 0 < run["entities"]["strict"]["micro"]["f1"] <= 1
    assert {p.id for p in read_predictions(preds)} == {"g1", "g2"}
    # the raw predictions reproduce the score through khabar score's library path
    from eval.scoring.scorer import ScoreConfig, score

    again = score(gold_docs(), read_predictions(preds), config=ScoreConfig(bootstrap=20))
    assert again.result["entities"]["strict"]["micro"]["f1"] == run["entities"]["strict"]["micro"]["f1"]


def test_bench_with_a_command_and_jobs(khabar, gold_file: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    script = tmp_path / "echo_names.py"
    script.write_text(
        "import json, sys\n"
        "for line in sys.stdin:\n"
        "    a = json.loads(line)\n"
        "    print(json.dumps({'id': a['id'], 'entities': [{'label': 'GPE', 'text': 'مصر'}] if 'مصر' in a['text'] else []}))\n",
        encoding="utf-8")
    out = tmp_path / "run.json"
    result = khabar("bench", "--gold", gold_file, "--command", f"{sys.executable} {script}", "--jobs", "2",
                    "--batch-size", "1", "--json", out, "--bootstrap", "0")
    assert result.exit_code == 0, result.output
    run = json.loads(out.read_text(encoding="utf-8"))
    assert run["entities"]["strict"]["micro"]["correct"] == 1
    assert run["alignment"]["total"] == 1 and run["alignment"]["rate"] == 1.0
    assert run["run"]["jobs"] == 2


def test_failing_extractor_writes_nothing(khabar, gold_file: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    script = tmp_path / "bad.py"
    script.write_text("import sys\nsys.stdin.read()\nprint('not json at all')\n", encoding="utf-8")
    out, preds = tmp_path / "run.json", tmp_path / "preds.jsonl"
    result = khabar("bench", "--gold", gold_file, "--command", f"{sys.executable} {script}", "--json", out,
                    "--predictions-out", preds)
    assert result.exit_code == 1
    assert "bench failed, nothing written" in result.stderr and "not JSON" in result.stderr
    assert not out.exists() and not preds.exists()


def test_bench_usage_errors(khabar, gold_file: Path) -> None:  # type: ignore[no-untyped-def]
    result = khabar("bench", "--gold", gold_file, "--extractor", "baslin")
    assert result.exit_code == 1 and "did you mean 'baseline'" in result.stderr
    result = khabar("bench", "--gold", gold_file, "--extractor", "empty", "--command", "x")
    assert result.exit_code == 2
    result = khabar("bench", "--gold", gold_file.parent / "nope")
    assert result.exit_code == 1 and "no gold set here" in result.stderr
