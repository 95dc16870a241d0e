"""A team of three annotators on the real Label Studio server (the session fixture ``label_studio``).

The lead pushes articles with ``khabar export --overlap 3``; three users created through the SDK
log in and work through the normal queue (``/api/projects/N/next``, what "Label All Tasks" serves);
each must be given every task. Their annotations are imported, one is deleted in Label Studio and
must leave the records, and a claim whose attribution is ``none`` although it has a source must be
quarantined at import with its task, annotation and region.

Label Studio Community has no API to set a user's password (``users.create`` ignores it), so the
test sets the three passwords the way an administrator of the server would, with Django's
``set_password`` through Label Studio's ``manage.py shell``, before logging them in with the form.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from annotation.labelstudio.config import CLAIM_PARTS, ENTITIES
from annotation.labelstudio.tasks import choice_item, region_item, relation_item

PROJECT = "khabar team test"
ART_KREMLIN = "قال المتحدث باسم الكرملين ديمتري بيسكوف إن بوتين سيزور بيونج يانج قريبا."
ART_PARLIAMENT = "أعلن رئيس البرلمان سالم الجبوري أن الجلسة ستعقد غدا، وأكد الجبوري أن النصاب مكتمل."
ART_SHORT = "نشرت الوزارة بيانا صباح اليوم."
ARTICLES = {"k": ART_KREMLIN, "p": ART_PARLIAMENT, "s": ART_SHORT}
ANNOTATORS = ("ann-a@khabar.test", "ann-b@khabar.test", "ann-c@khabar.test")


def at(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    pos = -1
    for _ in range(occurrence):
        pos = text.index(needle, pos + 1)
    return pos, pos + len(needle)


def reg(rid: str, control: str, label: str, text: str, needle: str, occurrence: int = 1) -> dict[str, Any]:
    return region_item(rid, control, label, *at(text, needle, occurrence), text)


def attrs(rid: str, text: str, needle: str, **values: str) -> list[dict[str, Any]]:
    return [choice_item(rid, name, *at(text, needle), text, value) for name, value in values.items()]


def kremlin(claim_type: str, *, source: str = "ديمتري بيسكوف", label: str = "GPE") -> list[dict[str, Any]]:
    t, claim = ART_KREMLIN, "بوتين سيزور بيونج يانج قريبا"
    return [reg("m1", ENTITIES, "PERS", t, source), reg("m2", ENTITIES, "PERS", t, "بوتين"),
            reg("m3", ENTITIES, label, t, "بيونج يانج"), reg("c1", CLAIM_PARTS, "CLAIM", t, claim),
            reg("q1", CLAIM_PARTS, "CUE", t, "قال"),
            *attrs("c1", t, claim, attribution="indirect", claim_type=claim_type, check_worthy="true",
                    stance="asserted", certainty="certain"),
            relation_item("c1", "m1", "source"), relation_item("c1", "q1", "cue")]


def parliament(attribution: str) -> list[dict[str, Any]]:
    t, claim = ART_PARLIAMENT, "الجلسة ستعقد غدا"
    return [reg("m1", ENTITIES, "PERS", t, "سالم الجبوري"), reg("m2", ENTITIES, "PERS", t, "الجبوري", 2),
            reg("m3", ENTITIES, "ORG", t, "البرلمان"), reg("c1", CLAIM_PARTS, "CLAIM", t, claim),
            reg("q1", CLAIM_PARTS, "CUE", t, "أعلن"),
            *attrs("c1", t, claim, attribution=attribution, claim_type="prediction", check_worthy="true",
                    stance="asserted", certainty="certain"),
            relation_item("c1", "m1", "source"), relation_item("c1", "q1", "cue"),
            relation_item("m2", "m1", "same")]


def short(label: str) -> list[dict[str, Any]]:
    return [reg("m1", ENTITIES, label, ART_SHORT, "الوزارة")]


WORK = {  # annotator -> article key -> result; on "k" the claim type is a three-way tie: the review settles it
    ANNOTATORS[0]: {"k": kremlin("prediction"), "p": parliament("indirect"), "s": short("ORG")},
    ANNOTATORS[1]: {"k": kremlin("opinion", label="LOC"), "p": parliament("indirect"), "s": short("ORG")},
    ANNOTATORS[2]: {"k": kremlin("commitment", source="المتحدث باسم الكرملين"), "p": parliament("none"),
                    "s": short("GPE")},
}
LEAD_TIME = {ANNOTATORS[0]: 30.0, ANNOTATORS[1]: 40.0, ANNOTATORS[2]: 50.0}


def run(*args: Any, env: dict[str, str] | None = None) -> Result:
    from eval.cli import cli

    return CliRunner().invoke(cli, [str(a) for a in args], env=env, catch_exceptions=False)


def set_passwords(studio: Any, passwords: dict[str, str]) -> None:
    """Give SDK-created users a password (Community has no API for it): Django's set_password, once."""
    import label_studio

    from annotation.labelstudio.server import _server_env

    code = ("import json, sys\nfrom users.models import User\n"
            "for email, password in json.load(sys.stdin).items():\n"
            "    user = User.objects.get(email=email); user.set_password(password); user.save()\n")
    subprocess.run([sys.executable, str(Path(label_studio.__file__).parent / "manage.py"), "shell", "-c", code],
                   input=json.dumps(passwords), env=_server_env(studio.data_dir, studio.credentials),
                   cwd=studio.data_dir, check=True, capture_output=True, text=True, timeout=300)


