"""The site, the widget and the console in Chromium: a clean console, axe-core,
the keyboard alone, announcements and the order of messages (issue 18).

One stack (action server, Rasa server, web app with the console) on this
module's ports; Debian's chromium through Playwright. axe-core comes from npm
(``node_modules/axe-core``) and is injected into each page; its pages run in a
context that bypasses the Content-Security-Policy (an injected script is
inline), while the console-error tests keep the policy and fail on any
violation of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.support.browser import TIMEOUT, axe_violations, watch
from tests.support.stack import ADMIN, APPLICATION_TURNS, ConsoleStack

pytestmark = pytest.mark.e2e

SITE_PAGES = ["/", "/programmes", "/privacy", "/fr/", "/fr/programmes", "/fr/privacy"]
CONSOLE_PAGES = [
    "/console/conversations",
    "/console/overview",
    "/console/applications",
    "/console/handoffs",
    "/console/corrections",
    "/console/unanswered",
    "/console/staff",
]
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
GREETING = "I'm AI2's career advisor"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleStack]:
    stack = ConsoleStack(
        tmp_path_factory.mktemp("quality"),
        rasa_port=5805,
        actions_port=5855,
        web_port=8805,
    )
    with stack.running():
        stack.add_admin()
        # A conversation with an application, so the console's pages have rows.
        for turn in ["which skills do I need?", *APPLICATION_TURNS]:
            stack.say("quality-visitor", turn, timeout=30)
        yield stack


def new_context(
    browser: Browser, size: str = "desktop", bypass_csp: bool = False
) -> BrowserContext:
    width, height = SIZES[size]
    phone = size == "phone"
    context = browser.new_context(
        viewport={"width": width, "height": height},
        is_mobile=phone,
        has_touch=phone,
        bypass_csp=bypass_csp,
    )
    context.set_default_timeout(TIMEOUT)
    return context


def log_in(page: Page, stack: ConsoleStack) -> None:
    page.goto(stack.web_url + "/console/login")
    page.get_by_label("Email").fill(ADMIN[0])
    page.get_by_label("Password").fill(ADMIN[1])
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/console/"))


def open_widget(page: Page) -> None:
    page.locator(".rw-launcher").click()
    expect(page.locator(".rw-new-message")).to_be_visible()


def bot_says(page: Page, pattern: str) -> None:
    expect(page.locator(".rw-messages-container")).to_contain_text(re.compile(pattern))


def send(page: Page, text: str) -> None:
    box = page.locator(".rw-new-message")
    box.fill(text)
    box.press("Enter")


def settle(page: Page) -> None:
    """Until the widget's typing dots are gone and the network is idle."""
    expect(page.locator(".rw-typing-indication")).to_have_count(0)
    page.wait_for_load_state("networkidle")


# --- a clean console ---------------------------------------------------------


def test_no_console_error_or_failed_request_on_the_site(
    browser: Browser, stack: ConsoleStack
) -> None:
    context = new_context(browser)
    page = context.new_page()
    problems = watch(page)
    for path in SITE_PAGES:
        page.goto(stack.web_url + path)
        page.locator(".rw-launcher").wait_for()
        page.wait_for_load_state("networkidle")
        assert problems == [], f"{path}, widget closed"
    page.goto(stack.web_url + "/")
    open_widget(page)
    bot_says(page, GREETING)
    settle(page)
    assert problems == [], "widget open"
    send(page, "which skills do I need?")
    bot_says(page, "Technical AI foundations")
    page.locator(".rw-reply", has_text="How do I get there?").last.click()
    bot_says(page, "The usual route")
    settle(page)
    for path in SITE_PAGES:  # the conversation follows the visitor
        page.goto(stack.web_url + path)
        page.locator(".rw-launcher").wait_for()
        page.wait_for_load_state("networkidle")
    assert problems == [], "after a conversation"
    context.close()


def test_no_console_error_or_failed_request_in_the_console(
    browser: Browser, stack: ConsoleStack
) -> None:
    context = new_context(browser)
    page = context.new_page()
    problems = watch(page)
    log_in(page, stack)
    for path in CONSOLE_PAGES:
        page.goto(stack.web_url + path)
        page.wait_for_load_state("networkidle")
        assert problems == [], path
    context.close()


