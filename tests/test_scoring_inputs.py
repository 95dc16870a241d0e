"""Reading gold and predictions for scoring: the columnar reader and the line-by-line reader give the same
gold, predictions, fingerprint and errors, whatever the file looks like."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotation.errors import KhabarError
from annotation.gold.records import fingerprint, load_gold
from annotation.io import read_predictions
from eval.inputs.gold import read_gold_columns
from eval.scoring.scorer import ScoreConfig, score, score_files
from tests.scoring_corpus import claim, gold_doc, span, text_of, write_gold, write_lines

TEXT = "قال الرئيس إن روسيا ستزيد صادراتها إلى الصين العام المقبل"


def docs(n: int = 5):
    out = []
    for i in range(n):
        text = text_of(40 + i, seed=i)
        c = [claim(TEXT, "روسيا ستزيد صادراتها", source=span(TEXT, "الرئيس", entity="p"))] if i == 2 else []
        mentions = [(0, 3, "PERS"), (5, 9, "ORG"), (12, 20, "GPE")][: i % 4]
        out.append(gold_doc(f"d{i}", TEXT if c else text, mentions, c,
                            clusters=["p"] + [None] * (len(mentions) - 1) if mentions else None))
    return out


def variants(records):
    """The same gold written in ways the model reads alike but that are not khabar's own lines."""
    compact = [json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in records]
    ascii_ = [json.dumps(r) for r in records]
    reordered = [dict(reversed(list(r.items()))) for r in records]
    sparse = []
    for r in records:
        r = {k: v for k, v in r.items() if v is not None and k not in ("annotation", "lang")}
        r["entities"] = [{k: v for k, v in e.items() if v is not None} for e in r["entities"]]
        sparse.append(r)
    with_meta = [{**r, "meta": {"group": "g"}} for r in records]
    shuffled = list(reversed(records))
    return {"compact": compact, "ascii": ascii_, "reordered": reordered, "sparse": sparse, "meta": with_meta,
            "out of order": shuffled, "mixed": [records[0], compact[1], *records[2:3], sparse[3], *records[4:]]}


@pytest.fixture(params=["columnar", "line by line"])
def fast(request):
    """Run a test with both readers: 'line by line' turns the columnar path off for every file."""
    return request.param == "columnar"


def test_fingerprint_and_mentions_equal_the_models(tmp_path, fast):
    from annotation.gold.records import gold_record

    records = [gold_record(d) for d in docs()]
    canonical = write_lines(tmp_path / "gold.jsonl", records)
    expected = fingerprint(load_gold(canonical))
    assert read_gold_columns(canonical, fast=fast).fingerprint == expected
    assert read_gold_columns(canonical, fast=fast).columnar == fast
    base = score_files(canonical, write_lines(tmp_path / "p.jsonl", []), config=ScoreConfig(bootstrap=0),
                       fast=fast).summary
    for name, lines in variants(records).items():
        path = write_lines(tmp_path / f"{name}.jsonl", lines)
        assert read_gold_columns(path, fast=fast).fingerprint == fingerprint(load_gold(path)) == expected, name
        other = score_files(path, write_lines(tmp_path / "p.jsonl", []), config=ScoreConfig(bootstrap=0),
                            fast=fast).summary
        assert other["entities"] == base["entities"] and other["claims"] == base["claims"], name


def test_gold_folder_with_interleaved_splits(tmp_path, fast):
    from annotation.gold.dataset import write_gold_folder
    from annotation.scheme import load_scheme

    d = docs()
    write_gold_folder(tmp_path / "g", {"dev": [d[4], d[1]], "test": [d[0], d[2], d[3]]}, load_scheme(), provenance="t")
    assert read_gold_columns(tmp_path / "g", fast=fast).fingerprint == fingerprint(load_gold(tmp_path / "g"))


@pytest.mark.parametrize("mutate, message", [
    (lambda r: r["entities"][0].update(start=30, end=99), "gold.jsonl:2: entities[0]: offsets [30, 99) are outside"),
    (lambda r: r["entities"][0].update(start=None), "gold.jsonl:2: entities[0]: a gold mention needs offsets"),
    (lambda r: r["entities"][0].update(label="A.B"), "gold.jsonl:2: entities[0]: label 'A.B' cannot be scored"),
    (lambda r: r["entities"][0].update(start=True), "gold.jsonl:2: entities[0]: field 'start' must be an integer"),
    (lambda r: r.update(id="d0"), "gold.jsonl:2: duplicate gold article id 'd0' (also at "),
    (lambda r: r.pop("text"), "gold.jsonl:2: missing field 'text'"),
])
def test_bad_gold_names_the_line(tmp_path, mutate, message, fast):
    from annotation.gold.records import gold_record

    records = [gold_record(d) for d in docs(3)]
    mutate(records[1])
    path = write_lines(tmp_path / "gold.jsonl", records)
    with pytest.raises(KhabarError) as info:
        read_gold_columns(path, fast=fast)
    assert message in str(info.value)


