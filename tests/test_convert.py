"""``khabar convert``: tag schemes, CoNLL (flat and nested), spaCy, brat and gold round trips, on the shipped
gold and on files the tests write; converted gold read by the other commands."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotation.formats.tags import decode, encode, split_tag
from annotation.formats.tokens import nesting_layers, type_layers
from annotation.gold.records import load_gold
from annotation.gold.records import load_gold as read_gold
from annotation.model import Annotated

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "data" / "gold"
SCHEMES = ("iob1", "iob2", "ioe1", "ioe2", "iobes", "bilou")


def _sparse(tags: list[str], scheme: str) -> list[tuple[int, str, str]]:
    out = []
    for i, tag in enumerate(tags):
        if tag != "O":
            parts = split_tag(tag, scheme)
            assert parts is not None, tag
            out.append((i, *parts))
    return out


@st.composite
def chunkings(draw: st.DrawFn) -> tuple[int, list[tuple[int, int, str]]]:
    length = draw(st.integers(1, 30))
    chunks, i = [], 0
    while i < length:
        if draw(st.booleans()):
            end = min(length, i + draw(st.integers(1, 4)))
            chunks.append((i, end, draw(st.sampled_from(["PERS", "ORG", "GPE"]))))
            i = end
        else:
            i += 1
    return length, chunks


@settings(max_examples=200, deadline=None)
@given(chunkings(), st.sampled_from(SCHEMES))
def test_every_scheme_decodes_what_it_encodes_without_issues(case: tuple[int, list], scheme: str) -> None:
    length, chunks = case
    tags = encode(chunks, length, scheme)
    found, issues = decode(_sparse(tags, scheme), scheme)
    assert found == chunks
    assert issues == []


@settings(max_examples=200, deadline=None)
@given(chunkings(), st.sampled_from(["iob2", "iobes"]))
def test_decoding_agrees_with_seqeval_on_valid_sequences(case: tuple[int, list], scheme: str) -> None:
    from seqeval.metrics.sequence_labeling import get_entities

    length, chunks = case
    tags = encode(chunks, length, scheme)
    found, _ = decode(_sparse(tags, scheme), scheme)
    assert sorted((typ, first, end - 1) for first, end, typ in found) == sorted(get_entities(tags))


@pytest.mark.parametrize("scheme, tags, chunks, issues", [
    ("iob2", ["O", "I-PERS", "I-PERS"], [(1, 3, "PERS")], 1),  # I- after O
    ("iob2", ["B-PERS", "I-ORG"], [(0, 1, "PERS"), (1, 2, "ORG")], 1),  # a type change inside a chunk
    ("iob1", ["I-PERS", "I-PERS", "B-PERS", "I-ORG"], [(0, 2, "PERS"), (2, 3, "PERS"), (3, 4, "ORG")], 0),
    ("iob1", ["O", "B-PERS"], [(1, 2, "PERS")], 1),  # IOB1 begins chunks with I-
    ("ioe2", ["I-GPE", "E-GPE", "I-GPE", "O"], [(0, 2, "GPE"), (2, 3, "GPE")], 1),  # a chunk never closed
    ("ioe1", ["I-GPE", "E-GPE", "I-GPE", "I-ORG"], [(0, 2, "GPE"), (2, 3, "GPE"), (3, 4, "ORG")], 0),
    ("iobes", ["B-ORG", "I-ORG", "O", "S-GPE"], [(0, 2, "ORG"), (3, 4, "GPE")], 1),
    ("iobes", ["I-ORG", "E-ORG"], [(0, 2, "ORG")], 1),
    ("bilou", ["B-ORG", "L-ORG", "U-PERS"], [(0, 2, "ORG"), (2, 3, "PERS")], 0),
])
def test_invalid_sequences_are_issues_and_read_as_conlleval_does(scheme: str, tags: list[str], chunks: list,
                                                                   issues: int) -> None:
    found, problems = decode(_sparse(tags, scheme), scheme)
    assert found == chunks
    assert len(problems) == issues


def _entities(doc: Annotated) -> list[tuple[int, int, str, str]]:
    return sorted((m.start or 0, m.end or 0, m.label, m.text or "") for m in doc.entities)


def _outermost(doc: Annotated) -> Annotated:
    layers = nesting_layers(list(doc.entities))
    return replace(doc, entities=tuple(layers[0]) if layers else ())


def test_shipped_gold_to_conll_iob2_and_back_is_identical_for_its_outermost_layer(khabar, tmp_path: Path) -> None:
    for tags in ("iob2", "iobes", "iob1", "ioe2"):
        out = tmp_path / tags
        assert khabar("convert", GOLD, "--from", "gold", "--to", "conll", "--tags", tags, "--text-comments",
                      "--out", out).exit_code == 0
        back = tmp_path / f"{tags}.jsonl"
        result = khabar("convert", out / "dev.conll", out / "test.conll", "--from", "conll", "--to", "gold",
                        "--tags", tags,
                        "--out", back)
        assert result.exit_code == 0, result.output
        original = {d.id: d for d in load_gold(GOLD)}
        converted = {d.id: d for d in read_gold(back)}
        assert converted.keys() == original.keys()
        for ident, doc in converted.items():
            assert doc.text == original[ident].text
            assert _entities(doc) == _entities(_outermost(original[ident]))


def test_written_flat_conll_round_trips_byte_for_byte(khabar, tmp_path: Path) -> None:
    rng = random.Random(7)
    words = ["قال", "بوتين", "إن", "روسيا", "وكوريا", "الشمالية", "ستوقعان", "اتفاقا", "في", "موسكو", "."]
    for scheme in ("iob1", "iob2", "ioe1", "ioe2", "iobes", "bilou"):
        parts = []
        for _doc in range(3):
            parts.append("-DOCSTART- O\n")
            for _sentence in range(rng.randint(1, 4)):
                length = rng.randint(1, 12)
                chunks, i = [], 0
                while i < length:
                    if rng.random() < 0.4:
                        end = min(length, i + rng.randint(1, 3))
                        chunks.append((i, end, rng.choice(["PERS", "GPE", "ORG"])))
                        i = end
                    else:
                        i += 1
                tags = encode(chunks, length, scheme)
                parts.append("\n" + "".join(f"{rng.choice(words)} {t}\n" for t in tags))
            parts.append("\n")
        source = tmp_path / f"{scheme}.conll"
        source.write_text("".join(parts), encoding="utf-8")
        gold = tmp_path / f"{scheme}.jsonl"
        assert khabar("convert", source, "--from", "conll", "--to", "gold", "--tags", scheme,
                      "--out", gold).exit_code == 0
        again = tmp_path / f"{scheme}-again.conll"
        assert khabar("convert", gold, "--from", "gold", "--to", "conll", "--tags", scheme, "--out",
                      again).exit_code == 0
        assert again.read_text(encoding="utf-8") == source.read_text(encoding="utf-8"), scheme
        for doc in read_gold(gold):
            assert all(doc.text[m.start:m.end] == m.text for m in doc.entities)


NESTED = """-DOCSTART- O

