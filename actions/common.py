"""What every answer action shares: the advisor, and turning an Answer into replies."""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.answers import Advisor, Answer
from bot.answers.ranking import lemmas_for
from bot.answers.topics import RANKING_VARIABLE, TOPICS
from bot.db import session_factory_for
from bot.knowledge.places import resolve
from bot.knowledge.queries import KnowledgeBase, KnowledgeBaseUnavailable
from bot.language import ENGLISH, FRENCH
from bot.language import SLOT as LANGUAGE_SLOT
from bot.settings import get_settings

log = logging.getLogger(__name__)

HUMAN_PAYLOAD = "/request_human"
HUMAN_TITLES = {ENGLISH: "Talk to a person", FRENCH: "Parler à une personne"}
# A place a visitor might name; resolving one builds the world's place index.
WARM_UP_PLACE = "Belgium"


def language_of(tracker: Tracker) -> str:
    """The conversation's language (set by the NLU's bot.nlp.language_detector);
    English until a message says otherwise."""
    return FRENCH if tracker.get_slot(LANGUAGE_SLOT) == FRENCH else ENGLISH


def human_button(language: str = ENGLISH) -> dict[str, str]:
    title = HUMAN_TITLES.get(language, HUMAN_TITLES[ENGLISH])
    return {"title": title, "payload": HUMAN_PAYLOAD}


@lru_cache(maxsize=1)
def knowledge_base() -> KnowledgeBase:
    """One knowledge base per action-server process: it caches itself."""
    return KnowledgeBase(session_factory_for(get_settings().database_url))


@lru_cache(maxsize=2)
def get_advisor(language: str = "en") -> Advisor:
    """One advisor per language and action-server process, on one knowledge base."""
    return Advisor(
        knowledge_base(),
        lemmas_for(language, get_settings().spacy_model_dir),
        ranking=os.environ.get(RANKING_VARIABLE, "1") != "0",
        language=language,
    )


def warm_up() -> None:
    """Build what the first questions would, before the first visitor waits for it.

    Run by the action server at start
    (``bot.rasa_runtime.action_server.install_warm_up``),
    through the code a question takes: the advisor with its spaCy pipeline, the
    place index, then the knowledge base's snapshot (the first database
    connection) and passage index. With the database down, that last part is
    left to the first question, which apologises as usual until it is back.
    """
    advisors = [get_advisor(language) for language in ("en", "fr")]
    resolve(WARM_UP_PLACE)
    try:
        for advisor in advisors:
            advisor.chooser()
    except KnowledgeBaseUnavailable as error:
        log.warning(
            "warm-up: knowledge base unavailable, left to the first question: %s",
            error,
        )


def answered_keys(tracker: Tracker) -> list[str]:
    return list(tracker.get_slot("answered") or [])


def send(
    dispatcher: CollectingDispatcher, tracker: Tracker, answer: Answer
) -> list[EventType]:
    """Send the answer's messages; remember its topic and what was answered."""
    for say in answer.messages:
        dispatcher.utter_message(
            response=say.response,
            buttons=[button.as_dict() for button in say.buttons],
            # Answers that lead with one passage cite it in {source}; others don't.
            **{"source": "", **say.values},
        )
    answered = answered_keys(tracker)
    if answer.key not in answered:
        answered.append(answer.key)
    events: list[EventType] = [SlotSet("answered", answered)]
    if answer.topic in TOPICS:
        events.insert(0, SlotSet("topic", answer.topic))
    events += [SlotSet(name, value) for name, value in answer.slots.items()]
    return events


def apologise(
    dispatcher: CollectingDispatcher, tracker: Tracker, error: Exception
) -> list[EventType]:
    """The knowledge base cannot be read: say so and offer a person, never silence."""
    log.error("knowledge base unavailable for sender %s: %s", tracker.sender_id, error)
    dispatcher.utter_message(
        response="utter_kb_unavailable", buttons=[human_button(language_of(tracker))]
    )
    return []


def latest_entity(tracker: Tracker, entity: str) -> Any:
    return next(tracker.get_latest_entity_values(entity), None)