def log_in(url: str, email: str, password: str) -> str:
    """Log in with the form, as an annotator does; returns the user's API token."""
    import httpx

    with httpx.Client(base_url=url, follow_redirects=True, timeout=60) as browser:
        browser.get("/user/login/")
        browser.post("/user/login/", data={"csrfmiddlewaretoken": browser.cookies.get("csrftoken"), "email": email,
                                           "password": password}, headers={"Referer": f"{url}/user/login/"})
        answer = browser.get("/api/current-user/token")
        assert answer.status_code == 200, f"{email} could not log in: {answer.status_code}"
        return str(answer.json()["token"])


def work_through_queue(url: str, token: str, project_id: int, email: str) -> list[str]:
    """Take tasks from the queue until it is empty, submitting this annotator's result for each."""
    import httpx

    done: list[str] = []
    with httpx.Client(base_url=url, headers={"Authorization": f"Token {token}"}, timeout=60) as api:
        for _ in range(10):
            answer = api.get(f"/api/projects/{project_id}/next")
            if answer.status_code == 404:
                return done
            answer.raise_for_status()
            task = answer.json()
            key = task["data"]["id"]
            created = api.post(f"/api/tasks/{task['id']}/annotations/",
                               json={"result": WORK[email][key], "lead_time": LEAD_TIME[email]})
            assert created.status_code == 201, created.text
            done.append(key)
    raise AssertionError(f"{email}: the queue did not end")


