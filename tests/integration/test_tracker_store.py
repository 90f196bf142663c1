"""The tracker store's verified cache: fast, and never stale or duplicated.

Two store instances on one SQLite file stand for two Rasa replicas sharing a
database, as `make scale` runs them on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from bot.rasa_runtime.tracker_store import AdvisorTrackerStore
from bot.settings import PROJECT_ROOT

DOMAIN = Domain.from_path(PROJECT_ROOT / "domain.yml")


@pytest.fixture
def store(database_url: str, session_factory: sessionmaker) -> AdvisorTrackerStore:
    return AdvisorTrackerStore(DOMAIN, host=database_url)


@pytest.fixture
def replica(database_url: str, session_factory: sessionmaker) -> AdvisorTrackerStore:
    return AdvisorTrackerStore(DOMAIN, host=database_url)


async def _conversation(
    store: AdvisorTrackerStore, sender: str
) -> DialogueStateTracker:
    """A conversation past its first turn, as the Rasa server leaves it."""
    tracker = DialogueStateTracker.from_events(
        sender,
        [ActionExecuted("action_session_start"), SessionStarted()],
        DOMAIN.slots,
    )
    await store.save(tracker)
    tracker = await store.retrieve(sender)
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(UserUttered("how much does an AI PM earn?"))
    tracker.update(SlotSet("topic", "salary"))
    await store.save(tracker)
    return tracker


def _rows(session_factory: sessionmaker, sender: str) -> list[str]:
    with session_factory() as session:
        return list(
            session.scalars(
                text("SELECT type_name FROM events WHERE sender_id = :s ORDER BY id"),
                {"s": sender},
            )
        )


async def test_the_next_turn_gets_the_saved_tracker_without_reloading_it(
    store: AdvisorTrackerStore,
) -> None:
    tracker = await _conversation(store, "c1")
    assert await store.retrieve("c1") is tracker


async def test_a_cached_tracker_holds_what_the_database_holds(
    store: AdvisorTrackerStore, replica: AdvisorTrackerStore
) -> None:
    cached = await _conversation(store, "c1")
    loaded = await replica.retrieve("c1")  # a fresh read, as Rasa does it
    assert loaded is not cached
    assert loaded.current_state() == (await store.retrieve("c1")).current_state()
    assert loaded.get_slot("topic") == "salary"


async def test_saving_turn_after_turn_writes_each_event_once(
    store: AdvisorTrackerStore, session_factory: sessionmaker
) -> None:
    tracker = await _conversation(store, "c1")
    for turn in range(5):
        tracker = await store.retrieve("c1")
        tracker.update(UserUttered(f"question {turn}"))
        tracker.update(ActionExecuted("action_listen"))
        await store.save(tracker)
    assert _rows(session_factory, "c1") == [
        "action",  # action_session_start: stored, but before the session Rasa reads
        "session_started",
        "action",
        "user",
        "slot",
        *["user", "action"] * 5,
    ]
    assert len(tracker.events) == 14


async def test_what_another_replica_wrote_is_seen(
    store: AdvisorTrackerStore, replica: AdvisorTrackerStore
) -> None:
    await _conversation(store, "c1")
    elsewhere = await replica.retrieve("c1")
    elsewhere.update(UserUttered("and in Canada?"))
    elsewhere.update(SlotSet("location", "Canada"))
    await replica.save(elsewhere)

    here = await store.retrieve("c1")
    assert here.get_slot("location") == "Canada"
    assert here.latest_message.text == "and in Canada?"


async def test_a_tracker_changed_but_never_saved_is_not_reused(
    store: AdvisorTrackerStore,
) -> None:
    tracker = await _conversation(store, "c1")
    tracker.update(SlotSet("location", "Canada"))  # a turn that failed half-way
    again = await store.retrieve("c1")
    assert again is not tracker
    assert again.get_slot("location") is None


async def test_an_erased_conversation_is_not_served_from_memory(
    store: AdvisorTrackerStore, replica: AdvisorTrackerStore
) -> None:
    await _conversation(store, "c1")
    replica.erase("c1")  # e.g. `advisor erase` or a purge in another process
    assert await store.retrieve("c1") is None


async def test_a_new_session_is_read_back_as_rasa_reads_it(
    store: AdvisorTrackerStore, replica: AdvisorTrackerStore
) -> None:
    tracker = await _conversation(store, "c1")
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(SlotSet("topic", "salary"))  # carried over by action_session_start
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)
    again = await store.retrieve("c1")
    assert again is not tracker
    assert again.events[0].type_name == "session_started"
    assert await store.retrieve("c1") is again  # from memory, not read again
    loaded = await replica.retrieve("c1")  # a fresh read, as Rasa does it
    assert again.current_state(EventVerbosity.ALL) == loaded.current_state(
        EventVerbosity.ALL
    )


async def test_events_stamped_with_the_session_start_are_kept_as_rasa_keeps_them(
    store: AdvisorTrackerStore, replica: AdvisorTrackerStore
) -> None:
    """Rasa selects a session's events by timestamp, not by position."""
    tracker = await _conversation(store, "c1")
    now = tracker.events[-1].timestamp + 60
    tracker.update(ActionExecuted("action_session_start", timestamp=now))
    tracker.update(SessionStarted(timestamp=now))
    tracker.update(ActionExecuted("action_listen", timestamp=now + 1))
    await store.save(tracker)
    again = await store.retrieve("c1")
    loaded = await replica.retrieve("c1")
    assert [e.type_name for e in again.events] == [
        "action",  # stamped like the session start: Rasa's query keeps it
        "session_started",
        "action",
    ]
    assert again.current_state(EventVerbosity.ALL) == loaded.current_state(
        EventVerbosity.ALL
    )


