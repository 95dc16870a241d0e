"""A spaCy pipeline as an extractor, end to end: the shipped dev split exported with ``khabar convert --to
spacy``, a blank Arabic NER pipeline trained on it for a few iterations, saved, and scored with
``khabar bench --extractor spacy:DIR``. The test asserts the round trip (it beats ``empty``), not a quality."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

spacy = pytest.importorskip("spacy")

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "data" / "gold"


def _lines(doc):  # noqa: ANN001, ANN202 - a spaCy Doc cut at its line breaks (whitespace tokens with a newline)
    start = 0
    for token in doc:
        if "\n" in token.text:
            if token.i > start:
                yield doc[start:token.i].as_doc()
            start = token.i + 1
    if start < len(doc):
        yield doc[start:].as_doc()


def _train(docbin: Path, out: Path, iterations: int = 8) -> None:
    from spacy.tokens import Doc, DocBin
    from spacy.training import Example

    spacy.util.fix_random_seed(0)
    nlp = spacy.blank("ar")
    nlp.add_pipe("ner")
    references = [line for doc in DocBin().from_disk(docbin).get_docs(nlp.vocab) for line in _lines(doc)]
    examples = [Example(Doc(nlp.vocab, words=[t.text for t in ref], spaces=[bool(t.whitespace_) for t in ref]), ref)
                for ref in references]
    optimizer = nlp.initialize(lambda: examples)
    rng = random.Random(0)
    for _ in range(iterations):
        rng.shuffle(examples)
        for start in range(0, len(examples), 8):
            nlp.update(examples[start:start + 8], sgd=optimizer, drop=0.1)
    nlp.to_disk(out)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from click.testing import CliRunner

    from eval.cli import cli

    tmp = tmp_path_factory.mktemp("spacy")
    result = CliRunner().invoke(cli, ["convert", str(GOLD / "dev.jsonl"), "--from", "gold", "--to", "spacy",
                                      "--out", str(tmp / "dev.spacy")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    _train(tmp / "dev.spacy", tmp / "model")
    return tmp / "model"


def test_trained_pipeline_beats_empty(pipeline: Path, khabar, tmp_path: Path) -> None:
    scores = {}
    for spec in (f"spacy:{pipeline}", "empty"):
        out = tmp_path / f"{spec.split(':')[0]}.json"
        result = khabar("bench", "--extractor", spec, "--split", "test", "--bootstrap", "0", "--json", out)
        assert result.exit_code == 0, result.output
        scores[spec] = json.loads(out.read_text())["entities"]
    trained, empty = scores[f"spacy:{pipeline}"], scores["empty"]
    print("spaCy blank('ar') NER on the test split:",
          {s: round(trained[s]["micro"]["f1"], 3) for s in ("strict", "exact", "partial", "type")})
    assert trained["strict"]["micro"]["correct"] > 0
    assert trained["strict"]["micro"]["f1"] > empty["strict"]["micro"]["f1"]
    assert trained["partial"]["micro"]["f1"] > empty["partial"]["micro"]["f1"]


def test_offsets_are_spacys_own_and_labels_go_through_the_map(pipeline: Path) -> None:
    from annotation.gold.records import load_gold
    from eval.extractors import get_extractor

    articles = [d.article for d in load_gold(GOLD, "test")[:3]]
    extractor = get_extractor(f"spacy:{pipeline}", batch_size=2)
    nlp = spacy.load(pipeline)
    predictions = extractor.extract(articles)
    for article, prediction in zip(articles, predictions, strict=True):
        expected = {(e.start_char, e.end_char, e.label_) for e in nlp(article.text).ents}
        assert {(m.start, m.end, m.label) for m in prediction.entities} == expected
        assert all(article.text[m.start:m.end] == m.text for m in prediction.entities)
    labels = {m.label for p in predictions for m in p.entities}
    dropped = get_extractor(f"spacy:{pipeline}", label_map={label: None for label in labels}).extract(articles)
    assert all(not p.entities for p in dropped)
    assert extractor.version.endswith(f"spacy-{spacy.__version__}")


def test_a_missing_pipeline_is_a_clear_error(khabar, tmp_path: Path) -> None:
    result = khabar("bench", "--extractor", f"spacy:{tmp_path / 'nothing'}", "--split", "test")
    assert result.exit_code == 1
    assert "cannot load the pipeline" in result.output


def test_a_named_span_group_is_read_beside_the_entities(tmp_path: Path) -> None:
    from spacy.tokens import Doc, Span

    from eval.extractors import get_extractor

    spacy.blank("ar").to_disk(tmp_path / "blank")
    extractor = get_extractor(f"spacy:{tmp_path / 'blank'}", spans_key="sc", label_map="conll")
    nlp = spacy.load(tmp_path / "blank")
    doc = Doc(nlp.vocab, words=["الرئيس", "الروسي", "بوتين"], spaces=[True, True, False])
    doc.ents = [Span(doc, 2, 3, label="PER")]
    doc.spans["sc"] = [Span(doc, 0, 2, label="OCC"), Span(doc, 1, 2, label="MISC"), Span(doc, 2, 3, label="PER")]
    found = sorted((m.start, m.end, m.label, m.text) for m in extractor.mentions(doc))
    assert found == [(0, 13, "OCC", "الرئيس الروسي"), (14, 19, "PERS", "بوتين")]  # MISC dropped, PER -> PERS once
