"""A form keeps its question: answers it cannot use, and the way out after two.

Rasa's form rejects its turn when nothing was extracted for the requested slot,
and then only a rule can answer; without one (an unsure message, "maybe" at the
consent question) the core fallback showed the general menu and dropped the
question. Here the forms' validation decides instead: an intent that has its
own rule inside the form (a question about the guide, "stop", ...) still goes
to that rule, and the form asks again afterwards; anything else is a miss,
answered with the reason and the same question. Two misses in a row for the
same question add "Stop" and "Talk to a person" to the question.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import HUMAN_PAYLOAD, HUMAN_TITLES, language_of

MISSES_SLOT = "form_misses"
OFFER_AFTER = 2

# Intents with a rule of their own whatever the active form (data/rules/topics.yml,
# chitchat.yml, and "stop" in application.yml and handoff.yml): the form lets
# them through (its turn is rejected, the rule answers, the form asks again).
HANDLED_IN_EVERY_FORM = frozenset(
    {
        "ask_role",
        "ask_skills",
        "ask_degrees",
        "ask_salary",
        "ask_missions",
        "ask_beginner_route",
        "ask_programs",
        "ask_source",
        "ask_not_covered",
        "follow_up",
        "greet",
        "goodbye",
        "thank",
        "bot_challenge",
        "help",
        "out_of_scope",
        "stop",
    }
)
HANDLED_BY_RULES = {
    "application_form": HANDLED_IN_EVERY_FORM
    | {"request_human", "delete_data", "change_detail"},
    "handoff_form": HANDLED_IN_EVERY_FORM,
}

# The reason given when the message gave nothing for the question at all.
NOTHING_FOR = {
    "applicant_consent": "utter_invalid_consent",
    "handoff_consent": "utter_invalid_consent",
}
# The way out of a form, offered after two misses in a row: payload, titles.
WAY_OUT = {
    "application_form": [
        ("/stop", {"en": "Stop the application", "fr": "Arrêter la candidature"}),
        (HUMAN_PAYLOAD, HUMAN_TITLES),
    ],
    "handoff_form": [("/stop", {"en": "Stop the request", "fr": "Arrêter la demande"})],
}


def way_out(form: str, language: str = "en") -> list[dict[str, str]]:
    return [
        {"title": titles.get(language, titles["en"]), "payload": payload}
        for payload, titles in WAY_OUT.get(form, [])
    ]


def misses(tracker: Tracker, form: str, slot: str) -> int:
    """How many answers in a row ``form`` could not use for ``slot``."""
    kept = tracker.get_slot(MISSES_SLOT)
    if isinstance(kept, dict) and kept.get("form") == form and kept.get("slot") == slot:
        return int(kept.get("count") or 0)
    return 0


def one_more_miss(tracker: Tracker, form: str, slot: str) -> EventType:
    count = misses(tracker, form, slot) + 1
    return SlotSet(MISSES_SLOT, {"form": form, "slot": slot, "count": count})


def after_user_message(tracker: Tracker) -> bool:
    """The form runs on a new message, not on its return after a rule answered.

    The validation action sees the form's own run as the latest action; the one
    before it is ``action_listen`` only when the visitor has just written.
    """
    actions = [e.get("name") for e in tracker.events if e.get("event") == "action"]
    return len(actions) >= 2 and actions[-2] == "action_listen"


def judge_turn(
    form: str,
    events: list[EventType],
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
) -> list[EventType]:
    """The validation's events, with the miss count kept, and a reason when needed.

    ``tracker`` is the one the validation ran on (the form's requested slot, the
    visitor's message); ``events`` what the ``validate_<slot>`` methods returned.
    """
    requested = tracker.get_slot("requested_slot")
    if requested is None:  # the form is starting: nothing missed yet
        return [*events, SlotSet(MISSES_SLOT, None)]
    if not after_user_message(tracker):
        return events
    answered = {
        e["name"]: e["value"]
        for e in events
        if e.get("event") == "slot" and e.get("name") != "requested_slot"
    }
    if requested in answered:
        if answered[requested] is not None:
            return [*events, SlotSet(MISSES_SLOT, None)]
        # Refused: its validate_<slot> method said why.
        return [*events, one_more_miss(tracker, form, requested)]
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    if intent in HANDLED_BY_RULES[form]:
        return events  # the form's turn is rejected, the intent's rule answers
    dispatcher.utter_message(
        response=NOTHING_FOR.get(
            requested,
            "utter_invalid_in_handoff"
            if form == "handoff_form"
            else "utter_invalid_answer",
        )
    )
    return [*events, one_more_miss(tracker, form, requested)]


class KeepsItsQuestion(FormValidationAction, ABC):
    """A form validation that counts misses and explains them (judge_turn)."""

    @abstractmethod
    def name(self) -> str: ...

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        events = await super().run(dispatcher, tracker, domain)
        return judge_turn(self.form_name(), events, dispatcher, tracker)


class AskAgain(Action, ABC):
    """Asks one question of a form: its response and buttons, and after two
    misses in a row the way out."""

    form: str = ""  # the form whose way out is offered when no form is active
    slot: str = ""
    response: str = ""

    @abstractmethod
    def name(self) -> str: ...

    def buttons(self, tracker: Tracker) -> list[dict[str, Any]]:
        """The question's own buttons beyond those of its response."""
        return []

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        form = tracker.active_loop_name or self.form
        buttons = self.buttons(tracker)
        if misses(tracker, form, self.slot) >= OFFER_AFTER:
            buttons = [*buttons, *way_out(form, language_of(tracker))]
        dispatcher.utter_message(response=self.response, buttons=buttons)
        return []


def ask_action(
    action: str, form: str, slot: str, response: str | None = None
) -> type[AskAgain]:
    """The action ``action`` (the name Rasa looks up to ask ``slot``) asking
    with ``response``, by default ``utter_ask_<slot>``."""
    return type(
        f"Ask_{action}",
        (AskAgain,),
        {
            "name": lambda self: action,
            "form": form,
            "slot": slot,
            "response": response or f"utter_ask_{slot}",
        },
    )
