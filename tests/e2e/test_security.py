"""What is exposed, with the real processes (docs/security.md, the threat model).

* Rasa's HTTP API is not enabled: model upload, training, trackers, status...
  all refuse an anonymous request; nothing in the project starts Rasa with
  ``--enable-api`` without ``--auth-token``.
* Neither the REST channel nor the web app grants another origin (CORS); the
  socket.io channel refuses a foreign ``Origin``: that one is
  ``tests/e2e/test_web.py::test_only_the_sites_origin_may_open_a_socket``.
* The web app sends its security headers on every page.
* What visitors write is shown as text in the widget, even when the bot repeats
  it (the application's summary): script, image and link payloads run nothing.
  The CSV export's formula neutralising is in ``tests/integration/test_retention.py``.
"""

from __future__ import annotations

import json
import re

import pytest
import requests
from playwright.sync_api import Page, expect

from bot.answers import literal
from bot.settings import PROJECT_ROOT
from tests.e2e.test_web import bot_says, open_chat, send
from tests.support.stack import Stack, module_stack

pytestmark = pytest.mark.e2e

FOREIGN = "http://evil.example"
# Rasa's HTTP API (rasa/server.py), which `rasa run --enable-api` would add.
API_ROUTES = [
    ("GET", "/status"),
    ("GET", "/version"),
    ("GET", "/domain"),
    ("PUT", "/model"),
    ("DELETE", "/model"),
    ("POST", "/model/train"),
    ("POST", "/model/test/stories"),
    ("POST", "/model/test/intents"),
    ("POST", "/model/predict"),
    ("POST", "/model/parse"),
    ("GET", "/conversations/victim/tracker"),
    ("POST", "/conversations/victim/tracker/events"),
    ("PUT", "/conversations/victim/tracker/events"),
    ("GET", "/conversations/victim/story"),
    ("POST", "/conversations/victim/execute"),
    ("POST", "/conversations/victim/trigger_intent"),
    ("POST", "/conversations/victim/predict"),
    ("POST", "/conversations/victim/messages"),
]


stack = module_stack("security", rasa_port=5505, actions_port=5555, web_port=8505)


@pytest.mark.parametrize(("method", "path"), API_ROUTES)
def test_the_rasa_http_api_refuses_anonymous_requests(
    stack: Stack, method: str, path: str
) -> None:
    body = {"text": "/greet", "event": "slot", "name": "x", "value": 1}
    response = requests.request(
        method, stack.rasa_url + path, data=json.dumps(body), timeout=10
    )
    assert response.status_code in (401, 403, 404), (path, response.status_code)


def test_a_refused_api_call_changed_nothing(stack: Stack) -> None:
    sender = "security-victim"
    requests.post(
        f"{stack.rasa_url}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": "hello"}),
        timeout=30,
    ).raise_for_status()
    requests.put(
        f"{stack.rasa_url}/conversations/{sender}/tracker/events",
        data=json.dumps([{"event": "restart"}]),
        timeout=10,
    )
    assert requests.get(stack.rasa_url + "/", timeout=5).text.startswith(
        "Hello from Rasa"
    )
    from sqlalchemy import create_engine, text

    engine = create_engine(stack.database_url)
    with engine.connect() as connection:
        types = connection.execute(
            text("SELECT type_name FROM events WHERE sender_id = :s"), {"s": sender}
        ).scalars()
        assert "restart" not in list(types)
    engine.dispose()


def _launchers() -> dict[str, str]:
    """The project's files that start a Rasa server, by name."""
    paths = [PROJECT_ROOT / "Procfile", PROJECT_ROOT / "Makefile"]
    paths += sorted((PROJECT_ROOT / "scripts").glob("*"))
    paths += [PROJECT_ROOT / "tests" / "stack.py", PROJECT_ROOT / ".ci" / "run"]
    return {
        str(path.relative_to(PROJECT_ROOT)): path.read_text(errors="replace")
        for path in paths
        if path.is_file()
    }


def test_nothing_starts_rasa_with_an_open_api() -> None:
    launchers = _launchers()
    assert "rasa run" in launchers["Procfile"]
    for name, source in launchers.items():
        if "--enable-api" in source:
            assert "--auth-token" in source or "--jwt-secret" in source, name
        assert not re.search(r"--cors[\s\"',]+\*", source), name


def test_the_rest_channel_grants_no_other_origin(stack: Stack) -> None:
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    preflight = requests.options(
        url,
        headers={"Origin": FOREIGN, "Access-Control-Request-Method": "POST"},
        timeout=5,
    )
    posted = requests.post(
        url,
        data=json.dumps({"sender": "security-cors", "message": "hi"}),
        headers={"Origin": FOREIGN},
        timeout=30,
    )
    for response in (preflight, posted):
        assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize(
    "path", ["/", "/programmes", "/privacy", "/static/site.css", "/no-such-page"]
)
def test_the_web_app_sends_its_security_headers(stack: Stack, path: str) -> None:
    response = requests.get(
        stack.web_url + path, headers={"Origin": FOREIGN}, timeout=5
    )
    headers = response.headers
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-eval" not in csp and "script-src 'self' 'unsafe-inline'" not in csp
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert "access-control-allow-origin" not in headers


# What a visitor might type to run something in the widget or load from elsewhere.
PAYLOAD = (
    "<script>alert('script')</script> <img src=x onerror=alert('img')> "
    "[click me](javascript:alert('link')) <a href=\"javascript:alert('a')\">a</a> "
    "![pixel](http://127.0.0.1:9/pixel.png)"
)


def test_payloads_repeated_by_the_bot_are_shown_as_text(
    page: Page, stack: Stack
) -> None:
    dialogs: list[str] = []
    requested: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("request", lambda request: requested.append(request.url))
    open_chat(page, stack)
    bot_says(page, "I'm AI2's career advisor")
    send(page, PAYLOAD)
    expect(page.locator(".rw-client").last).to_have_text(PAYLOAD)
    # Whatever NLU makes of it, the bot answers.
    expect(page.locator(".rw-response")).not_to_have_count(1)
    # The bot repeats what it was asked about ("The guide doesn't say anything
    # about ..."); the intent is given, so that NLU cannot take another path.
    send(page, "/ask_skills" + json.dumps({"skill": PAYLOAD}))
    bot_says(page, "doesn't say anything about")
    expect(
        page.locator(".rw-response", has_text="doesn't say anything about")
    ).to_contain_text("<script>alert('script')</script>")
    messages = page.locator(".rw-messages-container")
    assert messages.locator("script").count() == 0
    assert messages.locator("img[src='x']").count() == 0
    hrefs = messages.locator("a").evaluate_all("links => links.map(a => a.href)")
    assert not [href for href in hrefs if "alert" in href], hrefs
    assert not [url for url in requested if "127.0.0.1:9/" in url]
    assert dialogs == []


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("[click](javascript:alert(1))", "\\[click\\](javascript:alert(1))"),
        ("![x](http://evil.example/x.png)", "!\\[x\\](http://evil.example/x.png)"),
        ("C:\\path", "C:\\\\path"),
        ("Marie Curie-Skłodowska", "Marie Curie-Skłodowska"),
    ],
)
def test_visitor_text_in_a_response_cannot_become_a_link(
    typed: str, shown: str
) -> None:
    assert literal(typed) == shown
