"""The admissions team's queues: applications and hand-off requests.

Each has a status (new, contacted, closed), a link to its conversation, a CSV
export, and the erasure of one person's data, which also forgets what the
console held about that person's conversations.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.applications.models import Application, HandoffRequest, utcnow
from bot.applications.service import erase
from bot.web.console.models import QUEUE_STATUSES
from bot.web.console.summary import purge

log = logging.getLogger(__name__)

QUEUES: dict[str, type[Application] | type[HandoffRequest]] = {
    "applications": Application,
    "handoffs": HandoffRequest,
}
CSV_COLUMNS = {
    "applications": (
        "reference",
        "status",
        "created_at",
        "full_name",
        "email",
        "programme",
        "education",
        "country",
        "message",
        "conversation_id",
    ),
    "handoffs": (
        "reference",
        "status",
        "created_at",
        "full_name",
        "email",
        "question",
        "conversation_id",
    ),
}


def queue(session: Session, name: str, status: str | None = None) -> list[Any]:
    """The queue's entries, newest first, optionally of one status."""
    model = QUEUES[name]
    query = select(model).order_by(model.created_at.desc(), model.id.desc())
    if status in QUEUE_STATUSES:
        query = query.where(model.status == status)
    return list(session.scalars(query))


def set_status(session: Session, name: str, entry_id: int, status: str) -> bool:
    """Move one entry to ``status``; False if there is no such entry."""
    if status not in QUEUE_STATUSES:
        raise ValueError(f"unknown status {status!r}")
    model = QUEUES[name]
    values: dict[str, Any] = {"status": status}
    if model is Application:
        values["updated_at"] = utcnow()
    result = session.execute(update(model).where(model.id == entry_id).values(values))
    return bool(result.rowcount)


def _cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def to_csv(name: str, entries: Iterable[Any]) -> str:
    columns = CSV_COLUMNS[name]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for entry in entries:
        writer.writerow([_cell(getattr(entry, column)) for column in columns])
    return out.getvalue()


@dataclass(frozen=True)
class PersonErased:
    applications: int
    handoffs: int
    events: int
    conversations: int


def erase_person(
    session_factory: sessionmaker,
    *,
    email: str | None = None,
    conversation_id: str | None = None,
) -> PersonErased:
    """Delete one person's applications, hand-off requests and conversations,
    and the console's summaries, reviews and corrections of those conversations."""
    email = (email or "").strip().lower() or None
    conversation_id = (conversation_id or "").strip() or None
    if not email and not conversation_id:
        raise ValueError("name an email or a conversation id")
    with session_factory() as session:
        conversations = {conversation_id} if conversation_id else set()
        for model in (Application, HandoffRequest):
            owner = []
            if email:
                owner.append(model.email == email)
            if conversation_id:
                owner.append(model.conversation_id == conversation_id)
            conversations.update(
                session.scalars(select(model.conversation_id).where(or_(*owner)))
            )
    erased = erase(session_factory, email=email, conversation_id=conversation_id)
    with session_factory() as session, session.begin():
        purge(session, conversations)
    return PersonErased(
        applications=erased.applications,
        handoffs=erased.handoffs,
        events=erased.events,
        conversations=len(conversations),
    )
