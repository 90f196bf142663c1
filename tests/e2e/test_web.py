"""The website and its chat widget, in a real headless Chromium (Debian's).

Playwright drives /usr/bin/chromium (its own browser download cannot work
here). The module starts the action server, the Rasa server and the web app on
test ports. Screenshots are saved under tests/artifacts/.
"""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from bot.knowledge.queries import KnowledgeBase
from tests.support.browser import TIMEOUT, screenshot
from tests.support.stack import Stack, module_stack

pytestmark = pytest.mark.e2e


stack = module_stack("web", rasa_port=5305, actions_port=5355, web_port=8305)


def open_chat(page: Page, stack: Stack, path: str = "/") -> None:
    page.goto(stack.web_url + path)
    launcher = page.locator(".rw-launcher")
    launcher.wait_for()  # the widget mounts on the window's load event
    if not page.locator(".rw-new-message").is_visible():
        launcher.click()
    expect(page.locator(".rw-new-message")).to_be_visible()


def send(page: Page, text: str) -> None:
    box = page.locator(".rw-new-message")
    box.fill(text)
    box.press("Enter")


def bot_says(page: Page, pattern: str) -> None:
    expect(page.locator(".rw-messages-container")).to_contain_text(re.compile(pattern))


def test_the_page_shows_the_knowledge_base(
    page: Page, stack: Stack, kb: KnowledgeBase
) -> None:
    page.goto(stack.web_url + "/")
    expect(page.locator("h1")).to_have_text("How to become an AI project manager")
    for area in kb.skills():
        expect(page.locator("main")).to_contain_text(area.name)
    assert (
        "frame-ancestors 'none'"
        in requests.get(stack.web_url, timeout=5).headers["content-security-policy"]
    )


def test_the_widget_greets_answers_and_keeps_the_conversation(
    page: Page, stack: Stack
) -> None:
    open_chat(page, stack)
    bot_says(page, "I'm AI2's career advisor")
    expect(page.locator(".rw-reply", has_text="Skills I need")).to_be_visible()
    screenshot(page, "desktop-greeting")

    send(page, "which skills do I need?")
    # The widget shows typing dots for 0.8 to 3 s before each bot message.
    expect(page.locator(".rw-typing-indication")).to_be_visible()
    bot_says(page, "Technical AI foundations")
    bot_says(page, "Clear communication and leadership")

    page.locator(".rw-reply", has_text="How do I get there?").last.click()
    bot_says(page, "The usual route")
    screenshot(page, "desktop-conversation")

    page.reload()
    open_chat(page, stack)
    bot_says(page, "Technical AI foundations")  # still there after a reload

    page.goto(stack.web_url + "/programmes")
    open_chat(page, stack, "/programmes")
    bot_says(page, "The usual route")  # and on another page of the site

    page.locator("#start-over").click()
    open_chat(page, stack)
    bot_says(page, "I'm AI2's career advisor")
    expect(page.locator(".rw-messages-container")).not_to_contain_text(
        "The usual route"
    )


def test_markup_is_shown_as_text_and_never_run(page: Page, stack: Stack) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_chat(page, stack)
    payload = "<img src=x onerror=alert(1)>"
    send(page, payload)
    expect(page.locator(".rw-client").last).to_have_text(payload)
    bot_says(page, "understand|Did you mean|can.t help|would you like to know")
    assert page.locator(".rw-messages-container img[src='x']").count() == 0
    assert dialogs == []


def test_the_application_form_ends_with_a_reference(page: Page, stack: Stack) -> None:
    open_chat(page, stack)
    send(page, "I want to apply")
    bot_says(page, "What's your full name")
    send(page, "Grace Hopper")
    bot_says(page, "What email address")
    send(page, "grace(at) example")
    bot_says(page, "doesn't look valid")
    send(page, "grace.hopper@example.org")
    bot_says(page, "Which programme")
    page.locator(".rw-reply", has_text="machine learning").last.click()
    bot_says(page, "level of education")
    page.locator(".rw-reply", has_text="Master's degree").last.click()
    bot_says(page, "Which country")
    send(page, "Belgium")
    bot_says(page, "Anything you'd like to tell")
    send(page, "no")
    bot_says(page, "Last step")
    page.locator(".rw-reply", has_text="Yes, I agree").last.click()
    bot_says(page, "Here's your application")
    page.locator(".rw-reply", has_text="Yes, send it").last.click()
    bot_says(page, r"Your reference is AP-[A-Z0-9]{6}")
    screenshot(page, "desktop-application")