قالت O
وزارة B-ORG
الخارجية I-ORG
في I-ORG
فلسطين I-ORG B-GPE
إن O
الرئيس B-OCC
الفلسطيني I-OCC B-NORP
سيزور O
القاهرة B-GPE
. O

-DOCSTART- O

وصل O
وزير B-OCC
خارجية I-OCC
دولة I-OCC B-GPE
قطر I-OCC I-GPE
"""


def test_nested_multi_tag_round_trips_byte_for_byte(khabar, tmp_path: Path) -> None:
    source = tmp_path / "wojood.txt"
    source.write_text(NESTED + "\n", encoding="utf-8")
    gold = tmp_path / "wojood.jsonl"
    result = khabar("convert", source, "--from", "conll-nested", "--to", "gold", "--out", gold)
    assert result.exit_code == 0, result.output
    docs = read_gold(gold)
    assert [(m.text, m.label) for m in docs[0].entities if m.label == "GPE"] == [("فلسطين", "GPE"), ("القاهرة", "GPE")]
    second = docs[1]
    assert [(m.text, m.label) for m in second.entities] == [("وزير خارجية دولة قطر", "OCC"), ("دولة قطر", "GPE")]
    assert all(d.text[m.start:m.end] == m.text for d in docs for m in d.entities)
    back = tmp_path / "back.txt"
    result = khabar("convert", gold, "--from", "gold", "--to", "conll-nested", "--out", back)
    assert result.exit_code == 0, result.output
    assert back.read_text(encoding="utf-8") == source.read_text(encoding="utf-8")


def test_shipped_gold_nested_multi_tag_round_trip(khabar, tmp_path: Path) -> None:
    first, gold, second = tmp_path / "first", tmp_path / "gold.jsonl", tmp_path / "second"
    assert khabar("convert", GOLD, "--from", "gold", "--to", "conll-nested", "--text-comments",
                  "--out", first).exit_code == 0
    assert khabar("convert", first / "dev.conll", first / "test.conll", "--from", "conll-nested", "--to", "gold",
                  "--out", gold).exit_code == 0
    assert khabar("convert", gold, "--from", "gold", "--to", "conll-nested", "--text-comments",
                  "--out", second / "all.conll").exit_code == 0
    joined = (first / "dev.conll").read_text(encoding="utf-8") + (first / "test.conll").read_text(encoding="utf-8")
    assert (second / "all.conll").read_text(encoding="utf-8") == joined
    original = {d.id: d for d in load_gold(GOLD)}
    refused = 0
    for doc in read_gold(gold):  # all but the mentions nested in one of their own type (one layer per type)
        kept, lost = type_layers(list(original[doc.id].entities))
        assert _entities(doc) == _entities(replace(doc, entities=tuple(kept)))
        refused += len(lost)
    assert 0 < refused < 10


def test_shipped_gold_to_spacy_and_back_is_identical(khabar, tmp_path: Path) -> None:
    pytest.importorskip("spacy")
    out = tmp_path / "spacy"
    assert khabar("convert", GOLD, "--from", "gold", "--to", "spacy", "--out", out).exit_code == 0
    back = tmp_path / "back.jsonl"
    assert khabar("convert", out / "dev.spacy", out / "test.spacy", "--from", "spacy", "--to", "gold",
                  "--out", back).exit_code == 0
    original = {d.id: d for d in load_gold(GOLD)}
    for doc in read_gold(back):  # everything a DocBin holds: text, article fields, mention ids, clusters
        assert doc == replace(original[doc.id], claims=(), article=replace(original[doc.id].article, meta={}))


def test_written_gold_to_spacy_to_gold_identical_with_odd_whitespace(khabar, tmp_path: Path) -> None:
    pytest.importorskip("spacy")
    text = "  بوتين  في\tموسكو\n\nوروسيا \n"
    record = {"id": "w1", "text": text, "title": None, "source": None, "url": None, "published": None, "lang": "ar",
              "entities": [{"id": "e1", "start": 2, "end": 7, "text": "بوتين", "label": "PERS", "entity": "putin"},
                           {"id": "e2", "start": 12, "end": 17, "text": "موسكو", "label": "GPE", "entity": None},
                           {"id": "e3", "start": 20, "end": 25, "text": "روسيا", "label": "GPE", "entity": None}],
              "claims": [], "annotation": {"annotators": ["a"], "adjudicated": False}}
    assert text[20:25] == "روسيا"
    source = tmp_path / "g.jsonl"
    source.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    assert khabar("convert", source, "--from", "gold", "--to", "spacy", "--out", tmp_path / "g.spacy").exit_code == 0
    assert khabar("convert", tmp_path / "g.spacy", "--from", "spacy", "--to", "gold",
                  "--out", tmp_path / "h.jsonl").exit_code == 0
    assert (tmp_path / "h.jsonl").read_text(encoding="utf-8") == source.read_text(encoding="utf-8")


def test_brat_round_trip_keeps_nested_mentions(khabar, tmp_path: Path) -> None:
    out = tmp_path / "brat"
    assert khabar("convert", GOLD, "--from", "gold", "--to", "brat", "--out", out).exit_code == 0
    back = tmp_path / "back.jsonl"
    assert khabar("convert", out, "--from", "brat", "--to", "gold", "--out", back).exit_code == 0
    original = {d.id: d for d in load_gold(GOLD)}
    assert {d.id: _entities(d) for d in read_gold(back)} == {k: _entities(d) for k, d in original.items()}


def test_gold_lines_both_ways_are_identical(khabar, tmp_path: Path) -> None:
    out = tmp_path / "test.jsonl"
    assert khabar("convert", GOLD / "test.jsonl", "--from", "gold", "--to", "gold", "--out", out).exit_code == 0
    assert out.read_bytes() == (GOLD / "test.jsonl").read_bytes()


def test_layers_of_nested_gold_one_file_each(khabar, tmp_path: Path) -> None:
    result = khabar("convert", GOLD / "test.jsonl", "--from", "gold", "--to", "conll", "--layer", "all",
                    "--out", tmp_path / "test.conll")
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in tmp_path.glob("test.layer*.conll"))
    assert files[:2] == ["test.layer0.conll", "test.layer1.conll"]
    counts = []
    for name in files:
        gold = tmp_path / f"{name}.jsonl"
        assert khabar("convert", tmp_path / name, "--from", "conll", "--to", "gold", "--out", gold).exit_code == 0
        counts.append(sum(len(d.entities) for d in read_gold(gold)))
    assert sum(counts) == sum(len(d.entities) for d in load_gold(GOLD, "test"))


def test_gold_to_hugging_face_folder_loads_with_classlabel_names_and_reads_back(khabar, tmp_path: Path) -> None:
    from datasets import load_dataset

    out = tmp_path / "hf"
    result = khabar("convert", GOLD, "--from", "gold", "--to", "hf", "--out", out)
    assert result.exit_code == 0, result.output
    loaded = load_dataset(str(out), cache_dir=str(tmp_path / "cache"))
    assert set(loaded) == {"validation", "test"}
    names = loaded["test"].features["ner_tags"].feature.names
    assert names[:3] == ["O", "B-PERS", "I-PERS"]
    back = tmp_path / "back.jsonl"
    assert khabar("convert", out, "--from", "hf", "--to", "gold", "--out", back).exit_code == 0
    rows = {d.id: d for d in read_gold(back)}
    original = {d.id: _outermost(d) for d in load_gold(GOLD)}
    for ident, doc in original.items():  # one row per line of the article: the same mention texts and labels
        lines = [rows[f"{ident}-{i + 1}"] for i in range(sum(1 for row in rows if row.rsplit("-", 1)[0] == ident))]
        assert [(m.text, m.label) for row in lines for m in row.entities] == \
            [(m.text, m.label) for m in sorted(doc.entities, key=lambda m: (m.start, -m.end))]
