"""The console's own tables: staff accounts, the conversation summaries, reviews.

Rasa's ``events`` table stays Rasa's: the console never writes to it (except
through :func:`bot.applications.service.erase`). What it needs to list and
filter 10,000 conversations fast is kept in ``console_conversations``, one row
per conversation, brought up to date from the new events by
:func:`bot.web.console.summary.refresh`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped

from bot.applications.models import utcnow
from bot.models import Base

ROLES = ("reviewer", "admin")
TAGS = ("wrong answer", "missing content", "good")
QUEUE_STATUSES = ("new", "contacted", "closed")


class StaffUser(Base):
    """A person of the admissions or content team who may use the console."""

    __tablename__ = "console_staff"

    id: Mapped[int] = Column(Integer, primary_key=True)
    email: Mapped[str] = Column(String(254), nullable=False, unique=True)
    password_hash: Mapped[str] = Column(String(255), nullable=False)
    role: Mapped[str] = Column(String(20), nullable=False)
    created_at: Mapped[dt.datetime] = Column(DateTime, nullable=False, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = Column(DateTime, nullable=True)


class StaffSession(Base):
    """A login: the cookie holds a random key, the table its SHA-256, so that a
    logout ends the session for good and a copied database opens none."""

    __tablename__ = "console_sessions"

    id: Mapped[str] = Column(String(64), primary_key=True)
    staff_id: Mapped[int] = Column(
        Integer,
        ForeignKey("console_staff.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    created_at: Mapped[dt.datetime] = Column(DateTime, nullable=False, default=utcnow)
    ended_at: Mapped[dt.datetime | None] = Column(DateTime, nullable=True)


class LoginAttempt(Base):
    """One login try, kept a day: the lock-outs count the recent failures."""

    __tablename__ = "console_login_attempts"
    __table_args__ = (
        Index("ix_console_login_attempts_email_at", "email", "at"),
        Index("ix_console_login_attempts_address_at", "address", "at"),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    # Not a foreign key: tries on unknown emails lock out the same way.
    email: Mapped[str] = Column(String(254), nullable=False)
    at: Mapped[dt.datetime] = Column(DateTime, nullable=False)
    succeeded: Mapped[bool] = Column(Boolean, nullable=False)
    # The client's address (IPv6 at most 45 characters); None for the CLI.
    address: Mapped[str | None] = Column(String(45), nullable=True)


class ConversationSummary(Base):
    """What the conversation list shows and filters on, one row per sender id."""

    __tablename__ = "console_conversations"

    sender_id: Mapped[str] = Column(String(255), primary_key=True)
    # The first event, to notice a conversation erased (and perhaps restarted).
    first_event_id: Mapped[int] = Column(Integer, nullable=False)
    first_event_at: Mapped[float | None] = Column(Float, nullable=True)
    last_event_id: Mapped[int] = Column(Integer, nullable=False, index=True)
    started_at: Mapped[dt.datetime] = Column(DateTime, nullable=False, index=True)
    started_day: Mapped[dt.date] = Column(Date, nullable=False, index=True)
    last_at: Mapped[dt.datetime] = Column(DateTime, nullable=False)
    first_question: Mapped[str | None] = Column(Text, nullable=True)
    turns: Mapped[int] = Column(Integer, nullable=False)  # visitor messages
    min_confidence: Mapped[float | None] = Column(Float, nullable=True)
    fallback_turns: Mapped[int] = Column(Integer, nullable=False)
    # Asked more than small talk; asked about the programmes or applying.
    asked_question: Mapped[bool] = Column(Boolean, nullable=False)
    asked_programmes: Mapped[bool] = Column(Boolean, nullable=False)
    form_started: Mapped[bool] = Column(Boolean, nullable=False)
    summary_shown: Mapped[bool] = Column(Boolean, nullable=False)
    handoff_started: Mapped[bool] = Column(Boolean, nullable=False)
    # The visitor's messages in lower case, for the text search.
    search_text: Mapped[str] = Column(Text, nullable=False)
    # The conversation's language at its last message: the bot's ``language``
    # slot ("en" until a message says otherwise).
    language: Mapped[str] = Column(
        String(2), nullable=False, default="en", server_default="en", index=True
    )


class ConversationIntent(Base):
    """How many of a conversation's messages had this intent.

    The conversation's day is repeated here so that the overview's intent chart
    is one scan of an index, not a join with every summary.
    """

    __tablename__ = "console_conversation_intents"
    __table_args__ = (
        Index("ix_console_conversation_intents_intent", "intent", "sender_id"),
        Index(
            "ix_console_conversation_intents_day",
            "started_day",
            "intent",
            "messages",
        ),
    )

    sender_id: Mapped[str] = Column(
        String(255),
        ForeignKey("console_conversations.sender_id", ondelete="CASCADE"),
        primary_key=True,
    )
    intent: Mapped[str] = Column(String(255), primary_key=True)
    messages: Mapped[int] = Column(Integer, nullable=False)
    started_day: Mapped[dt.date] = Column(Date, nullable=False)


class Review(Base):
    """Staff's verdict on a conversation: reviewed or not, and a note."""

    __tablename__ = "console_reviews"

    sender_id: Mapped[str] = Column(String(255), primary_key=True)
    reviewed: Mapped[bool] = Column(Boolean, nullable=False, default=False)
    note: Mapped[str | None] = Column(Text, nullable=True)
    updated_by: Mapped[str] = Column(String(254), nullable=False)
    updated_at: Mapped[dt.datetime] = Column(DateTime, nullable=False, default=utcnow)


