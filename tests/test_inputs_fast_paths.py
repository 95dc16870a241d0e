"""The readers' fast paths against their rules, on seeded random files.

The rule for a gold line is the model's parser and :meth:`eval.inputs.gold.Gold.add_document`, read by
:func:`annotation.gold.records.iter_gold`; for a prediction line ``Prediction.from_dict`` and
:class:`eval.inputs.predictions.PredictionReader`'s checks. The columnar readers must give exactly what
those give -- the same columns, texts, claims, clusters, fingerprint, warnings' material -- or the same
error, whatever the file holds: regular lines, other JSON spellings, bad offsets, bad labels, repeated
lines. Each random corpus is read both ways and compared; across the seeds the fast path must have
taken a good share of the files (else the comparison would prove nothing).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from annotation.errors import KhabarError
from annotation.gold.records import gold_record
from annotation.model import Annotated, Article, Claim, Mention, Span
from annotation.scheme import load_scheme
from annotation.spans import span_problem
from eval.inputs.columnar import outside
from eval.inputs.gold import read_gold_columns
from eval.inputs.labelmap import load_label_map
from eval.inputs.columns import repeated
from eval.inputs.predictions import PredictionReader

WORDS = ("قال", "الرئيس", "إن", "روسيا", "ستزيد", "صادراتها", "إلى", "الصين", "العام", "المقبل", "🙂", "x")
LABELS = ("PERS", "ORG", "GPE", "LOC", "DATE")
SEEDS = range(40)


def _text(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 14)))


def _spans(rng: random.Random, text: str, n: int) -> list[tuple[int, int]]:
    out = []
    for _ in range(n):
        s = rng.randint(0, len(text) - 1)
        out.append((s, rng.randint(s + 1, len(text))))
    return out


def _document(rng: random.Random, i: int) -> Annotated:
    text = _text(rng)
    clusters = [rng.choice([None, "c1", "c2"]) for _ in range(rng.randint(0, 5))]
    mentions = tuple(Mention(label=rng.choice(LABELS), start=s, end=e, text=text[s:e], id=f"e{k}", entity=c)
                     for k, ((s, e), c) in enumerate(zip(_spans(rng, text, len(clusters)), clusters)))
    claims = []
    for s, e in _spans(rng, text, rng.choice([0, 0, 1, 2])):
        source = rng.choice([None, *[Span(m.start, m.end, m.text, m.entity) for m in mentions]])
        claims.append(Claim(start=s, end=e, text=text[s:e], source=source, attribution="indirect",
                            claim_type=rng.choice(["opinion", "numerical"]), check_worthy=rng.random() < 0.5))
    return Annotated(article=Article(id=f"d{i}", text=text, title=None), entities=mentions, claims=tuple(claims))


def _spoil_gold(rng: random.Random, record: dict) -> None:
    """One defect the scorer or the model refuses, or a harmless difference of spelling."""
    entities = record["entities"]
    kind = rng.choice(["outside", "inverted", "label", "no offsets", "id", "claim outside", "no lang", "meta"])
    if kind == "outside" and entities:
        entities[0]["end"] = len(record["text"]) + rng.randint(1, 3)
    elif kind == "inverted" and entities:
        entities[0]["end"] = entities[0]["start"]
    elif kind == "label" and entities:
        entities[0]["label"] = rng.choice(["A.B", ""])
    elif kind == "no offsets" and entities:
        entities[0]["start"] = None
    elif kind == "id":
        record["id"] = "d0"
    elif kind == "claim outside" and record["claims"]:
        record["claims"][0]["end"] = len(record["text"]) + 1
    elif kind == "no lang":
        record.pop("lang")
    else:
        record["meta"] = {"group": "g"}


def _line(rng: random.Random, obj: dict) -> str:
    style = rng.random()
    if style < 0.1:
        return json.dumps(obj)  # ASCII escapes
    if style < 0.2:
        return json.dumps(dict(reversed(list(obj.items()))), ensure_ascii=False, separators=(",", ":"))
    return json.dumps(obj, ensure_ascii=False)


def _write(rng: random.Random, path: Path, objects: list) -> Path:
    lines = [_line(rng, o) for o in objects]
    if lines and rng.random() < 0.05:
        lines.insert(rng.randint(0, len(lines)), "")  # a blank line: only the line-by-line reader takes it
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _gold_state(gold):
    return (gold.ids, list(gold.texts), gold.lengths().tolist(), gold.where, gold.claims, gold.clusters,
            gold.fingerprint, [(d, s, e, gold.label_names[c]) for d, s, e, c in
                               zip(*(a.tolist() for a in gold.mentions.arrays()))], gold.labels())


def _outcome(read):
    try:
        return read()
    except KhabarError as exc:
        return f"error: {exc}"


def _random_gold(rng: random.Random, folder: Path) -> tuple[list[Annotated], Path]:
    docs = [_document(rng, i) for i in range(rng.randint(1, 12))]
    records = [gold_record(d) for d in docs]
    if rng.random() < 0.3:
        _spoil_gold(rng, rng.choice(records))
    return docs, _write(rng, folder / "gold.jsonl", records)


@pytest.mark.parametrize("seeds", [SEEDS])
def test_columnar_gold_equals_the_rule(tmp_path, seeds):
    took = 0
    for seed in seeds:
        rng = random.Random(seed)
        _, path = _random_gold(rng, tmp_path)
        fast = _outcome(lambda: read_gold_columns(path, fast=True))
        rule = _outcome(lambda: read_gold_columns(path, fast=False))
        assert not isinstance(rule, str) or fast == rule, seed
        if not isinstance(rule, str):
            assert _gold_state(fast) == _gold_state(rule), seed
            assert not rule.columnar
            took += fast.columnar
    assert took >= len(seeds) // 2


def _random_predictions(rng: random.Random, docs: list[Annotated]) -> list:
    lines = []
    for doc in rng.sample(docs, rng.randint(0, len(docs))):
        entities = []
        for s, e in _spans(rng, doc.text, rng.randint(0, 5)):
            mention = {"label": rng.choice([*LABELS, "PER", "MISC"]), "start": s, "end": e}
            if rng.random() < 0.5:
                mention["text"] = doc.text[s:e] if rng.random() < 0.7 else "other"
            entities.append(mention)
        if entities and rng.random() < 0.3:
            entities.append(dict(entities[0]))  # a repeated mention
        lines.append({"id": doc.id, "entities": entities, **({"score": 1} if rng.random() < 0.2 else {})})
    defect = rng.random()
    if lines and defect < 0.08:
        lines.append(dict(lines[0]))  # an identical repeated line
    elif lines and defect < 0.12:
        lines.append({"id": lines[0]["id"], "entities": []})  # a different second line
    elif defect < 0.16:
        lines.append({"id": "not-in-gold", "entities": []})
    elif lines and lines[0]["entities"] and defect < 0.22:
        lines[0]["entities"][0]["end"] = 10_000  # outside the text
    elif lines and lines[0]["entities"] and defect < 0.26:
        lines[0]["entities"][0]["label"] = "FOO"  # unknown to the scheme and the mappings
    elif lines and defect < 0.3:
        lines[0]["entities"].append({"label": "GPE", "text": "روسيا"})  # to align
    return lines


def _prediction_state(preds):
    return ([c.tolist() for c in preds.mentions.arrays()], preds.where, preds.lines, preds.duplicate_lines,
            dict(preds.dropped), preds.text_mismatch, preds.duplicate_mentions, preds.duplicate_example,
            preds.claims, preds.alignment.to_dict())


def test_columnar_predictions_equal_the_rule(tmp_path):
    scheme = load_scheme()
    took = 0
    for seed in SEEDS:
        rng = random.Random(1000 + seed)
        docs = [_document(rng, i) for i in range(rng.randint(1, 10))]
        gold_path = _write(random.Random(0), tmp_path / "gold.jsonl", [gold_record(d) for d in docs])
        path = _write(rng, tmp_path / "pred.jsonl", _random_predictions(rng, docs))
        labels = list(scheme.labels)
        mapping = rng.choice([None, "conll"])

        def read(fast):
            reader = PredictionReader(read_gold_columns(gold_path), scheme, labels=labels,
                                      label_map=load_label_map(mapping, labels))
            reader.read_file(path, fast=fast)
            return reader.finish()

        fast, rule = _outcome(lambda: read(True)), _outcome(lambda: read(False))
        if isinstance(rule, str):
            assert fast == rule, seed
            continue
        assert _prediction_state(fast) == _prediction_state(rule), seed
        assert not rule.columnar
        took += fast.columnar
    assert took >= len(SEEDS) // 4


def test_repeated_mentions_equal_a_plain_rule():
    """The packed-key sort and the lexsort branch (huge offsets) against "seen before in this document"."""
    rng = np.random.default_rng(5)
    for huge in (False, True, False, True):
        n = int(rng.integers(1, 300))
        doc = np.sort(rng.integers(0, 20, n))
        start = rng.integers(-1, 6, n) * (2 ** 40 if huge else 1)
        end = np.where(start >= 0, start + rng.integers(1, 3, n), -1)
        label = rng.integers(0, 3, n)
        seen, want = set(), []
        for item in zip(doc.tolist(), start.tolist(), end.tolist(), label.tolist()):
            want.append(item[1] >= 0 and item in seen)
            seen.add(item)
        assert repeated(doc, start, end, label, 3).tolist() == want


def test_array_offset_check_is_span_problem():
    rng = np.random.default_rng(9)
    for _ in range(300):
        n = int(rng.integers(0, 5))
        starts, ends, lengths = (rng.integers(-2, 8, n) for _ in range(3))
        want = any(span_problem(s, e, length) for s, e, length in zip(starts.tolist(), ends.tolist(), lengths.tolist()))
        assert outside(starts, ends, lengths) == want
