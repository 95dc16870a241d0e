"""Gold releases: versions, dates, the card, and loading that is always current with `datasets`' default cache.

Every `load_dataset` here runs in a subprocess whose HF_HOME is a temporary folder: the default cache of a
user's home, shared by every load of the test, never a per-load ``cache_dir``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from annotation.errors import KhabarError
from annotation.gold.records import SPLITS, fingerprint, load_gold
from annotation.gold.publish import publish
from annotation.gold.release import bump, choose_date, choose_version, parse_version, read_release
from annotation.scheme import load_scheme
from tests.conftest import DATA, ROOT

SHIPPED = DATA / "gold"
SPLIT_FILES = [f"{s}.jsonl" for s in SPLITS]
LOADER = """
import json, sys
from datasets import load_dataset
out = {}
for folder in sys.argv[1:]:
    ds = load_dataset(folder)
    out[folder] = {split: {"ids": list(ds[split]["id"]),
                           "claim_types": [[c["claim_type"] for c in claims] for claims in ds[split]["claims"]],
                           "releases": sorted({a["release"]["version"] for a in ds[split]["annotation"]})}
                   for split in ds}
print(json.dumps(out))
"""


def load_in_default_cache(hf_home: Path, *folders: Path) -> dict:
    """``datasets.load_dataset(folder)`` for each folder, in order, in one process whose default cache is
    under ``hf_home``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(HF_HOME=str(hf_home), HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", LOADER, *map(str, folders)], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def build(khabar, sources: Path, out: Path, *args: str):
    return khabar("gold", "build", "--articles", DATA / "articles.jsonl", "--sources", sources, "--out", out, *args)


def some_sources(tmp_path: Path, names: list[str]) -> Path:
    sources = tmp_path / "sources"
    sources.mkdir(exist_ok=True)
    for name in names:
        shutil.copy(DATA / "annotations" / f"{name}.json", sources / f"{name}.json")
    return sources


SEED = "000_81ee36451164b183"
FEW = [SEED, "maghrib-0001", "maghrib-0002", "malaeb-0001"]


def set_claim_type(sources: Path, doc_id: str, index: int, value: str) -> str:
    path = sources / f"{doc_id}.json"
    obj = json.loads(path.read_text(encoding="utf-8"))
    old = obj["claims"][index]["claim_type"]
    obj["claims"][index]["claim_type"] = value
    path.write_text(json.dumps(obj, ensure_ascii=False), encoding="utf-8")
    return old


# ------------------------------------------------------------------ versions and dates


@pytest.mark.parametrize("version, kind, expected", [
    ("1.0.0", "patch", "1.0.1"), ("1.0.7", "minor", "1.1.0"), ("1.4.2", "major", "2.0.0"), ("0.9.9", "patch", "0.9.10"),
])
def test_bump(version: str, kind: str, expected: str) -> None:
    assert bump(version, kind) == expected


@pytest.mark.parametrize("text", ["1.0", "v1.0.0", "1.0.0-rc1", "01.0.0", "", None, 1])
def test_a_version_is_major_minor_patch(text) -> None:
    with pytest.raises(KhabarError, match="not MAJOR.MINOR.PATCH"):
        parse_version(text, "card")


def test_choose_version_bumps_keeps_and_refuses(tmp_path: Path) -> None:
    publish(tmp_path / "g", {"dev": [], "test": load_gold(SHIPPED, "test")[:1]}, load_scheme(), provenance="t",
            date="2026-01-02")
    previous = read_release(tmp_path / "g")
    assert previous is not None and previous.version == "1.0.0" and previous.date == "2026-01-02"
    assert choose_version(None, None, None, "card") == ("1.0.0", "first release")
    assert choose_version(previous, None, None, "card") == ("1.0.0", "unchanged since 1.0.0")
    assert choose_version(previous, "minor", None, "card") == ("1.1.0", "minor release after 1.0.0")
    assert choose_version(previous, "patch", "1.2.0", "card") == ("1.2.0", "as asked")
    with pytest.raises(KhabarError, match="card: version 0.9.0 goes backwards from the folder's release 1.0.0"):
        choose_version(previous, None, "0.9.0", "card")
    with pytest.raises(KhabarError, match="release 1.0.0 already exists with other annotations.*suggests 1.0.1"):
        choose_version(previous, "patch", "1.0.0", "card")


def test_date_is_asked_kept_or_from_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    from annotation.gold.release import Release

    previous = Release("1.0.0", "2020-05-06", "khabar", "1.0.0", "x", "y", (), False)
    assert choose_date("2024-02-29", previous, unchanged=True) == "2024-02-29"
    assert choose_date(None, previous, unchanged=True) == "2020-05-06"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert choose_date(None, previous, unchanged=False) == "2023-11-14"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "soon")
    with pytest.raises(KhabarError, match="SOURCE_DATE_EPOCH"):
        choose_date(None, None, unchanged=False)
    for bad in ("2024-02-30", "24-2-1"):
        with pytest.raises(KhabarError, match="--date"):
            choose_date(bad, None, unchanged=False)


