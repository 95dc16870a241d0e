"""The gold folder is a Hugging Face dataset folder that `datasets` loads with the declared features."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from annotation.gold.dataset import split_by_group, write_gold_folder
from annotation.gold.records import SPLITS
from annotation.gold.records import fingerprint, gold_record, load_gold
from annotation.scheme import load_scheme
from annotation.gold.validation import validate_corpus
from tests.documents import good_doc

SHIPPED = Path(__file__).resolve().parent.parent / "data" / "gold"


def _docs() -> list:
    base = good_doc()
    docs = []
    for i in range(6):
        group = "g0" if i < 2 else f"g{i}"  # doc-0 and doc-1 are one story
        article = replace(base.article, id=f"doc-{i}", meta={"group": group})
        docs.append(replace(base, article=article))
    return docs


def test_split_keeps_story_groups_together_and_is_seeded() -> None:
    docs = _docs()
    splits = split_by_group(docs, seed=1)
    assert sorted(d.id for s in SPLITS for d in splits[s]) == sorted(d.id for d in docs)
    together = [s for s in SPLITS if {"doc-0", "doc-1"} & {d.id for d in splits[s]}]
    assert len(together) == 1
    assert split_by_group(docs, seed=1) == splits


FEATURES = """
import json, sys
from datasets import load_dataset
ds = load_dataset(sys.argv[1])
split = "test" if len(ds["test"]) else "dev"
features = ds[split].features
print(json.dumps({"splits": sorted(ds), "rows": {s: len(ds[s]) for s in ds},
                  "entity_start": features["entities"].feature["start"].dtype,
                  "check_worthy": features["claims"].feature["check_worthy"].dtype,
                  "source_entity": features["claims"].feature["source"]["entity"].dtype,
                  "release_version": features["annotation"]["release"]["version"].dtype,
                  "source_text": (ds[split][0]["claims"][0]["source"] or {}).get("text")}))
