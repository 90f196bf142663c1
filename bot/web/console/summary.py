"""One summary row per conversation, kept up to date from Rasa's ``events`` table.

Listing 10,000 conversations with their first question, lowest confidence and
fallbacks cannot afford to read every event's JSON on each page, so each
conversation is summarised once (:func:`summarise`) into
``console_conversations``, ``console_conversation_intents`` and
``console_unanswered`` (the messages the guide could not answer,
:mod:`.unanswered`), and :func:`refresh` re-summarises only the conversations
that have new events.

No bookkeeping of its own is needed: the highest ``last_event_id`` of the
summaries is the point reached. Events are found past it, less a margin
(:data:`LATE_COMMIT_MARGIN`) for those that another process committed later
than events with higher ids (PostgreSQL sequences), and a conversation is
re-summarised only when one of its events is newer than its summary.

Erasure (``advisor erase``, "delete my data") deletes a conversation's events
outside the console. A summary whose first event is gone is therefore purged,
with the staff's review, tags, corrections and unanswered-message marks of that
conversation: after erasure nothing of what the visitor wrote remains here
either.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    case,
    delete,
    func,
    inspect,
    or_,
    select,
)
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.language import LANGUAGES
from bot.language import SLOT as LANGUAGE_SLOT
from bot.web.console.models import (
    ConversationIntent,
    ConversationSummary,
    Correction,
    Review,
    Tag,
    UnansweredMessage,
    UnansweredStatus,
)
from bot.web.console.unanswered import SLOT, TurnMarks

log = logging.getLogger(__name__)

# Rasa's SQLTrackerStore table, declared apart from the project's metadata so
# that no migration ever creates or alters it.
events = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)

FALLBACK_INTENT = "nlu_fallback"
FALLBACK_ACTIONS = frozenset(
    {
        "action_default_fallback",
        "action_default_ask_affirmation",
        "action_two_stage_fallback",
    }
)
APPLICATION_FORM = "application_form"
APPLICATION_SUMMARY = "action_application_summary"
HANDOFF_FORM = "handoff_form"
# Greetings and the like: a conversation of only these asked nothing.
SMALL_TALK = frozenset({"greet", "goodbye", "affirm", "deny", "thank", "bot_challenge"})
PROGRAMME_INTENTS = frozenset({"ask_programs", "apply"})
LATE_COMMIT_MARGIN = 1000
# Erasures outside the console are looked for at most this often (seconds).
PURGE_EVERY = 10.0
CHUNK = 400  # conversations summarised per transaction
FIRST_QUESTION_CHARS = 300
SEARCH_CHARS = 20_000
_ATTEMPTS = 3
_refreshing = threading.Lock()


def has_events_table(session: Session) -> bool:
    """Rasa creates ``events`` when it first starts, perhaps after the web app."""
    return inspect(session.connection()).has_table("events")


def from_timestamp(timestamp: float | None) -> dt.datetime:
    moment = dt.datetime.fromtimestamp(timestamp or 0, dt.timezone.utc)
    return moment.replace(tzinfo=None)


def classifier_confidence(parse_data: dict[str, Any]) -> float | None:
    """The classifier's confidence in its best intent.

    Rasa's FallbackClassifier replaces a weak intent with ``nlu_fallback`` at the
    threshold's confidence; the classifier's own best guess is in the ranking.
    """
    intent = parse_data.get("intent") or {}
    if intent.get("name") == FALLBACK_INTENT:
        guesses = [
            candidate.get("confidence")
            for candidate in parse_data.get("intent_ranking") or []
            if candidate.get("name") != FALLBACK_INTENT
            and candidate.get("confidence") is not None
        ]
        if guesses:
            return float(max(guesses))
    confidence = intent.get("confidence")
    return float(confidence) if confidence is not None else None


@dataclass
class Summary:
    """A conversation's summary, before it is written."""

    row: dict[str, Any]
    intents: Counter[str] = field(default_factory=Counter)
    unanswered: list[dict[str, Any]] = field(default_factory=list)


