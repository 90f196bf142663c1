"""Who may use the staff console, and how: the web app through Starlette's
TestClient, on a real temporary SQLite database; the `advisor staff` commands.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import sessionmaker
from starlette.routing import Route
from starlette.testclient import TestClient
from typer.testing import CliRunner

from bot import migrations
from bot.applications.models import Application, utcnow
from bot.applications.service import ApplicationData, store_application
from bot.cli import app as cli
from bot.db import make_engine, make_session_factory
from bot.web.app import SiteConfig, create_app
from bot.web.console import auth
from bot.web.console.config import ConsoleConfig, secret_from_file
from bot.web.console.models import Correction, Review, StaffSession, StaffUser, Tag
from bot.web.console.routes import PUBLIC, ROUTES
from tests.conftest import clear_process_caches
from tests.support.console_support import (
    GREETING,
    Turn,
    events_of,
    save,
    skills_question,
)

ADMIN = ("admin@ai2.example.org", "correct horse battery")
REVIEWER = ("reviewer@ai2.example.org", "staple paper clip 42")
PAYLOAD = "<script>alert(1)</script>"
NOON = utcnow().replace(hour=12, minute=0, second=0, microsecond=0)


def _fill(database_url: str, session_factory: sessionmaker) -> sessionmaker:
    with session_factory.begin() as session:
        auth.add_staff(session, *ADMIN, "admin")
        auth.add_staff(session, *REVIEWER, "reviewer")
    save(
        database_url,
        "visitor-1",
        events_of(
            [GREETING, skills_question(), Turn(PAYLOAD, "out_of_scope", 0.4)], NOON
        ),
    )
    store_application(
        session_factory,
        ApplicationData(
            full_name="Ada Lovelace",
            email="ada@example.org",
            programme="master-machine-learning",
            education="Master's degree",
            country="United Kingdom",
            message='=HYPERLINK("http://evil")',
            conversation_id="visitor-1",
            consent_at=NOON,
        ),
    )
    return session_factory


@pytest.fixture
def database(database_url: str, session_factory: sessionmaker) -> sessionmaker:
    return _fill(database_url, session_factory)


def _config(database_url: str, folder: Path) -> ConsoleConfig:
    return ConsoleConfig(
        database_url=database_url,
        secret_key="test-key-" + "x" * 40,
        corrections_file=folder / "nlu" / "corrections.yml",
    )


@pytest.fixture
def config(database_url: str, tmp_path: Path) -> ConsoleConfig:
    return _config(database_url, tmp_path)


def _client(config: ConsoleConfig) -> TestClient:
    app = create_app(SiteConfig(socket_url="http://localhost:5005"), config)
    return TestClient(app, base_url="http://testserver")


@pytest.fixture
def client(database: sessionmaker, config: ConsoleConfig) -> Iterator[TestClient]:
    with _client(config) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def anonymous(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One app and database for the many requests that only check refusals."""
    folder = tmp_path_factory.mktemp("anonymous")
    url = f"sqlite:///{folder / 'advisor.db'}"
    migrations.upgrade(url)
    engine = make_engine(url)
    _fill(url, make_session_factory(engine))
    with _client(_config(url, folder)) as test_client:
        yield test_client
    engine.dispose()


