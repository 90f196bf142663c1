"""Bad input over the REST channel, property-based, against the real servers.

Every request gets a well-formed JSON answer: a reply from the bot (200, a
non-empty list of messages) for any JSON object, whatever its ``message``
(random Unicode, control characters, lone surrogates, 100 KB, empty, not a
string); a 400 with a JSON ``message`` saying what is wrong for a body that is
not a JSON object or a ``sender`` that cannot name a conversation (not a
string, control characters, over ``MAX_SENDER_ID_CHARS``). Never a 5xx, never
silence. The documented limits are those of ``bot/rasa_runtime/channels.py``.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from bot.rasa_runtime.channels import MAX_MESSAGE_CHARS, MAX_SENDER_ID_CHARS
from tests.support.stack import Stack, module_stack

pytestmark = pytest.mark.e2e

# Bounded so that the module takes a minute or two on 2 cores, deadline off:
# the server's latency is not what is tested here.
PROPERTY = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)


stack = module_stack("bad", rasa_port=5506, actions_port=5556)


def post(stack: Stack, body: bytes | str) -> requests.Response:
    return requests.post(
        f"{stack.rasa_url}/webhooks/rest/webhook",
        data=body.encode() if isinstance(body, str) else body,
        headers={"Content-Type": "application/json"},
        timeout=60,
    )


def assert_reply(response: requests.Response, sender: str | None = None) -> list:
    """A 200 with at least one bot message, all to ``sender`` when given."""
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"].startswith("application/json")
    replies = response.json()
    assert isinstance(replies, list) and replies, "the visitor got no reply"
    assert any(r.get("text") for r in replies)
    recipients = {r["recipient_id"] for r in replies}
    assert len(recipients) == 1
    if sender is not None:
        assert recipients == {sender}
    return replies


def assert_refused(response: requests.Response, about: str = "") -> None:
    """A 400 whose JSON body says what is wrong."""
    assert response.status_code == 400, response.text[:500]
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()
    assert isinstance(error, dict) and error["message"], error
    assert about in error["message"]


def valid_sender(value: Any) -> bool:
    """The documented rule: no sender, or a printable string of at most 128."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return True
    return (
        isinstance(value, str)
        and len(value) <= MAX_SENDER_ID_CHARS
        and value.isprintable()
    )


# Any code point, surrogates and control characters included.
any_char = st.characters(exclude_categories=())
any_text = st.text(any_char, max_size=300)
blank = st.sampled_from(["", " ", "\t\n  ", "\u00a0", "\u200b", "\x00", "\x00\x01\x7f"])
huge = st.builds(
    lambda chunk, size: (chunk * size)[:size],
    st.text(any_char, min_size=1, max_size=20),
    st.integers(MAX_MESSAGE_CHARS, 100_000),
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(any_char, max_size=40),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


@PROPERTY
@given(message=st.one_of(any_text, blank, huge))
def test_every_message_gets_a_reply(stack: Stack, message: str) -> None:
    sender = f"bad-{uuid.uuid4().hex}"
    # ensure_ascii: lone surrogates travel as \ud800 escapes, as browsers send them.
    body = json.dumps({"sender": sender, "message": message})
    assert_reply(post(stack, body), sender)


@PROPERTY
@given(
    message=json_values,
    extra=st.dictionaries(
        st.sampled_from(["metadata", "input_channel", "x"]), json_values
    ),
)
def test_a_message_that_is_not_text_gets_the_help_menu(
    stack: Stack, message: Any, extra: dict
) -> None:
    sender = f"bad-{uuid.uuid4().hex}"
    body = {**extra, "sender": sender, "message": message}
    replies = assert_reply(post(stack, json.dumps(body)), sender)
    if not isinstance(message, str):
        assert (
            "I answer questions about becoming an AI project manager"
            in (replies[0]["text"])
        )


@PROPERTY
@given(body=json_values)
def test_any_json_body_gets_a_well_formed_answer(stack: Stack, body: Any) -> None:
    response = post(stack, json.dumps(body))
    if isinstance(body, dict) and valid_sender(body.get("sender")):
        assert_reply(response)
    else:
        assert_refused(response)


@PROPERTY
@given(
    sender=st.one_of(
        st.none(),
        any_text,
        st.text(min_size=MAX_SENDER_ID_CHARS - 2, max_size=MAX_SENDER_ID_CHARS + 2),
        st.text(min_size=1000, max_size=20_000),
        st.integers(),
        st.lists(st.integers(), max_size=3),
        st.booleans(),
    )
)
def test_odd_senders_are_answered_or_refused_with_a_reason(
    stack: Stack, sender: Any
) -> None:
    response = post(stack, json.dumps({"sender": sender, "message": "hello"}))
    if valid_sender(sender):
        replies = assert_reply(response)
        if isinstance(sender, str) and sender.strip():
            assert replies[0]["recipient_id"] == sender
        else:
            assert replies[0]["recipient_id"].startswith("rest-")
    else:
        assert_refused(response, "sender")


@PROPERTY
@given(body=st.binary(max_size=300))
def test_any_bytes_get_a_well_formed_answer(stack: Stack, body: bytes) -> None:
    response = post(stack, body)
    assert response.status_code in (200, 400), response.text[:500]
    assert response.headers["content-type"].startswith("application/json")
    if response.status_code == 200:
        assert_reply(response)
    else:
        assert_refused(response)


def test_a_100_kb_message_is_cut_to_the_documented_length(stack: Stack) -> None:
    sender = "bad-100kb"
    assert_reply(post(stack, json.dumps({"sender": sender, "message": "é" * 100_000})))
    engine = create_engine(stack.database_url)
    with engine.connect() as connection:
        stored = connection.execute(
            text("SELECT data FROM events WHERE sender_id = :s AND type_name = 'user'"),
            {"s": sender},
        ).scalar_one()
    engine.dispose()
    assert json.loads(stored)["text"] == "é" * MAX_MESSAGE_CHARS


def test_requests_without_a_sender_never_share_a_conversation(stack: Stack) -> None:
    first = assert_reply(post(stack, '{"message": "hello"}'))[0]["recipient_id"]
    second = assert_reply(post(stack, '{"message": "hello"}'))[0]["recipient_id"]
    assert first != second and first != "default"


@pytest.mark.parametrize(
    ("body", "about"),
    [
        ("", "JSON object"),
        ("{", "json"),
        ("[]", "JSON object"),
        ('"hello"', "JSON object"),
        ("null", "JSON object"),
        ('{"sender": 42, "message": "hi"}', "must be a string"),
        ('{"sender": "a\\nb", "message": "hi"}', "control characters"),
        (json.dumps({"sender": "x" * 129, "message": "hi"}), "at most 128"),
    ],
)
def test_what_is_refused_says_why(stack: Stack, body: str, about: str) -> None:
    assert_refused(post(stack, body), about)
