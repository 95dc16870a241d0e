"""One claim with its source and cue, made in the real Label Studio UI (headless Debian Chromium via
playwright, as tests/test_report_browser.py drives it), counting the annotator's actions.

Before: each relation's role is chosen by hand (Relations tab, hover, "…", "Select labels", the role).
After: a relation drawn from a CLAIM to a CUE or a SOURCE needs no label; the import infers the role.
Both annotations must import to the same claim. Attribute choices are the same clicks either way and
are left out of both counts.
"""

from __future__ import annotations

import time
from typing import Any

TEXT = "قال المتحدث ديمتري بيسكوف إن بوتين سيزور موسكو قريبا."
CLAIM, SOURCE, CUE = "بوتين سيزور موسكو قريبا", "ديمتري بيسكوف", "قال"
SELECT = """([start, end]) => {
  const root = document.querySelector('.lsf-richtext__container');
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let pos = 0, node, sN, sO, eN, eO;
  while ((node = walker.nextNode())) {
    const chars = [...node.textContent];
    const units = (k) => chars.slice(0, k).join('').length;
    if (sN === undefined && start < pos + chars.length) { sN = node; sO = units(start - pos); }
    if (eN === undefined && end <= pos + chars.length) { eN = node; eO = units(end - pos); break; }
    pos += chars.length;
  }
  const range = document.createRange(); range.setStart(sN, sO); range.setEnd(eN, eO);
  const selection = window.getSelection(); selection.removeAllRanges(); selection.addRange(range);
}"""


class Annotator:
    """The annotator's hand in the UI: every click, hover and text selection is one counted action."""

    def __init__(self, page: Any) -> None:
        self.page, self.actions = page, 0

    def act(self, what: Any) -> None:
        self.actions += 1
        what()
        time.sleep(0.3)

    def region(self, label: str, needle: str) -> None:
        self.act(lambda: self.page.locator(".lsf-label", has_text=label).first.click())
        start = TEXT.index(needle)

        def select() -> None:            # one drag over the text: selection, then mouseup
            self.page.evaluate(SELECT, [start, start + len(needle)])
            self.page.locator(".lsf-richtext__container").dispatch_event("mouseup")
        self.act(select)

    def node(self, label: str) -> None:
        self.act(lambda: self.page.locator(".lsf-tree__node_type_richtextregion", has_text=label).first.click())

    def relation(self, target: str) -> None:
        self.node("CLAIM")
        self.act(lambda: self.page.locator("button[aria-label='Create Relation']").click())
        self.node(target)

    def role(self, index: int, role: str) -> None:
        item = self.page.locator(".lsf-relations__item").nth(index)
        self.act(item.hover)
        self.act(lambda: item.locator("button").first.click())
        self.act(lambda: item.get_by_text("Select labels").click())
        self.act(lambda: self.page.get_by_text(role, exact=True).last.click())
        self.page.keyboard.press("Escape")   # closes the list (not an annotator's action: a click elsewhere)


def make_claim(page: Any, url: str, project: int, task: int, *, label_roles: bool) -> int:
    page.goto(f"{url}/projects/{project}/data?task={task}")
    page.wait_for_selector(".lsf-richtext__container", timeout=120_000)
    time.sleep(1)
    hand = Annotator(page)
    hand.act(lambda: page.locator(".lsf-panel-tabs__tab", has_text="Regions").first.click())   # the region list
    hand.region("CLAIM", CLAIM)
    hand.region("SOURCE", SOURCE)
    hand.region("CUE", CUE)
    hand.relation("SOURCE")
    hand.relation("CUE")
    if label_roles:
        hand.act(lambda: page.locator(".lsf-panel-tabs__tab", has_text="Relations").first.click())
        hand.role(0, "source")
        hand.role(1, "cue")
    hand.act(lambda: page.locator("button[aria-label='Submit current annotation']").click())
    page.wait_for_timeout(1500)
    return hand.actions