async def test_the_cache_can_be_turned_off(
    database_url: str, session_factory: sessionmaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADVISOR_TRACKER_CACHE_SIZE", "0")
    store = AdvisorTrackerStore(DOMAIN, host=database_url)
    tracker = await _conversation(store, "c1")
    assert await store.retrieve("c1") is not tracker


async def test_the_cache_keeps_the_most_recent_conversations(
    database_url: str, session_factory: sessionmaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADVISOR_TRACKER_CACHE_SIZE", "2")
    store = AdvisorTrackerStore(DOMAIN, host=database_url)
    first = await _conversation(store, "c1")
    second = await _conversation(store, "c2")
    third = await _conversation(store, "c3")
    assert await store.retrieve("c1") is not first
    assert await store.retrieve("c2") is second
    assert await store.retrieve("c3") is third


async def test_without_consent_the_form_answers_leave_every_stored_event(
    store: AdvisorTrackerStore, session_factory: sessionmaker
) -> None:
    tracker = await _conversation(store, "c1")
    for answer, slot in (
        ("Zoë Martin", "applicant_name"),
        ("zoe@example.org", "applicant_email"),
    ):
        tracker.update(UserUttered(answer))
        tracker.update(SlotSet(slot, answer))
    tracker.update(BotUttered("Zoë Martin, zoe@example.org: shall I send it?"))
    await store.save(tracker)
    tracker = await store.retrieve("c1")
    tracker.update(UserUttered("no, cancel"))
    tracker.update(SlotSet("applicant_name", None))
    tracker.update(SlotSet("applicant_email", None))
    tracker.update(SlotSet("personal_data_refused", True))
    await store.save(tracker)

    with session_factory() as session:
        stored = " ".join(
            session.scalars(text("SELECT data FROM events WHERE sender_id = 'c1'"))
        )
    assert "zoe@example.org" not in stored
    assert "Martin" not in stored and "Zo\\u00eb" not in stored
    # 2 messages (text and parse_data.text), 2 slot values, 2 in the reply
    assert stored.count("[removed: no consent]") == 8
    assert "how much does an AI PM earn?" in stored  # the rest is kept
    again = await store.retrieve("c1")
    assert again is not tracker  # read back without them
    assert "zoe@example.org" not in str(again.current_state())
    assert again.get_slot("personal_data_refused") is None


@pytest.fixture
def impatient_store(
    database_url: str, session_factory: sessionmaker, monkeypatch: pytest.MonkeyPatch
) -> AdvisorTrackerStore:
    """Gives up on a locked database after 50 ms instead of 5 s."""
    monkeypatch.setattr("bot.rasa_runtime.tracker_store.SQLITE_BUSY_MS", 50)
    return AdvisorTrackerStore(DOMAIN, host=database_url)


def _lock(database_url: str) -> sqlite3.Connection:
    """Another process's long write: every other writer gets 'database is locked'."""
    holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=0.05)
    holder.execute("BEGIN EXCLUSIVE")
    return holder


async def test_a_locked_database_loses_nothing_and_the_conversation_goes_on(
    impatient_store: AdvisorTrackerStore,
    database_url: str,
    session_factory: sessionmaker,
) -> None:
    store = impatient_store
    tracker = await _conversation(store, "c1")
    holder = _lock(database_url)
    try:
        tracker = await store.retrieve("c1")
        tracker.update(UserUttered("I want to apply"))
        tracker.update(SlotSet("applicant_name", "Ada Lovelace"))
        await store.save(tracker)  # fails inside, kept in memory
        again = await store.retrieve("c1")  # still locked: from memory
        assert again is tracker
        assert again.get_slot("applicant_name") == "Ada Lovelace"
        again.update(UserUttered("ada@example.org"))
        await store.save(again)
        assert _rows(session_factory, "c1")[-1] == "slot"  # nothing new written yet
    finally:
        holder.rollback()
        holder.close()

    back = await store.retrieve("c1")  # the database is back: written, in order
    assert _rows(session_factory, "c1")[-3:] == ["user", "slot", "user"]
    fresh = await AdvisorTrackerStore(DOMAIN, host=database_url).retrieve("c1")
    assert fresh.current_state() == back.current_state()
    assert fresh.get_slot("applicant_name") == "Ada Lovelace"


# --- the reply first, then the write (write_after_reply) ---------------------------


@pytest.fixture
def later(database_url: str, session_factory: sessionmaker) -> AdvisorTrackerStore:
    """A store configured as endpoints.yml configures it for one Rasa server."""
    return AdvisorTrackerStore(DOMAIN, host=database_url, write_after_reply=True)


async def _next_turn(store: AdvisorTrackerStore, sender: str) -> DialogueStateTracker:
    tracker = await store.retrieve(sender)
    tracker.update(ActionExecuted("action_answer_salary"))
    tracker.update(BotUttered("The article has nothing on Germany itself."))
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)
    return tracker


