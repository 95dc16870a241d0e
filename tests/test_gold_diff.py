"""`khabar gold diff`: per-article changes between two gold sets, matched with the one matcher."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from annotation.gold.records import SPLITS, load_gold
from annotation.gold.diff import SUMMARY_KEYS, GoldSide, describe, diff_gold
from annotation.gold.publish import publish
from annotation.gold.release import scheme_fields
from annotation.model import Annotated, Span
from annotation.scheme import load_scheme
from tests.conftest import DATA

SHIPPED = DATA / "gold"
SEED = "000_81ee36451164b183"
FIELDS = scheme_fields(load_scheme())


def seed() -> Annotated:
    return next(d for d in load_gold(SHIPPED) if d.id == SEED)


def diff_of(old: list[Annotated], new: list[Annotated]) -> dict:
    return diff_gold(GoldSide("old", old, fields=FIELDS), GoldSide("new", new, fields=FIELDS), FIELDS)


def rows(diff: dict) -> list[tuple]:
    return [(r["kind"], r["change"], r["field"], r["id"]) for a in diff["articles"] for r in a["changes"]]


def with_mention(doc: Annotated, i: int, **changes) -> Annotated:
    ents = list(doc.entities)
    ents[i] = replace(ents[i], **changes)
    return replace(doc, entities=tuple(ents))


def with_claim(doc: Annotated, i: int, **changes) -> Annotated:
    claims = list(doc.claims)
    claims[i] = replace(claims[i], **changes)
    return replace(doc, claims=tuple(claims))


def test_a_moved_boundary_is_one_change_not_a_removal_and_an_addition() -> None:
    doc = seed()
    m = doc.entities[0]  # «بوتين» at [0, 5)
    moved = with_mention(doc, 0, end=m.end + 6, text=doc.text[m.start:m.end + 6])
    diff = diff_of([doc], [moved])
    assert rows(diff) == [("mention", "rebounded", None, m.id)]
    (row,) = diff["articles"][0]["changes"]
    assert (row["old"]["end"], row["new"]["end"]) == (m.end, m.end + 6)
    c = doc.claims[0]
    shorter = with_claim(doc, 0, end=c.end - 8, text=doc.text[c.start:c.end - 8])
    assert rows(diff_of([doc], [shorter])) == [("claim", "rebounded", None, c.id)]
    assert diff_of([doc], [shorter])["summary"]["claims_removed"] == 0


def test_every_kind_of_change_is_named() -> None:
    doc = seed()
    c = next(i for i, c in enumerate(doc.claims) if c.source is not None and c.cue is not None)
    k = next(i for i in range(len(doc.claims)) if i != c)
    claim = doc.claims[c]
    other = "direct_quote" if claim.attribution != "direct_quote" else "indirect"
    new = with_mention(doc, 1, label="ORG" if doc.entities[1].label != "ORG" else "GPE")
    new = with_mention(new, 2, entity="someone_else")
    new = with_claim(new, c, source=None, cue=None, via=(Span(0, 5, doc.text[:5]),), attribution=other)
    new = replace(new, entities=new.entities[:-1], claims=tuple(x for i, x in enumerate(new.claims) if i != k))
    diff = diff_of([doc], [new])
    assert sorted((kind, change) for kind, change, _, _ in rows(diff)) == sorted([
        ("mention", "relabelled"), ("mention", "reclustered"), ("mention", "removed"),
        ("claim", "source"), ("claim", "cue"), ("claim", "via"), ("claim", "attribute"), ("claim", "removed")])
    attribute = next(r for a in diff["articles"] for r in a["changes"] if r["change"] == "attribute")
    assert (attribute["field"], attribute["old"], attribute["new"], attribute["id"]) == \
        ("attribution", claim.attribution, other, claim.id)
    removed = next(r for a in diff["articles"] for r in a["changes"] if r["kind"] == "claim" and r["change"] == "removed")
    assert removed["id"] == doc.claims[k].id and removed["new"] is None


def test_articles_added_removed_and_stable_keys() -> None:
    docs = load_gold(SHIPPED)
    diff = diff_of(docs[:3], docs[1:5])
    assert list(diff) == ["old", "new", "not_compared", "summary", "articles"]
    assert list(diff["summary"]) == list(SUMMARY_KEYS)
    assert [(a["id"], a["status"]) for a in diff["articles"]] == \
        [(docs[0].id, "removed"), (docs[3].id, "added"), (docs[4].id, "added")]
    assert diff["summary"]["articles_unchanged"] == 2
    assert describe(diff["summary"]) == "2 articles added; 1 article removed"
    for article in diff["articles"]:
        assert list(article) == ["id", "status", "fields", "changes", "mentions", "claims"]


def test_shipped_gold_against_itself_has_no_change(khabar, tmp_path: Path) -> None:
    out = tmp_path / "diff.json"
    result = khabar("gold", "diff", SHIPPED, SHIPPED, "--json", out)
    assert result.exit_code == 0, result.output
    diff = json.loads(out.read_text(encoding="utf-8"))
    assert diff["articles"] == [] and diff["not_compared"] == []
    assert diff["summary"] == {**dict.fromkeys(SUMMARY_KEYS, 0), "articles_unchanged": 25}
    assert diff["old"]["version"] == diff["new"]["version"] == "1.0.0"
    assert "summary: articles_unchanged 25" in result.output


def test_gold_files_are_compared_too(khabar, tmp_path: Path) -> None:
    lines = (SHIPPED / "test.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    old, new = tmp_path / "old.jsonl", tmp_path / "new.jsonl"
    old.write_text("".join(lines), encoding="utf-8")
    new.write_text("".join(lines[1:]), encoding="utf-8")
    out = tmp_path / "diff.json"
    result = khabar("gold", "diff", old, new, "--json", out)
    assert result.exit_code == 0, result.output
    diff = json.loads(out.read_text(encoding="utf-8"))
    assert diff["summary"]["articles_removed"] == 1 and diff["summary"]["articles_unchanged"] == len(lines) - 1
    assert diff["old"]["version"] == "1.0.0" and diff["old"]["scheme_version"] == "1.0.0"


def test_cli_on_an_edited_copy_prints_a_table(khabar, tmp_path: Path) -> None:
    docs = {s: load_gold(SHIPPED, s) for s in SPLITS}
    i = next(i for i, d in enumerate(docs["test"]) if d.id == SEED)
    docs["test"][i] = with_claim(docs["test"][i], 0, claim_type="prediction")
    new = tmp_path / "gold"
    publish(new, docs, load_scheme(), provenance="t", date="2026-03-01")
    result = khabar("gold", "diff", SHIPPED, new)
    assert result.exit_code == 0, result.output
    assert "release 1.0.0" in result.output and "release 1.0.1" not in result.output  # a new folder: 1.0.0
    assert f"{SEED}: changed\n  claim   c1     attribute claim_type   factual_event -> prediction\n" in result.output
    assert "claims_attribute 1" in result.output


def test_two_schemes_name_the_fields_that_cannot_be_compared(khabar, tmp_path: Path) -> None:
    raw = json.loads((DATA / "scheme.json").read_text(encoding="utf-8"))
    raw["version"] = "2.0.0"
    raw.pop("previous_versions", None)  # a 2.0.0 that only changes claim_type of 1.0.0
    raw["claim_attributes"] = [a for a in raw["claim_attributes"] if "since" not in a]
    claim_type = next(a for a in raw["claim_attributes"] if a["name"] == "claim_type")
    claim_type["values"] = [v for v in claim_type["values"] if v["name"] != "commitment"]
    scheme_path = tmp_path / "scheme.json"
    scheme_path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    docs = {s: load_gold(SHIPPED, s) for s in SPLITS}
    i = next(i for i, d in enumerate(docs["test"]) if d.id == SEED)
    docs["test"][i] = with_claim(docs["test"][i], 0, attribution="indirect", claim_type="prediction")
    docs = {s: [replace(d, annotation={**d.annotation, "scheme": "2.0.0"}) for d in split] for s, split in docs.items()}
    new = tmp_path / "gold-2"
    publish(new, docs, load_scheme(scheme_path), provenance="t")
    out = tmp_path / "diff.json"
    result = khabar("gold", "diff", SHIPPED, new, "--json", out)
    assert result.exit_code == 1
    assert f"{new}: scheme 2.0.0 differs from {SHIPPED}'s 1.0.0; these fields cannot be compared: claim_type" \
        in result.stderr
    assert not out.exists()
    assert "attribution" in result.output and "not compared" in result.output  # the rest is compared


@pytest.mark.parametrize("make, message", [
    (lambda p: p.mkdir(), "no split file dev.jsonl (expected a khabar gold folder)"),
    (lambda p: None, "no such gold file or folder"),
])
def test_not_a_gold_folder(khabar, tmp_path: Path, make, message: str) -> None:
    bad = tmp_path / "nothing"
    make(bad)
    out = tmp_path / "diff.json"
    result = khabar("gold", "diff", SHIPPED, bad, "--json", out)
    assert result.exit_code == 1 and f"{bad}: {message}" in result.stderr
    assert not out.exists()


def test_an_unreadable_card_is_named(khabar, tmp_path: Path) -> None:
    import shutil

    bad = tmp_path / "gold"
    shutil.copytree(SHIPPED, bad)
    (bad / "README.md").write_text("no header", encoding="utf-8")
    result = khabar("gold", "diff", SHIPPED, bad)
    assert result.exit_code == 1 and f"{bad / 'README.md'}: not a dataset card" in result.stderr


def test_compare_refusing_two_releases_names_both_and_points_to_gold_diff(khabar, tmp_path: Path) -> None:
    docs = {s: load_gold(SHIPPED, s) for s in SPLITS}
    new = tmp_path / "gold"
    import shutil

    shutil.copytree(SHIPPED, new)
    i = next(i for i, d in enumerate(docs["test"]) if d.id == SEED)
    docs["test"][i] = with_claim(docs["test"][i], 0, claim_type="prediction")
    published = publish(new, docs, load_scheme(), provenance="t")
    assert published.release.version == "1.0.1"
    runs = []
    for gold in (SHIPPED, new):
        run = tmp_path / f"run-{len(runs)}.json"
        result = khabar("bench", "--gold", gold, "--json", run, "--bootstrap", "0")
        assert result.exit_code == 0, result.output
        runs.append(run)
    first, second = (json.loads(r.read_text(encoding="utf-8")) for r in runs)
    assert (first["gold_release"], second["gold_release"]) == ("1.0.0", "1.0.1")
    assert "|gold:4cfe67c2|release:1.0.0|" in first["signature"]
    result = khabar("compare", *runs)
    assert result.exit_code == 1
    assert "release 1.0.0 vs 1.0.1" in result.stderr and "khabar gold diff" in result.stderr