def test_the_check_sees_a_csp_violation(browser: Browser, stack: ConsoleStack) -> None:
    """The watcher itself: a script from another origin is reported."""
    context = new_context(browser)
    page = context.new_page()
    problems = watch(page)
    page.goto(stack.web_url + "/privacy")
    with page.expect_console_message(lambda m: m.type == "error"):
        page.evaluate(
            "() => { const s = document.createElement('script');"
            " s.src = 'https://fonts.googleapis.com/x.js'; document.head.append(s); }"
        )
    assert any("Content Security Policy" in p for p in problems), problems
    context.close()


# --- axe-core --------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_axe_finds_nothing_serious_on_the_site(
    browser: Browser, stack: ConsoleStack, size: str
) -> None:
    context = new_context(browser, size, bypass_csp=True)
    page = context.new_page()
    found: dict[str, list[str]] = {}
    for path in SITE_PAGES:
        page.goto(stack.web_url + path)
        page.locator(".rw-launcher").wait_for()
        found[f"{path} closed"] = axe_violations(page)
        open_widget(page)
        bot_says(page, GREETING)
        settle(page)
        found[f"{path} open"] = axe_violations(page)
        page.locator(".rw-close-button:visible, .rw-launcher:visible").first.click()
    assert {k: v for k, v in found.items() if v} == {}
    context.close()


@pytest.mark.parametrize("size", SIZES)
def test_axe_finds_nothing_serious_in_the_console(
    browser: Browser, stack: ConsoleStack, size: str
) -> None:
    context = new_context(browser, size, bypass_csp=True)
    page = context.new_page()
    page.goto(stack.web_url + "/console/login")
    found = {"/console/login": axe_violations(page)}
    log_in(page, stack)
    for path in CONSOLE_PAGES:
        page.goto(stack.web_url + path)
        found[path] = axe_violations(page)
    page.goto(stack.web_url + "/console/conversations")
    page.locator("#conversations tbody tr a").first.click()
    found["/console/conversation"] = axe_violations(page)
    assert {k: v for k, v in found.items() if v} == {}
    context.close()


# --- the keyboard alone, announcements, order ---------------------------------


