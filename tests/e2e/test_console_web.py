"""The staff console in a real headless Chromium (Debian's), against the real stack.

A visitor talks to the Rasa server over the REST channel (a question, a
``<script>`` payload, a message to correct, then the application form to its
reference); a staff member then logs in, finds that conversation, reads its
intents, tags it, corrects an intent, exports the correction as training data,
sees the application in the queue and the overview's charts. Screenshots go to
tests/artifacts/console-*.png.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import yaml
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import TIMEOUT, screenshot
from tests.support.stack import (
    ADMIN,
    APPLICATION_TURNS,
    ConsoleStack,
    Stack,
    module_stack,
    texts,
)
from tests.support.stack import say as rest_say

pytestmark = pytest.mark.e2e

PAYLOAD = "<script>alert(1)</script>"
TO_CORRECT = "what should someone like me learn first for the console test"


stack = module_stack(
    "console", rasa_port=5405, actions_port=5455, web_port=8405, console=True
)


def say(stack: Stack, sender: str, message: str) -> str:
    return texts(rest_say(stack, sender, message))


@dataclass(frozen=True)
class Visitor:
    sender: str
    reference: str


@pytest.fixture(scope="module")
def visitor(stack: ConsoleStack) -> Visitor:
    sender = f"console-e2e-{uuid.uuid4().hex[:8]}"
    assert "Technical AI foundations" in say(stack, sender, "which skills do I need?")
    say(stack, sender, PAYLOAD)
    say(stack, sender, TO_CORRECT)
    replies = ""
    for turn in APPLICATION_TURNS:
        replies = say(stack, sender, turn)
    found = re.search(r"reference is (AP-[A-Z0-9]{6})", replies)
    assert found, replies
    return Visitor(sender, found.group(1))


@dataclass
class Watched:
    page: Page
    dialogs: list[str]
    problems: list[str]  # failed requests and console errors (CSP violations too)


@pytest.fixture
def staff(browser: Browser, stack: ConsoleStack) -> Iterator[Watched]:
    """A browser page, logged in through the form as the admin."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    watched = Watched(page, [], [])
    page.on(
        "dialog",
        lambda dialog: (watched.dialogs.append(dialog.message), dialog.dismiss()),
    )
    page.on(
        "console",
        lambda m: watched.problems.append(m.text) if m.type == "error" else None,
    )
    page.on(
        "response",
        lambda r: (
            watched.problems.append(f"{r.status} {r.url}") if r.status >= 400 else None
        ),
    )
    page.goto(stack.web_url + "/console/conversations")
    expect(page).to_have_url(re.compile(r"/console/login\?next="))
    page.get_by_label("Email").fill(ADMIN[0])
    page.get_by_label("Password").fill(ADMIN[1])
    screenshot(page, "console-login")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/console/conversations$"))
    yield watched
    context.close()


def open_conversation(page: Page, visitor: Visitor) -> None:
    page.get_by_label("Search messages").fill("someone like me learn first")
    page.get_by_label("Language").select_option("French")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("#conversations tbody tr")
    expect(rows).to_have_text(["No conversation matches."])
    expect(page).to_have_url(re.compile(r"language=fr"))
    page.get_by_label("Language").select_option("English")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("which skills do I need?")
    expect(rows.first).to_contain_text("application")
    expect(rows.first.locator(".badge.language")).to_have_text("English")
    screenshot(page, "console-list")
    rows.first.get_by_role("link").click()
    expect(page.locator("h1")).to_contain_text(visitor.sender)


