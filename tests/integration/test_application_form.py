"""The application form, the hand-off and deletion, through rasa-sdk's executor."""

from __future__ import annotations

import re

import pytest
from rasa_sdk.executor import ActionExecutor
from sqlalchemy import select

from bot.applications.models import Application, HandoffRequest
from tests.support.actions_support import (
    entity,
    rendered,
    run_action,
    slot_events,
)

COMPLETE = {
    "applicant_name": "Marie Curie",
    "applicant_email": "marie.curie@example.com",
    "applicant_programme": "master-deep-learning",
    "applicant_education": "Master's degree",
    "applicant_country": "France",
    "applicant_message": "-",
    "applicant_consent": True,
}


async def _validate(
    executor: ActionExecutor, slot: str, value: object, **extra
) -> dict:  # type: ignore[no-untyped-def]
    return await run_action(
        executor,
        "validate_application_form",
        text=str(value),
        intent=extra.pop("intent", "inform"),
        active_loop="application_form",
        slots={"requested_slot": slot},
        events=[{"event": "slot", "name": slot, "value": value}],
        **extra,
    )


@pytest.mark.parametrize(
    ("slot", "value", "expected"),
    [
        ("applicant_name", "Marie Curie", "Marie Curie"),
        ("applicant_name", "my name is Ahmed Benali", "Ahmed Benali"),
        ("applicant_name", "Zoë O'Brien-Łukasz", "Zoë O'Brien-Łukasz"),
        ("applicant_email", "it's Marie.Curie@Example.COM", "marie.curie@example.com"),
        ("applicant_programme", "Specialised master's in DevOps", "master-devops"),
        ("applicant_programme", "deep learning", "master-deep-learning"),
        ("applicant_country", "Dakar", "Senegal"),
        ("applicant_country", "germany", "Germany"),
        ("applicant_message", "no", "-"),
        ("applicant_education", "Bachelor's degree", "Bachelor's degree"),
    ],
)
async def test_valid_answers_are_kept_clean(
    executor: ActionExecutor, slot: str, value: str, expected: str
) -> None:
    result = await _validate(executor, slot, value)
    assert slot_events(result)[slot] == expected
    assert result["responses"] == []


@pytest.mark.parametrize(
    ("slot", "value", "response"),
    [
        ("applicant_email", "marie(at) example", "utter_invalid_email"),
        ("applicant_email", "marie@example", "utter_invalid_email"),
        ("applicant_name", "123456", "utter_invalid_name"),
        ("applicant_name", "<script>alert(1)</script>", "utter_invalid_name"),
        ("applicant_name", "a" * 500, "utter_invalid_name_length"),
        ("applicant_programme", "blockchain master", "utter_invalid_programme"),
        ("applicant_country", "Qwertyland", "utter_invalid_country"),
        ("applicant_message", "x" * 1500, "utter_invalid_message"),
    ],
)
async def test_invalid_answers_are_refused_with_a_clear_message(
    executor: ActionExecutor, slot: str, value: str, response: str
) -> None:
    result = await _validate(executor, slot, value)
    assert slot_events(result)[slot] is None
    assert result["responses"][0]["response"] == response


async def _start(executor: ActionExecutor, text: str) -> dict:  # type: ignore[no-untyped-def]
    """The form's activation: Rasa validates the message that asked to apply."""
    return await run_action(
        executor,
        "validate_application_form",
        text=text,
        intent="apply",
        active_loop="application_form",
        slots={"requested_slot": "applicant_name"},
    )


async def test_applying_with_a_question_the_guide_cannot_answer_keeps_it(
    executor: ActionExecutor,
) -> None:
    question = "I want to apply, can I start in January or only in September?"
    result = await _start(executor, question)
    [said] = rendered(result)
    assert "doesn't cover start dates" in said
    assert "admissions team" in said
    assert not re.search(r"\d", said.replace("AI2", ""))  # no date, no figure
    assert slot_events(result)["applicant_message"] == question


async def test_applying_without_such_a_question_says_nothing_first(
    executor: ActionExecutor,
) -> None:
    result = await _start(executor, "ok I'm convinced, where do I apply?")
    assert result["responses"] == []
    assert "applicant_message" not in slot_events(result)


async def test_a_bad_email_is_asked_again_with_an_example(
    executor: ActionExecutor,
) -> None:
    result = await _validate(executor, "applicant_email", "marie(at) example")
    assert "marie.curie@example.com" in rendered(result)[0]


async def test_an_unknown_programme_offers_the_list(executor: ActionExecutor) -> None:
    result = await _validate(executor, "applicant_programme", "astrology")
    titles = [b["title"] for b in result["responses"][0]["buttons"]]
    assert titles == [
        "Specialised master's in machine learning",
        "Specialised master's in deep learning",
        "Specialised master's in DevOps",
    ]


async def test_the_programme_question_has_a_button_per_programme(
    executor: ActionExecutor,
) -> None:
    result = await run_action(executor, "action_ask_applicant_programme")
    buttons = result["responses"][0]["buttons"]
    assert len(buttons) == 3
    assert buttons[0]["payload"] == (
        '/inform{"programme": "Specialised master\'s in machine learning"}'
    )