# ------------------------------------------------------------------ the shipped release


def test_shipped_gold_is_release_1_0_0_and_rebuilds_byte_identical(khabar, tmp_path: Path) -> None:
    out = tmp_path / "gold"
    shutil.copytree(SHIPPED, out)
    result = build(khabar, DATA / "annotations", out)
    assert result.exit_code == 0, result.output
    assert "release 1.0.0 (unchanged since 1.0.0; date " in result.output
    files = {p.name: p.read_bytes() for p in out.iterdir()}
    shipped = {p.name: p.read_bytes() for p in SHIPPED.iterdir()}
    assert {n: files[n] for n in SPLIT_FILES} == {n: shipped[n] for n in SPLIT_FILES}
    snippet = f'load_dataset("{out.resolve().as_posix()}")'.encode()
    assert files["README.md"].replace(snippet, b'load_dataset("data/gold")') == shipped["README.md"]
    assert build(khabar, DATA / "annotations", out).exit_code == 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == files  # and again: byte-identical
    release = read_release(SHIPPED)
    assert release is not None and release.version == "1.0.0" and release.notes == ()
    assert release.fingerprint == fingerprint(load_gold(SHIPPED)) and release.annotators == ("khabar-team",)
    assert release.scheme_version == "1.0.0" and release.scheme_fingerprint == load_scheme().at("1.0.0").fingerprint
    for doc in load_gold(SHIPPED):
        assert doc.annotation["release"] == {"version": "1.0.0", "date": release.date,
                                             "fingerprint": release.fingerprint, "agreement": []}


def test_the_fingerprint_identifies_the_annotations_not_the_release() -> None:
    """Records carry their release; the fingerprint (and so every signature) does not see it."""
    from eval.inputs.gold import read_gold_columns

    docs = load_gold(SHIPPED, "test")
    bare = [replace(d, annotation={k: v for k, v in d.annotation.items() if k != "release"}) for d in docs]
    other = [replace(d, annotation={**d.annotation, "release": {"version": "9.9.9", "date": "1999-01-01"}})
             for d in docs]
    assert fingerprint(docs) == fingerprint(bare) == fingerprint(other) == "4cfe67c2"
    assert read_gold_columns(SHIPPED, "test").fingerprint == "4cfe67c2"  # the columnar reader agrees


def test_card_names_the_real_folder_and_the_content_hash(tmp_path: Path) -> None:
    from annotation.gold.card import folder_content_hash

    folder = tmp_path / "releases" / "gold-v1"
    publish(folder, {"dev": [], "test": load_gold(SHIPPED, "test")[:2]}, load_scheme(), provenance="t")
    card = (folder / "README.md").read_text(encoding="utf-8")
    assert f'load_dataset("{folder.resolve().as_posix()}")' in card
    header = yaml.safe_load(card.split("---\n")[1])
    config = header["configs"][0]
    content = folder_content_hash(folder)
    assert config["version"] == "1.0.0" and content in config["description"]
    assert header["khabar"]["content"] == content and header["khabar"]["version"] == "1.0.0"
    assert 'load_dataset("data/gold")' in (SHIPPED / "README.md").read_text(encoding="utf-8")


def test_validate_reports_a_card_that_no_longer_matches_its_files(khabar, tmp_path: Path) -> None:
    out = tmp_path / "gold"
    shutil.copytree(SHIPPED, out)
    assert khabar("validate", out).exit_code == 0
    test = out / "test.jsonl"
    test.write_text(test.read_text(encoding="utf-8").replace('"opinion"', '"causal"', 1), encoding="utf-8")
    result = khabar("validate", out)
    assert result.exit_code == 1
    assert f"{out / 'README.md'}: the card names split files of sha256" in result.stderr
    assert "edited by hand?" in result.stderr


# ------------------------------------------------------------------ bad input: nothing written