"""


def _load(folder: Path, hf_home: Path) -> dict:
    """What ``load_dataset(folder)`` returns, in a process whose default cache is under ``hf_home``."""
    import json
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(HF_HOME=str(hf_home), HF_HUB_OFFLINE="1")
    done = subprocess.run([sys.executable, "-c", FEATURES, str(folder)], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _without_release(record: dict) -> dict:
    return {**record, "annotation": {k: v for k, v in record["annotation"].items() if k != "release"}}


def test_written_folder_loads_with_declared_features(tmp_path: Path) -> None:
    docs = _docs()
    splits = split_by_group(docs, seed=3)
    write_gold_folder(tmp_path / "gold", splits, load_scheme(), provenance="test data")
    ds = _load(tmp_path / "gold", tmp_path / "hf")
    assert ds["splits"] == sorted(SPLITS)
    assert (ds["entity_start"], ds["check_worthy"], ds["source_entity"], ds["release_version"]) == \
        ("int32", "bool", "string", "string")
    assert ds["source_text"] == "ديمتري بيسكوف"
    reread = {d.id: d for d in load_gold(tmp_path / "gold")}
    for doc in docs:
        assert _without_release(gold_record(reread[doc.id])) == gold_record(doc)
        assert reread[doc.id].annotation["release"]["version"] == "1.0.0"
    assert fingerprint(reread.values()) == fingerprint(docs)


def test_shipped_gold_validates_and_loads(tmp_path: Path) -> None:
    if not SHIPPED.exists():
        pytest.fail("data/gold is missing: build it with `khabar gold build`")
    docs = load_gold(SHIPPED)
    assert len(docs) >= 25
    assert validate_corpus(docs, load_scheme()) == []
    ds = _load(SHIPPED, tmp_path / "hf")
    assert sum(ds["rows"].values()) == len(docs)
    seed = next(d for d in docs if d.id == "000_81ee36451164b183")
    assert seed.text.startswith("بوتين يقبل دعوة كيم كونج أون لزيارة كوريا الشمالية\n")
    card = (SHIPPED / "README.md").read_text(encoding="utf-8")
    # the shipped gold is of scheme 1.0.0, a version the scheme file still describes
    assert "scheme khabar 1.0.0" in card and "1.0.0" in load_scheme().versions and "written for this project" in card


def test_fingerprint_is_content_only_and_sees_every_field() -> None:
    """Order and chunking do not change the fingerprint; any one value of any field does."""
    import pyarrow as pa

    from annotation.gold.records import gold_fields, gold_table, table_fingerprint

    docs = load_gold(SHIPPED)
    records = [gold_record(d) for d in docs]
    base = fingerprint(docs)
    table = gold_table(records)
    assert table_fingerprint(table) == base == fingerprint(reversed(docs))
    one_row_chunks = pa.Table.from_batches(table.to_batches(max_chunksize=1))
    assert one_row_chunks["id"].num_chunks == len(docs) and table_fingerprint(one_row_chunks) == base
    assert yaml_fingerprint(SHIPPED) == base  # the card records the shipped gold's fingerprint

    seen = set()
    changes = {
        "text": lambda r: r.update(text=r["text"] + " "),
        "title": lambda r: r.update(title=None),
        "lang": lambda r: r.update(lang="en"),
        "entities.start": lambda r: r["entities"][0].update(start=r["entities"][0]["start"] + 1),
        "entities.label": lambda r: r["entities"][0].update(label="ORG" if r["entities"][0]["label"] != "ORG" else "GPE"),
        "entities.entity": lambda r: r["entities"][0].update(entity="other"),
        "entities (one fewer)": lambda r: r["entities"].pop(),
        "claims.check_worthy": lambda r: r["claims"][0].update(check_worthy=not r["claims"][0]["check_worthy"]),
        "claims.source": lambda r: r["claims"][0].update(source=None),
        "annotation.adjudicated": lambda r: r["annotation"].update(adjudicated=True),
        "a text moved between two fields": lambda r: r.update(title=(r["title"] or "") + "x", url=None),
    }
    for name, change in changes.items():
        changed = [dict(r) for r in records]
        target = next(i for i, r in enumerate(changed) if r["claims"] and r["entities"])
        import copy
        changed[target] = copy.deepcopy(changed[target])
        change(changed[target])
        value = table_fingerprint(gold_table(changed))
        assert value != base, name
        seen.add(value)
    assert len(seen) == len(changes)
    assert set(gold_fields()) <= set(records[0])


def yaml_fingerprint(folder: Path) -> str:
    import yaml

    card = (folder / "README.md").read_text(encoding="utf-8")
    return yaml.safe_load(card.split("---\n")[1])["khabar"]["fingerprint"]


def test_int_values_and_valid_mask_read_arrow_buffers() -> None:
    import pyarrow as pa

    from annotation.gold.records import int_values, valid_mask

    ints = pa.array([5, None, -3, 7, None, 2**40], type=pa.int64())
    assert int_values(ints).tolist() == [5, 0, -3, 7, 0, 2**40]
    assert valid_mask(ints).tolist() == [True, False, True, True, False, True]
    part = ints.slice(1, 4)  # an offset into the buffers
    assert int_values(part).tolist() == [0, -3, 7, 0] and valid_mask(part).tolist() == [False, True, True, False]
    assert int_values(pa.array([True, None, False], type=pa.bool_())).tolist() == [1, 0, 0]
    assert int_values(pa.array([1, 2], type=pa.int32()).slice(1)).tolist() == [2]
    assert valid_mask(pa.array(["a", "b"])).tolist() == [True, True]


@pytest.mark.parametrize("batch", [1, 2, 5, 10_000])
def test_fingerprint_is_the_same_whatever_the_batch(batch: int) -> None:
    docs = load_gold(SHIPPED)
    assert fingerprint(iter(docs), batch=batch) == fingerprint(docs) == yaml_fingerprint(SHIPPED)
    assert fingerprint([], batch=batch) == fingerprint([])


def test_the_one_reader_names_each_line_and_reads_a_file_or_a_folder(tmp_path: Path) -> None:
    from annotation.errors import KhabarError
    from annotation.gold.records import gold_files, iter_gold

    docs = _docs()
    write_gold_folder(tmp_path / "g", {"dev": docs[:2], "test": docs[2:]}, load_scheme(), provenance="t")
    places = [where for where, _ in iter_gold(gold_files(tmp_path / "g"))]
    assert places == [f"{tmp_path / 'g' / 'dev.jsonl'}:{n}: " for n in (1, 2)] + \
        [f"{tmp_path / 'g' / 'test.jsonl'}:{n}: " for n in (1, 2, 3, 4)]
    assert [d.id for d in load_gold(tmp_path / "g", "test")] == [d.id for d in docs[2:]]
    assert [d.id for d in load_gold(tmp_path / "g" / "dev.jsonl")] == [d.id for d in docs[:2]]
    (tmp_path / "g" / "dev.jsonl").write_text('{"id": "x"}\n', encoding="utf-8")
    with pytest.raises(KhabarError, match="dev.jsonl:1: missing field 'text'"):
        load_gold(tmp_path / "g")
    (tmp_path / "g" / "test.jsonl").unlink()
    with pytest.raises(KhabarError, match="no split file test.jsonl"):
        gold_files(tmp_path / "g")
    assert gold_files(tmp_path / "g", "dev") == [tmp_path / "g" / "dev.jsonl"]
