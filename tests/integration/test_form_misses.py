"""A form keeps its question: the forms' validation and ask actions on misses.

The trackers are built as Rasa's form builds the one it sends to its validation
action: the visitor's message after ``action_listen``, the requested slot, the
form's own run, then the slot candidates of the message.
"""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.executor import ActionExecutor

from tests.support.actions_support import DOMAIN, slot_events, tracker_state

APPLICATION_SLOTS = DOMAIN["forms"]["application_form"]["required_slots"]
HANDOFF_SLOTS = DOMAIN["forms"]["handoff_form"]["required_slots"]


def _misses(form: str, slot: str, count: int) -> dict[str, Any]:
    return {"form_misses": {"form": form, "slot": slot, "count": count}}


async def _validate(
    executor: ActionExecutor,
    form: str,
    slot: str | None,
    text: str,
    intent: str,
    candidate: object = None,
    slots: dict[str, Any] | None = None,
    after: str = "action_listen",
) -> dict[str, Any]:
    """The form's validation after ``text``; ``candidate`` what the slot's
    mapping took from it (None: nothing, SAME: the whole text)."""
    if candidate == SAME:
        candidate = text
    state = tracker_state(
        text=text,
        intent=intent,
        active_loop=form,
        slots={"requested_slot": slot, **(slots or {})},
    )
    user = state["events"][0]
    state["events"] = [
        {"event": "action", "name": after},
        user,
        {"event": "slot", "name": "requested_slot", "value": slot},
        {"event": "action", "name": form},
    ]
    if after != "action_listen":  # the form returns after a rule answered
        state["events"][0:2] = [user, {"event": "action", "name": after}]
    if candidate is not None:
        state["events"].append({"event": "slot", "name": slot, "value": candidate})
    result = await executor.run(
        {
            "next_action": f"validate_{form}",
            "sender_id": "test-sender",
            "tracker": state,
            "domain": DOMAIN,
            "version": "3.6.2",
        }
    )
    assert result is not None
    return result


def _responses(result: dict[str, Any]) -> list[str]:
    return [r.get("response") for r in result["responses"]]


# One unusable answer per question of both forms: what the slot's mapping takes
# from it (None: nothing), and the reason the visitor gets.
A, H = "application_form", "handoff_form"
SAME = "<the text>"  # the slot's mapping takes the whole text
SLOT = {"hconsent": "handoff_consent"}


_MISSES = [
    (A, "name", "what's the weather like in Paris today", "out_of_scope", SAME, "name"),
    (A, "name", "hello", "greet", SAME, "name"),
    (A, "name", "I want to apply", "apply", SAME, "name"),
    (A, "email", "marie(at) example", "inform", SAME, "email"),
    (A, "programme", "astrology", "inform", SAME, "programme"),
    (A, "education", "why?", "nlu_fallback", SAME, "education"),
    (A, "country", "Qwertyland", "inform", SAME, "country"),
    (A, "message", "x" * 1500, "inform", SAME, "message"),
    (A, "consent", "banana", "inform", None, "consent"),
    (A, "consent", "asdfgh", "nlu_fallback", None, "consent"),
    (A, "consent", "I am not sure, maybe", "deny", False, "consent"),
    (A, "consent", "yes, I guess", "affirm", True, "consent"),
    (H, "name", "hi", "greet", SAME, "name"),
    (H, "name", "can I talk to a person?", "request_human", None, "in_handoff"),
    (H, "email", "ada at example", "inform", SAME, "email"),
    (H, "hconsent", "maybe", "inform", None, "consent"),
    (H, "hconsent", "I don't know", "deny", False, "consent"),
]
# ...with each slot's full name.
MISSES = [
    (form, SLOT.get(slot, f"applicant_{slot}"), *rest) for form, slot, *rest in _MISSES
]


@pytest.mark.parametrize(
    ("form", "slot", "text", "intent", "candidate", "reason"), MISSES
)
async def test_a_miss_gets_the_slots_reason_and_is_counted(
    executor: ActionExecutor,
    form: str,
    slot: str,
    text: str,
    intent: str,
    candidate: object,
    reason: str,
) -> None:
    result = await _validate(executor, form, slot, text, intent, candidate)
    assert _responses(result) == [f"utter_invalid_{reason}"]
    slots = slot_events(result)
    assert slots.get(slot) is None  # nothing kept, the question stays open
    assert slots["form_misses"] == {"form": form, "slot": slot, "count": 1}


