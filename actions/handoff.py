"""A person instead of the bot, and the visitor's right to be forgotten."""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.forms import FORM_SLOTS, ValidateApplicationForm
from actions.misses import KeepsItsQuestion, ask_action
from bot.applications import validation
from bot.applications.models import utcnow
from bot.applications.service import erase, store_handoff
from bot.db import session_factory_for
from bot.rasa_runtime.tracker_store import ERASE_SLOT, REFUSED_SLOT
from bot.settings import get_settings

log = logging.getLogger(__name__)


class ValidateHandoffForm(KeepsItsQuestion):
    """Same checks on the name and email as the application form."""

    def name(self) -> str:
        return "validate_handoff_form"

    validate_applicant_name = ValidateApplicationForm.validate_applicant_name
    validate_applicant_email = ValidateApplicationForm.validate_applicant_email

    def validate_handoff_consent(self, value, dispatcher, tracker, domain) -> dict:  # type: ignore[no-untyped-def]
        try:
            text = tracker.latest_message.get("text")
            return {"handoff_consent": validation.consent(value, text)}
        except validation.Invalid as error:
            dispatcher.utter_message(response=error.response)
            return {"handoff_consent": None}


ActionAskHandoffName = ask_action(
    "action_ask_handoff_form_applicant_name",
    "handoff_form",
    "applicant_name",
    "utter_ask_handoff_form_applicant_name",
)
ActionAskHandoffConsent = ask_action(
    "action_ask_handoff_consent", "handoff_form", "handoff_consent"
)


def _first_question(tracker: Tracker) -> str | None:
    """The question the guide could not answer, else the visitor's first message."""
    kept = tracker.get_slot("handoff_question")
    if kept:
        return str(kept)[:500]
    for event in tracker.events:
        if event.get("event") == "user" and not str(event.get("text") or "").startswith(
            "/"
        ):
            return str(event.get("text"))[:500]
    return None


class ActionSubmitHandoff(Action):
    def name(self) -> str:
        return "action_submit_handoff"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if not tracker.get_slot("handoff_consent"):
            dispatcher.utter_message(response="utter_handoff_no_consent")
            # Nothing kept without consent (the tracker store removes the answers:
            # bot/rasa_runtime/tracker_store.py).
            return [
                SlotSet("handoff_consent", None),
                SlotSet("applicant_name", None),
                SlotSet("applicant_email", None),
                SlotSet(REFUSED_SLOT, True),
            ]
        email = tracker.get_slot("applicant_email")
        try:
            reference = store_handoff(
                session_factory_for(get_settings().database_url),
                full_name=tracker.get_slot("applicant_name"),
                email=email,
                question=_first_question(tracker),
                conversation_id=tracker.sender_id,
                consent_at=utcnow(),
            )
        except (SQLAlchemyError, RuntimeError) as error:
            log.error(
                "could not store the hand-off of sender %s: %s",
                tracker.sender_id,
                error,
            )
            dispatcher.utter_message(response="utter_store_failed")
            return [SlotSet("handoff_consent", None)]
        dispatcher.utter_message(
            response="utter_handoff_stored", reference=reference, email=email
        )
        return [
            SlotSet("handoff_consent", None),
            SlotSet("handoff_reference", reference),
        ]


class ActionDeleteMyData(Action):
    """Delete the visitor's applications, hand-off requests and conversation."""

    def name(self) -> str:
        return "action_delete_my_data"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        try:
            erased = erase(
                session_factory_for(get_settings().database_url),
                email=tracker.get_slot("applicant_email"),
                conversation_id=tracker.sender_id,
            )
        except SQLAlchemyError as error:
            log.error(
                "could not erase the data of sender %s: %s", tracker.sender_id, error
            )
            dispatcher.utter_message(response="utter_store_failed")
            return []
        log.info("erased on request for %s: %s", tracker.sender_id, erased)
        dispatcher.utter_message(response="utter_data_deleted")
        # The tracker store deletes the conversation's events when it sees this slot.
        return [
            *(SlotSet(slot, None) for slot in FORM_SLOTS),
            SlotSet(ERASE_SLOT, True),
        ]