async def test_an_ordinary_turn_is_written_in_the_next_step(
    later: AdvisorTrackerStore, session_factory: sessionmaker
) -> None:
    await _conversation(later, "c1")
    first = _rows(session_factory, "c1")
    assert first == ["action", "session_started"]  # the turn waits for the reply
    await asyncio.sleep(0)  # the event loop's next step: the reply is on its way
    written = _rows(session_factory, "c1")
    assert written == [*first, "action", "user", "slot"]
    await _next_turn(later, "c1")
    assert _rows(session_factory, "c1") == written
    await asyncio.sleep(0)
    assert _rows(session_factory, "c1") == [*written, "action", "bot", "action"]


async def test_without_it_every_turn_is_written_before_save_returns(
    store: AdvisorTrackerStore, session_factory: sessionmaker
) -> None:
    await _conversation(store, "c1")
    assert len(_rows(session_factory, "c1")) == 5


async def test_it_can_be_turned_off(
    database_url: str, session_factory: sessionmaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADVISOR_WRITE_AFTER_REPLY", "0")
    store = AdvisorTrackerStore(DOMAIN, host=database_url, write_after_reply=True)
    await _conversation(store, "c1")
    assert len(_rows(session_factory, "c1")) == 5


async def test_the_next_message_writes_a_waiting_turn_first(
    later: AdvisorTrackerStore, database_url: str, session_factory: sessionmaker
) -> None:
    saved = await _conversation(later, "c1")
    again = await later.retrieve("c1")  # before the loop's next step
    assert again is saved
    assert len(_rows(session_factory, "c1")) == 5
    await asyncio.sleep(0)  # the step that would have written it: nothing twice
    assert len(_rows(session_factory, "c1")) == 5
    fresh = await AdvisorTrackerStore(DOMAIN, host=database_url).retrieve("c1")
    assert fresh.current_state(EventVerbosity.ALL) == saved.current_state(
        EventVerbosity.ALL
    )


async def test_what_waits_is_written_when_the_server_stops(
    later: AdvisorTrackerStore, session_factory: sessionmaker
) -> None:
    await _conversation(later, "c1")
    later.flush()  # registered with atexit
    assert len(_rows(session_factory, "c1")) == 5


async def test_a_conversation_erased_before_the_write_stays_erased(
    later: AdvisorTrackerStore, session_factory: sessionmaker
) -> None:
    await _conversation(later, "c1")
    later.erase("c1")
    await asyncio.sleep(0)
    later.flush()
    assert _rows(session_factory, "c1") == []


async def test_a_new_session_and_a_refusal_are_written_before_the_reply(
    later: AdvisorTrackerStore, session_factory: sessionmaker
) -> None:
    await _conversation(later, "c1")
    await asyncio.sleep(0)
    tracker = await later.retrieve("c1")
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    await later.save(tracker)
    assert _rows(session_factory, "c1")[-2:] == ["action", "session_started"]

    tracker = await later.retrieve("c1")
    tracker.update(UserUttered("Ada Lovelace"))
    tracker.update(SlotSet("applicant_name", "Ada Lovelace"))
    tracker.update(SlotSet("personal_data_refused", True))
    await later.save(tracker)
    with session_factory() as session:
        stored = session.scalars(
            text("SELECT data FROM events WHERE sender_id = 'c1' ORDER BY id")
        ).all()
    # The refusal is answered by setting the slot back: one more event.
    assert len(stored) == 11 and not any("Ada Lovelace" in row for row in stored)


async def test_a_write_that_fails_after_the_reply_is_kept_until_it_can_be_done(
    database_url: str, session_factory: sessionmaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.rasa_runtime.tracker_store.SQLITE_BUSY_MS", 50)
    store = AdvisorTrackerStore(DOMAIN, host=database_url, write_after_reply=True)
    await _conversation(store, "c1")
    await asyncio.sleep(0)
    holder = _lock(database_url)
    try:
        tracker = await _next_turn(store, "c1")
        await asyncio.sleep(0)  # fails inside, kept in memory
        assert await store.retrieve("c1") is tracker  # still locked: from memory
    finally:
        holder.rollback()
        holder.close()
    await store.retrieve("c1")  # the database is back: written, in order
    assert _rows(session_factory, "c1")[-3:] == ["action", "bot", "action"]
    assert len(_rows(session_factory, "c1")) == 8