def summarise(sender_id: str, rows: Sequence[Any]) -> Summary:
    """Summarise one conversation from its event rows, in id order."""
    first, last = rows[0], rows[-1]
    texts: list[str] = []
    turns = 0
    intents: Counter[str] = Counter()
    first_question: str | None = None
    confidences: list[float] = []
    fallback_turns = 0
    turn_fell_back = False
    form_started = summary_shown = handoff_started = False
    marks = TurnMarks(sender_id)
    language = "en"
    for row in rows:
        if row.type_name == "user":
            turns += 1
            fallback_turns += turn_fell_back
            data = json.loads(row.data or "{}")
            text = (data.get("text") or "").strip()
            parse_data = data.get("parse_data") or {}
            intent = (parse_data.get("intent") or {}).get("name") or row.intent_name
            if intent:
                intents[intent] += 1
            confidence = classifier_confidence(parse_data)
            if confidence is not None:
                confidences.append(confidence)
            turn_fell_back = intent == FALLBACK_INTENT
            marks.user(row, text)
            if text:
                texts.append(text.lower())
                if first_question is None and not text.startswith("/"):
                    first_question = text[:FIRST_QUESTION_CHARS]
        elif row.type_name == "action":
            if row.action_name in FALLBACK_ACTIONS:
                turn_fell_back = True
            form_started |= row.action_name == APPLICATION_FORM
            summary_shown |= row.action_name == APPLICATION_SUMMARY
            handoff_started |= row.action_name == HANDOFF_FORM
        elif row.type_name == "slot":
            marks.slot(row)
            language = _language(row) or language
    fallback_turns += turn_fell_back
    started = from_timestamp(first.timestamp)
    return Summary(
        row={
            "sender_id": sender_id,
            "first_event_id": first.id,
            "first_event_at": first.timestamp,
            "last_event_id": last.id,
            "started_at": started,
            "started_day": started.date(),
            "last_at": from_timestamp(last.timestamp),
            "first_question": first_question,
            "turns": turns,
            "min_confidence": min(confidences) if confidences else None,
            "fallback_turns": fallback_turns,
            "asked_question": any(
                intent not in SMALL_TALK and intent != FALLBACK_INTENT
                for intent in intents
            ),
            "asked_programmes": not PROGRAMME_INTENTS.isdisjoint(intents),
            "form_started": form_started,
            "summary_shown": summary_shown,
            "handoff_started": handoff_started,
            "search_text": "\n".join(texts)[:SEARCH_CHARS],
            "language": language,
        },
        intents=intents,
        unanswered=marks.rows(),
    )


def _language(row: Any) -> str | None:
    """The value of a ``language`` slot event, if the row is one."""
    if not row.data:
        return None
    data = json.loads(row.data)
    value = data.get("value")
    if data.get("name") == LANGUAGE_SLOT and value in LANGUAGES:
        return str(value)
    return None


@dataclass(frozen=True)
class Refreshed:
    summarised: int  # conversations (re-)summarised
    purged: int  # summaries of erased conversations removed


_last_purge = 0.0


def refresh(session_factory: sessionmaker, *, every: float = 0.0) -> Refreshed:
    """Bring the summaries up to date with the tracker store.

    Looking for erased conversations reads every summary (about 40 ms for
    10,000); pages pass ``every`` (:data:`PURGE_EVERY`) to do it at most that
    often, which delays the disappearance of a conversation erased outside
    the console by as much. The console's own erasure purges at once.
    """
    global _last_purge
    with _refreshing:  # one refresh at a time per process; others wait for it
        with session_factory() as session:
            if not has_events_table(session):
                return Refreshed(0, 0)
        purged = 0
        if time.monotonic() - _last_purge >= every:
            purged = _purge_erased(session_factory)
            _last_purge = time.monotonic()
        with session_factory() as session:
            touched = _touched_senders(session)
        summarised = 0
        for chunk in _chunks(touched, CHUNK):
            summarised += _summarise_chunk(session_factory, chunk)
        if summarised or purged:
            log.info(
                "console: %d conversations summarised, %d purged", summarised, purged
            )
        return Refreshed(summarised, purged)