@pytest.fixture(scope="module")
def team(label_studio, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from label_studio_sdk import LabelStudio

    folder = tmp_path_factory.mktemp("team")
    articles = folder / "articles.jsonl"
    articles.write_text("".join(json.dumps({"id": k, "text": t, "title": t.split("\n")[0]}, ensure_ascii=False) + "\n"
                                for k, t in ARTICLES.items()), encoding="utf-8")
    env = {"LABEL_STUDIO_URL": label_studio.url, "LABEL_STUDIO_API_KEY": label_studio.api_key}
    pushed = run("export", articles, "--project", PROJECT, "--overlap", "3", env=env)
    assert pushed.exit_code == 0, pushed.output
    sdk = LabelStudio(base_url=label_studio.url, api_key=label_studio.api_key)
    project = next(p for p in sdk.projects.list() if p.title == PROJECT)
    users = {email: sdk.users.create(email=email, username=email.split("@")[0]) for email in ANNOTATORS}
    passwords = {email: f"pw-{email.split('@')[0]}-0123" for email in ANNOTATORS}
    set_passwords(label_studio, passwords)
    queues = {email: work_through_queue(label_studio.url, log_in(label_studio.url, email, passwords[email]),
                                        project.id, email) for email in ANNOTATORS}
    return {"env": env, "sdk": sdk, "project": project, "users": users, "queues": queues, "folder": folder,
            "articles": articles, "push_output": pushed.output}


def test_with_overlap_3_every_annotator_gets_every_task_from_the_queue(team):
    assert "each task goes to 3 annotator(s) from the queue" in team["push_output"]
    project = team["sdk"].projects.get(id=team["project"].id)
    assert project.maximum_annotations == 3
    for email in ANNOTATORS:
        assert sorted(team["queues"][email]) == sorted(ARTICLES), email


def test_overlap_of_an_existing_project_can_be_changed(team, label_studio, tmp_path):
    from annotation.labelstudio.client import connect, ensure_project, project_overlap

    server = connect(label_studio.url, label_studio.api_key)
    pid, created = ensure_project(server, PROJECT, overlap=2)
    assert (pid, created) == (team["project"].id, False) and project_overlap(server, pid) == 2
    ensure_project(server, PROJECT, overlap=3)
    assert project_overlap(server, pid) == 3


@pytest.fixture(scope="module")
def imported(team) -> dict[str, Any]:
    out = team["folder"] / "records"
    result = run("import", "--project", PROJECT, "--out", out, env=team["env"])
    records = [json.loads(line) for line in (out / "records.jsonl").read_text(encoding="utf-8").splitlines()]
    return {"out": out, "result": result, "records": records}


def test_a_claim_with_attribution_none_and_a_source_is_quarantined_at_import(imported):
    result = imported["result"]
    assert result.exit_code == 1 and "1 item(s) quarantined" in result.output
    quarantine = [json.loads(line) for line in (imported["out"] / "quarantine.jsonl").read_text("utf-8").splitlines()]
    assert [(q["article"], q["annotator"], q["region"], q["reason"]) for q in quarantine] == [
        ("p", ANNOTATORS[2], "c1", "attribution 'none' but the claim has a source")]
    assert f"task {quarantine[0]['task']} annotation {quarantine[0]['annotation']} ({ANNOTATORS[2]}) region c1" \
        in result.output
    bad = next(r for r in imported["records"] if r["id"] == "p" and r["annotation"]["annotator"] == ANNOTATORS[2])
    assert bad["claims"] == [] and len(bad["entities"]) == 3
    assert len(imported["records"]) == 9


def test_same_relations_make_one_cluster_with_a_readable_name(imported):
    for rec in (r for r in imported["records"] if r["id"] == "p"):
        clusters = {m["text"]: m["entity"] for m in rec["entities"]}
        assert clusters == {"سالم الجبوري": "سالم-الجبوري", "الجبوري": "سالم-الجبوري", "البرلمان": "البرلمان"}
        assert all(c["source"]["entity"] == "سالم-الجبوري" for c in rec["claims"])


def test_agreement_of_the_three_annotators(team, imported, label_studio, tmp_path):
    out = tmp_path / "agreement.json"
    result = run("agreement", imported["out"], "--json", out, "--url", label_studio.url)
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["annotators"] == list(ANNOTATORS) and len(report["pairs"]) == 3
    assert {who: p["tasks"] for who, p in report["progress"].items()} == {a: 3 for a in ANNOTATORS}
    assert {who: p["median_lead_time"] for who, p in report["progress"].items()} == LEAD_TIME
    tie = next(d for d in report["disputes"] if d["what"] == "claim_type")
    assert tie["values"] == dict(zip(ANNOTATORS, ("prediction", "opinion", "commitment")))
    assert tie["urls"] == [f"{label_studio.url}/projects/{team['project'].id}/data?task={tie['tasks'][0]}"]
    label = next(d for d in report["disputes"] if d["what"] == "label")
    assert label["text"] == "بيونج يانج" and label["values"] == dict(zip(ANNOTATORS, ("GPE", "LOC", "GPE")))
    assert "annotator A\tannotator B" in result.output and "…" not in result.output   # a pipe: TSV
    (team["folder"] / "agreement.json").write_text(out.read_text(encoding="utf-8"), encoding="utf-8")


REVIEW = "khabar team test review"


def relabelled(item: dict[str, Any], text: str, label: str) -> dict[str, Any]:
    """A result item with the entity label of the region covering ``text`` changed."""
    value = item.get("value") or {}
    if item.get("type") != "labels" or value.get("text") != text:
        return item
    return {**item, "value": {**value, "labels": [label]}}


def test_a_disagreement_is_settled_through_the_review_project(team, imported, tmp_path):
    records = imported["out"]
    refused = run("adjudicate", records, "--out", tmp_path / "gold")
    assert refused.exit_code == 1 and "khabar review push" in refused.output
    assert "ground truth" not in refused.output
    pushed = run("review", "push", records, "--project", REVIEW, env=team["env"])
    assert pushed.exit_code == 0, pushed.output
    assert "1 task(s) added" in pushed.output
    sdk = team["sdk"]
    project = next(p for p in sdk.projects.list() if p.title == REVIEW)
    (task,) = list(sdk.tasks.list(project=project.id, fields="all"))
    versions = [(p if isinstance(p, dict) else p.model_dump())["model_version"] for p in task.predictions]
    assert versions == [*ANNOTATORS, "majority"]
    assert "claim_type: " + "; ".join(f"{a} {v}" for a, v in zip(ANNOTATORS, ("prediction", "opinion", "commitment"))) \
        in task.data["disputes"]
    # the adjudicator takes the first annotator's version, relabels بيونج يانج (the majority: GPE) and submits
    first = next(p if isinstance(p, dict) else p.model_dump() for p in task.predictions
                 if (p if isinstance(p, dict) else p.model_dump())["model_version"] == ANNOTATORS[0])
    submitted = [relabelled(item, "بيونج يانج", "LOC") for item in first["result"]]
    sdk.annotations.create(id=task.id, result=submitted, lead_time=20.0)
    again = run("review", "push", records, "--project", REVIEW, env=team["env"])
    assert "0 task(s) added, 1 already there" in again.output
    result = run("import", "--project", REVIEW, "--out", records, env=team["env"])
    assert result.exit_code == 0, result.output
    lines = (records / "records.jsonl").read_text(encoding="utf-8").splitlines()
    decisions = [json.loads(line) for line in lines if '"review": true' in line]
    assert len(decisions) == 1 and decisions[0]["id"] == "k" and len(lines) == 10
    draft = decisions[0]["annotation"]["draft"]   # the majority proposal the task was made from
    assert sorted((m["text"], m["label"]) for m in draft["entities"]) == [
        ("بوتين", "PERS"), ("بيونج يانج", "GPE"), ("ديمتري بيسكوف", "PERS")] and draft["claims"] == []
    gold = tmp_path / "gold"
    written = run("adjudicate", records, "--out", gold, "--seed", "1")
    assert written.exit_code == 0, written.output
    docs = {json.loads(line)["id"]: json.loads(line) for f in gold.glob("*.jsonl") if f.name != "unresolved.jsonl"
            for line in f.read_text(encoding="utf-8").splitlines()}
    assert docs["k"]["annotation"]["rule"] == "review" and docs["k"]["claims"][0]["claim_type"] == "prediction"
    assert {m["text"]: m["label"] for m in docs["k"]["entities"]}["بيونج يانج"] == "LOC"   # the adjudicator's
    assert "review decisions: 2 unit(s) decided by the adjudicator, 2 left as drafted" in written.output
    assert {docs[k]["annotation"]["rule"] for k in ("p", "s")} == {"majority"}
    assert [m["label"] for m in docs["s"]["entities"]] == ["ORG"]


def test_an_annotation_deleted_in_label_studio_disappears_from_the_records(team, imported, tmp_path):
    import shutil

    out = tmp_path / "records"
    shutil.copytree(imported["out"], out)
    gone = next(r for r in imported["records"] if r["id"] == "s" and r["annotation"]["annotator"] == ANNOTATORS[1])
    team["sdk"].annotations.delete(id=gone["annotation"]["annotation_id"])
    result = run("import", "--project", PROJECT, "--out", out, env=team["env"])
    assert "1 removed (annotation deleted in Label Studio)" in result.output, result.output
    left = [json.loads(line) for line in (out / "records.jsonl").read_text(encoding="utf-8").splitlines()]
    before = (imported["out"] / "records.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(left) == len(before) - 1 and gone["annotation"]["annotation_id"] not in {r["annotation"]["annotation_id"] for r in left}


def test_units_the_adjudicator_left_as_drafted_follow_the_annotators_corrections(team, imported, label_studio,
                                                                                  tmp_path):
    """After the review: two annotators relabel بوتين (PERS -> ORG) in Label Studio. The adjudicator left
    بوتين as drafted, so the majority of the records as they are now decides it; the units the
    adjudicator changed (the claim they added, بيونج يانج relabelled) stay theirs."""
    import shutil

    import httpx

    out = tmp_path / "records"
    shutil.copytree(imported["out"], out)   # with the review decision of the test above
    for email in ANNOTATORS[:2]:
        token = log_in(label_studio.url, email, f"pw-{email.split('@')[0]}-0123")
        mine = next(r for r in imported["records"] if r["id"] == "k" and r["annotation"]["annotator"] == email)
        result = [relabelled(item, "بوتين", "ORG") for item in WORK[email]["k"]]
        answer = httpx.patch(f"{label_studio.url}/api/annotations/{mine['annotation']['annotation_id']}/",
                             json={"result": result}, headers={"Authorization": f"Token {token}"}, timeout=60)
        assert answer.status_code == 200, answer.text
    again = run("import", "--project", PROJECT, "--out", out, env=team["env"])
    assert "2 updated" in again.output, again.output
    gold = tmp_path / "gold"
    written = run("adjudicate", out, "--out", gold, "--allow-unresolved")
    assert written.exit_code == 0, written.output
    docs = {json.loads(line)["id"]: json.loads(line) for f in gold.glob("*.jsonl") if f.name != "unresolved.jsonl"
            for line in f.read_text(encoding="utf-8").splitlines()}
    assert docs["k"]["annotation"]["rule"] == "review"
    assert {m["text"]: m["label"] for m in docs["k"]["entities"]} == {
        "ديمتري بيسكوف": "PERS", "بوتين": "ORG", "بيونج يانج": "LOC"}
    assert [c["claim_type"] for c in docs["k"]["claims"]] == ["prediction"]