def test_a_version_that_goes_backwards_writes_nothing(khabar, tmp_path: Path) -> None:
    out = tmp_path / "gold"
    shutil.copytree(SHIPPED, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    result = build(khabar, DATA / "annotations", out, "--version", "0.9.0")
    assert result.exit_code == 1
    assert f"{out / 'README.md'}: version 0.9.0 goes backwards from the folder's release 1.0.0" in result.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_an_unreadable_card_is_named_and_nothing_is_written(khabar, tmp_path: Path) -> None:
    out = tmp_path / "gold"
    shutil.copytree(SHIPPED, out)
    (out / "README.md").write_text("---\nkhabar: [unclosed\n---\n# card\n", encoding="utf-8")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    result = build(khabar, DATA / "annotations", out)
    assert result.exit_code == 1 and f"{out / 'README.md'}: the card's YAML header is not valid YAML" in result.stderr
    (out / "README.md").write_bytes(b"\xff\xfe not text")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    result = build(khabar, DATA / "annotations", out)
    assert result.exit_code == 1 and f"{out / 'README.md'}: cannot read the dataset card" in result.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_adjudicate_refuses_a_backward_version_before_writing(khabar, tmp_path: Path) -> None:
    out = tmp_path / "gold"
    shutil.copytree(SHIPPED, out)
    records = tmp_path / "records.jsonl"
    records.write_text("", encoding="utf-8")
    result = khabar("adjudicate", records, "--out", out, "--version", "0.1.0")
    assert result.exit_code == 1 and "goes backwards from the folder's release 1.0.0" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "dev.jsonl", "test.jsonl"]


# ------------------------------------------------------------------ loading is always current


def test_another_folder_of_the_same_name_is_not_served_from_the_cache(tmp_path: Path) -> None:
    """Case 1: a gold folder, then a smaller folder also named gold (both written by khabar), then the
    shipped gold, in one default cache: each load returns its own folder."""
    docs = load_gold(SHIPPED)
    big, small = tmp_path / "one" / "gold", tmp_path / "two" / "gold"
    publish(big, {"dev": docs[:11], "test": docs[11:]}, load_scheme(), provenance="t")
    publish(small, {"dev": docs[:1], "test": docs[1:4]}, load_scheme(), provenance="t")
    loaded = load_in_default_cache(tmp_path / "hf", big, small, SHIPPED)
    sizes = {folder: {s: len(v["ids"]) for s, v in splits.items()} for folder, splits in loaded.items()}
    assert sizes == {str(big): {"dev": 11, "test": 14}, str(small): {"dev": 1, "test": 3},
                     str(SHIPPED): {"dev": 11, "test": 14}}
    assert loaded[str(small)]["test"]["ids"] == [d.id for d in docs[1:4]]


def test_the_test_suites_temporary_folders_do_not_shadow_the_shipped_gold(tmp_path: Path) -> None:
    """Case 3: a temporary one-row-per-split gold folder is loaded first; the shipped gold and a full copy
    named alike still load as they are."""
    docs = load_gold(SHIPPED)
    tiny, full = tmp_path / "gold", tmp_path / "copy" / "data" / "gold"
    publish(tiny, {"dev": docs[:1], "test": docs[1:2]}, load_scheme(), provenance="t")
    loaded = load_in_default_cache(tmp_path / "hf", tiny, SHIPPED)
    shutil.copytree(SHIPPED, full)
    publish(full, {"dev": load_gold(SHIPPED, "dev"), "test": load_gold(SHIPPED, "test")}, load_scheme(),
            provenance="t")
    loaded.update(load_in_default_cache(tmp_path / "hf", tiny, full))
    assert {s: len(v["ids"]) for s, v in loaded[str(tiny)].items()} == {"dev": 1, "test": 1}
    for folder in (SHIPPED, full):
        assert {s: len(v["ids"]) for s, v in loaded[str(folder)].items()} == {"dev": 11, "test": 14}
    assert loaded[str(SHIPPED)]["test"]["releases"] == ["1.0.0"]