def test_phone_size_and_keyboard_only(browser: Browser, stack: Stack) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(stack.web_url + "/")
    launcher = page.get_by_role("button", name="Open the AI Career Advisor chat")
    expect(launcher).to_be_visible()
    launcher.focus()
    page.keyboard.press("Enter")
    box = page.get_by_role("textbox", name="Your message to the advisor")
    expect(box).to_be_visible()
    box.focus()
    page.keyboard.type("what does an AI project manager do?")
    page.keyboard.press("Enter")
    bot_says(page, "data scientists")
    screenshot(page, "phone-conversation")
    context.close()


def test_only_the_sites_origin_may_open_a_socket(stack: Stack) -> None:
    url = f"{stack.rasa_url}/socket.io/?EIO=4&transport=polling"
    allowed = requests.get(url, headers={"Origin": stack.web_url}, timeout=5)
    refused = requests.get(url, headers={"Origin": "http://evil.example"}, timeout=5)
    assert allowed.status_code == 200
    assert refused.status_code == 400


def test_an_unreachable_server_is_announced_and_the_chat_recovers(
    page: Page, stack: Stack
) -> None:
    # Last in the module: it stops and restarts the Rasa server.
    open_chat(page, stack)
    bot_says(page, "I'm AI2's career advisor")
    stack.stop_rasa()
    expect(page.locator("#chat-status")).to_contain_text("can't be reached")
    # The widget takes no message while disconnected, so none can be lost.
    expect(page.locator(".rw-new-message")).to_be_disabled()
    stack.start_rasa()
    expect(page.locator(".rw-new-message")).to_be_enabled(timeout=60_000)
    expect(page.locator("#chat-status")).to_be_hidden()
    send(page, "which degree do I need for this job?")
    bot_says(page, "Bachelor in computer science")


# --- the site in French (issue 19) ------------------------------------------------


def test_the_french_pages_show_the_french_knowledge_base(
    page: Page, stack: Stack, kb: KnowledgeBase
) -> None:
    page.goto(stack.web_url + "/fr/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("h1")).to_have_text("Comment devenir chef de projet IA")
    for area in kb.skills():
        expect(page.locator("main")).to_contain_text(area.fr["name"])
    page.locator(".language-switch").click()
    expect(page).to_have_url(stack.web_url + "/")
    expect(page.locator("h1")).to_have_text("How to become an AI project manager")
    page.goto(stack.web_url + "/programmes")
    page.locator(".language-switch").click()
    expect(page).to_have_url(stack.web_url + "/fr/programmes")
    expect(page.locator("h2#why")).to_have_text("Pourquoi AI2")
    page.goto(stack.web_url + "/fr/privacy")
    expect(page.locator("main")).to_contain_text("supprimer mes données")


def test_the_widget_on_a_french_page_speaks_french(page: Page, stack: Stack) -> None:
    open_chat(page, stack, "/fr/")
    expect(page.locator(".rw-new-message")).to_have_attribute(
        "placeholder", "Posez votre question sur le métier de chef de projet IA…"
    )
    expect(page.locator(".rw-launcher, .rw-close-button").first).to_have_attribute(
        "aria-label", re.compile("conversation|conseiller")
    )
    bot_says(page, "Je suis le conseiller carrière d'AI2")
    expect(
        page.locator(".rw-reply", has_text="Les compétences requises")
    ).to_be_visible()
    send(page, "faut-il savoir programmer en python ?")
    bot_says(page, "Python")
    bot_says(page, "D'après le guide")
    send(page, "ok")  # too short to say its language: French still
    bot_says(page, "Parfait|Très bien|Super|D'accord")
    screenshot(page, "desktop-french")