async def test_the_summary_shows_every_answer(executor: ActionExecutor) -> None:
    result = await run_action(executor, "action_application_summary", slots=COMPLETE)
    text = rendered(result)[0]
    for value in (
        "Marie Curie",
        "marie.curie@example.com",
        "Specialised master's in deep learning",
        "France",
        "(none)",
    ):
        assert value in text


async def test_without_consent_nothing_is_stored(
    executor: ActionExecutor, seeded
) -> None:  # type: ignore[no-untyped-def]
    slots = COMPLETE | {"applicant_consent": False}
    summary = await run_action(executor, "action_application_summary", slots=slots)
    assert summary["responses"][0]["response"] == "utter_application_not_stored"
    slots = slot_events(summary)
    # The form is emptied, and the tracker store told to remove what was typed.
    assert slots.pop("personal_data_refused") is True
    assert all(value is None for value in slots.values())
    submit = await run_action(executor, "action_submit_application", slots=slots)
    assert submit["responses"][0]["response"] == "utter_no_application"
    with seeded() as session:
        assert session.scalars(select(Application)).all() == []


async def test_a_confirmed_application_is_stored_with_a_reference(
    executor: ActionExecutor, seeded
) -> None:  # type: ignore[no-untyped-def]
    result = await run_action(
        executor, "action_submit_application", slots=COMPLETE, sender_id="conv-1"
    )
    reference = slot_events(result)["application_reference"]
    assert reference.startswith("AP-") and len(reference) == 9
    assert reference in rendered(result)[0]
    with seeded() as session:
        stored = session.scalars(select(Application)).one()
    assert (stored.email, stored.programme, stored.conversation_id) == (
        "marie.curie@example.com",
        "master-deep-learning",
        "conv-1",
    )
    assert stored.message is None and stored.consent_at is not None


async def test_the_same_email_and_programme_updates_the_application(
    executor: ActionExecutor, seeded
) -> None:  # type: ignore[no-untyped-def]
    first = await run_action(executor, "action_submit_application", slots=COMPLETE)
    second = await run_action(
        executor,
        "action_submit_application",
        slots=COMPLETE | {"applicant_country": "Belgium"},
    )
    assert second["responses"][0]["response"] == "utter_application_updated"
    assert (
        slot_events(first)["application_reference"]
        == slot_events(second)["application_reference"]
    )
    with seeded() as session:
        rows = session.scalars(select(Application)).all()
    assert [(r.country) for r in rows] == ["Belgium"]


async def test_change_my_email_empties_that_slot(executor: ActionExecutor) -> None:
    result = await run_action(
        executor,
        "action_change_detail",
        text="change my email",
        intent="change_detail",
        entities=[entity("form_field", "email")],
        slots=COMPLETE,
    )
    assert slot_events(result) == {"applicant_email": None}


async def test_change_without_a_field_asks_which(executor: ActionExecutor) -> None:
    result = await run_action(
        executor,
        "action_change_detail",
        text="change something",
        intent="change_detail",
    )
    assert result["responses"][0]["response"] == "utter_what_to_change"
    assert result["events"][-1] == {
        "event": "followup",
        "timestamp": None,
        "name": "action_listen",
    }


async def test_cancel_keeps_nothing(executor: ActionExecutor) -> None:
    result = await run_action(executor, "action_reset_application", slots=COMPLETE)
    slots = slot_events(result)
    assert slots.pop("personal_data_refused") is True  # answers removed from events
    assert set(slots) == set(COMPLETE) | {"form_misses"}
    assert all(value is None for value in slots.values())


async def test_a_hand_off_is_recorded_for_staff(
    executor: ActionExecutor, seeded
) -> None:  # type: ignore[no-untyped-def]
    result = await run_action(
        executor,
        "action_submit_handoff",
        sender_id="conv-7",
        slots={
            "applicant_name": "Ada Lovelace",
            "applicant_email": "ada@example.org",
            "handoff_consent": True,
        },
        events=[{"event": "user", "text": "is there a part-time option?"}],
    )
    text = rendered(result)[0]
    assert "ada@example.org" in text and "two working days" in text
    with seeded() as session:
        request = session.scalars(select(HandoffRequest)).one()
    assert request.conversation_id == "conv-7"
    assert slot_events(result)["handoff_reference"] == request.reference


async def test_a_hand_off_without_consent_stores_nothing(
    executor: ActionExecutor, seeded
) -> None:  # type: ignore[no-untyped-def]
    result = await run_action(
        executor,
        "action_submit_handoff",
        slots={
            "applicant_name": "Ada",
            "applicant_email": "ada@example.org",
            "handoff_consent": False,
        },
    )
    assert result["responses"][0]["response"] == "utter_handoff_no_consent"
    with seeded() as session:
        assert session.scalars(select(HandoffRequest)).all() == []


async def test_delete_my_data_erases_and_marks_the_conversation(
    executor: ActionExecutor, seeded
) -> None:  # type: ignore[no-untyped-def]
    await run_action(
        executor, "action_submit_application", slots=COMPLETE, sender_id="conv-9"
    )
    result = await run_action(
        executor, "action_delete_my_data", sender_id="conv-9", slots=COMPLETE
    )
    assert result["responses"][0]["response"] == "utter_data_deleted"
    assert slot_events(result)["data_erased"] is True
    with seeded() as session:
        assert session.scalars(select(Application)).all() == []