def tab_to(page: Page, selector: str, presses: int = 60) -> None:
    """Press Tab until the focused element matches ``selector``."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def press_reply(page: Page, title: str) -> None:
    """Tab to the quick reply with this title (the last one shown) and press Enter."""
    settle(page)
    target = page.locator(".rw-replies .rw-reply", has_text=title).last
    expect(target).to_be_visible()
    page.locator(".rw-new-message").focus()
    for _ in range(40):
        page.keyboard.press("Shift+Tab")
        if target.evaluate("node => node === document.activeElement"):
            page.keyboard.press("Enter")
            return
    raise AssertionError(f"Tab never reached the reply {title!r}")


def type_and_enter(page: Page, text: str) -> None:
    settle(page)
    page.locator(".rw-new-message").focus()
    page.keyboard.type(text)
    page.keyboard.press("Enter")


@pytest.mark.parametrize("size", SIZES)
def test_a_whole_conversation_with_the_keyboard_alone(
    browser: Browser, stack: ConsoleStack, size: str
) -> None:
    context = new_context(browser, size)
    page = context.new_page()
    page.goto(stack.web_url + "/")
    tab_to(page, ".rw-launcher")
    page.keyboard.press("Enter")
    expect(page.locator(".rw-new-message")).to_be_focused()
    bot_says(page, GREETING)
    press_reply(page, "Skills I need")
    bot_says(page, "Technical AI foundations")
    press_reply(page, "How do I get there?")
    bot_says(page, "The usual route")
    type_and_enter(page, "I want to apply")
    bot_says(page, "What's your full name")
    type_and_enter(page, "Grace Hopper")
    bot_says(page, "What email address")
    type_and_enter(page, f"grace.keyboard.{size}@example.org")
    bot_says(page, "Which programme")
    press_reply(page, "machine learning")
    bot_says(page, "level of education")
    press_reply(page, "Master's degree")
    bot_says(page, "Which country")
    type_and_enter(page, "Belgium")
    bot_says(page, "Anything you'd like to tell")
    type_and_enter(page, "no")
    bot_says(page, "Last step")
    press_reply(page, "Yes, I agree")
    bot_says(page, "Here's your application")
    press_reply(page, "Yes, send it")
    bot_says(page, r"Your reference is AP-[A-Z0-9]{6}")
    context.close()


def test_every_new_bot_message_is_announced(
    browser: Browser, stack: ConsoleStack
) -> None:
    context = new_context(browser)
    page = context.new_page()
    page.goto(stack.web_url + "/")
    announcer = page.locator("#chat-announcer")
    expect(announcer).to_have_attribute("aria-live", "polite")
    open_widget(page)
    bot_says(page, GREETING)
    send(page, "which skills do I need?")
    bot_says(page, "Clear communication and leadership")
    settle(page)
    shown = page.locator(
        ".rw-from-response .rw-message:not(.rw-typing-indication) .rw-response"
    ).all_inner_texts()
    lines = announcer.locator("p").all_inner_texts()
    assert len(shown) >= 3

    def words(text: str) -> str:
        return " ".join(text.split())

    assert [words(line) for line in lines] == [words(f"Advisor: {t}") for t in shown]
    # The visitor's own message and the typing dots are not read out.
    assert not any("which skills do I need" in line for line in lines)
    # A reload shows the stored conversation without reading it out again.
    page.reload()
    # The widget remembers it was open; open it only if the reload closed it.
    expect(page.locator(".rw-launcher")).to_be_visible()
    if not page.locator(".rw-conversation-container").is_visible():
        open_widget(page)
    bot_says(page, "Clear communication and leadership")
    expect(announcer.locator("p")).to_have_count(0)
    context.close()


def order_of(page: Page) -> list[str]:
    return page.locator(".rw-group-message").evaluate_all(
        "groups => groups.map(g => (g.classList.contains('rw-from-client')"
        " ? 'visitor: ' : 'bot: ') + g.innerText.trim())"
    )


def test_a_question_typed_before_the_greeting_comes_after_it(
    browser: Browser, stack: ConsoleStack
) -> None:
    context = new_context(browser)
    page = context.new_page()
    page.goto(stack.web_url + "/")
    page.locator(".rw-launcher").click()
    box = page.locator(".rw-new-message")
    expect(box).to_be_enabled()
    # At once, before the greeting can have arrived.
    box.fill("which degree do I need for this job?")
    box.press("Enter")
    bot_says(page, "Bachelor in computer science")
    settle(page)
    order = order_of(page)
    assert order[0].startswith("bot: ") and GREETING in order[0], order
    question = order.index("visitor: which degree do I need for this job?")
    assert question >= 1
    assert all(line.startswith("bot: ") for line in order[:question]), order
    context.close()


def test_a_follow_up_sent_during_an_answer_comes_after_its_last_bubble(
    browser: Browser, stack: ConsoleStack
) -> None:
    context = new_context(browser)
    page = context.new_page()
    page.goto(stack.web_url + "/")
    open_widget(page)
    bot_says(page, GREETING)
    settle(page)
    send(page, "which skills do I need?")
    expect(page.locator(".rw-typing-indication")).to_have_count(1)
    send(page, "how much does an AI project manager earn?")  # while the dots show
    question = "visitor: how much does an AI project manager earn?"
    # Shown once the answer before it is complete, then answered.
    page.wait_for_function(
        "q => [...document.querySelectorAll('.rw-group-message')].some("
        "g => g.innerText.trim() === q)",
        arg=question.removeprefix("visitor: "),
    )
    expect(page.locator(".rw-group-message").last).to_have_class(
        re.compile("rw-from-response")
    )
    settle(page)
    order = order_of(page)
    follow_up = order.index(question)
    skills = next(i for i, line in enumerate(order) if "Clear communication" in line)
    assert skills < follow_up, order
    assert order[follow_up + 1].startswith("bot: "), order
    context.close()