def test_find_read_tag_correct_and_export(
    staff: Watched, stack: ConsoleStack, visitor: Visitor
) -> None:
    page = staff.page
    open_conversation(page, visitor)

    skills = page.locator("li.visitor", has_text="which skills do I need?")
    expect(skills.locator(".intent")).to_have_text("ask_skills")
    expect(skills.locator(".confidence")).to_have_text(re.compile(r"0\.\d\d|1\.00"))
    expect(page.locator("li.bot").first).to_contain_text("action_answer_skills")
    expect(page.locator("li.slot", has_text="topic").first).to_be_visible()
    # The visitor's <script> is shown as text and never run.
    expect(page.locator("li.visitor .text", has_text=PAYLOAD)).to_have_text(PAYLOAD)
    assert page.locator(".transcript script").count() == 0
    screenshot(page, "console-transcript")

    page.get_by_label("wrong answer").check()
    page.get_by_label("Note").fill("The first answer missed the beginner's angle.")
    page.get_by_label("Reviewed").check()
    page.get_by_role("button", name="Save review").click()
    expect(page.locator(".flash")).to_have_text("Review saved.")
    expect(page.get_by_label("wrong answer")).to_be_checked()
    expect(page.get_by_label("Note")).to_have_value(
        "The first answer missed the beginner's angle."
    )

    message = page.locator("li.visitor", has_text=TO_CORRECT)
    message.locator("summary").click()
    message.get_by_label("Right intent").select_option("ask_beginner_route")
    message.get_by_role("button", name="Save correction").click()
    expect(page.locator(".flash")).to_have_text("Correction saved: ask_beginner_route.")
    expect(
        page.locator("li.visitor", has_text=TO_CORRECT).locator(".corrected")
    ).to_contain_text("ask_beginner_route")

    page.get_by_role("link", name="Corrections", exact=True).click()
    expect(page.locator("#corrections")).to_contain_text(TO_CORRECT)
    page.get_by_role("button", name=re.compile("Export to")).click()
    expect(page.locator(".flash")).to_contain_text("Wrote 1 example(s)")
    screenshot(page, "console-corrections")
    exported = yaml.safe_load(stack.corrections_file.read_text())
    assert exported["nlu"] == [
        {"intent": "ask_beginner_route", "examples": f"- {TO_CORRECT}\n"}
    ]

    page.goto(stack.web_url + "/console/conversations?tag=wrong+answer&reviewed=yes")
    expect(page.locator("#conversations tbody tr")).to_have_count(1)
    assert staff.dialogs == [] and staff.problems == []


def test_the_application_from_the_form_is_in_the_queue(
    staff: Watched, stack: ConsoleStack, visitor: Visitor
) -> None:
    page = staff.page
    page.get_by_role("link", name="Applications", exact=True).click()
    row = page.locator("#queue tbody tr", has_text=visitor.reference)
    expect(row).to_contain_text("Grace Hopper")
    expect(row).to_contain_text("grace.console@example.org")
    expect(row).to_contain_text("master-devops")
    expect(row.get_by_label(f"Status of {visitor.reference}")).to_have_value("new")
    row.get_by_label(f"Status of {visitor.reference}").select_option("contacted")
    row.get_by_role("button", name="Set").click()
    expect(page.locator(".flash")).to_have_text("Status changed.")
    screenshot(page, "console-applications")
    page.locator("#queue tbody tr", has_text=visitor.reference).get_by_role(
        "link", name="open"
    ).click()
    expect(page.locator("h1")).to_contain_text(visitor.sender)
    expect(page.locator(".linked")).to_contain_text(visitor.reference)
    assert staff.problems == []


def test_the_overview_draws_its_charts(
    staff: Watched, stack: ConsoleStack, visitor: Visitor
) -> None:
    page = staff.page
    page.get_by_role("link", name="Overview", exact=True).click()
    expect(page.locator("body")).to_have_attribute("data-charts", "drawn")
    expect(page.locator("#funnel")).to_contain_text("Application stored")
    for chart in ("chart-days", "chart-fallback", "chart-intents", "chart-funnel"):
        box = page.locator(f"#{chart}").bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100
    screenshot(page, "console-overview")
    assert staff.problems == [], staff.problems  # no CSP violation, no script error
