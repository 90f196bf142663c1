"""Conversations for the console's tests, written by Rasa's own SQL tracker store.

Events are built with Rasa's event classes and saved through
``SQLTrackerStore.save``, so the rows are exactly those a running Rasa server
writes to the ``events`` table.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.settings import PROJECT_ROOT


@lru_cache(maxsize=1)
def domain() -> Domain:
    return Domain.from_path(PROJECT_ROOT / "domain.yml")


@dataclass
class Turn:
    """A visitor's message and what the bot did with it."""

    text: str
    intent: str
    confidence: float = 0.95
    action: str = "utter_greet"
    reply: str = "Hello!"
    entities: list[dict[str, Any]] = field(default_factory=list)
    ranking: list[tuple[str, float]] | None = None
    slots: dict[str, Any] = field(default_factory=dict)
    extra_actions: tuple[str, ...] = ()


def events_of(turns: Iterable[Turn], start: dt.datetime) -> list[Event]:
    """The events of a conversation that starts at ``start`` (UTC), a second a step."""
    clock = start.replace(tzinfo=dt.timezone.utc).timestamp()

    def tick() -> float:
        nonlocal clock
        clock += 1
        return clock

    events: list[Event] = [
        ActionExecuted("action_session_start", timestamp=tick()),
        SessionStarted(timestamp=tick()),
        ActionExecuted("action_listen", timestamp=tick()),
    ]
    for turn in turns:
        ranking = turn.ranking or [(turn.intent, turn.confidence)]
        intent = {"name": turn.intent, "confidence": turn.confidence}
        events.append(
            UserUttered(
                turn.text,
                intent=intent,
                entities=turn.entities,
                parse_data={
                    "intent": intent,
                    "entities": turn.entities,
                    "text": turn.text,
                    "intent_ranking": [
                        {"name": n, "confidence": c} for n, c in ranking
                    ],
                },
                timestamp=tick(),
            )
        )
        events += [SlotSet(k, v, timestamp=tick()) for k, v in turn.slots.items()]
        for action in turn.extra_actions:
            events.append(ActionExecuted(action, timestamp=tick()))
            if action.endswith("_form"):
                events.append(ActiveLoop(action, timestamp=tick()))
        events.append(ActionExecuted(turn.action, timestamp=tick()))
        events.append(
            BotUttered(
                turn.reply,
                metadata={"utter_action": turn.action},
                timestamp=tick(),
            )
        )
        events.append(ActionExecuted("action_listen", timestamp=tick()))
    return events


def save(database_url: str, sender_id: str, events: list[Event]) -> None:
    """Save a conversation (or more of it) as the Rasa server would."""
    store = SQLTrackerStore(domain(), host=database_url)
    try:
        tracker = asyncio.run(store.retrieve_full_tracker(sender_id))
        if tracker is None:
            tracker = DialogueStateTracker.from_events(sender_id, [], domain().slots)
        for event in events:
            tracker.update(event)
        asyncio.run(store.save(tracker))
    finally:
        store.engine.dispose()


GREETING = Turn("/greet", "greet", 1.0, "utter_greet", "Hi! I'm AI2's career advisor.")


def skills_question(text: str = "which skills do I need?") -> Turn:
    return Turn(
        text,
        "ask_skills",
        0.93,
        "action_answer_skills",
        "You'll need five kinds of skills.",
        slots={"topic": "skills"},
    )


def fallback(text: str = "blorp the wizzle", guess: float = 0.31) -> Turn:
    return Turn(
        text,
        "nlu_fallback",
        0.5,
        "action_two_stage_fallback",
        "Did you mean the salaries?",
        ranking=[("nlu_fallback", 0.5), ("ask_salary", guess), ("help", 0.2)],
    )


def python_question() -> Turn:
    return Turn(
        "do I need python?",
        "ask_skills",
        0.88,
        "action_answer_skills",
        "Python belongs to Technical AI foundations.",
        entities=[{"entity": "skill", "value": "Python", "start": 10, "end": 16}],
        slots={"skill": "Python", "topic": "skills"},
    )


def application_turns() -> list[Turn]:
    return [
        Turn(
            "I want to apply",
            "apply",
            0.97,
            "utter_ask_applicant_name",
            "What's your full name?",
            extra_actions=("application_form",),
        ),
        Turn(
            "yes",
            "affirm",
            0.99,
            "action_submit_application",
            "Your reference is AP-ABCDEF.",
            extra_actions=("action_application_summary",),
        ),
    ]


def not_covered(text: str, subject: str) -> Turn:
    """A question the guide does not answer, marked as the bot marks it."""
    return Turn(
        text,
        "ask_not_covered",
        0.9,
        "action_answer_not_covered",
        "The guide doesn't say; the admissions team can tell you.",
        slots={"unanswered": subject},
    )


def unanswered_conversations(database_url: str, noon: dt.datetime) -> None:
    """Four conversations with unanswered questions, over three days.

    Three ask the price in other words ("fees-1" twice over), one asks the
    format and campus, one message fell back.
    """
    day = dt.timedelta(days=1)
    save(
        database_url,
        "fees-1",
        events_of(
            [GREETING, not_covered("how much does it cost", "fees"), skills_question()],
            noon - 2 * day,
        ),
    )
    save(
        database_url,
        "fees-2",
        events_of(
            [
                not_covered("How much does the master cost?", "fees"),
                not_covered("is it online or on campus", "format,campus"),
            ],
            noon - day,
        ),
    )
    save(
        database_url,
        "fees-3",
        events_of([not_covered("how much does it cost?", "fees")], noon),
    )
    blorp = fallback("blorp the wizzle")
    blorp.slots = {"unanswered": "fallback"}
    save(database_url, "fallback", events_of([GREETING, blorp], noon))
