"""Against a real Label Studio server (the session fixture ``label_studio`` in conftest.py).

Through khabar: create the project from the generated config and push articles with pre-annotations
(twice, the second time with a grown corpus). Through the SDK, as two annotators: annotations with a
claim and its source and cue, per-region attributes, a nested mention, coreference, an emoji before
an entity, a cancelled annotation, a disagreement, a relation to a missing region. Then
``khabar import --url`` pulls them; the records must be exactly the expected ones, and a second
import must change nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from annotation.io import read_articles
from annotation.labelstudio.config import CLAIM_PARTS, ENTITIES, label_config
from annotation.scheme import load_scheme
from tests.helpers import ls_region_of

ROOT = Path(__file__).resolve().parent.parent
SAMPLES_CONFIG = Path(__file__).resolve().parent / "data" / "labelstudio" / "label_config.xml"
PROJECT = "khabar server test"
SEED_ID = "000_81ee36451164b183"

CLAIM_TEXT = "قال المتحدث باسم الكرملين ديمتري بيسكوف إن بوتين سيزور بيونج يانج قريبا، وإن زيارة بوتين ستكون الأولى."
EMOJI_TEXT = "🇸🇦 أعلنت وزارة الصحة 😀 أن الوباء انتهى."
SKIP_TEXT = "مقال سيتخطاه المعلق."
LATE_TEXT = "مقال أضيف لاحقا إلى المدونة."


def at(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    pos = -1
    for _ in range(occurrence):
        pos = text.index(needle, pos + 1)
    return pos, pos + len(needle)


def article(ident: str, text: str) -> dict[str, Any]:
    return {"id": ident, "text": text, "title": text.split("\n")[0], "source": "khabar-test"}


def run(*args: Any, env: dict[str, str] | None = None) -> Result:
    from eval.cli import cli

    return CliRunner().invoke(cli, [str(a) for a in args], env=env, catch_exceptions=False)


def region(rid: str, control: str, label: str, text: str, needle: str, occurrence: int = 1) -> dict[str, Any]:
    return ls_region_of(text, rid, control, label, needle, occurrence - 1)


def choice(rid: str, attr: str, value: str, text: str, needle: str) -> dict[str, Any]:
    start, end = at(text, needle)
    return {"id": rid, "from_name": attr, "to_name": "text", "type": "choices", "origin": "manual",
            "value": {"start": start, "end": end, "text": needle, "choices": [value]}}


def relation(a: str, b: str, role: str) -> dict[str, Any]:
    return {"from_id": a, "to_id": b, "type": "relation", "direction": "right", "labels": [role]}


def span(text: str, needle: str, occurrence: int = 1, entity: str | None = None, *, cue: bool = False) -> dict:
    """A span as records store it: a source or via carries its cluster, a cue or claim content does not."""
    start, end = at(text, needle, occurrence)
    out: dict[str, Any] = {"start": start, "end": end, "text": needle}
    if not cue:
        out["entity"] = entity
    return out


def mention(rid: str, label: str, text: str, needle: str, occurrence: int = 1, entity: str | None = None) -> dict:
    start, end = at(text, needle, occurrence)
    # a cluster is named after its longest mention, words joined by "-"
    return {"id": rid, "start": start, "end": end, "text": needle, "label": label,
            "entity": entity or needle.replace(" ", "-")}


def record(art: dict[str, Any], entities: list[dict], claims: list[dict], annotation: dict[str, Any]) -> dict:
    return {**art, "url": None, "published": None, "lang": "ar", "meta": {}, "entities": entities,
            "claims": claims, "annotation": annotation}


# --- the scenario --------------------------------------------------------------------------------


T = CLAIM_TEXT
ANNOTATOR_A = [  # the admin, ground truth
    region("a1", ENTITIES, "OCC", T, "المتحدث باسم الكرملين"),
    region("a2", ENTITIES, "ORG", T, "الكرملين"),                 # nested inside a1
    region("a3", ENTITIES, "PERS", T, "ديمتري بيسكوف"),
    region("a4", ENTITIES, "PERS", T, "بوتين", 1),
    region("a5", ENTITIES, "GPE", T, "بيونج يانج"),
    region("a6", ENTITIES, "PERS", T, "بوتين", 2),
    region("c1", CLAIM_PARTS, "CLAIM", T, "بوتين سيزور بيونج يانج قريبا"),
    region("q1", CLAIM_PARTS, "CUE", T, "قال"),
    choice("c1", "attribution", "indirect", T, "بوتين سيزور بيونج يانج قريبا"),
    choice("c1", "claim_type", "prediction", T, "بوتين سيزور بيونج يانج قريبا"),
    choice("c1", "check_worthy", "true", T, "بوتين سيزور بيونج يانج قريبا"),
    relation("c1", "a3", "source"),
    relation("c1", "q1", "cue"),
    relation("a6", "a4", "same"),
]
ANNOTATOR_B = [  # the second annotator disagrees: LOC, a shorter claim, the OCC as source, commitment
    region("b1", ENTITIES, "OCC", T, "المتحدث باسم الكرملين"),
    region("b2", ENTITIES, "PERS", T, "ديمتري بيسكوف"),
    region("b3", ENTITIES, "LOC", T, "بيونج يانج"),
    region("k1", CLAIM_PARTS, "CLAIM", T, "بوتين سيزور بيونج يانج"),
    choice("k1", "attribution", "indirect", T, "بوتين سيزور بيونج يانج"),
    choice("k1", "claim_type", "commitment", T, "بوتين سيزور بيونج يانج"),
    choice("k1", "check_worthy", "false", T, "بوتين سيزور بيونج يانج"),
    relation("k1", "b1", "source"),
    relation("b2", "b1", "same"),
]
E = EMOJI_TEXT
EMOJI_A = [
    region("m1", ENTITIES, "ORG", E, "وزارة الصحة"),
    region("s1", CLAIM_PARTS, "SOURCE", E, "وزارة الصحة"),
    region("m2", CLAIM_PARTS, "CLAIM", E, "الوباء انتهى"),
    region("u1", CLAIM_PARTS, "CUE", E, "أعلنت"),
    choice("m2", "attribution", "indirect", E, "الوباء انتهى"),
    choice("m2", "claim_type", "factual_event", E, "الوباء انتهى"),
    choice("m2", "check_worthy", "true", E, "الوباء انتهى"),
    relation("m2", "s1", "source"),
    relation("m2", "u1", "cue"),
    relation("s1", "m1", "same"),
]
EMOJI_B = [  # a relation to a region that does not exist: quarantined, the rest imported
    region("n1", ENTITIES, "ORG", E, "وزارة الصحة"),
    region("n2", CLAIM_PARTS, "CLAIM", E, "الوباء انتهى"),
    relation("n2", "gone", "source"),
]


def expected_records(ids: dict[str, int], users: dict[str, str], annotations: dict[str, Any]) -> list[dict]:
    """The records ``khabar import`` must write for the annotations above (sorted by task, annotation)."""
    def meta(key: str, who: str, truth: bool) -> dict[str, Any]:
        ann = annotations[key]
        out = {"annotator": users[who], "task": ann["task"], "annotation_id": ann["id"], "ground_truth": truth,
               "updated_at": ann["updated_at"], "project": ann["project"],
               "scheme": load_scheme().version}  # the scheme it was imported with
        if ann["pre_annotation"]:   # the task had predictions: the annotator saw them as the draft
            out["pre_annotation"] = ann["pre_annotation"]
        return out

    claim_art, emoji_art = article("t-claim", T), article("t-emoji", E)
    out = {
        "claim-a": record(claim_art, [
            mention("a1", "OCC", T, "المتحدث باسم الكرملين"),
            mention("a2", "ORG", T, "الكرملين"),
            mention("a3", "PERS", T, "ديمتري بيسكوف"),
            mention("a4", "PERS", T, "بوتين", 1),
            mention("a5", "GPE", T, "بيونج يانج"),
            mention("a6", "PERS", T, "بوتين", 2),
        ], [{"id": "c1", **span(T, "بوتين سيزور بيونج يانج قريبا", cue=True), "source": span(T, "ديمتري بيسكوف", entity="ديمتري-بيسكوف"),
             "cue": span(T, "قال", cue=True), "via": [], "attribution": "indirect", "claim_type": "prediction",
             "check_worthy": True}], meta("claim-a", "admin", True)),
        "claim-b": record(claim_art, [
            mention("b1", "OCC", T, "المتحدث باسم الكرملين"),
            mention("b2", "PERS", T, "ديمتري بيسكوف", entity="المتحدث-باسم-الكرملين"),
            mention("b3", "LOC", T, "بيونج يانج"),
        ], [{"id": "k1", **span(T, "بوتين سيزور بيونج يانج", cue=True), "source": span(T, "المتحدث باسم الكرملين", entity="المتحدث-باسم-الكرملين"),
             "cue": None, "via": [], "attribution": "indirect", "claim_type": "commitment",
             "check_worthy": False}], meta("claim-b", "second", False)),
        "emoji-a": record(emoji_art, [mention("m1", "ORG", E, "وزارة الصحة")],
                          [{"id": "m2", **span(E, "الوباء انتهى", cue=True), "source": span(E, "وزارة الصحة", entity="وزارة-الصحة"),
                            "cue": span(E, "أعلنت", cue=True), "via": [], "attribution": "indirect",
                            "claim_type": "factual_event", "check_worthy": True}], meta("emoji-a", "admin", False)),
        "emoji-b": record(emoji_art, [mention("n1", "ORG", E, "وزارة الصحة")],
                          [{"id": "n2", **span(E, "الوباء انتهى", cue=True), "source": None, "cue": None, "via": [],
                            "attribution": None, "claim_type": None, "check_worthy": None}],
                          meta("emoji-b", "second", False)),
    }
    return sorted(out.values(), key=lambda r: (r["annotation"]["task"], r["annotation"]["annotation_id"]))


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def studio_env(label_studio) -> dict[str, str]:
    return {"LABEL_STUDIO_URL": label_studio.url, "LABEL_STUDIO_API_KEY": label_studio.api_key}


@pytest.fixture(scope="module")
def sdk(label_studio):
    from label_studio_sdk import LabelStudio

    return LabelStudio(base_url=label_studio.url, api_key=label_studio.api_key)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("ls-corpus")
    arts = [article("t-claim", CLAIM_TEXT), article("t-emoji", EMOJI_TEXT), article("t-skip", SKIP_TEXT)]
    seed_file = ROOT / "data" / "articles.jsonl"
    if seed_file.exists():  # the seed article's clean text, when the shipped articles are there
        arts += [a.to_dict() for a in read_articles(seed_file) if a.id == SEED_ID]
    first = folder / "articles.jsonl"
    first.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in arts), encoding="utf-8")
    grown = folder / "grown.jsonl"
    grown.write_text(first.read_text(encoding="utf-8")
                     + json.dumps(article("t-late", LATE_TEXT), ensure_ascii=False) + "\n", encoding="utf-8")
    predictions = folder / "predictions.jsonl"
    predictions.write_text(json.dumps({"id": "t-claim", "entities": [
        {"label": "PERS", "text": "ديمتري بيسكوف"}, {"label": "PERS", "text": "بوتين", "entity": "putin"},
        {"label": "GPE", "start": at(T, "بيونج يانج")[0], "end": at(T, "بيونج يانج")[1]}],
        "claims": [{"text": "بوتين سيزور بيونج يانج قريبا", "source": {"text": "ديمتري بيسكوف"},
                    "cue": {"text": "قال"}, "claim_type": "prediction", "check_worthy": True}]},
        ensure_ascii=False) + "\n", encoding="utf-8")
    return {"articles": first, "grown": grown, "predictions": predictions, "folder": folder, "count": len(arts)}


@pytest.fixture(scope="module")
def pushed(corpus, studio_env, sdk) -> dict[str, Any]:
    """Push through khabar (twice: the same corpus, then a grown one); return the tasks by article id."""
    outputs = []
    for source in (corpus["articles"], corpus["articles"], corpus["grown"]):
        result = run("export", source, "--project", PROJECT, "--pre-annotate", corpus["predictions"], env=studio_env)
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    project = [p for p in sdk.projects.list() if p.title == PROJECT][0]
    tasks = {t.data["id"]: t for t in sdk.tasks.list(project=project.id, fields="all")}
    return {"outputs": outputs, "project": project, "tasks": tasks}


@pytest.fixture(scope="module")
def annotated(pushed, sdk) -> dict[str, Any]:
    """Annotations by two annotators, created through the SDK."""
    second = sdk.users.create(email="second@khabar.test", username="second", password="second-password-1")
    admin = sdk.users.whoami()
    tasks = pushed["tasks"]

    def create(name: str, result: list, user: int, *, truth: bool = False, cancelled: bool = False) -> None:
        ann = sdk.annotations.create(id=tasks[name].id, result=result, completed_by=user, ground_truth=truth,
                                     was_cancelled=cancelled)
        made[ann.id] = ann

    made: dict[int, Any] = {}
    create("t-claim", ANNOTATOR_A, admin.id, truth=True)
    create("t-claim", ANNOTATOR_B, second.id)
    create("t-emoji", EMOJI_A, admin.id)
    create("t-emoji", EMOJI_B, second.id)
    create("t-skip", [], admin.id, cancelled=True)
    keys = ["claim-a", "claim-b", "emoji-a", "emoji-b", "skip"]
    annotations = {}
    for key, ann in zip(keys, made.values()):
        stamp = ann.updated_at.isoformat()
        task = next(t for t in tasks.values() if t.id == ann.task)
        versions = sorted({(p if isinstance(p, dict) else p.model_dump())["model_version"] for p in task.predictions})
        annotations[key] = {"id": ann.id, "task": ann.task, "project": ann.project,
                            "pre_annotation": ", ".join(versions) or None,
                            "updated_at": stamp[:-6] + "Z" if stamp.endswith("+00:00") else stamp}
    return {"users": {"admin": admin.email, "second": second.email}, "annotations": annotations}


# --- tests ---------------------------------------------------------------------------------------


def test_project_created_from_the_scheme_config(pushed, sdk):
    project = sdk.projects.get(id=pushed["project"].id)
    assert project.label_config.strip() == label_config().strip()
    assert "<h1>" in project.expert_instruction and project.show_instruction


def test_push_is_idempotent_and_adds_only_new_articles(pushed, corpus):
    first, again, grown = pushed["outputs"]
    n = corpus["count"]
    assert f"created) at" in first and f"{n} task(s) added, 0 already there" in first
    assert f"0 task(s) added, {n} already there" in again and "predictions added" not in again
    assert f"1 task(s) added, {n} already there" in grown
    assert sorted(pushed["tasks"]) == sorted(["t-claim", "t-emoji", "t-skip", "t-late"]
                                               + ([SEED_ID] if n == 4 else []))


def test_pre_annotations_arrive_once_with_their_model_version(pushed, corpus):
    preds = pushed["tasks"]["t-claim"].predictions
    assert len(preds) == 1
    pred = preds[0] if isinstance(preds[0], dict) else preds[0].model_dump()
    assert pred["model_version"].startswith("file:predictions.jsonl@")
    regions = {(r["value"]["labels"][0], r["value"]["text"]) for r in pred["result"] if r["type"] == "labels"}
    assert regions == {("PERS", "ديمتري بيسكوف"), ("PERS", "بوتين"), ("GPE", "بيونج يانج"),
                       ("CLAIM", "بوتين سيزور بيونج يانج قريبا"), ("CUE", "قال")}
    roles = sorted(r["labels"][0] for r in pred["result"] if r["type"] == "relation")
    assert roles == ["cue", "source"]
    assert not pushed["tasks"]["t-emoji"].predictions


def test_import_from_the_server_gives_exactly_the_expected_records(label_studio, annotated, pushed, studio_env,
                                                                   tmp_path):
    out = tmp_path / "records"
    result = run("import", "--project", PROJECT, "--out", out, env=studio_env)
    assert result.exit_code == 1  # the relation to a missing region is quarantined
    assert "1 item(s) quarantined" in result.output and "the rest of the annotations were imported" in result.output
    records = [json.loads(line) for line in (out / "records.jsonl").read_text(encoding="utf-8").splitlines()]
    ids = {k: v.id for k, v in pushed["tasks"].items()}
    expected = expected_records(ids, annotated["users"], annotated["annotations"])
    assert [r["annotation"] for r in records] == [r["annotation"] for r in expected]
    for got, want in zip(records, expected):  # part by part, for readable differences
        assert got["entities"] == want["entities"]
        assert got["claims"] == want["claims"]
    assert records == expected
    quarantine = [json.loads(line) for line in (out / "quarantine.jsonl").read_text(encoding="utf-8").splitlines()]
    emoji_b = annotated["annotations"]["emoji-b"]
    assert quarantine == [{"task": emoji_b["task"], "annotation": emoji_b["id"], "article": "t-emoji",
                           "annotator": "second@khabar.test", "updated_at": emoji_b["updated_at"],
                           "region": "relation n2->gone",
                           "reason": "source relation to region gone, which is missing or left out",
                           "project": emoji_b["project"]}]
    assert label_studio.api_key not in result.output
    assert label_studio.api_key.encode() not in label_studio.log_path.read_bytes()
    raw = list((out / "raw").iterdir())
    assert len(raw) == 1
    # the emoji before the entity: Label Studio offsets are code points, the same as khabar's
    emoji_a = next(r for r in records if r["annotation"]["annotation_id"] == annotated["annotations"]["emoji-a"]["id"])
    assert EMOJI_TEXT[emoji_a["entities"][0]["start"]:emoji_a["entities"][0]["end"]] == "وزارة الصحة"

    before = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    again = run("import", "--project", PROJECT, "--out", out, env=studio_env)
    assert again.exit_code == 1 and "0 added, 0 updated, 4 unchanged" in again.output
    assert {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_a_newer_annotation_updates_only_its_record(annotated, studio_env, sdk, tmp_path):
    out = tmp_path / "records"
    assert run("import", "--project", PROJECT, "--out", out, env=studio_env).exit_code == 1
    before = (out / "records.jsonl").read_text(encoding="utf-8").splitlines()
    emoji_b = annotated["annotations"]["emoji-b"]
    fixed = [r for r in EMOJI_B if r.get("type") != "relation"]  # the annotator removes the broken relation
    sdk.annotations.update(id=emoji_b["id"], result=fixed)
    result = run("import", "--project", PROJECT, "--out", out, env=studio_env)
    assert result.exit_code == 0, result.output
    assert "0 added, 1 updated, 3 unchanged" in result.output
    after = (out / "records.jsonl").read_text(encoding="utf-8").splitlines()
    changed = [i for i, (a, b) in enumerate(zip(before, after)) if a != b]
    assert len(after) == len(before) and len(changed) == 1
    assert json.loads(after[changed[0]])["annotation"]["annotation_id"] == emoji_b["id"]
    assert (out / "quarantine.jsonl").read_text(encoding="utf-8") == ""
    assert len(list((out / "raw").iterdir())) == 2
    sdk.annotations.update(id=emoji_b["id"], result=EMOJI_B)  # restore for the other tests


def test_config_mismatch_is_refused_on_push_and_pull(label_studio, sdk, studio_env, corpus, tmp_path):
    other = SAMPLES_CONFIG.read_text(encoding="utf-8")
    sdk.projects.create(title="other config", label_config=other)
    pushed = run("export", corpus["articles"], "--project", "other config", env=studio_env)
    pulled = run("import", "--project", "other config", "--out", tmp_path / "out", env=studio_env)
    for result in (pushed, pulled):
        assert result.exit_code == 1
        assert "does not match the scheme" in result.output and "entities: values not in the scheme: PER" in result.output
    assert not (tmp_path / "out").exists()


def test_wrong_api_key_is_one_clear_message(label_studio, corpus, tmp_path):
    env = {"LABEL_STUDIO_URL": label_studio.url, "LABEL_STUDIO_API_KEY": "0" * 40}
    for args in (("import", "--project", PROJECT, "--out", tmp_path / "out"),
                 ("export", corpus["articles"], "--project", PROJECT)):
        result = run(*args, env=env)
        assert result.exit_code == 1
        assert "the API key was refused (401)" in result.output and "Traceback" not in result.output
        assert label_studio.api_key not in result.output
    assert not (tmp_path / "out").exists()


def _studio(data: Path) -> tuple[Any, str]:
    """``khabar studio`` in a subprocess (this checkout's code); returns it and what it printed up to "press Ctrl-C"."""
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-c", "from eval.cli import main; main()", "studio", "--data-dir",
                                str(data)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")
    lines = []
    for line in process.stdout:
        lines.append(line)
        if line.startswith("press Ctrl-C"):
            break
    return process, "".join(lines)


def _group_members(pgid: int) -> list[int]:
    """The processes of process group ``pgid`` (from /proc/*/stat)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and int((proc / "stat").read_text().rsplit(")", 1)[1].split()[2]) == pgid:
                found.append(int(proc.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def _server_group(process: Any) -> int:
    """The process group of the Label Studio server ``khabar studio`` started (its own session: pgid = its pid)."""
    (child,) = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    return int(child)


def test_khabar_studio_prints_the_password_once_and_stops_cleanly(label_studio, tmp_path, capsys):
    """The command itself, in a subprocess, on a copy of the (already migrated) test server's data folder."""
    import dataclasses
    import shutil
    import signal
    import stat

    from annotation.labelstudio.server import CREDENTIALS, healthy
    from eval.cli.studio import _print_access

    assert label_studio.created                   # the session server's first start made the credentials
    _print_access(label_studio)
    _print_access(dataclasses.replace(label_studio, created=False))
    first, later = capsys.readouterr().out.split("press Ctrl-C to stop\n")[:2]
    assert f"with password {label_studio.credentials.password}" in first
    assert label_studio.credentials.password not in later and str(label_studio.credentials_path) in later

    data = tmp_path / "studio"
    shutil.copytree(label_studio.data_dir, data, ignore=shutil.ignore_patterns("server.log", "export", "media"))
    creds = json.loads((data / CREDENTIALS).read_text(encoding="utf-8"))
    # the port of the previous start (the session server's) is taken: one clear error, no other port
    process, printed = _studio(data)
    rest, errors = process.communicate(timeout=120)
    assert process.returncode == 1 and f"port {creds['port']}" in errors and "is in use" in errors, errors
    (data / CREDENTIALS).write_text(json.dumps({**creds, "port": None}), encoding="utf-8")
    urls = []
    for stop in (signal.SIGTERM, signal.SIGINT):
        process, printed = _studio(data)
        try:
            url = printed.split("Label Studio is running at ")[1].split()[0]
            urls.append(url)
            assert url.startswith("http://127.0.0.1:") and url != label_studio.url and healthy(url)
            assert creds["password"] not in printed and f"the password is in {data / CREDENTIALS}" in printed
            assert f"export LABEL_STUDIO_URL={url}\n" in printed
            group = _server_group(process)
            assert _group_members(group)
            for path in [data, *data.rglob("*")]:
                mode = stat.S_IMODE(path.stat().st_mode)
                assert mode & 0o077 == 0, f"{path} is {oct(mode)}"
            process.send_signal(stop)
            rest, errors = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        assert process.returncode == 0, errors
        assert "stopped" in errors and not healthy(url)
        assert _group_members(group) == [], f"{stop!r} left Label Studio running"
        assert creds["api_key"] not in printed + rest + errors
    assert urls[0] == urls[1]                     # the restart kept the port