@pytest.mark.parametrize(("form", "slot", "text", "intent", "candidate", "_"), MISSES)
async def test_a_second_miss_in_a_row_counts_two(
    executor: ActionExecutor,
    form: str,
    slot: str,
    text: str,
    intent: str,
    candidate: object,
    _: str,
) -> None:
    result = await _validate(
        executor, form, slot, text, intent, candidate, slots=_misses(form, slot, 1)
    )
    assert slot_events(result)["form_misses"]["count"] == 2


async def test_a_miss_on_another_question_starts_the_count_again(
    executor: ActionExecutor,
) -> None:
    result = await _validate(
        executor,
        "application_form",
        "applicant_consent",
        "banana",
        "inform",
        slots=_misses("application_form", "applicant_email", 5),
    )
    assert slot_events(result)["form_misses"]["count"] == 1


@pytest.mark.parametrize(
    ("form", "slot", "text", "intent", "candidate", "kept"),
    [
        (A, "applicant_consent", "yes", "affirm", True, True),
        (A, "applicant_consent", "no", "deny", False, False),
        (A, "applicant_email", "ada@example.org", "inform", SAME, "ada@example.org"),
        (A, "applicant_name", "Grace Hopper", "nlu_fallback", SAME, "Grace Hopper"),
        (H, "handoff_consent", "yes please", "affirm", True, True),
    ],
)
async def test_a_valid_answer_resets_the_count(
    executor: ActionExecutor,
    form: str,
    slot: str,
    text: str,
    intent: str,
    candidate: object,
    kept: object,
) -> None:
    result = await _validate(
        executor, form, slot, text, intent, candidate, slots=_misses(form, slot, 1)
    )
    slots = slot_events(result)
    assert slots[slot] == kept
    assert slots["form_misses"] is None
    assert result["responses"] == []


@pytest.mark.parametrize(
    ("form", "intent"),
    [
        ("application_form", "ask_skills"),
        ("application_form", "stop"),
        ("application_form", "request_human"),
        ("application_form", "out_of_scope"),
        ("handoff_form", "ask_salary"),
        ("handoff_form", "stop"),
    ],
)
async def test_an_intent_with_its_own_rule_is_left_to_it(
    executor: ActionExecutor, form: str, intent: str
) -> None:
    """No slot set and nothing said: Rasa rejects the form's turn, the intent's
    rule answers, and the form asks its question again."""
    slot = "handoff_consent" if form == "handoff_form" else "applicant_consent"
    result = await _validate(executor, form, slot, "what skills do I need?", intent)
    assert result["events"] == [] and result["responses"] == []


async def test_the_form_returning_after_a_rule_counts_no_miss(
    executor: ActionExecutor,
) -> None:
    result = await _validate(
        executor,
        "application_form",
        "applicant_consent",
        "what skills do I need?",
        "ask_skills",
        after="action_answer_skills",
    )
    assert result["events"] == [] and result["responses"] == []


async def test_a_form_starting_forgets_earlier_misses(
    executor: ActionExecutor,
) -> None:
    result = await _validate(
        executor,
        "application_form",
        None,
        "I want to apply",
        "apply",
        slots=_misses("application_form", "applicant_name", 2),
    )
    assert slot_events(result) == {"form_misses": None}
    assert result["responses"] == []


def _ask_actions() -> list[tuple[str, str, str]]:
    """(form, slot, the action Rasa looks up first that exists in the domain)."""
    actions = {
        a
        for entry in DOMAIN["actions"]
        for a in ([entry] if isinstance(entry, str) else entry)
    }
    found = []
    for form, slots in (
        ("application_form", APPLICATION_SLOTS),
        ("handoff_form", HANDOFF_SLOTS),
    ):
        for slot in slots:
            name = next(
                n
                for n in (f"action_ask_{form}_{slot}", f"action_ask_{slot}")
                if n in actions
            )
            found.append((form, slot, name))
    return found


def test_every_question_of_both_forms_is_asked_by_an_action() -> None:
    assert len(_ask_actions()) == len(APPLICATION_SLOTS) + len(HANDOFF_SLOTS)