def _touched_senders(session: Session) -> list[str]:
    """Conversations with an event newer than their summary."""
    summary = ConversationSummary
    reached = session.scalar(select(func.max(summary.last_event_id))) or 0
    # A range of the primary key, then the summaries of the few senders in it
    # (a join or DISTINCT here made SQLite scan the whole sender index).
    newest: dict[str, int] = {}
    for event_id, sender in session.execute(
        select(events.c.id, events.c.sender_id).where(
            events.c.id > reached - LATE_COMMIT_MARGIN
        )
    ):
        newest[sender] = max(event_id, newest.get(sender, 0))
    known: dict[str, int] = {}
    for chunk in _chunks(list(newest), CHUNK):
        known.update(
            session.execute(
                select(summary.sender_id, summary.last_event_id).where(
                    summary.sender_id.in_(chunk)
                )
            ).all()
        )
    return [s for s, last in newest.items() if s not in known or last > known[s]]


def _summarise_chunk(session_factory: sessionmaker, senders: list[str]) -> int:
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            with session_factory() as session, session.begin():
                rows = session.execute(
                    select(
                        events.c.id,
                        events.c.sender_id,
                        events.c.type_name,
                        events.c.timestamp,
                        events.c.intent_name,
                        events.c.action_name,
                        # Only the JSON of visitor messages and of the slot
                        # events that may set the unanswered or the language
                        # slot is read.
                        case(
                            (events.c.type_name == "user", events.c.data),
                            (
                                and_(
                                    events.c.type_name == "slot",
                                    or_(
                                        events.c.data.like(f'%"{SLOT}"%'),
                                        events.c.data.like(f'%"{LANGUAGE_SLOT}"%'),
                                    ),
                                ),
                                events.c.data,
                            ),
                            else_=None,
                        ).label("data"),
                    )
                    .where(events.c.sender_id.in_(senders))
                    .order_by(events.c.sender_id, events.c.id)
                ).all()
                summaries = [summarise(s, group) for s, group in _by_sender(rows)]
                _write(session, senders, summaries)
            return len(summaries)
        except (IntegrityError, OperationalError) as error:
            # Another process summarised them at the same time, or SQLite was busy.
            log.warning("console: summary attempt %d failed: %s", attempt, error)
    return 0


def _by_sender(rows: Sequence[Any]) -> Iterator[tuple[str, list[Any]]]:
    group: list[Any] = []
    for row in rows:
        if group and row.sender_id != group[0].sender_id:
            yield group[0].sender_id, group
            group = []
        group.append(row)
    if group:
        yield group[0].sender_id, group


def _write(session: Session, senders: list[str], summaries: list[Summary]) -> None:
    for model in (UnansweredMessage, ConversationIntent):
        session.execute(delete(model).where(model.sender_id.in_(senders)))
    session.execute(
        delete(ConversationSummary).where(ConversationSummary.sender_id.in_(senders))
    )
    if not summaries:
        return
    session.execute(ConversationSummary.__table__.insert(), [s.row for s in summaries])
    intents = [
        {
            "sender_id": s.row["sender_id"],
            "intent": intent,
            "messages": count,
            "started_day": s.row["started_day"],
        }
        for s in summaries
        for intent, count in s.intents.items()
    ]
    if intents:
        session.execute(ConversationIntent.__table__.insert(), intents)
    unanswered = [row for s in summaries for row in s.unanswered]
    if unanswered:
        session.execute(UnansweredMessage.__table__.insert(), unanswered)


def _purge_erased(session_factory: sessionmaker) -> int:
    summary = ConversationSummary
    first_event_kept = (
        select(events.c.id)
        .where(
            events.c.id == summary.first_event_id,
            events.c.sender_id == summary.sender_id,
            or_(
                events.c.timestamp == summary.first_event_at,
                and_(events.c.timestamp.is_(None), summary.first_event_at.is_(None)),
            ),
        )
        .exists()
    )
    with session_factory() as session:
        gone = list(session.scalars(select(summary.sender_id).where(~first_event_kept)))
    if gone:
        with session_factory() as session, session.begin():
            purge(session, gone)
        log.info("console: purged %d erased conversations", len(gone))
    return len(gone)


def purge(session: Session, senders: Iterable[str]) -> None:
    """Forget everything the console holds about these conversations."""
    for chunk in _chunks(list(senders), CHUNK):
        for model in (
            ConversationIntent,
            UnansweredMessage,
            ConversationSummary,
            Review,
            Tag,
            Correction,
            UnansweredStatus,
        ):
            session.execute(delete(model).where(model.sender_id.in_(chunk)))


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