class Tag(Base):
    """One of :data:`TAGS` on a conversation."""

    __tablename__ = "console_tags"

    sender_id: Mapped[str] = Column(String(255), primary_key=True)
    tag: Mapped[str] = Column(String(40), primary_key=True)


class Correction(Base):
    """The right intent (and entities) of one visitor message, for training."""

    __tablename__ = "console_corrections"
    __table_args__ = (
        UniqueConstraint("event_id", name="uq_console_corrections_event"),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    sender_id: Mapped[str] = Column(String(255), nullable=False, index=True)
    event_id: Mapped[int] = Column(Integer, nullable=False)  # Rasa's events.id
    text: Mapped[str] = Column(Text, nullable=False)
    predicted_intent: Mapped[str | None] = Column(String(255), nullable=True)
    intent: Mapped[str] = Column(String(255), nullable=False)
    # [{"start": 10, "end": 16, "entity": "skill"}], offsets into ``text``.
    entities: Mapped[list[dict]] = Column(JSON, nullable=False, default=list)
    corrected_by: Mapped[str] = Column(String(254), nullable=False)
    corrected_at: Mapped[dt.datetime] = Column(DateTime, nullable=False, default=utcnow)


class UnansweredMessage(Base):
    """A visitor message the guide could not answer, from the ``unanswered`` slot.

    Rewritten with its conversation's summary; what staff decided about it is
    kept apart (:class:`UnansweredStatus`), so that a re-summary keeps it.
    """

    __tablename__ = "console_unanswered"
    __table_args__ = (Index("ix_console_unanswered_sender_at", "sender_id", "at"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    sender_id: Mapped[str] = Column(
        String(255),
        ForeignKey("console_conversations.sender_id", ondelete="CASCADE"),
        nullable=False,
    )
    event_id: Mapped[int] = Column(Integer, nullable=False)  # Rasa's events.id
    at: Mapped[float] = Column(Float, nullable=False)  # the message's timestamp
    text: Mapped[str] = Column(Text, nullable=False)
    # A not-covered subject ("fees", "format,campus"), "other" or "fallback".
    subject: Mapped[str] = Column(String(255), nullable=False)


class UnansweredStatus(Base):
    """Whether the content team has handled one unanswered message.

    Keyed by the conversation and the message's timestamp, which a re-summary
    does not change (the messages' own ids do).
    """

    __tablename__ = "console_unanswered_status"

    sender_id: Mapped[str] = Column(String(255), primary_key=True)
    at: Mapped[float] = Column(Float, primary_key=True)
    handled: Mapped[bool] = Column(Boolean, nullable=False, default=False)
    updated_by: Mapped[str] = Column(String(254), nullable=False)
    updated_at: Mapped[dt.datetime] = Column(DateTime, nullable=False, default=utcnow)
