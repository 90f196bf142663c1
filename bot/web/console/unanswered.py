"""The Unanswered page: what visitors asked that the guide could not answer.

The bot marks such a turn with the ``unanswered`` slot, set after the visitor's
message and before the next one: a not-covered subject ("fees", several joined
as "format,campus"), "other" (outside the guide, no known subject) or
"fallback" (not understood). :class:`TurnMarks` picks those messages out while
:mod:`.summary` reads a conversation's events, and the summary writes them to
``console_unanswered``. Staff mark them handled in ``console_unanswered_status``,
keyed by conversation and timestamp so that a re-summary keeps the marks; both
go with the conversation when it is erased (:func:`.summary.purge`).

The page groups messages of similar wording (:mod:`.wording`), so that the
content team reads "how much does it cost" once, with how often it was asked.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from bot.applications.models import utcnow
from bot.applications.service import csv_cell
from bot.web.console.models import UnansweredMessage, UnansweredStatus
from bot.web.console.wording import background_questions, group_texts

SLOT = "unanswered"
TEXT_CHARS = 500
SUBJECT_CHARS = 255
MAX_KEYS = 20_000  # messages one status form may name
CSV_COLUMNS = (
    "group",
    "group_text",
    "text",
    "subject",
    "timestamp",
    "conversation_id",
    "handled",
)


class TurnMarks:
    """The unanswered messages of one conversation, collected as its events are
    read in order: a slot event belongs to the latest visitor message before it.
    """

    def __init__(self, sender_id: str) -> None:
        self.sender_id = sender_id
        self._message: dict[str, Any] | None = None
        self._marked: dict[int, dict[str, Any]] = {}  # event id -> row

    def user(self, row: Any, text: str) -> None:
        self._message = {
            "sender_id": self.sender_id,
            "event_id": row.id,
            "at": row.timestamp or 0.0,
            "text": text[:TEXT_CHARS],
        }

    def slot(self, row: Any) -> None:
        """The turn's last value counts; a reset (None) does not undo a mark."""
        if self._message is None or not row.data:
            return
        data = json.loads(row.data)
        value = data.get("value")
        if data.get("name") == SLOT and isinstance(value, str) and value.strip():
            self._marked[self._message["event_id"]] = {
                **self._message,
                "subject": value.strip()[:SUBJECT_CHARS],
            }

    def rows(self) -> list[dict[str, Any]]:
        return list(self._marked.values())


# --- the page -------------------------------------------------------------------------


def _moment(timestamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, dt.timezone.utc).replace(tzinfo=None)


@dataclass(frozen=True)
class Message:
    sender_id: str
    event_id: int
    at: float
    text: str
    subject: str
    handled: bool = False
    handled_by: str | None = None
    handled_at: dt.datetime | None = None

    @property
    def seen(self) -> dt.datetime:
        return _moment(self.at)

    @property
    def subjects(self) -> list[str]:
        return [s for s in (part.strip() for part in self.subject.split(",")) if s]


@dataclass(frozen=True)
class Group:
    """Messages of similar wording, oldest first; numbered largest first."""

    number: int
    messages: list[Message]

    @cached_property
    def wordings(self) -> list[tuple[str, int]]:
        """The distinct texts, the most asked first."""
        return Counter(m.text for m in self.messages).most_common()

    @property
    def text(self) -> str:
        return self.wordings[0][0]

    @property
    def count(self) -> int:
        return len(self.messages)

    @property
    def first_seen(self) -> dt.datetime:
        return self.messages[0].seen

    @property
    def last_seen(self) -> dt.datetime:
        return self.messages[-1].seen

    @cached_property
    def subjects(self) -> list[str]:
        counts = Counter(s for m in self.messages for s in m.subjects)
        return [subject for subject, _ in counts.most_common()]

    @property
    def handled_count(self) -> int:
        return sum(m.handled for m in self.messages)

    @property
    def handled(self) -> bool:
        return self.handled_count == self.count

    @property
    def last_change(self) -> Message | None:
        """The message whose status staff changed last, for "handled by"."""
        changed = [m for m in self.messages if m.handled_at is not None]
        return max(changed, key=lambda m: m.handled_at) if changed else None

    @cached_property
    def conversations(self) -> list[Message]:
        """Each conversation's first message of the group."""
        first: dict[str, Message] = {}
        for message in self.messages:
            first.setdefault(message.sender_id, message)
        return list(first.values())

    @property
    def keys_json(self) -> str:
        """The messages, for the status form: [[conversation, timestamp], ...]."""
        return json.dumps([[m.sender_id, m.at] for m in self.messages])


