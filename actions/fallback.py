"""Rasa's two-stage fallback, with readable topics instead of intent names.

Rasa's own ``action_default_ask_affirmation`` asks "Did you mean 'ask_salary'?"
about one intent. This one offers the two most likely topics, described in
words (``utter_intent_<name>`` responses in the domain), and "Something else",
which answers ``/out_of_scope`` so that Rasa moves on to the rephrase request.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import language_of

FALLBACK_INTENTS = {"nlu_fallback", "out_of_scope"}
SOMETHING_ELSE = {"title": "Something else", "payload": "/out_of_scope"}
SOMETHING_ELSE_TITLES = {"en": "Something else", "fr": "Autre chose"}


def describe(intent: str, domain: dict[str, Any], language: str = "en") -> str | None:
    """The readable description of ``intent`` from the domain, if it has one:
    its variation for ``language`` (domain.yml's ``language`` condition)."""
    variations = domain.get("responses", {}).get(f"utter_intent_{intent}") or []
    for variation in variations:
        said_in = next(
            (
                c.get("value")
                for c in variation.get("condition") or []
                if c.get("name") == "language"
            ),
            "en",
        )
        if said_in == language:
            return variation.get("text")
    return variations[0].get("text") if variations else None


class ActionDefaultAskAffirmation(Action):
    def name(self) -> str:
        return "action_default_ask_affirmation"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = language_of(tracker)
        ranking = tracker.latest_message.get("intent_ranking") or []
        buttons = []
        for candidate in ranking:
            name = candidate.get("name")
            title = (
                describe(name, domain, language)
                if name not in FALLBACK_INTENTS
                else None
            )
            if title:
                buttons.append({"title": title, "payload": f"/{name}"})
            if len(buttons) == 2:
                break
        buttons.append({**SOMETHING_ELSE, "title": SOMETHING_ELSE_TITLES[language]})
        dispatcher.utter_message(response="utter_did_you_mean", buttons=buttons)
        return []