def test_library_and_files_give_the_same_numbers(tmp_path, fast):
    gold = docs()
    lines = [{"id": "d1", "entities": [{"start": 0, "end": 3, "label": "PERS"}]},
             {"id": "d2", "entities": [{"start": 0, "end": 3, "label": "ORG"}, {"label": "GPE", "text": "الصين"}],
              "claims": [{"text": "روسيا ستزيد صادراتها إلى الصين", "source": {"text": "الرئيس"},
                          "attribution": "indirect", "claim_type": "factual_event", "check_worthy": True}]},
             {"id": "d3", "entities": [{"start": 5, "end": 9, "label": "ORG"}, {"start": 12, "end": 19, "label": "GPE"}]}]
    gold_path = write_gold(tmp_path / "gold.jsonl", gold)
    pred_path = write_lines(tmp_path / "pred.jsonl", lines)
    from_files = score_files(gold_path, pred_path, config=ScoreConfig(bootstrap=0), fast=fast)
    from_objects = score(load_gold(gold_path), read_predictions(pred_path), config=ScoreConfig(bootstrap=0))
    for key in ("signature", "entities", "claims", "documents", "gold_fingerprint"):
        assert from_files.summary[key] == from_objects.summary[key], key
    assert from_files.summary["alignment"]["aligned"] == 3
    assert dict(from_files.per_document) == dict(from_objects.per_document)


def test_errors_for_the_report(tmp_path, fast):
    gold_path = write_gold(tmp_path / "gold.jsonl", docs())
    pred_path = write_lines(tmp_path / "pred.jsonl", [
        {"id": "d1", "entities": [{"start": 0, "end": 3, "label": "ORG"}]},
        {"id": "d2", "claims": [{"text": "روسيا ستزيد صادراتها", "attribution": "indirect",
                                 "claim_type": "opinion", "check_worthy": True}]},
        {"id": "d3", "entities": [{"start": 0, "end": 2, "label": "PERS"}, {"start": 30, "end": 33, "label": "DATE"}]}])
    run = score_files(gold_path, pred_path, config=ScoreConfig(bootstrap=0), fast=fast)
    errors = run.errors
    assert [e["kind"] for e in errors["d1"]] == ["label"]
    assert errors["d1"][0]["gold"]["label"] == "PERS" and errors["d1"][0]["pred"]["label"] == "ORG"
    d2 = {(e["what"], e["kind"]) for e in errors["d2"]}
    assert ("claim", "mismatch") in d2 and ("entity", "missed") in d2
    mismatch = next(e for e in errors["d2"] if e["kind"] == "mismatch")
    assert mismatch["wrong"] == ["source", "claim_type"]
    assert sorted(e["kind"] for e in errors["d3"]) == ["boundary", "missed", "missed", "spurious"]
    assert "d0" not in errors  # nothing to find, nothing predicted


def _gold_state(gold):
    doc, start, end, label = gold.mentions.arrays()
    return (gold.ids, list(gold.texts), gold.lengths().tolist(), gold.where, gold.claims, gold.clusters,
            gold.fingerprint,
            [(d, s, e, gold.label_names[c]) for d, s, e, c in zip(doc.tolist(), start.tolist(), end.tolist(),
                                                                  label.tolist())])


def _prediction_state(preds):
    columns = [c.tolist() for c in preds.mentions.arrays()]
    return (columns, preds.where, preds.lines, dict(preds.dropped), preds.text_mismatch, preds.duplicate_mentions,
            preds.duplicate_example, preds.labels)