def log_in(browser: Any, url: str, email: str, password: str) -> Any:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{url}/user/login/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_load_state("networkidle")
    return page


def test_a_claim_with_source_and_cue_takes_fewer_actions_without_relation_labels(label_studio, browser):
    from label_studio_sdk import LabelStudio

    from annotation.labelstudio.annotations import annotation_to_record, task_article
    from annotation.labelstudio.client import connect, push_tasks
    from annotation.labelstudio.tasks import article_task
    from annotation.model import Article

    server = connect(label_studio.url, label_studio.api_key)
    pushed = push_tasks(server, "khabar clicks test", [article_task(Article(id=f"clicks-{i}", text=TEXT))
                                                       for i in (1, 2)])
    tasks = [pushed.task_ids["clicks-1"], pushed.task_ids["clicks-2"]]
    page = log_in(browser, label_studio.url, label_studio.credentials.email, label_studio.credentials.password)
    before = make_claim(page, label_studio.url, pushed.project_id, tasks[0], label_roles=True)
    after = make_claim(page, label_studio.url, pushed.project_id, tasks[1], label_roles=False)
    print(f"actions for one claim with source and cue: {before} with relation labels, {after} without")
    assert (before, after) == (23, 14)   # 9 fewer: the Relations tab, and hover, "…", "Select labels", the role twice
    sdk = LabelStudio(base_url=label_studio.url, api_key=label_studio.api_key)
    claims = []
    for tid in tasks:
        task = sdk.tasks.get(id=tid)
        (annotation,) = [a if isinstance(a, dict) else a.model_dump() for a in sdk.annotations.list(id=tid)]
        record, problems, _ = annotation_to_record(task_article({"data": task.data}),
                                                   {**annotation, "task": tid})
        assert problems == []
        claims.append([(c.text, c.source and c.source.text, c.cue and c.cue.text) for c in record.claims])
    assert claims[0] == claims[1] == [(CLAIM, SOURCE, CUE)]


def _record(who: str, labels: dict[str, str]) -> Any:
    from annotation.model import Annotated, Article, Mention

    mentions = tuple(Mention(label, TEXT.index(n), TEXT.index(n) + len(n), n, id=f"m{i}", entity=f"m{i}")
                     for i, (n, label) in enumerate(labels.items(), 1))
    return Annotated(article=Article(id="review-1", text=TEXT), entities=mentions,
                     annotation={"annotator": who, "task": 1, "annotation_id": hash(who) % 1000})


def test_the_review_task_shows_each_annotator_version_and_the_majority_draft(label_studio, browser):
    from annotation.labelstudio.client import connect, push_tasks, show_every_prediction
    from annotation.review.queue import review_tasks
    from annotation.scheme import load_scheme

    records = [_record("a@x.org", {SOURCE: "PERS", "موسكو": "GPE"}), _record("b@x.org", {SOURCE: "ORG", "موسكو": "GPE"})]
    tasks, _ = review_tasks(records, load_scheme())
    server = connect(label_studio.url, label_studio.api_key)
    pushed = push_tasks(server, "khabar review browser test", tasks, review=True)
    show_every_prediction(server, pushed.project_id)
    page = log_in(browser, label_studio.url, label_studio.credentials.email, label_studio.credentials.password)
    page.goto(f"{label_studio.url}/projects/{pushed.project_id}/data?task={pushed.task_ids['review-1']}")
    page.wait_for_selector(".lsf-richtext__container", timeout=120_000)
    page.wait_for_timeout(1500)
    body = page.locator("body").inner_text()
    assert "a@x.org" in body and "b@x.org" in body and "majority" in body        # one tab per version
    assert f"mention «{SOURCE}»: label: a@x.org PERS; b@x.org ORG" in body       # the dispute, in words
    drafted = page.locator(".lsf-tree__node_type_richtextregion")
    assert drafted.count() == 1 and "موسكو" in drafted.first.inner_text()       # the draft: what they agree on
