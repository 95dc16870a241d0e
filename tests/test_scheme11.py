"""Scheme 1.1: stance and certainty in the scheme, the model, validation, the scorer (a hand-worked table
with a denial and a hedge), gold of scheme 1.0 (scored with a warning, migrated) and annotation sources."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from annotation.errors import KhabarError
from annotation.gold.authoring import build_gold, sources_version
from annotation.gold.publish import publish
from annotation.gold.records import SPLITS, fingerprint, gold_fields, load_gold
from annotation.gold.release import read_release
from annotation.gold.validation import validate_document
from annotation.model import Annotated, Article, Claim, Mention, Span
from annotation.scheme import load_scheme
from eval.scoring.config import ScoreConfig
from eval.scoring.scorer import score
from tests.conftest import DATA

SHIPPED = DATA / "gold"
SCHEME = load_scheme()
TEXT = "نفى الوزير أن تكون الحكومة رفعت الأسعار، وقال إن التضخم قد يتراجع العام المقبل، وأكد أن الرواتب ستصرف غدا."


def at(needle: str, *, entity: str | None = None) -> Span:
    start = TEXT.index(needle)
    return Span(start, start + len(needle), needle, entity)


def claim(ident: str, content: str, cue: str, **attrs: object) -> Claim:
    s = at(content)
    values = {"attribution": "indirect", "check_worthy": True, "stance": "asserted", "certainty": "certain",
              "claim_type": "factual_event", **attrs}
    return Claim(start=s.start, end=s.end, text=s.text, id=ident, source=at("الوزير", entity="minister"),
                 cue=at(cue), **values)  # type: ignore[arg-type]


DENIAL = claim("c1", "تكون الحكومة رفعت الأسعار", "نفى", stance="denied")
HEDGE = claim("c2", "التضخم قد يتراجع العام المقبل", "قال", certainty="hedged", claim_type="prediction",
              check_worthy=False)
PLAIN = claim("c3", "الرواتب ستصرف غدا", "أكد", claim_type="commitment")


def gold_doc(*claims: Claim, version: str | None = "1.1.0") -> Annotated:
    minister = at("الوزير")
    article = Article(id="d1", text=TEXT, title=TEXT)
    annotation = {"scheme": version} if version else {}
    return Annotated(article=article, entities=(Mention("OCC", minister.start, minister.end, minister.text, "e1",
                                                        "minister"),),
                     claims=claims, annotation=annotation)


# --- the scheme and the model ------------------------------------------------------------------------


def test_the_scheme_file_describes_1_1_and_the_1_0_before_it() -> None:
    assert SCHEME.version == "1.1.0" and SCHEME.versions == ("1.1.0", "1.0.0")
    stance, certainty = SCHEME.attribute("stance"), SCHEME.attribute("certainty")
    assert stance.value_names == ("asserted", "denied") and certainty.value_names == ("certain", "hedged")
    for item in (stance, certainty, *stance.values, *certainty.values):
        assert item.ar and item.en and item.definition
    old = SCHEME.at("1.0.0")
    assert old.attribute_names == ("attribution", "claim_type", "check_worthy")
    # the 1.0.0 fingerprint is the one the shipped release recorded when it was built from the 1.0.0 file
    assert old.fingerprint == read_release(SHIPPED).scheme_fingerprint != SCHEME.fingerprint
    assert SCHEME.added_since("1.0.0") == ("stance", "certainty")
    with pytest.raises(KhabarError, match="scheme version 0.9.0 is not described by this file"):
        SCHEME.at("0.9.0")


def test_claim_writes_the_new_attributes_after_check_worthy_and_leaves_them_out_for_1_0() -> None:
    out = DENIAL.to_dict()
    assert list(out)[-5:] == ["attribution", "claim_type", "check_worthy", "stance", "certainty"]
    assert Claim.from_dict(out) == DENIAL
    old = replace(DENIAL, stance=None, certainty=None)
    assert "stance" not in old.to_dict() and Claim.from_dict(old.to_dict()) == old
    assert replace(DENIAL, certainty=None).to_dict()["certainty"] is None  # one set: both written


def test_validation_follows_the_version_the_record_names() -> None:
    assert validate_document(gold_doc(DENIAL, HEDGE), SCHEME) == []
    missing = gold_doc(replace(DENIAL, certainty=None))
    assert [str(p) for p in validate_document(missing, SCHEME)] == [
        "d1 claims[0] (c1): missing attribute 'certainty' (scheme 1.1.0)"]
    bare = replace(DENIAL, stance=None, certainty=None)
    assert validate_document(gold_doc(bare, version="1.0.0"), SCHEME) == []
    assert validate_document(gold_doc(bare, version=None), SCHEME) == []  # names none: written before 1.1
    stray = [str(p) for p in validate_document(gold_doc(DENIAL, version="1.0.0"), SCHEME)]
    assert len(stray) == 2 and "attribute 'stance' is not part of scheme 1.0.0" in stray[0]
    bad = replace(DENIAL, stance="doubted")
    assert "unknown stance value 'doubted' (allowed: asserted, denied)" in str(validate_document(gold_doc(bad), SCHEME))
    assert "is not described by this file" in str(validate_document(gold_doc(DENIAL, version="7.0.0"), SCHEME))


def test_the_features_of_each_version() -> None:
    new, old = gold_fields(SCHEME)["claims"][0], gold_fields(SCHEME.at("1.0.0"))["claims"][0]
    assert list(new)[-5:] == ["attribution", "claim_type", "check_worthy", "stance", "certainty"]
    assert new["stance"] == new["certainty"] == "string" and "stance" not in old
    # gold without the new attributes keeps its fingerprint; with them it is another content
    bare = gold_doc(replace(DENIAL, stance=None, certainty=None), version="1.0.0")
    assert fingerprint([bare]) != fingerprint([gold_doc(DENIAL)]) != fingerprint([gold_doc(replace(DENIAL, stance="asserted"))])


# --- scoring: a hand-worked table ----------------------------------------------------------------------


def prediction(stance: tuple[str, str, str], certainty: tuple[str, str, str]):
    from annotation.model import Prediction

    claims = tuple(replace(c, id=None, stance=s, certainty=k)
                   for c, s, k in zip((DENIAL, HEDGE, PLAIN), stance, certainty))
    minister = at("الوزير")
    return Prediction(id="d1", entities=(Mention("OCC", minister.start, minister.end),), claims=claims)


def test_a_denial_and_a_hedge_scored_by_hand() -> None:
    """Gold: c1 denied/certain, c2 asserted/hedged, c3 asserted/certain (all else right in the predictions).
    Predicted stance: asserted, asserted, asserted; certainty: certain, hedged, hedged.

    stance: 2 of 3 right; asserted P 2/3 R 2/2 F1 0.8, denied P 0 R 0/1 F1 0 -> macro 0.4.
    certainty: 2 of 3 right; certain P 1/1 R 1/2 F1 2/3, hedged P 1/2 R 1/1 F1 2/3 -> macro 2/3.
    end to end: only c2 has every attribute right -> tp 1, fp 2, fn 2, F1 1/3."""
    gold = [gold_doc(DENIAL, HEDGE, PLAIN)]
    run = score(gold, [prediction(("asserted",) * 3, ("certain", "hedged", "hedged"))], config=ScoreConfig(bootstrap=0))
    claims = run.summary["claims"]
    assert claims["stance"]["accuracy"] == pytest.approx(2 / 3) and claims["stance"]["macro_f1"] == pytest.approx(0.4)
    assert claims["certainty"]["accuracy"] == pytest.approx(2 / 3)
    assert claims["certainty"]["macro_f1"] == pytest.approx(2 / 3)
    e2e = claims["end_to_end"]
    assert (e2e["tp"], e2e["fp"], e2e["fn"]) == (1, 2, 2) and e2e["f1"] == pytest.approx(1 / 3)
    assert claims["detection"]["f1"] == 1.0 and claims["source"]["accuracy"] == 1.0 and run.warnings == []
    perfect = score(gold, [prediction(("denied", "asserted", "asserted"), ("certain", "hedged", "certain"))],
                    config=ScoreConfig(bootstrap=0))
    assert perfect.summary["claims"]["end_to_end"]["f1"] == 1.0


def test_gold_of_scheme_1_0_is_scored_without_the_new_attributes() -> None:
    bare = [replace(c, stance=None, certainty=None) for c in (DENIAL, HEDGE, PLAIN)]
    run = score([gold_doc(*bare, version="1.0.0")], [prediction(("asserted",) * 3, ("certain", "hedged", "hedged"))],
                config=ScoreConfig(bootstrap=0))
    assert run.warnings[0] == "gold of scheme 1.0.0: stance and certainty not scored"
    assert "stance" not in run.summary["claims"] and "certainty" not in run.summary["claims"]
    assert run.summary["claims"]["end_to_end"]["f1"] == 1.0  # what the gold lacks does not count against a system


# --- gold folders: 1.0 scores with a warning, migrates; sources; mixed versions -----------------------


def test_a_1_0_folder_scores_with_a_warning_and_migrates(khabar, tmp_path: Path) -> None:
    folder = tmp_path / "gold-1.0"
    shutil.copytree(SHIPPED, folder)
    preds = tmp_path / "preds.jsonl"
    preds.write_text("".join(json.dumps({"id": d.id, "claims": [c.to_dict() for c in d.claims]}, ensure_ascii=False)
                             + "\n" for d in load_gold(folder)), encoding="utf-8")
    scored = khabar("score", folder, preds, "--bootstrap", "0")
    assert scored.exit_code == 0, scored.output
    assert "gold of scheme 1.0.0: stance and certainty not scored" in scored.output

    docs = {s: load_gold(folder, s) for s in SPLITS}
    # a person already decided the stance of one denial (kept) while the folder is still of scheme 1.0
    i = next(i for i, d in enumerate(docs["dev"] + docs["test"]) if d.id == "maghrib-0004")
    split = "dev" if i < len(docs["dev"]) else "test"
    j = [d.id for d in docs[split]].index("maghrib-0004")
    doc = docs[split][j]
    c5 = next(k for k, c in enumerate(doc.claims) if c.id == "c5")
    decided = list(doc.claims)
    decided[c5] = replace(decided[c5], stance="asserted")
    docs[split][j] = replace(doc, claims=tuple(decided))
    publish(folder, docs, SCHEME, provenance="test", date="2026-12-04")

    out = tmp_path / "gold-1.1"
    result = khabar("gold", "migrate", folder, "--out", out, "--date", "2026-12-05")
    assert result.exit_code == 0, result.output
    assert "12 denials and 16 hedges proposed" not in result.output  # one denial was decided by a person
    assert "11 denials and 16 hedges proposed, 1 values kept" in result.output
    assert "release 1.1.0" in result.output and read_release(out).scheme_version == "1.1.0"
    migrated = {d.id: d for d in load_gold(out)}
    by_claim = {(d, c.id): c for d, doc in migrated.items() for c in doc.claims}
    assert by_claim[("maghrib-0004", "c5")].stance == "asserted"                       # kept
    assert by_claim[("000_81ee36451164b183", "c8")].certainty == "hedged"              # قد يعقد
    assert by_claim[("000_81ee36451164b183", "c6")].stance == "asserted"               # a negative, asserted
    assert by_claim[("sada-0003", "c2")].stance == "denied"                            # نفت وجود …
    listed = [json.loads(line) for line in (out / "migration.jsonl").read_text(encoding="utf-8").splitlines()]
    keys = {(x["id"], x["claim"], x["attribute"]) for x in listed}
    assert ("000_81ee36451164b183", "c8", "certainty") in keys and ("maghrib-0004", "c5", "stance") not in keys
    assert {x["kind"] for x in listed} == {"proposal", "uncertain"}
    assert khabar("validate", out).exit_code == 0
    assert all(c.stance and c.certainty for d in migrated.values() for c in d.claims)
    from eval.inputs.gold import read_gold_columns

    fast, slow = read_gold_columns(out, fast=True), read_gold_columns(out, fast=False)
    assert fast.columnar and fast.claims == slow.claims  # both readers read the new attributes
    assert fast.fingerprint == slow.fingerprint == fingerprint(load_gold(out)) != fingerprint(load_gold(folder))

    diffed = khabar("gold", "diff", folder, out)  # the new attributes are compared from no value
    assert diffed.exit_code == 0 and "attribute stance       (none) -> denied" in diffed.output

    before = {p.name: p.read_bytes() for p in out.iterdir()}
    again = khabar("gold", "migrate", out)
    assert again.exit_code == 0 and "nothing written" in again.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before

    rescored = khabar("score", out, preds, "--bootstrap", "0", "--json", tmp_path / "run.json")
    assert rescored.exit_code == 0 and "not scored" not in rescored.output
    run = json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))
    assert run["claims"]["stance"]["total"] == run["claims"]["detection"]["tp"]
    assert run["claims"]["end_to_end"]["tp"] == 0  # the predictions have neither attribute


def test_records_of_two_versions_together_are_refused_naming_both(tmp_path: Path) -> None:
    docs = {"dev": [gold_doc(DENIAL)], "test": [replace(gold_doc(replace(DENIAL, stance=None, certainty=None),
                                                                  version="1.0.0"),
                                                        article=Article(id="d2", text=TEXT, title=TEXT))]}
    with pytest.raises(KhabarError, match=r"several scheme versions: 1\.0\.0 \(e\.g\. d2\); 1\.1\.0 \(e\.g\. d1\)"):
        publish(tmp_path / "gold", docs, SCHEME, provenance="t")
    assert not (tmp_path / "gold").exists()


def test_annotation_sources_name_their_scheme(khabar, tmp_path: Path) -> None:
    article = Article(id="d1", text=TEXT, title=TEXT)
    source = {"id": "d1", "scheme": "1.1.0",
              "entities": [{"id": "e1", "label": "OCC", "entity": "minister", "text": "الوزير"}],
              "claims": [{"id": "c1", "text": "تكون الحكومة رفعت الأسعار", "source": {"mention": "e1"},
                          "cue": {"text": "نفى"}, "via": [], "attribution": "indirect",
                          "claim_type": "factual_event", "check_worthy": True, "stance": "denied",
                          "certainty": "certain"}]}
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "d1.json").write_text(json.dumps(source, ensure_ascii=False), encoding="utf-8")
    assert sources_version(sources) == "1.1.0"
    (doc,) = build_gold([article], sources, {"scheme": "1.1.0"})
    assert (doc.claims[0].stance, doc.claims[0].certainty) == ("denied", "certain")
    assert validate_document(doc, SCHEME) == []
    old = {**source, "id": "d2"}
    del old["scheme"]
    (sources / "d2.json").write_text(json.dumps(old, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(KhabarError, match=r"several scheme versions: 1\.0\.0 \(.*d2\.json\); 1\.1\.0 \(.*d1\.json\)"):
        sources_version(sources)


def test_records_of_1_0_are_adjudicated_with_a_warning_and_mixed_records_refused(khabar, tmp_path: Path) -> None:
    from annotation.io import write_jsonl
    from tests.review_records import annotator_a, annotator_b

    path = tmp_path / "records.jsonl"
    write_jsonl(path, [annotator_a(), annotator_b()])  # import records that name no scheme: 1.0
    result = khabar("agreement", path)
    assert result.exit_code == 0, result.output
    assert f"warning: {path}: records of scheme 1.0.0: stance and certainty not compared" in result.stderr
    b = annotator_b()
    write_jsonl(path, [annotator_a(), replace(b, annotation={**b.annotation, "scheme": "1.1.0"})])
    refused = khabar("adjudicate", path, "--out", tmp_path / "gold")
    assert refused.exit_code == 1 and f"{path}: records of several scheme versions: 1.0.0" in refused.stderr
    assert not (tmp_path / "gold").exists()
