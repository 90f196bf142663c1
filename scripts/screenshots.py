"""`make screenshots`: current pictures of what visitors and staff see.

Starts the real stack (tests/support/stack.py's ConsoleStack: action server, Rasa
server, web app with the console) on its own ports with a temporary data
folder (ADVISOR_DATA_DIR, the database and the console's key in it), so that
nothing real is read or changed. A few visitors talk to the bot over the REST
channel (questions, a fee the guide does not cover, an application to its
reference, a hand-off request, a message it cannot understand); two more talk
to it in the widget, at desktop and phone size, in Debian's headless chromium.
Then an admin, made with the `advisor staff add` command, logs in to the
console. Each picture is one viewport, PNG, in docs/screenshots/.

    .venv/bin/python scripts/screenshots.py [--ports RASA ACTIONS WEB] [--out DIR]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Browser, Page, expect  # noqa: E402

from scripts.bench_widget import PORTS, QUESTIONS, Widget, widget_page  # noqa: E402
from tests.support.browser import chromium  # noqa: E402
from tests.support.stack import ADMIN, APPLICATION_TURNS, ConsoleStack  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
SIZES = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 1,
    },
}
# What the widget pictures show: the greeting, a skills question, a salary one.
IN_THE_WIDGET = [s for s in QUESTIONS if s.label in ("skills", "salaries")]
# Conversations over REST, so that the console's pages have rows of every kind.
VISITORS = {
    "screens-applicant": [
        "/greet",
        "which skills do I need?",
        "how much does an AI project manager earn?",
        "and in Canada?",
        *APPLICATION_TURNS,
    ],
    "screens-fees": [
        "/greet",
        "how much does the master cost?",
        "/request_human",
        "Ada Lovelace",
        "ada.screens@example.org",
        "/affirm",
    ],
    "screens-format": [
        "/greet",
        "is the programme online or on campus?",
        "can a beginner become an AI project manager?",
        "I'm a teacher",
    ],
    "screens-unclear": ["/greet", "blorp the wizzle", "what does an AI PM do?"],
}
CONSOLE_PAGES = {
    "console-conversations": "/console/conversations",
    "console-transcript": "/console/conversation?id=screens-applicant",
    "console-applications": "/console/applications",
    "console-handoffs": "/console/handoffs",
    "console-unanswered": "/console/unanswered",
    "console-overview": "/console/overview",
    "console-corrections": "/console/corrections",
    "console-staff": "/console/staff",
}


def settled(page: Page) -> None:
    """Network idle and every CSS animation finished (charts draw at once)."""
    page.wait_for_load_state("networkidle")
    page.wait_for_function(
        "() => document.getAnimations().every(a => a.playState !== 'running')"
    )


def shoot(page: Page, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=False, animations="disabled")
    print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return path


def site(browser: Browser, url: str, folder: Path) -> None:
    context = browser.new_context(**SIZES["desktop"])
    page = context.new_page()
    for name, path in {"site-home": "/", "site-programmes": "/programmes"}.items():
        page.goto(url + path)
        page.locator(".rw-launcher").wait_for()
        settled(page)
        shoot(page, folder, name)
    context.close()


def widget(browser: Browser, url: str, folder: Path, size: str) -> None:
    with widget_page(browser, url + "/", **SIZES[size]) as page:
        chat = Widget(page)
        for answer in [chat.open(), *map(chat.send, IN_THE_WIDGET)]:
            if not answer.expected:
                raise RuntimeError(f"{answer.step}: unexpected answer {answer.text!r}")
        settled(page)
        # The last question at the top of the log: the visitor's message and
        # its answer's bubbles in one picture (the widget scrolls to the end).
        page.locator(".rw-from-client").last.evaluate(
            "node => node.scrollIntoView({block: 'start'})"
        )
        shoot(page, folder, f"widget-{size}")


def console(browser: Browser, url: str, folder: Path) -> None:
    context = browser.new_context(**SIZES["desktop"])
    page = context.new_page()
    page.goto(url + "/console/login")
    page.get_by_label("Email").fill(ADMIN[0])
    page.get_by_label("Password").fill(ADMIN[1])
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/console/"))
    for name, path in CONSOLE_PAGES.items():
        response = page.goto(url + path)
        if response is None or not response.ok:
            raise RuntimeError(f"{path}: {response and response.status}")
        settled(page)
        if page.locator("canvas").count():
            page.wait_for_timeout(1500)  # chart.js animates its charts for 1 s
        shoot(page, folder, name)
    context.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ports", type=int, nargs=3, default=PORTS)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    rasa, actions, web = args.ports
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="screenshots-") as folder:
        stack = ConsoleStack(
            Path(folder), rasa_port=rasa, actions_port=actions, web_port=web
        )
        with stack.running(), chromium() as browser:
            stack.add_admin()
            for sender, turns in VISITORS.items():
                for turn in turns:
                    stack.say(sender, turn, timeout=30)
            site(browser, stack.web_url, args.out)
            for size in SIZES:
                widget(browser, stack.web_url, args.out, size)
            console(browser, stack.web_url, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
