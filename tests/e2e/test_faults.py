"""Faults, with the real processes: no question or application may vanish.

The action server stopped and started again, the Rasa server restarted in the
middle of the application form, and the database locked by another writer
while an application is being sent. One stack for the module (ports 5505 and
5555); each test leaves it running as it found it. And an action server
started while the database is down (port 5557, without the module's stack).
"""

from __future__ import annotations

import re
import socket
import sqlite3
import threading
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from bot.rasa_runtime.resilience import (
    APOLOGY_RESPONSES,
    DEFAULT_ACTION_TIMEOUT_SECONDS,
)
from tests.support.actions_support import DOMAIN, tracker_state
from tests.support.stack import Stack, module_stack, say, stop, texts

pytestmark = pytest.mark.e2e

APOLOGY = next(
    DOMAIN["responses"][name][0]["text"]
    for name in APOLOGY_RESPONSES
    if name in DOMAIN["responses"]
)
APOLOGY_FR = next(
    variation["text"]
    for variation in DOMAIN["responses"][APOLOGY_RESPONSES[0]]
    if variation.get("condition")
)
STORE_FAILED = DOMAIN["responses"]["utter_store_failed"][0]["text"]
ASK_NAME = "What's your full name?"
ASK_EMAIL = "What email address should the admissions team use?"
ASK_PROGRAMME = "Which programme are you interested in?"
ASK_EDUCATION = "What is your current level of education?"
DEVOPS = '/inform{"programme": "Specialised master\'s in DevOps"}'
DOWN_ACTIONS_PORT = 5557


stack = module_stack("faults", rasa_port=5505, actions_port=5555)


def payloads(replies: list[dict]) -> list[str]:
    return [b["payload"] for r in replies for b in r.get("buttons", [])]


def titles(replies: list[dict]) -> list[str]:
    return [b["title"] for r in replies for b in r.get("buttons", [])]


def _action_server(stack: Stack):  # type: ignore[no-untyped-def]
    return next((p for p in stack.processes if "rasa_sdk" in map(str, p.args)), None)


def stop_actions(stack: Stack) -> None:
    process = _action_server(stack)
    if process is not None:
        stop(process)
        stack.processes.remove(process)


def query(stack: Stack, sql: str, **params: object) -> list:
    engine = create_engine(stack.database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql), params).all()
    finally:
        engine.dispose()


def test_without_the_action_server_the_visitor_gets_an_apology_then_answers(
    stack: Stack,
) -> None:
    _to_the_summary(stack, "fault-submit", "fault-submit@example.org")
    stop_actions(stack)
    try:
        down = say(stack, "fault-question", "which skills do I need?")
        assert texts(down) == APOLOGY
        assert "/request_human" in payloads(down), "a way to reach a person"
        # A French visitor gets it in French, with a French way to a person.
        down_fr = say(stack, "fault-question-fr", "quelles compétences faut-il ?")
        assert texts(down_fr) == APOLOGY_FR
        assert titles(down_fr) == ["Parler à une personne"]
        # A form started meanwhile keeps nothing unvalidated and asks again.
        assert ASK_NAME in texts(say(stack, "fault-form", "I want to apply"))
        refused = texts(say(stack, "fault-form", "Ada Lovelace"))
        assert refused.startswith(APOLOGY) and refused.endswith(ASK_NAME)
        # An application confirmed meanwhile is not stored, and not lost either.
        assert texts(say(stack, "fault-submit", "yes")) == APOLOGY
    finally:
        if _action_server(stack) is None:
            stack.start_actions()
    answer = texts(say(stack, "fault-question", "which skills do I need?"))
    assert "Technical AI foundations" in answer and APOLOGY not in answer
    assert ASK_EMAIL in texts(say(stack, "fault-form", "Ada Lovelace"))
    assert "reference is AP-" in texts(say(stack, "fault-submit", "yes"))
    assert len(_applications(stack, "fault-submit@example.org")) == 1
    # The question asked while the server was down is kept in the tracker store.
    asked = query(
        stack,
        "SELECT count(*) FROM events WHERE sender_id = 'fault-question' "
        "AND type_name = 'user' AND data LIKE '%which skills do I need%'",
    )
    assert asked[0][0] == 2


class HungServer:
    """Accepts connections on a port and never answers (a stuck action server)."""

    def __init__(self, port: int) -> None:
        self.listener = socket.create_server(("127.0.0.1", port))
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        try:
            while True:
                self.accepted.append(self.listener.accept()[0])
        except OSError:
            return  # closed

    def close(self) -> None:
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        self.listener.close()
        self.thread.join(timeout=5)
        for connection in self.accepted:
            connection.close()


def test_a_hung_action_server_gets_an_apology_not_a_five_minute_wait(
    stack: Stack,
) -> None:
    stop_actions(stack)
    hung = HungServer(stack.actions_port)
    try:
        time.sleep(5)  # the Rasa server's idle kept-alive connection is dropped
        started = time.monotonic()
        replies = say(stack, "fault-hung", "which skills do I need?")
        waited = time.monotonic() - started
        assert hung.accepted, "the call reached the hung server"
        assert texts(replies) == APOLOGY
        # It waited for the action, then gave up after the timeout, not Rasa's 300 s.
        assert DEFAULT_ACTION_TIMEOUT_SECONDS - 1 < waited < 40, waited
    finally:
        hung.close()
        stack.start_actions()
    answer = texts(say(stack, "fault-hung", "which skills do I need?"))
    assert "Technical AI foundations" in answer


