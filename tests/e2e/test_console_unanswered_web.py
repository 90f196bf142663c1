"""The Unanswered page in a real headless Chromium (Debian's), served by the real
web app (uvicorn) on a database whose conversations Rasa's own tracker store
wrote (tests/support/console_support.py): no Rasa server is needed to read them.

A reviewer logs in, finds the price question asked three ways as one row,
marks it handled and downloads the CSV. Screenshot: tests/artifacts/.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from bot import migrations
from bot.db import make_engine, make_session_factory
from bot.web.console import auth
from tests.support.browser import screenshot
from tests.support.console_support import unanswered_conversations
from tests.support.stack import Stack

REVIEWER = ("content@ai2.example.org", "a reviewer's passphrase")
NOON = dt.datetime.now(dt.timezone.utc).replace(
    tzinfo=None, hour=12, minute=0, second=0, microsecond=0
)


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The web app alone, on a migrated database with the conversations."""
    folder = tmp_path_factory.mktemp("unanswered")
    stack = Stack(
        folder,
        rasa_port=5415,  # not started
        actions_port=5465,  # not started
        web_port=8415,
        extra_env={
            "ADVISOR_SECRET_KEY": "unanswered-e2e-" + "k" * 40,
            "ADVISOR_DATA_DIR": str(folder),
            "ADVISOR_CORRECTIONS_FILE": str(folder / "corrections.yml"),
        },
    )
    migrations.upgrade(stack.database_url)
    engine = make_engine(stack.database_url)
    with make_session_factory(engine).begin() as session:
        auth.add_staff(session, *REVIEWER, "reviewer")
    engine.dispose()
    unanswered_conversations(stack.database_url, NOON)
    try:
        stack.start_web()
        yield stack
    finally:
        stack.stop()


def test_a_reviewer_marks_a_group_handled_and_downloads_the_csv(
    page: Page, web: Stack, tmp_path: Path
) -> None:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on(
        "response",
        lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    page.goto(web.web_url + "/console/unanswered")
    expect(page).to_have_url(re.compile(r"/console/login\?next="))
    page.get_by_label("Email").fill(REVIEWER[0])
    page.get_by_label("Password").fill(REVIEWER[1])
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/console/unanswered$"))
    expect(page.get_by_role("link", name="Unanswered", exact=True)).to_have_attribute(
        "aria-current", "page"
    )

    rows = page.locator("#unanswered tbody tr")
    expect(rows).to_have_count(3)
    price = rows.filter(has_text="how much does it cost")
    expect(price.locator(".asked")).to_have_text("3")
    expect(price).to_contain_text("fees")
    expect(price.locator("summary")).to_have_text("3 wordings")
    price.locator("summary").click()
    expect(price).to_contain_text("How much does the master cost?")
    expect(price.locator(".links a")).to_have_count(3)
    expect(rows.filter(has_text="blorp the wizzle")).to_contain_text("fallback")
    screenshot(page, "console-unanswered")

    price.get_by_role("button", name="Mark handled").click()
    expect(page.locator(".flash")).to_have_text("3 message(s) marked handled.")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="how much does it cost")).to_have_count(0)

    page.get_by_role("link", name="all", exact=True).click()
    expect(page).to_have_url(re.compile(r"/console/unanswered\?show=all$"))
    price = rows.filter(has_text="how much does it cost")
    expect(price.locator(".badge.ok")).to_have_text("handled")
    expect(price).to_contain_text(REVIEWER[0])
    expect(price.get_by_role("button", name="Mark not handled")).to_be_visible()

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename == "unanswered.csv"
    saved = tmp_path / "unanswered.csv"
    download.value.save_as(saved)
    with saved.open(newline="") as file:
        exported = list(csv.DictReader(file))
    assert len(exported) == 5
    price_rows = [r for r in exported if r["group_text"] == "how much does it cost"]
    assert sorted(r["conversation_id"] for r in price_rows) == [
        "fees-1",
        "fees-2",
        "fees-3",
    ]
    assert {r["handled"] for r in price_rows} == {"yes"}
    assert {r["handled"] for r in exported if r not in price_rows} == {"no"}
    assert problems == []  # no CSP violation, script error or failed request