def test_round_trip_fix_one_claim_rebuild_diff_notes_and_load(khabar, tmp_path: Path) -> None:
    """Case 2 and the round trip: build, load, fix one claim, rebuild in place with a bumped version,
    `gold diff` lists exactly that change, the card's notes say so, `load_dataset` returns the new value."""
    sources = some_sources(tmp_path, FEW)
    out, old = tmp_path / "gold", tmp_path / "gold-1.0.0"
    assert build(khabar, sources, out, "--date", "2026-01-01").exit_code == 0
    shutil.copytree(out, old)
    hf = tmp_path / "hf"
    first = load_in_default_cache(hf, out)[str(out)]
    split = next(s for s in SPLITS if SEED in first[s]["ids"])
    row = first[split]["ids"].index(SEED)
    assert first[split]["claim_types"][row][0] == "factual_event"

    assert set_claim_type(sources, SEED, 0, "prediction") == "factual_event"
    result = build(khabar, sources, out, "--date", "2026-02-01")
    assert result.exit_code == 0, result.output
    assert "release 1.0.1 (patch release after 1.0.0; date 2026-02-01)" in result.output
    assert "changes since 1.0.0: 1 article changed (claim attribute values changed 1)" in result.output

    diff_json = tmp_path / "diff.json"
    result = khabar("gold", "diff", old, out, "--json", diff_json)
    assert result.exit_code == 0, result.output
    diff = json.loads(diff_json.read_text(encoding="utf-8"))
    assert [a["id"] for a in diff["articles"]] == [SEED]
    (change,) = diff["articles"][0]["changes"]
    assert (change["kind"], change["change"], change["field"], change["old"], change["new"], change["id"]) == \
        ("claim", "attribute", "claim_type", "factual_event", "prediction", "c1")
    assert diff["old"]["version"] == "1.0.0" and diff["new"]["version"] == "1.0.1"

    release = read_release(out)
    assert release is not None and release.version == "1.0.1" and release.date == "2026-02-01"
    assert release.notes == ({"version": "1.0.1", "date": "2026-02-01", "since": "1.0.0",
                              "summary": "1 article changed (claim attribute values changed 1)"},)
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "### 1.0.1 (2026-02-01)\n\nChanges since 1.0.0: 1 article changed (claim attribute values changed 1)." in card

    second = load_in_default_cache(hf, out)[str(out)]
    assert second[split]["claim_types"][row][0] == "prediction"
    assert second[split]["releases"] == ["1.0.1"]


def test_adding_articles_is_a_minor_release_and_notes_accumulate(khabar, tmp_path: Path) -> None:
    sources = some_sources(tmp_path, FEW[:2])
    out = tmp_path / "gold"
    assert build(khabar, sources, out, "--date", "2026-01-01").exit_code == 0
    set_claim_type(sources, SEED, 0, "prediction")
    assert build(khabar, sources, out, "--date", "2026-01-02").exit_code == 0
    some_sources(tmp_path, FEW[2:])
    result = build(khabar, sources, out, "--date", "2026-01-03")
    assert result.exit_code == 0 and "release 1.1.0 (minor release after 1.0.1" in result.output
    release = read_release(out)
    assert release is not None
    assert [(n["version"], n["since"]) for n in release.notes] == [("1.1.0", "1.0.1"), ("1.0.1", "1.0.0")]
    assert release.notes[0]["summary"] == "2 articles added"


def test_adjudicate_writes_a_release_with_the_agreement_figures(khabar, tmp_path: Path) -> None:
    from annotation.io import write_jsonl
    from annotation.review.agreement import agreement_report
    from tests.review_records import _three_annotators

    records = tmp_path / "records.jsonl"
    write_jsonl(records, _three_annotators())
    out = tmp_path / "gold"
    result = khabar("adjudicate", records, "--out", out, "--version", "2.1.0", "--date", "2026-04-01")
    assert result.exit_code == 0, result.output
    assert "release 2.1.0 (as asked; date 2026-04-01)" in result.output
    release = read_release(out)
    report = agreement_report(_three_annotators(), scheme=load_scheme())
    assert release is not None and release.adjudicated and len(release.annotators) == 3
    assert release.agreement is not None
    assert release.agreement["claims_f1"] == round(report["overall"]["claims"]["f1"], 4)
    assert release.agreement["entities_strict_f1"] == round(report["overall"]["entities"]["strict"]["f1"], 4)
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "### Agreement" in card and f"| claims_f1 | {release.agreement['claims_f1']} |" in card
    (doc, *_) = load_gold(out)
    assert {"measure": "claims_f1", "value": release.agreement["claims_f1"]} in doc.annotation["release"]["agreement"]
    loaded = load_in_default_cache(tmp_path / "hf", out)[str(out)]
    assert {v for split in loaded.values() for v in split["releases"]} == {"2.1.0"}
    again = khabar("adjudicate", records, "--out", out)
    assert again.exit_code == 0 and "release 2.1.0 (unchanged since 2.1.0; date 2026-04-01)" in again.output
