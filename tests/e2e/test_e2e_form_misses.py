"""A form keeps its question, end to end over REST: the real Rasa server,
action server and database, for each question of both forms.

A message the form cannot use gets the question's reason and the same question
with its buttons, never the fallback's menu; a second miss in a row adds the way
out, and both of its buttons work.
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from tests.support.stack import Stack, module_stack, texts
from tests.support.stack import say as rest_say

pytestmark = pytest.mark.e2e

MENU = "Here is what I can help with"
DEVOPS = '/inform{"programme": "Specialised master\'s in DevOps"}'
# The answers that lead to each question of the application form, in order.
APPLICATION = [
    ("applicant_name", "Ada Lovelace", "What's your full name?"),
    ("applicant_email", "ada@example.org", "What email address"),
    ("applicant_programme", DEVOPS, "Which programme"),
    ("applicant_education", "Master's degree", "level of education"),
    ("applicant_country", "Morocco", "Which country"),
    ("applicant_message", "no", "Anything you'd like to tell"),
    ("applicant_consent", "yes", "may AI2 store these details"),
]
HANDOFF = [
    ("applicant_name", "Grace Hopper", "What's your full name?"),
    ("applicant_email", "grace@example.org", "What email address"),
    ("handoff_consent", "yes", "May I share your name and email"),
]
# Per question: two messages it cannot use, and the start of the reason.
MISSES = {
    "applicant_name": (
        "what's the weather like in Paris today?",
        "hello",
        "That doesn't look like a name",
    ),
    "applicant_email": (
        "ada(at) example",
        "Ada Lovelace",
        "That email address doesn't look valid",
    ),
    "applicant_programme": (
        "astrology",
        "the blockchain one",
        "I don't know that programme",
    ),
    "applicant_education": ("hello", "ok", "Please tell me your level of education"),
    "applicant_country": ("Qwertyland", "asdfgh", "I couldn't find a country"),
    "applicant_message": ("x" * 1500, "y" * 1200, "That message is a bit long"),
    "applicant_consent": ("banana", "I am not sure, maybe", "I need a clear yes or no"),
    "handoff_consent": ("maybe", "I don't know", "I need a clear yes or no"),
}


stack = module_stack("stack", rasa_port=5705, actions_port=5755)


def say(stack: Stack, sender: str, message: str) -> list[dict]:
    replies = rest_say(stack, sender, message)
    assert replies and all(r.get("text") for r in replies), replies
    assert MENU not in texts(replies), texts(replies)
    return replies


def titles(reply: dict) -> list[str]:
    return [b["title"] for b in reply.get("buttons", [])]


def _reach(stack: Stack, sender: str, form: str, slot: str) -> list[dict]:
    """Start ``form`` and answer its questions up to ``slot``; the question."""
    questions = APPLICATION if form == "application" else HANDOFF
    start = "I want to apply" if form == "application" else "can I talk to a person?"
    replies = say(stack, sender, start)
    for name, answer, _ in questions:
        if name == slot:
            return replies
        replies = say(stack, sender, answer)
    raise AssertionError(slot)  # pragma: no cover


QUESTIONS = [("application", slot, asked) for slot, _, asked in APPLICATION] + [
    ("handoff", slot, asked) for slot, _, asked in HANDOFF
]


def _misses(slot: str, form: str) -> tuple[str, str]:
    if form == "handoff" and slot == "applicant_email":
        return ("grace at example", "Grace Hopper")
    if form == "handoff" and slot == "applicant_name":
        return ("hi", "can I talk to a person?")
    first, second, _ = MISSES[slot]
    return first, second


@pytest.mark.parametrize(("form", "slot", "asked"), QUESTIONS)
def test_each_question_keeps_itself_after_misses(
    stack: Stack, form: str, slot: str, asked: str
) -> None:
    sender = f"e2e-miss-{form}-{slot}"
    question = _reach(stack, sender, form, slot)[-1]
    assert asked in question["text"]
    first, second = _misses(slot, form)

    replies = say(stack, sender, first)
    assert replies[0]["text"].startswith(MISSES[slot][2]), texts(replies)
    assert asked in replies[-1]["text"]
    assert titles(replies[-1]) == titles(question), "the same buttons, nothing more"

    replies = say(stack, sender, second)
    assert asked in replies[-1]["text"], texts(replies)
    way_out = (
        ["Stop the application", "Talk to a person"]
        if form == "application"
        else ["Stop the request"]
    )
    assert titles(replies[-1]) == titles(question) + way_out


def test_a_question_between_misses_is_answered_and_the_form_asks_again(
    stack: Stack,
) -> None:
    sender = "e2e-miss-question"
    _reach(stack, sender, "application", "applicant_consent")
    say(stack, sender, "banana")
    replies = say(stack, sender, "what skills do I need?")
    assert "five kinds of skills" in replies[0]["text"]
    assert "may AI2 store these details" in replies[-1]["text"]
    # Still counted from the miss before the question: the second one offers a way out.
    replies = say(stack, sender, "hmm")
    assert "Stop the application" in titles(replies[-1])


def test_a_valid_answer_resets_the_count(stack: Stack) -> None:
    sender = "e2e-miss-reset"
    _reach(stack, sender, "application", "applicant_email")
    say(stack, sender, "ada(at) example")
    say(stack, sender, "ada@example.org")
    replies = say(stack, sender, "astrology")
    assert "Stop the application" not in titles(replies[-1])


def _count(stack: Stack, table: str, sender: str) -> int:
    engine = create_engine(stack.database_url)
    with engine.connect() as connection:
        found = connection.execute(
            text(f"SELECT count(*) FROM {table} WHERE conversation_id = :s"),
            {"s": sender},
        ).scalar()
    engine.dispose()
    return int(found or 0)


def _stored_events(stack: Stack, sender: str) -> str:
    engine = create_engine(stack.database_url)
    with engine.connect() as connection:
        stored = " ".join(
            connection.execute(
                text("SELECT data FROM events WHERE sender_id = :s"), {"s": sender}
            ).scalars()
        )
    engine.dispose()
    return stored


def test_stop_the_application_after_two_misses_keeps_nothing(stack: Stack) -> None:
    sender = "e2e-miss-stop"
    _reach(stack, sender, "application", "applicant_consent")
    say(stack, sender, "banana")
    say(stack, sender, "maybe")
    assert "kept none" in texts(say(stack, sender, "/stop"))
    assert _count(stack, "applications", sender) == 0
    stored = _stored_events(stack, sender)
    assert "Ada Lovelace" not in stored and "ada@example.org" not in stored
    # The form is gone: a "yes" now is no consent to anything.
    assert "may AI2 store" not in texts(say(stack, sender, "yes"))


def test_talk_to_a_person_after_two_misses_keeps_what_is_known(stack: Stack) -> None:
    sender = "e2e-miss-person"
    _reach(stack, sender, "application", "applicant_country")
    say(stack, sender, "Qwertyland")
    say(stack, sender, "asdfgh")
    replies = say(stack, sender, "/request_human")
    # The name and email are known: the hand-off asks only for consent to share them.
    assert "May I share your name and email (ada@example.org)" in replies[-1]["text"]
    assert "request" in texts(say(stack, sender, "yes"))
    assert _count(stack, "handoff_requests", sender) == 1
    assert _count(stack, "applications", sender) == 0


def test_stop_the_request_after_two_misses_passes_nothing_on(stack: Stack) -> None:
    sender = "e2e-miss-stop-handoff"
    _reach(stack, sender, "handoff", "handoff_consent")
    say(stack, sender, "maybe")
    say(stack, sender, "I don't know")
    assert "haven't passed anything on" in texts(say(stack, sender, "/stop"))
    assert _count(stack, "handoff_requests", sender) == 0