def csrf(client: TestClient, path: str = "/console/login") -> str:
    page = client.get(path)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def log_in(client: TestClient, who: tuple[str, str]) -> None:
    response = client.post(
        "/console/login",
        data={"email": who[0], "password": who[1], "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def post(client: TestClient, path: str, **data: str) -> object:
    token = csrf(client, "/console/conversations")
    return client.post(path, data={"csrf_token": token, **data}, follow_redirects=False)


# --- every route refuses an anonymous request -----------------------------------------


def _protected() -> list[tuple[str, str]]:
    return [
        (route.path, method)
        for route in ROUTES
        if isinstance(route, Route)
        for method in sorted(set(route.methods or ()) - {"HEAD"})
        if (route.path, method) not in PUBLIC
    ]


def test_every_route_but_the_login_form_is_guarded() -> None:
    for route in ROUTES:
        for method in route.methods - {"HEAD"}:
            guarded = hasattr(route.endpoint, "required_role")
            assert guarded != ((route.path, method) in PUBLIC), (route.path, method)


@pytest.mark.parametrize(("path", "method"), _protected())
def test_an_anonymous_request_gets_401_or_the_login_form(
    anonymous: TestClient, path: str, method: str
) -> None:
    url = "/console" + path
    response = anonymous.request(method, url, follow_redirects=False)
    if response.status_code == 303:
        assert method == "GET"
        assert response.headers["location"].startswith("/console/login?next=")
    else:
        assert response.status_code == 401
    assert "Ada" not in response.text and "skills" not in response.text


def test_pages_redirect_and_exports_refuse(anonymous: TestClient) -> None:
    page = anonymous.get("/console/conversations?q=x", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == (
        "/console/login?next=/console/conversations%3Fq%3Dx"
    )
    assert anonymous.get("/console/applications.csv").status_code == 401
    assert anonymous.get("/console/corrections.yml").status_code == 401
    login = anonymous.get(page.headers["location"])
    assert 'name="next" value="/console/conversations?q=x"' in login.text


# --- logging in and out ---------------------------------------------------------------


def test_login_gives_a_signed_httponly_samesite_cookie_and_logout_ends_it(
    client: TestClient, database: sessionmaker
) -> None:
    token = csrf(client)
    response = client.post(
        "/console/login",
        data={"email": ADMIN[0].upper(), "password": ADMIN[1], "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/console/conversations"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("advisor_console=")
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "path=/console" in cookie.lower() and "secure" not in cookie.lower()
    stolen = client.cookies.get("advisor_console")
    assert client.get("/console/conversations").status_code == 200

    logout = post(client, "/console/logout")
    assert logout.status_code == 303 and logout.headers["location"] == "/console/login"
    assert (
        client.get("/console/conversations", follow_redirects=False).status_code == 303
    )
    # The cookie from before the logout opens nothing any more.
    client.cookies.set("advisor_console", stolen, path="/console")
    assert (
        client.get("/console/conversations", follow_redirects=False).status_code == 303
    )


def test_a_tampered_or_foreign_cookie_is_no_session(
    client: TestClient, database: sessionmaker, config: ConsoleConfig
) -> None:
    log_in(client, REVIEWER)
    value = client.cookies.get("advisor_console")
    client.cookies.clear()
    client.cookies.set("advisor_console", value[:-3] + "abc", path="/console")
    assert client.get("/console/overview", follow_redirects=False).status_code == 303


def test_the_secure_flag_when_served_over_https(
    database: sessionmaker, config: ConsoleConfig
) -> None:
    secure = ConsoleConfig(**{**config.__dict__, "https_only": True})
    app = create_app(SiteConfig(socket_url="http://localhost:5005"), secure)
    with TestClient(app, base_url="https://testserver") as https:
        page = https.get("/console/login")
        assert "secure" in page.headers["set-cookie"].lower()


def test_wrong_passwords_unknown_accounts_and_the_next_parameter(
    client: TestClient,
) -> None:
    for email, password in [(ADMIN[0], "wrong password!"), ("nobody@x.org", ADMIN[1])]:
        response = client.post(
            "/console/login",
            data={"email": email, "password": password, "csrf_token": csrf(client)},
        )
        assert response.status_code == 401
        assert "Wrong email or password" in response.text
    response = client.post(
        "/console/login",
        data={
            "email": REVIEWER[0],
            "password": REVIEWER[1],
            "next": "https://evil.example/console/",
            "csrf_token": csrf(client),
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/console/conversations"


def test_five_failures_lock_the_account_for_fifteen_minutes(
    client: TestClient, database: sessionmaker
) -> None:
    for _ in range(auth.MAX_FAILURES):
        client.post(
            "/console/login",
            data={
                "email": ADMIN[0],
                "password": "not it at all",
                "csrf_token": csrf(client),
            },
        )
    locked = client.post(
        "/console/login",
        data={"email": ADMIN[0], "password": ADMIN[1], "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert locked.status_code == 401 and "locked until" in locked.text
    # The other account is not affected; the locked one opens after 15 minutes.
    log_in(client, REVIEWER)
    later = utcnow() + auth.LOCK_TIME + dt.timedelta(seconds=1)
    assert auth.authenticate(database, ADMIN[0], ADMIN[1], now=later).staff is not None


def test_unknown_emails_lock_the_same_way(database: sessionmaker) -> None:
    now = utcnow()
    for _ in range(auth.MAX_FAILURES):
        assert (
            auth.authenticate(database, "ghost@x.org", "guess guess", now).staff is None
        )
    assert auth.authenticate(database, "ghost@x.org", "guess", now).locked_until


def test_failures_spread_over_more_than_the_window_do_not_lock(
    database: sessionmaker,
) -> None:
    start = utcnow()
    for minute in range(0, 20, 4):  # five failures over 16 minutes
        at = start + dt.timedelta(minutes=minute)
        auth.authenticate(database, ADMIN[0], "nope nope nope", at)
    at = start + dt.timedelta(minutes=17)
    assert auth.authenticate(database, ADMIN[0], ADMIN[1], at).staff is not None


ATTACKER = "203.0.113.7"


def test_one_address_failing_on_many_accounts_is_refused(
    database: sessionmaker,
) -> None:
    # A few guesses on each of many accounts: no account reaches its own limit.
    now = utcnow()
    results = [
        auth.authenticate(
            database, f"user{i % 7}@x.org", "guess guess", now, address=ATTACKER
        )
        for i in range(auth.MAX_ADDRESS_FAILURES)
    ]
    assert not any(r.address_locked for r in results[:-1])
    assert results[-1].address_locked and results[-1].locked_until
    # Refused unchecked from that address, even with the right password ...
    refused = auth.authenticate(database, ADMIN[0], ADMIN[1], now, address=ATTACKER)
    assert refused.staff is None and refused.address_locked
    # ... while the account itself is not locked, from anywhere else.
    elsewhere = auth.authenticate(database, ADMIN[0], ADMIN[1], now, "198.51.100.2")
    assert elsewhere.staff is not None
    later = now + auth.LOCK_TIME + dt.timedelta(seconds=1)
    assert auth.authenticate(database, *ADMIN, later, address=ATTACKER).staff


def test_the_address_lock_is_said_on_the_login_page(client: TestClient) -> None:
    # Starlette's test client always comes from the address "testclient".
    for i in range(auth.MAX_ADDRESS_FAILURES - 1):
        response = client.post(
            "/console/login",
            data={
                "email": f"user{i}@x.org",
                "password": "not it at all",
                "csrf_token": csrf(client),
            },
        )
        assert "from this address" not in response.text
    last = client.post(
        "/console/login",
        data={"email": "x@x.org", "password": "no", "csrf_token": csrf(client)},
    )
    assert "from this address" in last.text  # the failure that locks says so
    locked = client.post(
        "/console/login",
        data={"email": ADMIN[0], "password": ADMIN[1], "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert locked.status_code == 401
    assert "Too many failed attempts from this address" in locked.text


def test_logins_without_an_address_lock_only_accounts(database: sessionmaker) -> None:
    now = utcnow()
    for i in range(auth.MAX_ADDRESS_FAILURES + 1):
        auth.authenticate(database, f"user{i}@x.org", "guess guess", now)
    assert auth.authenticate(database, *ADMIN, now).staff is not None


def test_a_session_ends_after_its_hours_and_with_its_account(
    client: TestClient, database: sessionmaker
) -> None:
    log_in(client, REVIEWER)
    assert client.get("/console/overview").status_code == 200
    with database.begin() as session:
        session.execute(
            update(StaffSession).values(created_at=utcnow() - dt.timedelta(hours=9))
        )
    assert client.get("/console/overview", follow_redirects=False).status_code == 303
    log_in(client, REVIEWER)
    with database.begin() as session:
        auth.remove_staff(session, REVIEWER[0])
    assert client.get("/console/overview", follow_redirects=False).status_code == 303


# --- CSRF and roles -------------------------------------------------------------------


def test_a_form_without_the_csrf_token_is_refused(
    client: TestClient, database: sessionmaker
) -> None:
    assert (
        client.post(
            "/console/login", data={"email": ADMIN[0], "password": ADMIN[1]}
        ).status_code
        == 403
    )
    log_in(client, ADMIN)
    for data in ({}, {"csrf_token": "forged"}):
        response = client.post(
            "/console/conversation/review",
            data={"sender_id": "visitor-1", "tag": "good", **data},
        )
        assert response.status_code == 403
    response = client.post(
        "/console/people/erase",
        data={"email": "ada@example.org"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    with database() as session:
        assert session.scalar(select(func.count()).select_from(Tag)) == 0
        assert session.scalar(select(func.count()).select_from(Application)) == 1


def test_a_reviewer_cannot_delete_personal_data_or_manage_staff(
    client: TestClient, database: sessionmaker
) -> None:
    log_in(client, REVIEWER)
    assert (
        post(client, "/console/people/erase", email="ada@example.org").status_code
        == 403
    )
    assert (
        post(client, "/console/people/erase", conversation_id="visitor-1").status_code
        == 403
    )
    assert client.get("/console/staff").status_code == 403
    assert (
        post(
            client,
            "/console/staff/add",
            email="x@ai2.example.org",
            password="p" * 14,
            role="admin",
        ).status_code
        == 403
    )
    assert post(client, "/console/staff/remove", email=ADMIN[0]).status_code == 403
    assert "Delete this person" not in client.get("/console/applications").text
    with database() as session:
        assert session.scalar(select(func.count()).select_from(Application)) == 1
        assert session.scalar(select(func.count()).select_from(StaffUser)) == 2


def test_an_admin_erases_one_person_and_manages_staff(
    client: TestClient, database: sessionmaker
) -> None:
    log_in(client, ADMIN)
    # The pages' deletion forms carry the token and the person (one Jinja macro).
    queue = client.get("/console/applications").text
    assert '<input type="hidden" name="email" value="ada@example.org">' in queue
    conversation = client.get("/console/conversation?id=visitor-1").text
    for page in (queue, conversation):
        assert "Delete this person's data" in page
        assert re.search(r'name="csrf_token" value="[^"]+"', page)
    assert '<input type="hidden" name="conversation_id" value="visitor-1">' in (
        conversation
    )
    response = post(client, "/console/people/erase", email="ada@example.org")
    assert response.status_code == 303
    assert "Erased 1 application" in client.get("/console/applications").text
    with database() as session:
        assert session.scalar(select(func.count()).select_from(Application)) == 0
    assert client.get("/console/conversation?id=visitor-1").status_code == 404

    post(
        client,
        "/console/staff/add",
        email="new@ai2.example.org",
        password="a long passphrase",
        role="reviewer",
    )
    post(
        client,
        "/console/staff/add",
        email="short@ai2.example.org",
        password="short",
        role="reviewer",
    )
    page = client.get("/console/staff").text
    assert "new@ai2.example.org" in page and "short@ai2.example.org" not in page
    assert "at least 12 characters" in page
    post(client, "/console/staff/remove", email=ADMIN[0])
    assert "cannot remove your own account" in client.get("/console/staff").text


# --- what a logged-in reviewer sees and does ------------------------------------------


def test_the_pages_show_the_data_with_markup_as_text(client: TestClient) -> None:
    log_in(client, REVIEWER)
    listing = client.get("/console/conversations")
    assert listing.status_code == 200
    assert "which skills do I need?" in listing.text  # the first question
    page = client.get("/console/conversation?id=visitor-1")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert PAYLOAD not in page.text
    assert "ask_skills" in page.text and "action_answer_skills" in page.text
    assert "AP-" in page.text  # the linked application
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert page.headers["cache-control"] == "no-store"
    overview = client.get("/console/overview")
    assert 'id="overview-data"' in overview.text and "chart.umd.min.js" in overview.text
    assert client.get("/vendor/chartjs/chart.umd.min.js").status_code == 200
    site = client.get("/privacy")
    assert "unsafe-inline" in site.headers["content-security-policy"]  # the widget's


def test_tag_review_correct_and_export(
    client: TestClient, database: sessionmaker, config: ConsoleConfig
) -> None:
    log_in(client, REVIEWER)
    token = csrf(client, "/console/conversations")
    client.post(
        "/console/conversation/review",
        data={
            "csrf_token": token,
            "sender_id": "visitor-1",
            "tag": ["wrong answer", "missing content", "not a tag"],
            "note": "Asked about Python; no answer.",
            "reviewed": "yes",
        },
    )
    with database() as session:
        tags = set(session.scalars(select(Tag.tag)))
        review = session.get(Review, "visitor-1")
        event_id = session.scalar(select(func.max(Correction.event_id)))  # none yet
    assert tags == {"wrong answer", "missing content"}
    assert review.reviewed and review.updated_by == REVIEWER[0]
    assert event_id is None
    assert "wrong answer" in client.get("/console/conversations?tag=wrong+answer").text

    page = client.get("/console/conversation?id=visitor-1").text
    event_id = re.search(
        r'name="event_id" value="(\d+)"', page.split("which skills")[1]
    ).group(1)
    post(
        client,
        "/console/conversation/correct",
        sender_id="visitor-1",
        event_id=event_id,
        intent="ask_degrees",
        text="which skills do I need?",
    )
    assert (
        "Corrected to <strong>ask_degrees</strong>"
        in client.get("/console/conversation?id=visitor-1").text
    )
    assert post(client, "/console/corrections/export").status_code == 303
    assert "- which skills do I need?" in config.corrections_file.read_text()
    download = client.get("/console/corrections.yml")
    assert download.headers["content-type"].startswith("application/x-yaml")
    assert "intent: ask_degrees" in download.text
    french = client.get("/console/corrections.yml?language=fr")
    assert "corrections.fr.yml" in french.headers["content-disposition"]
    assert "ask_degrees" not in french.text and "nlu: []" in french.text
    assert client.get("/console/corrections.yml?language=xx").status_code == 400
    corrections_page = client.get("/console/corrections").text
    assert "fr/corrections.yml" in corrections_page


def test_queues_change_status_and_export_csv(client: TestClient) -> None:
    log_in(client, REVIEWER)
    page = client.get("/console/applications").text
    assert "Ada Lovelace" in page
    entry = re.search(r'name="id" value="(\d+)"', page).group(1)
    post(client, "/console/applications/status", id=entry, status="contacted")
    assert "Ada Lovelace" in client.get("/console/applications?status=contacted").text
    assert "Ada Lovelace" not in client.get("/console/applications?status=new").text
    csv_export = client.get("/console/applications.csv")
    assert csv_export.headers["content-type"].startswith("text/csv")
    assert "contacted" in csv_export.text and "'=HYPERLINK" in csv_export.text
    assert (
        post(
            client, "/console/applications/status", id=entry, status="lost"
        ).status_code
        == 400
    )
    assert client.get("/console/handoffs").status_code == 200


# --- the session key and the command line ---------------------------------------------


def test_a_generated_session_key_is_kept_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "var" / "console-secret"
    key = secret_from_file(path)
    assert len(key) >= 32 and path.stat().st_mode & 0o777 == 0o600
    assert secret_from_file(path) == key


def test_advisor_staff_commands(
    database_url: str, session_factory: sessionmaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    clear_process_caches()
    runner = CliRunner()
    try:
        added = runner.invoke(
            cli,
            [
                "staff",
                "add",
                "Lead@AI2.example.org",
                "--role",
                "admin",
                "--password-stdin",
            ],
            input="a long enough passphrase\n",
        )
        assert added.exit_code == 0, added.output
        wrong_role = runner.invoke(
            cli,
            ["staff", "add", "x@ai2.example.org", "--role", "boss", "--password-stdin"],
            input="a long enough passphrase\n",
        )
        short = runner.invoke(
            cli,
            ["staff", "add", "y@ai2.example.org", "--password-stdin"],
            input="short\n",
        )
        again = runner.invoke(
            cli,
            ["staff", "add", "lead@ai2.example.org", "--password-stdin"],
            input="a long enough passphrase\n",
        )
        assert (wrong_role.exit_code, short.exit_code, again.exit_code) == (2, 2, 2)
        assert "already has an account" in again.output
        listed = runner.invoke(cli, ["staff", "list"])
        assert "lead@ai2.example.org  admin  last login never" in listed.output
        assert auth.authenticate(
            session_factory, "lead@ai2.example.org", "a long enough passphrase"
        ).staff
        assert (
            runner.invoke(cli, ["staff", "remove", "lead@ai2.example.org"]).exit_code
            == 0
        )
        assert (
            runner.invoke(cli, ["staff", "remove", "lead@ai2.example.org"]).exit_code
            == 1
        )
    finally:
        clear_process_caches()
