"""Storing, erasing and exporting the personal data of applicants.

Stored only with consent (callers pass the consent time), one application per
email and programme (a second one updates the first), each with a short
reference a person can read out on the phone.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import secrets
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import delete, or_, select, text
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from bot.applications.models import Application, HandoffRequest, utcnow

# No 0/O or 1/I/L: references are read out and typed by people.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_LENGTH = 6
_ATTEMPTS = 5


def new_reference(prefix: str) -> str:
    body = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
    return f"{prefix}-{body}"


@dataclass(frozen=True)
class ApplicationData:
    full_name: str
    email: str
    programme: str
    education: str
    country: str
    message: str | None
    conversation_id: str
    consent_at: dt.datetime


@dataclass(frozen=True)
class Stored:
    reference: str
    created: bool  # False when an earlier application was updated


def store_application(session_factory: sessionmaker, data: ApplicationData) -> Stored:
    """Insert the application, or update the one with the same email and programme."""
    for _ in range(_ATTEMPTS):
        with session_factory() as session:
            existing = session.scalars(
                select(Application).where(
                    Application.email == data.email,
                    Application.programme == data.programme,
                )
            ).first()
            if existing is not None:
                _update(existing, data)
                session.commit()
                return Stored(existing.reference, created=False)
            row = Application(
                reference=new_reference("AP"), status="new", **asdict(data)
            )
            session.add(row)
            try:
                session.commit()
            except IntegrityError:
                # A parallel request stored the same email and programme (or, rarely,
                # the same reference) first: try again, which updates that row.
                session.rollback()
                continue
            return Stored(row.reference, created=True)
    raise RuntimeError("could not store the application after several attempts")


def _update(row: Application, data: ApplicationData) -> None:
    for key, value in asdict(data).items():
        setattr(row, key, value)
    row.updated_at = utcnow()


def store_handoff(
    session_factory: sessionmaker,
    *,
    full_name: str,
    email: str,
    question: str | None,
    conversation_id: str,
    consent_at: dt.datetime,
) -> str:
    for _ in range(_ATTEMPTS):
        with session_factory() as session:
            row = HandoffRequest(
                reference=new_reference("HR"),
                full_name=full_name,
                email=email,
                question=question,
                conversation_id=conversation_id,
                consent_at=consent_at,
                status="new",
            )
            session.add(row)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                continue
            return row.reference
    raise RuntimeError("could not store the hand-off request")


@dataclass(frozen=True)
class Erased:
    applications: int
    handoffs: int
    events: int


def _owner_filter(model, email: str | None, conversation_id: str | None):  # type: ignore[no-untyped-def]
    conditions = []
    if email:
        conditions.append(model.email == email.lower())
    if conversation_id:
        conditions.append(model.conversation_id == conversation_id)
    if not conditions:
        raise ValueError("name an email or a conversation id")
    return or_(*conditions)


def erase(
    session_factory: sessionmaker,
    *,
    email: str | None = None,
    conversation_id: str | None = None,
    include_events: bool = True,
) -> Erased:
    """Delete one person's applications, hand-off requests and conversation events."""
    with session_factory() as session, session.begin():
        conversations = _conversations(session, email, conversation_id)
        applications = session.execute(
            delete(Application).where(
                _owner_filter(Application, email, conversation_id)
            )
        ).rowcount
        handoffs = session.execute(
            delete(HandoffRequest).where(
                _owner_filter(HandoffRequest, email, conversation_id)
            )
        ).rowcount
        events = _delete_events(session, conversations) if include_events else 0
    return Erased(applications=applications, handoffs=handoffs, events=events)


def _conversations(
    session: Session, email: str | None, conversation_id: str | None
) -> set[str]:
    found = {conversation_id} if conversation_id else set()
    for model in (Application, HandoffRequest):
        found.update(
            session.scalars(
                select(model.conversation_id).where(
                    _owner_filter(model, email, conversation_id)
                )
            )
        )
    return found


def _delete_events(session: Session, conversations: set[str]) -> int:
    """Delete these senders' events from Rasa's tracker store (table ``events``)."""
    if not conversations:
        return 0
    try:
        with session.begin_nested():
            deleted = 0
            for sender in conversations:
                deleted += session.execute(
                    text("DELETE FROM events WHERE sender_id = :sender"),
                    {"sender": sender},
                ).rowcount
            return deleted
    except (OperationalError, ProgrammingError):
        return 0  # no tracker store table in this database


def export(
    session_factory: sessionmaker,
    *,
    email: str | None = None,
    conversation_id: str | None = None,
) -> dict[str, Any]:
    """Everything stored about one person, as JSON-ready data."""
    with session_factory() as session:
        conversations = _conversations(session, email, conversation_id)
        applications = session.scalars(
            select(Application).where(
                _owner_filter(Application, email, conversation_id)
            )
        ).all()
        handoffs = session.scalars(
            select(HandoffRequest).where(
                _owner_filter(HandoffRequest, email, conversation_id)
            )
        ).all()
        events = _events(session, conversations)
    return {
        "applications": [_row(a) for a in applications],
        "handoff_requests": [_row(h) for h in handoffs],
        "conversation_events": events,
    }


def _events(session: Session, conversations: set[str]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    try:
        with session.begin_nested():
            for sender in sorted(conversations):
                rows = session.execute(
                    text(
                        "SELECT data FROM events WHERE sender_id = :sender ORDER BY id"
                    ),
                    {"sender": sender},
                )
                result.extend(json.loads(row.data) for row in rows)
    except (OperationalError, ProgrammingError):
        return []
    return result


def _row(row: Application | HandoffRequest) -> dict[str, Any]:
    data = {
        c.name: getattr(row, c.name) for c in row.__table__.columns if c.name != "id"
    }
    return {
        k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in data.items()
    }


# What a spreadsheet runs as a formula when a cell starts with it ("CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = ("record", "number", "field", "value")
# The fields of a conversation event worth a row; the rest stays in the JSON export.
EVENT_FIELDS = ("event", "timestamp", "text", "name", "value")


def csv_cell(value: Any) -> str:
    """``value`` as a CSV cell that a spreadsheet shows as text and never runs.

    A leading ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a ``'``
    before it (OWASP's advice): visitors write these fields.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        cell = value
    elif isinstance(value, dict | list):
        cell = json.dumps(value, ensure_ascii=False)
    else:
        cell = str(value)
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def export_csv(data: dict[str, Any]) -> str:
    """:func:`export`'s result as CSV: a row (record, number, field, value) a field."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for record, rows, fields in (
        ("application", data["applications"], None),
        ("handoff_request", data["handoff_requests"], None),
        ("conversation_event", data["conversation_events"], EVENT_FIELDS),
    ):
        for number, row in enumerate(rows, start=1):
            for field in fields or row:
                if field in row:
                    writer.writerow(
                        [record, number, csv_cell(field), csv_cell(row[field])]
                    )
    return out.getvalue()
