"""The speed layer against the rules, on random inputs: vectorised entity counting (eval/engine/entities.py)
against :func:`eval.scoring.entities.document_counts` per document, summed by eval/engine/countrows.py; the
per-document JSON text written from the count matrix (eval/engine/perdocument.py) against ``json.dumps``."""

from __future__ import annotations

import json
import random
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eval.engine.countrows import Block, CountRows, sum_blocks
from eval.engine.entities import Columns, entity_blocks, entity_increments, entity_keys
from eval.engine.perdocument import PerDocument
from eval.scoring.entities import Ent, document_counts

E = Ent
LABELS = ["A", "B", "C"]


def _columns(docs, side, labels):
    rows = [(i, e) for i, pair in enumerate(docs) for e in pair[side]]
    return Columns(np.array([i for i, _ in rows], dtype=np.int64),
                   np.array([-1 if e.start is None else e.start for _, e in rows], dtype=np.int64),
                   np.array([-1 if e.end is None else e.end for _, e in rows], dtype=np.int64),
                   np.array([labels.index(e.label) for _, e in rows], dtype=np.int64))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_vectorised_path_equals_the_matcher_on_nested_corpora(seed):
    rng = random.Random(seed)
    labels = ["A", "B", "C"]

    def spans(n):
        out = []
        for _ in range(n):
            s = rng.randint(0, 60)
            out.append(E(s, s + rng.randint(1, 12), rng.choice(labels)))
        return out

    docs = []
    for _ in range(200):
        pred = spans(rng.randint(0, 9))
        if rng.random() < 0.2:
            pred.append(E(None, None, rng.choice(labels)))
        docs.append((spans(rng.randint(0, 9)), pred))
    rows, cols = entity_increments(_columns(docs, 0, labels), _columns(docs, 1, labels), labels)
    for block_rows, _ in entity_blocks(_columns(docs, 0, labels), _columns(docs, 1, labels), labels):
        assert (block_rows[1:] >= block_rows[:-1]).all(), "each block's documents are in order"
    keys = entity_keys(labels)
    got = [Counter() for _ in docs]
    for r, c in zip(rows.tolist(), cols.tolist()):
        got[r][keys[c]] += 1
    for i, (gold, pred) in enumerate(docs):
        assert got[i] == document_counts(gold, pred), i


def _engine_counts(docs, labels):
    """Per document, the counts of the fast path, through the blocks and their sum as the scorer does."""
    gold, pred = _columns(docs, 0, labels), _columns(docs, 1, labels)
    keys = entity_keys(labels)
    blocks = [Block(r, c) for r, c in entity_blocks(gold, pred, labels)]
    matrix = sum_blocks(blocks, len(docs), len(keys))
    return PerDocument([f"d{i}" for i in range(len(docs))], keys, matrix)


span = st.builds(lambda s, n, label: E(s, s + n, label), st.integers(0, 40), st.integers(1, 12), st.sampled_from(LABELS))
unaligned = st.builds(lambda label: E(None, None, label), st.sampled_from(LABELS))
document = st.tuples(st.lists(span, max_size=6), st.lists(st.one_of(span, span, span, unaligned), max_size=6))


@settings(max_examples=150, deadline=None)
@given(st.lists(document, min_size=1, max_size=12))
def test_fast_path_equals_the_rule_per_document(docs):
    """Nested, crossing, repeated and touching spans, unaligned predictions, empty documents."""
    per_document = _engine_counts(docs, LABELS)
    for i, (gold, pred) in enumerate(docs):
        assert per_document[f"d{i}"] == document_counts(gold, pred), (gold, pred)
    total = Counter()
    for gold, pred in docs:
        total.update(document_counts(gold, pred))
    assert per_document.totals() == +total


def test_fast_path_with_labels_no_mention_has():
    docs = [([E(0, 5, "B")], [E(0, 5, "B"), E(3, 9, "C")])]
    assert _engine_counts(docs, ["A", "B", "C", "D"])["d0"] == document_counts(*docs[0])


def _matrix(rng: np.random.Generator, n_rows: int, n_cols: int, high: int) -> CountRows:
    dense = rng.integers(0, high, (n_rows, n_cols)) * (rng.random((n_rows, n_cols)) < 0.3)
    rows, cols = np.nonzero(dense)
    return sum_blocks([Block(rows, cols, dense[rows, cols])], n_rows, n_cols)


@pytest.mark.parametrize("seed, high", [(0, 3), (1, 2), (2, 50), (3, 100_000)])
def test_json_text_equals_json_dumps_of_the_counts(seed, high):
    """The per_document members written from the matrix parse to :meth:`PerDocument.to_json`, and are the
    text ``json.dumps`` gives for each document (ids that need escaping, documents without counts,
    large counts that take the other table)."""
    rng = np.random.default_rng(seed)
    n_rows, n_cols = int(rng.integers(0, 40)), int(rng.integers(1, 30))
    ids = [random.Random(seed * 100 + i).choice(["d", 'q"', "b\\s", "وثيقة", "t\tab"]) + str(i) for i in range(n_rows)]
    keys = [f"k.{j}" if j % 7 else f'key "{j}"' for j in range(n_cols)]
    per_document = PerDocument(ids, keys, _matrix(rng, n_rows, n_cols, high))
    expected = per_document.to_json()
    want = "".join(f"{',' if k else ''}\n    {json.dumps(doc_id, ensure_ascii=False)}: {json.dumps(counts, ensure_ascii=False)}"
                   for k, (doc_id, counts) in enumerate(expected.items()))
    for rows in (1, 3, 10_000):
        text = "".join(per_document.json_blocks(rows))
        assert text == want
        if n_rows:
            assert json.loads("{" + text + "\n}") == expected
    assert dict(per_document.json_rows()) == {k: json.dumps(v, ensure_ascii=False) for k, v in expected.items()}