def messages(session: Session) -> list[Message]:
    """Every unanswered message with its status, oldest first."""
    status = UnansweredStatus
    found = session.execute(
        select(
            UnansweredMessage.sender_id,
            UnansweredMessage.event_id,
            UnansweredMessage.at,
            UnansweredMessage.text,
            UnansweredMessage.subject,
            status.handled,
            status.updated_by,
            status.updated_at,
        )
        .outerjoin(
            status,
            and_(
                status.sender_id == UnansweredMessage.sender_id,
                status.at == UnansweredMessage.at,
            ),
        )
        .order_by(UnansweredMessage.at, UnansweredMessage.event_id)
    )
    return [
        Message(
            sender_id=row.sender_id,
            event_id=row.event_id,
            at=row.at,
            text=row.text,
            subject=row.subject,
            handled=bool(row.handled),
            handled_by=row.updated_by,
            handled_at=row.updated_at,
        )
        for row in found
    ]


def groups(session: Session, show: str = "open") -> list[Group]:
    """The groups, largest first; ``show="open"`` leaves out the handled ones.

    Grouped over every message, handled or not, so that a group and its number
    are the same in both views.
    """
    found = messages(session)
    grouped = [
        Group(number, [found[i] for i in members])
        for number, members in enumerate(
            group_texts([m.text for m in found], background=background_questions()),
            start=1,
        )
    ]
    return [g for g in grouped if show == "all" or not g.handled]


def parse_keys(value: object) -> list[tuple[str, float]] | None:
    """The status form's messages (:attr:`Group.keys_json`); None if malformed."""
    if not isinstance(value, str):
        return None
    try:
        keys = json.loads(value)
    except ValueError:
        return None
    if not isinstance(keys, list) or not 0 < len(keys) <= MAX_KEYS:
        return None
    parsed = []
    for key in keys:
        if not (
            isinstance(key, list)
            and len(key) == 2
            and isinstance(key[0], str)
            and isinstance(key[1], int | float)
            and not isinstance(key[1], bool)
        ):
            return None
        parsed.append((key[0], float(key[1])))
    return parsed


def set_handled(
    session: Session, keys: Sequence[tuple[str, float]], handled: bool, staff: str
) -> int:
    """Mark these messages handled or not; how many of them exist."""
    wanted = set(keys)
    senders = sorted({sender for sender, _ in wanted})
    existing: set[tuple[str, float]] = set()
    statuses: dict[tuple[str, float], UnansweredStatus] = {}
    for chunk in _chunks(senders, 400):
        existing.update(
            (sender, at)
            for sender, at in session.execute(
                select(UnansweredMessage.sender_id, UnansweredMessage.at).where(
                    UnansweredMessage.sender_id.in_(chunk)
                )
            )
        )
        for row in session.scalars(
            select(UnansweredStatus).where(UnansweredStatus.sender_id.in_(chunk))
        ):
            statuses[(row.sender_id, row.at)] = row
    found = wanted & existing
    now = utcnow()
    for sender, at in found:
        row = statuses.get((sender, at)) or UnansweredStatus(sender_id=sender, at=at)
        row.handled, row.updated_by, row.updated_at = handled, staff, now
        session.add(row)
    return len(found)


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def to_csv(found: Sequence[Group]) -> str:
    """One row per message; cells a spreadsheet would run are quoted."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for group in found:
        for m in group.messages:
            writer.writerow(
                csv_cell(value)
                for value in (
                    group.number,
                    group.text,
                    m.text,
                    m.subject,
                    m.seen.strftime("%Y-%m-%d %H:%M:%S"),
                    m.sender_id,
                    "yes" if m.handled else "no",
                )
            )
    return out.getvalue()
