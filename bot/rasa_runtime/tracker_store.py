"""Rasa's SQL tracker store, made fast per turn and able to forget a conversation.

Two changes to Rasa's ``SQLTrackerStore``, configured in ``endpoints.yml`` as
``type: bot.rasa_runtime.tracker_store.AdvisorTrackerStore``:

**A verified in-process cache.** Rasa reads a conversation back from the
database on every message (one query, then ``json.loads`` and ``Event``
deserialisation of every event of the session, then a replay), and counts the
stored events again before saving. On these machines that was 25-40 ms per turn
and grew with the conversation. This store keeps the tracker it saved last, per
conversation, and hands it back on the next message after one indexed query
(``max(id)`` and ``count(*)`` of the conversation's events) shows that nothing
else wrote to it since: another replica behind a load balancer, an erasure, a
purge. When a turn starts a new session, Rasa would read back only that
session's events (those stamped at or after its start): the store keeps that
tracker instead, rebuilt from the same JSON, so the second message of a
conversation is not read back either. Anything else reloads from the
database exactly as Rasa does, so the
database stays the source of truth and every replica stays correct. A tracker
changed after its last save (a turn that failed half-way) is never reused: its
event count gives it away. Bounded by ``ADVISOR_TRACKER_CACHE_SIZE``
(conversations, least recently used first out; default 200, about 0.1 MB each,
enough for the conversations active at one time on one server; 0 turns the
cache off). `make soak` found the Rasa server growing 23% in 10 minutes with
room for 2000.

**No consent, no personal data.** The form's answers are events too: the
name, email and message a visitor typed stay in the conversation even when they
cancel or refuse consent. When a turn sets the ``personal_data_refused`` slot
(the form cancelled, consent refused), the store removes those values from
every stored event of the conversation (visitor messages, the bot's summary,
slot values), replacing them with :data:`REDACTED`.

**A database that is down or locked loses nothing.** When a save fails, the
conversation's unsaved events stay here, in order, and the conversation goes
on from memory; the next message (or save) writes them once the database is
back. Without this, Rasa's ``FailSafeTrackerStore`` would keep them in an
in-memory store that is never written back, and start the visitor on an empty
conversation while the database cannot be read.

**The reply first, then the write** (``write_after_reply: true`` in
``endpoints.yml``). Rasa writes each turn before it answers; on an ordinary
turn of a conversation this store already holds, the write (about 1.2 ms of the
server's time; 1.5 ms at the median turn in an A/B) is done instead just after
the reply has been handed to the channel, in the event loop's next step, and
before anything reads the conversation again: the next message's ``retrieve``
writes it first if it is still waiting, and so does the end of the process.
This is what Rasa's socket.io channel (the website's widget) already does: it
sends each reply while the turn is still running, before the save. A crash in
that step loses the turn just answered. Only for a single Rasa server (its
in-memory lock store): another replica could take the conversation's lock
before the write, so ``endpoints.scale.yml`` leaves it off. A conversation's
first turn, a new session, a refusal and an erasure are always written first.

**Erasure.** Rasa saves a turn by appending the tracker's events past those
already stored, so events deleted by an action during the turn would be written
straight back at its end. Erasure therefore happens here: when the turn set the
``data_erased`` slot (``action_delete_my_data``), the store deletes every event
of the conversation instead of saving, and the next message starts a new, empty
conversation.

On SQLite, connections are pooled (SQLAlchemy 1.4 opens one per query for a
file) and commits use ``synchronous=NORMAL`` in WAL mode: a crash of any
process loses nothing committed; only a power cut can lose the last turns.
A turn's events are appended with one ``INSERT`` (executemany), and the two
statements of every turn are compiled once and handed to the database driver
(:class:`_DriverStatement`): the ORM's unit of work, then SQLAlchemy's
statement cache (a cache key computed on every execution), cost more than the
writes themselves.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import logging
import os
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SessionStarted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

log = logging.getLogger(__name__)

ERASE_SLOT = "data_erased"
REFUSED_SLOT = "personal_data_refused"
# What identifies a person among the form's answers (a programme, a country or a
# level of education alone does not).
PERSONAL_SLOTS = ("applicant_name", "applicant_email", "applicant_message")
REDACTED = "[removed: no consent]"
SQLITE_BUSY_MS = 5000  # how long a write waits for a locked SQLite database
CACHE_SIZE_VARIABLE = "ADVISOR_TRACKER_CACHE_SIZE"
WRITE_AFTER_REPLY_VARIABLE = "ADVISOR_WRITE_AFTER_REPLY"  # 0: write before replying
DEFAULT_CACHE_SIZE = 200
# The columns Rasa's SQLTrackerStore.save writes for an event (id is generated).
ROW_KEYS = ("sender_id", "type_name", "timestamp", "intent_name", "action_name", "data")


@dataclass
class _Stored:
    """A tracker as this process last saved it, and what the database held then."""

    tracker: DialogueStateTracker
    events: int  # how many of tracker.events the database holds
    last_id: int | None  # max(events.id) of the conversation after the save
    rows: int  # count of the conversation's rows after the save
    pending: bool = False  # events past `events` are not written yet
    failed: bool = False  # ... because writing them failed


class _DriverStatement:
    """A statement compiled once for the engine's dialect, run by the driver.

    ``Session.execute`` compiles through SQLAlchemy's statement cache, and
    computing a statement's cache key on every call cost more than the query
    (about 0.5 ms each, three a turn). Compiled once, the SQL text goes to the
    driver through ``Connection.exec_driver_sql`` with the dialect's own
    parameter style. Only for statements whose columns need no type
    conversion (strings, numbers).
    """

    def __init__(
        self, statement: Any, dialect: Any, *, for_executemany: bool = False
    ) -> None:
        compiled = statement.compile(dialect=dialect, for_executemany=for_executemany)
        self.sql = str(compiled)
        self._positions = compiled.positiontup if compiled.positional else None

    def _parameters(self, values: dict[str, Any]) -> Any:
        if self._positions is None:
            return values
        return tuple(values[key] for key in self._positions)

    def run(
        self, connection: Any, values: dict[str, Any] | list[dict[str, Any]]
    ) -> Any:
        if isinstance(values, list):  # executemany
            return connection.exec_driver_sql(
                self.sql, [self._parameters(row) for row in values]
            )
        return connection.exec_driver_sql(self.sql, self._parameters(values))


def _sqlite_synchronous_normal(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
    cursor.close()


class AdvisorTrackerStore(SQLTrackerStore):
    def __init__(
        self, *args: Any, write_after_reply: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._write_after_reply = (
            bool(write_after_reply)
            and os.environ.get(WRITE_AFTER_REPLY_VARIABLE, "1") != "0"
        )
        if self._write_after_reply:  # what is still waiting when the server stops
            atexit.register(_flush_at_exit, weakref.ref(self))
        if self.engine.dialect.name == "sqlite":
            self._keep_sqlite_connections_open()
        self._cache: OrderedDict[str, _Stored] = OrderedDict()
        self._cache_size = int(
            os.environ.get(CACHE_SIZE_VARIABLE, str(DEFAULT_CACHE_SIZE))
        )
        events = self.SQLEvent.__table__
        self._insert_events = _DriverStatement(
            sa.insert(events).values({key: sa.bindparam(key) for key in ROW_KEYS}),
            self.engine.dialect,
            for_executemany=True,
        )
        self._last_id_and_count = _DriverStatement(
            sa.select(sa.func.max(events.c.id), sa.func.count(events.c.id)).where(
                events.c.sender_id == sa.bindparam("sender_id")
            ),
            self.engine.dialect,
        )

    def _keep_sqlite_connections_open(self) -> None:
        """Pool SQLite connections instead of opening one per query.

        SQLAlchemy 1.4 gives a SQLite file a ``NullPool``: Rasa's store opened
        and closed a connection for every read and save, and closing the last
        connection of a WAL database checkpoints it (about 13 ms a turn here).
        """
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(
            url,
            poolclass=QueuePool,
            pool_size=4,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_MS / 1000},
        )
        sa.event.listen(self.engine, "connect", _sqlite_synchronous_normal)
        self.sessionmaker = sessionmaker(bind=self.engine)

    # --- reading ----------------------------------------------------------------
    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        stored = self._cache.get(sender_id)
        if stored is not None:
            try:
                if stored.pending:
                    self._write_pending(stored)
                    return stored.tracker
                if self._still_current(stored):
                    self._cache.move_to_end(sender_id)
                    return stored.tracker
            except SQLAlchemyError as error:
                if stored.pending or len(stored.tracker.events) == stored.events:
                    stored.failed = stored.pending
                    log.error(
                        "database unavailable; conversation %s goes on from memory"
                        " until it can be written: %s",
                        sender_id,
                        error,
                    )
                    return stored.tracker
                raise
            del self._cache[sender_id]
        return await super().retrieve(sender_id)

    def _still_current(self, stored: _Stored) -> bool:
        if len(stored.tracker.events) != stored.events:
            return False  # changed since it was saved, and never saved again
        with self.engine.connect() as connection:
            last_id, rows = self._last_id_and_count.run(
                connection, {"sender_id": stored.tracker.sender_id}
            ).one()
        return (last_id, rows) == (stored.last_id, stored.rows)

    # --- writing ----------------------------------------------------------------
    async def save(self, tracker: DialogueStateTracker) -> None:
        if tracker.get_slot(ERASE_SLOT):
            self.erase(tracker.sender_id)
            return
        refused = bool(tracker.get_slot(REFUSED_SLOT))
        if refused:
            tracker.update(SlotSet(REFUSED_SLOT, None))  # done: this turn's request
        await self.stream_events(tracker)
        stored = self._cache.pop(tracker.sender_id, None)
        known = stored is not None and stored.tracker is tracker
        if known:
            new_events = list(tracker.events)[stored.events :]
        else:  # what the database holds is unknown: Rasa's query (and fail-safe)
            with self.session_scope() as session:
                new_events = list(self._additional_events(session, tracker))
        starts_session = any(isinstance(event, SessionStarted) for event in new_events)
        ordinary_turn = known and not (refused or starts_session)
        if ordinary_turn and self._write_after_reply and self._keeps_trackers:
            self._write_soon(stored)
            return
        try:
            last_id, count = self._write(tracker.sender_id, new_events)
        except SQLAlchemyError as error:
            if not known:
                raise  # what the database holds is unknown: Rasa's fail-safe store
            if refused:  # ask again, so the redaction follows the write
                tracker.update(SlotSet(REFUSED_SLOT, True))
            self._keep_unwritten(stored, error)
            return
        if refused:
            self.redact(tracker.sender_id, _personal_values(tracker.events))
            return  # the tracker in memory still holds them: read back next turn
        if not self._keeps_trackers:
            return
        if starts_session:
            # Rasa reads back only the new session's events: so do we, from memory.
            tracker = self._as_read_back(tracker)
        self._cache[tracker.sender_id] = _Stored(
            tracker, len(tracker.events), last_id, count
        )
        self._evict()

    @property
    def _keeps_trackers(self) -> bool:
        return self._cache_size > 0 and bool(self.domain)

    def _keep_unwritten(self, stored: _Stored, error: SQLAlchemyError) -> None:
        """Keep events that could not be written, in order, for the next retrieve
        or save to write."""
        log.error(
            "could not save conversation %s, kept until it can be: %s",
            stored.tracker.sender_id,
            error,
        )
        stored.pending = stored.failed = True
        self._cache[stored.tracker.sender_id] = stored

    def _write_soon(self, stored: _Stored) -> None:
        """Keep an ordinary turn's events to write in the loop's next step."""
        stored.pending = True
        self._cache[stored.tracker.sender_id] = stored
        asyncio.get_running_loop().call_soon(self._write_waiting, stored)

    def _write_waiting(self, stored: _Stored) -> None:
        """Write a conversation's waiting events, unless done or forgotten since."""
        sender_id = stored.tracker.sender_id
        if not stored.pending or self._cache.get(sender_id) is not stored:
            return  # the next message wrote them first, or the conversation was erased
        try:
            self._write_pending(stored)
        except SQLAlchemyError as error:
            self._keep_unwritten(stored, error)

    def flush(self) -> None:
        """Write every conversation's waiting events (at exit, and on demand)."""
        for stored in list(self._cache.values()):
            self._write_waiting(stored)

    def _as_read_back(self, tracker: DialogueStateTracker) -> DialogueStateTracker:
        """The tracker Rasa's ``retrieve`` builds once a new session is stored.

        Rasa's query keeps the events stamped at or after the latest session
        start, and rebuilds the tracker from their stored JSON; this does the
        same with the events in memory, without the query.
        """
        events = list(tracker.events)
        start = max(e.timestamp for e in events if isinstance(e, SessionStarted))
        stored = [
            json.loads(json.dumps(e.as_dict())) for e in events if e.timestamp >= start
        ]
        return DialogueStateTracker.from_dict(
            tracker.sender_id, stored, self.domain.slots
        )

    def _evict(self) -> None:
        """Least recently used first; never a tracker with unsaved events."""
        excess = len(self._cache) - self._cache_size
        for sender_id in [s for s, v in self._cache.items() if not v.pending][:excess]:
            del self._cache[sender_id]

    def _write(self, sender_id: str, events: list[Any]) -> tuple[int | None, int]:
        """Append ``events``; the conversation's max(id) and row count after."""
        with self.engine.begin() as connection:
            if events:
                self._insert_events.run(
                    connection, [self._row(sender_id, event) for event in events]
                )
            last_id, count = self._last_id_and_count.run(
                connection, {"sender_id": sender_id}
            ).one()
        return last_id, count

    def _write_pending(self, stored: _Stored) -> None:
        tracker = stored.tracker
        stored.last_id, stored.rows = self._write(
            tracker.sender_id, list(tracker.events)[stored.events :]
        )
        stored.events, stored.pending = len(tracker.events), False
        if stored.failed:
            stored.failed = False
            log.info(
                "saved conversation %s after the database came back",
                tracker.sender_id,
            )

    @staticmethod
    def _row(sender_id: str, event: Any) -> dict[str, Any]:
        """The row Rasa's ``SQLTrackerStore.save`` writes for ``event``."""
        data = event.as_dict()
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {})
            .get("intent", {})
            .get(INTENT_NAME_KEY),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }

    # --- forgetting -------------------------------------------------------------
    def redact(self, sender_id: str, values: set[str]) -> int:
        """Replace ``values`` in every stored event of the conversation."""
        self._cache.pop(sender_id, None)
        if not values:
            return 0
        changed = 0
        with self.session_scope() as session:
            rows = session.scalars(
                sa.select(self.SQLEvent).where(self.SQLEvent.sender_id == sender_id)
            ).all()
            longest_first = sorted(values, key=len, reverse=True)
            for row in rows:
                data = _without(json.loads(row.data), longest_first)
                serialised = json.dumps(data)
                if serialised != row.data:
                    row.data = serialised
                    changed += 1
            session.commit()
        log.info(
            "removed unconsented personal data from %d events of %s", changed, sender_id
        )
        return changed

    # --- erasing -------------------------------------------------------------
    def erase(self, sender_id: str) -> int:
        self._cache.pop(sender_id, None)
        with self.session_scope() as session:
            deleted = (
                session.query(self.SQLEvent)
                .filter(self.SQLEvent.sender_id == sender_id)
                .delete(synchronize_session=False)
            )
            session.commit()
        log.info("erased %d events of conversation %s on request", deleted, sender_id)
        return deleted


def _flush_at_exit(store: weakref.ref[AdvisorTrackerStore]) -> None:
    alive = store()
    if alive is not None:
        alive.flush()


def _personal_values(events: Any) -> set[str]:
    """Every value the conversation ever gave a personal slot."""
    return {
        event.value
        for event in events
        if isinstance(event, SlotSet)
        and event.key in PERSONAL_SLOTS
        and isinstance(event.value, str)
        and len(event.value.strip()) > 1
    }


def _without(data: Any, values: list[str]) -> Any:
    """``data`` (decoded JSON) with each of ``values`` replaced, in their order
    (longest first, so that a value holding another is replaced whole)."""
    if isinstance(data, str):
        for value in values:
            data = data.replace(value, REDACTED)
        return data
    if isinstance(data, list):
        return [_without(item, values) for item in data]
    if isinstance(data, dict):
        return {key: _without(item, values) for key, item in data.items()}
    return data