async def _ask(
    executor: ActionExecutor, name: str, form: str, slots: dict[str, Any]
) -> dict[str, Any]:
    state = tracker_state(active_loop=form, slots=slots)
    result = await executor.run(
        {
            "next_action": name,
            "sender_id": "test-sender",
            "tracker": state,
            "domain": DOMAIN,
            "version": "3.6.2",
        }
    )
    assert result is not None
    return result


@pytest.mark.parametrize(("form", "slot", "name"), _ask_actions())
async def test_the_question_is_asked_with_its_response(
    executor: ActionExecutor, form: str, slot: str, name: str
) -> None:
    result = await _ask(executor, name, form, {"requested_slot": slot})
    [message] = result["responses"]
    expected = f"utter_ask_{form}_{slot}"
    assert message["response"] in (expected, f"utter_ask_{slot}")
    if expected in DOMAIN["responses"]:
        assert message["response"] == expected  # the hand-off's own wording
    titles = [b["title"] for b in message["buttons"]]
    assert "Stop the application" not in titles and "Stop the request" not in titles


@pytest.mark.parametrize(("form", "slot", "name"), _ask_actions())
async def test_after_two_misses_the_question_offers_a_way_out(
    executor: ActionExecutor, form: str, slot: str, name: str
) -> None:
    result = await _ask(
        executor, name, form, {"requested_slot": slot, **_misses(form, slot, 2)}
    )
    [message] = result["responses"]
    way_out = [(b["title"], b["payload"]) for b in message["buttons"]][-2:]
    if form == "application_form":
        assert way_out == [
            ("Stop the application", "/stop"),
            ("Talk to a person", "/request_human"),
        ]
    else:
        assert way_out[-1] == ("Stop the request", "/stop")
        assert "/request_human" not in [p for _, p in way_out]


async def test_the_programme_question_keeps_its_buttons_with_the_way_out(
    executor: ActionExecutor,
) -> None:
    slots = {
        "requested_slot": "applicant_programme",
        **_misses("application_form", "applicant_programme", 2),
    }
    result = await _ask(
        executor, "action_ask_applicant_programme", "application_form", slots
    )
    titles = [b["title"] for b in result["responses"][0]["buttons"]]
    assert titles == [
        "Specialised master's in machine learning",
        "Specialised master's in deep learning",
        "Specialised master's in DevOps",
        "Stop the application",
        "Talk to a person",
    ]


async def test_one_miss_offers_no_way_out_yet(executor: ActionExecutor) -> None:
    slots = {
        "requested_slot": "applicant_consent",
        **_misses("application_form", "applicant_consent", 1),
    }
    result = await _ask(
        executor, "action_ask_applicant_consent", "application_form", slots
    )
    titles = [b["title"] for b in result["responses"][0]["buttons"]]
    assert titles == []  # the response's own Yes / No are added by Rasa


async def test_cancel_forgets_the_misses(executor: ActionExecutor) -> None:
    result = await _ask(
        executor,
        "action_reset_application",
        "application_form",
        _misses("application_form", "applicant_consent", 2),
    )
    assert slot_events(result)["form_misses"] is None


def _intents_with_a_rule_in(form: str) -> set[str]:
    """Intents whose rule applies while ``form`` is active and answers them
    (rules that only start or run a form again are not answers)."""
    import yaml

    from bot.settings import PROJECT_ROOT

    found = set()
    for path in (PROJECT_ROOT / "data" / "rules").glob("*.yml"):
        for rule in yaml.safe_load(path.read_text()).get("rules", []):
            loops = [
                c["active_loop"]
                for c in rule.get("condition", [])
                if "active_loop" in c
            ]
            steps = rule["steps"]
            if not steps or "intent" not in steps[0] or loops not in ([], [form]):
                continue
            answers = [s.get("action") for s in steps[1:] if "action" in s]
            if answers and answers[0] not in DOMAIN["forms"]:
                found.add(steps[0]["intent"])
    return found


@pytest.mark.parametrize("form", ["application_form", "handoff_form"])
def test_the_intents_left_to_rules_are_those_the_rules_answer(form: str) -> None:
    from actions.misses import HANDLED_BY_RULES

    assert HANDLED_BY_RULES[form] == _intents_with_a_rule_in(form)