def test_the_two_readers_read_alike(tmp_path):
    """The shipped gold (claims, clusters, two splits) and a predictions file with texts that match and
    that do not, a label the mapping drops and a repeated mention: the columnar reader takes both files
    and gives exactly what the line-by-line reader gives."""
    from annotation.scheme import load_scheme
    from eval.inputs.labelmap import load_label_map
    from eval.inputs.predictions import PredictionReader

    root = Path(__file__).resolve().parent.parent
    gold_dir = root / "data" / "gold"
    first = read_gold_columns(gold_dir)
    doc_a, doc_b = first.ids[0], first.ids[3]
    text_a = first.texts[0]
    lines = [{"id": doc_b, "entities": [{"start": 0, "end": 4, "label": "PER", "text": first.texts[3][0:4]}]},
             {"id": doc_a, "extra": 1, "entities": [
                 {"start": 0, "end": 5, "label": "ORG", "text": "not this"},
                 {"start": 6, "end": 9, "label": "MISC"},
                 {"start": 0, "end": 5, "label": "ORG", "score": 0.5},
                 {"start": 2, "end": 7, "label": "LOC", "text": text_a[2:7]}], "claims": []}]
    pred_path = write_lines(tmp_path / "pred.jsonl", lines)

    def read_both(fast):
        gold = read_gold_columns(gold_dir, fast=fast)
        labels = list(load_scheme().labels)
        r = PredictionReader(gold, load_scheme(), labels=labels, label_map=load_label_map("conll", labels))
        r.read_file(pred_path, fast=fast)
        return gold, r.finish()

    columnar = read_both(True)
    assert columnar[0].columnar and columnar[1].columnar  # both splits and the predictions went the columnar way
    line_by_line = read_both(False)
    assert not line_by_line[0].columnar and not line_by_line[1].columnar
    assert _gold_state(columnar[0]) == _gold_state(line_by_line[0])
    assert any(columnar[0].claims) and any(columnar[0].clusters)
    assert _prediction_state(columnar[1]) == _prediction_state(line_by_line[1])
    preds = columnar[1]
    assert preds.dropped == {"MISC": 1} and preds.duplicate_mentions == 1 and preds.lines == 2
    assert preds.text_mismatch == [f"{pred_path}:2: entities[0]"]


@pytest.mark.parametrize("content", [
    b'{"id": "d0"}\n\n{"id": "d1"}\n',  # a blank line: pyarrow would renumber the rows
    b'{"id": "d0"} {"id": "d1"}\n',  # two objects on one line
    b'\xef\xbb\xbf{"id": "d0"}\n',  # a byte order mark
    b'',
    b'{"id": "d0", "entities": [{"start": 0, "end": 3, "label": "PERS", "text": 5}]}\n',
    b'{"id": "d0", "entities": [{"start": 0, "label": "PERS", "text": "abc"}]}\n',  # to align
    b'{"id": "d0", "entities": [{"start": 0, "end": 3.0, "label": "PERS"}]}\n',
    b'{"id": "d0", "entities": [{"start": 0, "end": 3, "label": "FOO"}]}\n',
    b'{"id": "d0", "entities": [{"start": 0, "end": 999, "label": "PERS"}]}\n',
    b'{"id": "d0", "entities": [{"start": 3, "end": 3, "label": "PERS"}]}\n',
    b'{"id": "d0", "entities": [null]}\n',
    b'{"id": "d0", "claims": [{"text": "x"}]}\n',
    b'{"id": "zz"}\n',
    b'{"id": "d0"}\n{"id": "d0"}\n',
    b'{"id": 0}\n',
])
def test_the_columnar_reader_steps_aside(tmp_path, content):
    """What the line-by-line reader must see (to name an error, warn, align or parse) is never taken."""
    from annotation.scheme import load_scheme
    from eval.inputs.predictions import PredictionReader

    gold = read_gold_columns(write_gold(tmp_path / "gold.jsonl", docs(2)))
    reader = PredictionReader(gold, load_scheme(), labels=list(load_scheme().labels))
    path = tmp_path / "p.jsonl"
    path.write_bytes(b'{"id": "d1", "entities": [{"start": 0, "end": 3, "label": "PERS", "text": "x"}]}\n')
    assert reader.read_columnar(path)  # a regular file is taken
    assert reader.out.lines == 1 and len(reader.out.mentions) == 1 and reader.out.text_mismatch
    reader = PredictionReader(gold, load_scheme(), labels=list(load_scheme().labels))
    path.write_bytes(content)
    assert not reader.read_columnar(path)
    assert not reader.out.where and not len(reader.out.mentions) and not reader.out.lines


@pytest.mark.parametrize("block", [1, 2, 3, 5, 1 << 24])
def test_object_lines_across_blocks(block):
    from eval.inputs.columnar import NotColumnar, object_lines

    assert object_lines(b'{"a": 1}\n{"b":\n', block=block) == 2
    assert object_lines(b'{}\r\n{}\r\n{}', block=block) == 3
    for bad in (b'{}\n\n{}\n', b'{}\n {}\n', b'{}\n{}\n\n', b' {}\n', b'', b'{}\n}\n'):
        with pytest.raises(NotColumnar):
            object_lines(bad, block=block)