def test_a_rasa_restart_mid_form_keeps_the_answers(stack: Stack) -> None:
    sender = "fault-restart"
    say(stack, sender, "I want to apply")
    say(stack, sender, "Grace Hopper")
    assert ASK_PROGRAMME in texts(say(stack, sender, "grace@example.org"))
    stack.stop_rasa()
    stack.start_rasa()
    assert ASK_EDUCATION in texts(say(stack, sender, DEVOPS))
    for turn in ("Master's degree", "Belgium", "no"):
        say(stack, sender, turn)
    summary = texts(say(stack, sender, "yes"))
    assert "- Name: Grace Hopper" in summary
    assert "- Email: grace@example.org" in summary
    assert "- Programme: Specialised master's in DevOps" in summary


def _to_the_summary(stack: Stack, sender: str, email: str) -> None:
    for turn in ("I want to apply", "Ada Lovelace", email, DEVOPS, "Master's degree"):
        say(stack, sender, turn)
    for turn in ("Morocco", "no"):
        say(stack, sender, turn)
    assert "Shall I send it" in texts(say(stack, sender, "yes"))


class Lock:
    """An exclusive transaction on the SQLite file: no other process may write."""

    def __init__(self, path: Path) -> None:
        self.connection = sqlite3.connect(
            str(path), isolation_level=None, check_same_thread=False
        )
        self.connection.execute("BEGIN EXCLUSIVE")

    def release(self) -> None:
        self.connection.execute("ROLLBACK")
        self.connection.close()


def _send_while_locked(
    stack: Stack, sender: str, release_when: str | None
) -> list[dict]:
    """Say "yes" under the summary with the database locked.

    ``release_when``: a line of the action server's log after which the lock is
    released (so the Rasa server can save the turn); None holds it to the end.
    """
    lock = Lock(stack.folder / "advisor.db")
    replies: list[list[dict]] = []
    sending = threading.Thread(target=lambda: replies.append(say(stack, sender, "yes")))
    sending.start()
    try:
        if release_when is not None:
            log = stack.folder / "actions.log"
            deadline = time.monotonic() + 60
            while release_when not in log.read_text() and time.monotonic() < deadline:
                time.sleep(0.05)
            lock.release()
        sending.join(timeout=90)
    finally:
        if release_when is None:
            lock.release()
    assert replies, "no reply"
    return replies[0]


def _applications(stack: Stack, email: str) -> list:
    return query(
        stack,
        "SELECT reference, full_name, programme, country FROM applications "
        "WHERE email = :email",
        email=email,
    )


@pytest.mark.parametrize("release", ["after the action failed", "after the reply"])
def test_a_locked_database_loses_no_application(stack: Stack, release: str) -> None:
    # Released after the action failed, the Rasa server saves the failed turn;
    # after the reply, it could not save it either (Rasa keeps it in memory).
    sender = "fault-db-" + release.removeprefix("after the ").replace(" ", "-")
    email = f"{sender}@example.org"
    _to_the_summary(stack, sender, email)
    failed_line = f"could not store the application of sender {sender}"
    replies = _send_while_locked(
        stack, sender, failed_line if release == "after the action failed" else None
    )
    # Told plainly, with a way to try again and a way to reach a person.
    assert texts(replies) == STORE_FAILED
    assert {"/affirm", "/request_human"} <= set(payloads(replies))
    assert _applications(stack, email) == []
    # Trying again (the button) once the database is free stores the answers given.
    stored = texts(say(stack, sender, "/affirm"))
    reference = re.search(r"reference is (AP-[A-Z0-9]{6})", stored)
    assert reference, stored
    assert _applications(stack, email) == [
        (reference.group(1), "Ada Lovelace", "master-devops", "Morocco")
    ]


def test_a_short_lock_only_delays_the_application(stack: Stack) -> None:
    sender, email = "fault-db-short", "fault-db-short@example.org"
    _to_the_summary(stack, sender, email)
    lock = Lock(stack.folder / "advisor.db")
    timer = threading.Timer(1.5, lock.release)
    timer.start()
    try:
        stored = texts(say(stack, sender, "yes"))
    finally:
        timer.join()
    assert "reference is AP-" in stored, stored
    assert len(_applications(stack, email)) == 1


def test_an_action_server_started_with_the_database_down_starts_and_apologises(
    tmp_path: Path,
) -> None:
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        nowhere = probe.getsockname()[1]
    down = f"postgresql+psycopg2://advisor:advisor@127.0.0.1:{nowhere}/advisor"
    actions = Stack(
        tmp_path,
        rasa_port=0,  # not started
        actions_port=DOWN_ACTIONS_PORT,
        extra_env={"DATABASE_URL": down},
    )
    call = {
        "next_action": "action_answer_role",
        "sender_id": "fault-db-down",
        "tracker": tracker_state(
            text="what does an AI project manager do?", intent="ask_role"
        ),
        "domain": DOMAIN,
        "version": "3.6.2",
    }
    try:
        actions.start_actions()  # its /health answers: it started
        reply = requests.post(
            f"http://127.0.0.1:{DOWN_ACTIONS_PORT}/webhook", json=call, timeout=30
        )
    finally:
        actions.stop()
    assert reply.status_code == 200
    assert [r["response"] for r in reply.json()["responses"]] == [
        "utter_kb_unavailable"
    ]
    log = (tmp_path / "actions.log").read_text()
    assert "warm-up: knowledge base unavailable" in log
