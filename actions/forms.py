"""The application form: validation, summary, submission, changes, cancel."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import (
    EventType,
    FollowupAction,
    SlotSet,
    UserUtteranceReverted,
)
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.common import get_advisor, human_button, language_of, latest_entity
from actions.misses import MISSES_SLOT, AskAgain, KeepsItsQuestion, ask_action
from bot.answers import literal
from bot.applications import validation
from bot.applications.models import utcnow
from bot.applications.service import ApplicationData, store_application
from bot.db import session_factory_for
from bot.knowledge.french import english
from bot.knowledge.queries import KnowledgeBaseUnavailable
from bot.rasa_runtime.tracker_store import REFUSED_SLOT
from bot.settings import get_settings

log = logging.getLogger(__name__)

FORM_SLOTS = (
    "applicant_name",
    "applicant_email",
    "applicant_programme",
    "applicant_education",
    "applicant_country",
    "applicant_message",
    "applicant_consent",
)
# What a visitor calls a field ("form_field" entity) -> the slot it changes.
FIELD_SLOTS = {
    "name": "applicant_name",
    "email": "applicant_email",
    "programme": "applicant_programme",
    "education": "applicant_education",
    "country": "applicant_country",
    "message": "applicant_message",
}
NO_MESSAGE = "-"  # the optional message, skipped
TRY_AGAIN = {"en": "Try again", "fr": "Réessayer"}


def _refuse(
    dispatcher: CollectingDispatcher,
    slot: str,
    error: validation.Invalid,
    **values: Any,
) -> dict:
    dispatcher.utter_message(response=error.response, **values)
    return {slot: None}


def programme_buttons(language: str = "en") -> list[dict[str, str]]:
    """A button per programme, titled in ``language``; the payload names it in
    English, as the entity does."""
    return [
        {"title": p.name, "payload": f'/inform{{"programme": "{english(p).name}"}}'}
        for p in get_advisor(language).kb.programmes()
    ]


# Intents that are never a name, whatever their words: a question or a request.
NOT_A_NAME = {"out_of_scope", "ask_not_covered", "apply"}


def _intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message.get("intent") or {}).get("name")


class ValidateApplicationForm(KeepsItsQuestion):
    def name(self) -> str:
        return "validate_application_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return [
            *self._question_for_admissions(dispatcher, tracker),
            *await super().run(dispatcher, tracker, domain),
        ]

    @staticmethod
    def _question_for_admissions(
        dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> list[EventType]:
        """A request to apply with a question the guide does not cover ("can I
        start in January?"): say so, and keep it as the message to admissions."""
        text = str(tracker.latest_message.get("text") or "")
        if _intent(tracker) != "apply" or tracker.get_slot("applicant_message"):
            return []
        try:
            say = get_advisor(language_of(tracker)).not_covered_with_application(text)
        except KnowledgeBaseUnavailable:
            return []  # the form goes on; the question is asked again later
        if say is None:
            return []
        dispatcher.utter_message(response=say.response, **say.values)
        kept = validation.message(text[: validation.MAX_MESSAGE]) or NO_MESSAGE
        return [SlotSet("applicant_message", kept)]

    def validate_applicant_name(self, value: Any, dispatcher, tracker, domain) -> dict:  # type: ignore[no-untyped-def]
        try:
            if _intent(tracker) in NOT_A_NAME:
                raise validation.Invalid("utter_invalid_name")
            return {"applicant_name": validation.name(value)}
        except validation.Invalid as error:
            return _refuse(dispatcher, "applicant_name", error)

    def validate_applicant_email(self, value: Any, dispatcher, tracker, domain) -> dict:  # type: ignore[no-untyped-def]
        try:
            return {"applicant_email": validation.email(value)}
        except validation.Invalid as error:
            return _refuse(dispatcher, "applicant_email", error)

    def validate_applicant_programme(
        self, value: Any, dispatcher, tracker, domain
    ) -> dict:  # type: ignore[no-untyped-def]
        try:
            return {
                "applicant_programme": validation.programme(
                    get_advisor(language_of(tracker)).kb, value
                )
            }
        except validation.Invalid as error:
            dispatcher.utter_message(
                response=error.response,
                buttons=programme_buttons(language_of(tracker)),
            )
            return {"applicant_programme": None}
        except KnowledgeBaseUnavailable as error:
            log.error(
                "knowledge base unavailable for sender %s: %s", tracker.sender_id, error
            )
            dispatcher.utter_message(
                response="utter_kb_unavailable",
                buttons=[human_button(language_of(tracker))],
            )
            return {"applicant_programme": None}

    def validate_applicant_education(
        self, value: Any, dispatcher, tracker, domain
    ) -> dict:  # type: ignore[no-untyped-def]
        try:
            return {"applicant_education": validation.education(value)}
        except validation.Invalid as error:
            return _refuse(dispatcher, "applicant_education", error)

    def validate_applicant_country(
        self, value: Any, dispatcher, tracker, domain
    ) -> dict:  # type: ignore[no-untyped-def]
        text = latest_entity(tracker, "location") or value
        try:
            country = validation.country(text)
        except validation.Invalid as error:
            return _refuse(
                dispatcher, "applicant_country", error, place=literal(str(value)[:60])
            )
        return {"applicant_country": country}

    def validate_applicant_message(
        self, value: Any, dispatcher, tracker, domain
    ) -> dict:  # type: ignore[no-untyped-def]
        if tracker.latest_message.get("intent", {}).get("name") == "deny":
            return {"applicant_message": NO_MESSAGE}
        try:
            message = validation.message(value)
        except validation.Invalid as error:
            return _refuse(dispatcher, "applicant_message", error)
        return {"applicant_message": message or NO_MESSAGE}

    def validate_applicant_consent(
        self, value: Any, dispatcher, tracker, domain
    ) -> dict:  # type: ignore[no-untyped-def]
        try:
            return {
                "applicant_consent": validation.consent(
                    value, tracker.latest_message.get("text")
                )
            }
        except validation.Invalid as error:
            return _refuse(dispatcher, "applicant_consent", error)


class ActionAskApplicantProgramme(AskAgain):
    """Ask for the programme with one button per programme of the knowledge base."""

    form = "application_form"
    slot = "applicant_programme"
    response = "utter_ask_applicant_programme"

    def name(self) -> str:
        return "action_ask_applicant_programme"

    def buttons(self, tracker: Tracker) -> list[dict[str, Any]]:
        try:
            return programme_buttons(language_of(tracker))
        except KnowledgeBaseUnavailable:
            return []


ActionAskApplicantName = ask_action(
    "action_ask_applicant_name", "application_form", "applicant_name"
)
ActionAskApplicantEmail = ask_action(
    "action_ask_applicant_email", "application_form", "applicant_email"
)
ActionAskApplicantEducation = ask_action(
    "action_ask_applicant_education", "application_form", "applicant_education"
)
ActionAskApplicantCountry = ask_action(
    "action_ask_applicant_country", "application_form", "applicant_country"
)
ActionAskApplicantMessage = ask_action(
    "action_ask_applicant_message", "application_form", "applicant_message"
)
ActionAskApplicantConsent = ask_action(
    "action_ask_applicant_consent", "application_form", "applicant_consent"
)


def _reset() -> list[EventType]:
    return [SlotSet(slot, None) for slot in (*FORM_SLOTS, MISSES_SLOT)]


def _forget() -> list[EventType]:
    """No consent: empty the form, and have the tracker store remove its answers."""
    return [*_reset(), SlotSet(REFUSED_SLOT, True)]


def _programme_name(slug: str | None, language: str = "en") -> str:
    try:
        return next(
            (p.name for p in get_advisor(language).kb.programmes() if p.slug == slug),
            slug or "",
        )
    except KnowledgeBaseUnavailable:
        return slug or ""


class ActionApplicationSummary(Action):
    """After the form: without consent nothing is kept; else a summary to confirm."""

    def name(self) -> str:
        return "action_application_summary"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if not tracker.get_slot("applicant_consent"):
            dispatcher.utter_message(response="utter_application_not_stored")
            return _forget()
        message = tracker.get_slot("applicant_message")
        dispatcher.utter_message(
            response="utter_application_summary",
            name=tracker.get_slot("applicant_name"),
            email=tracker.get_slot("applicant_email"),
            programme=_programme_name(
                tracker.get_slot("applicant_programme"), language_of(tracker)
            ),
            education=literal(tracker.get_slot("applicant_education") or ""),
            country=tracker.get_slot("applicant_country"),
            message="(none)" if message in (None, NO_MESSAGE) else literal(message),
        )
        return []


class ActionSubmitApplication(Action):
    """Store the confirmed application and give the visitor its reference."""

    def name(self) -> str:
        return "action_submit_application"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        values = {slot: tracker.get_slot(slot) for slot in FORM_SLOTS}
        if not values["applicant_consent"] or any(v is None for v in values.values()):
            dispatcher.utter_message(response="utter_no_application")
            return []
        data = ApplicationData(
            full_name=values["applicant_name"],
            email=values["applicant_email"],
            programme=values["applicant_programme"],
            education=values["applicant_education"],
            country=values["applicant_country"],
            message=None
            if values["applicant_message"] == NO_MESSAGE
            else values["applicant_message"],
            conversation_id=tracker.sender_id,
            consent_at=utcnow(),
        )
        try:
            stored = store_application(
                session_factory_for(get_settings().database_url), data
            )
        except (SQLAlchemyError, RuntimeError) as error:
            # The slots are kept, and the turn is undone: the dialogue is back under
            # the summary, so "yes" (or "Try again") retries once the database is back.
            log.error(
                "could not store the application of sender %s: %s",
                tracker.sender_id,
                error,
            )
            dispatcher.utter_message(
                response="utter_store_failed",
                buttons=[
                    {"title": TRY_AGAIN[language_of(tracker)], "payload": "/affirm"},
                    human_button(language_of(tracker)),
                ],
            )
            return [UserUtteranceReverted(), FollowupAction("action_listen")]
        response = (
            "utter_application_stored"
            if stored.created
            else "utter_application_updated"
        )
        dispatcher.utter_message(
            response=response, reference=stored.reference, email=data.email
        )
        return [
            *_reset(),
            SlotSet("application_reference", stored.reference),
            # Kept so that a hand-off request does not ask again.
            SlotSet("applicant_name", data.full_name),
            SlotSet("applicant_email", data.email),
        ]


class ActionChangeDetail(Action):
    """'Change my email': empty that slot; the form then asks for it again."""

    def name(self) -> str:
        return "action_change_detail"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        field = latest_entity(tracker, "form_field")
        slot = FIELD_SLOTS.get(str(field).lower()) if field else None
        if slot is None:
            dispatcher.utter_message(
                response="utter_what_to_change",
                buttons=[
                    {
                        "title": f.capitalize(),
                        "payload": f'/change_detail{{"form_field": "{f}"}}',
                    }
                    for f in FIELD_SLOTS
                ],
            )
            # Wait for the visitor's choice instead of running the form now.
            return [FollowupAction("action_listen")]
        dispatcher.utter_message(response="utter_change_detail", field=field)
        return [SlotSet(slot, None)]


class ActionResetApplication(Action):
    """'Stop' or 'cancel': leave the form and keep nothing of it."""

    def name(self) -> str:
        return "action_reset_application"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_application_cancelled")
        return _forget()
