"""Tables of personal data. Rows exist only with the visitor's consent."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped

from bot.models import Base


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Application(Base):
    """An application to one programme; one per email and programme."""

    __tablename__ = "applications"
    __table_args__ = (
        UniqueConstraint("email", "programme", name="uq_applications_email_programme"),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    reference: Mapped[str] = Column(String(16), nullable=False, unique=True)
    full_name: Mapped[str] = Column(String(100), nullable=False)
    email: Mapped[str] = Column(String(254), nullable=False, index=True)
    programme: Mapped[str] = Column(String(80), nullable=False)  # a programme slug
    education: Mapped[str] = Column(String(100), nullable=False)
    country: Mapped[str] = Column(String(100), nullable=False)
    message: Mapped[str | None] = Column(Text, nullable=True)
    consent_at: Mapped[dt.datetime] = Column(DateTime, nullable=False)
    conversation_id: Mapped[str] = Column(String(255), nullable=False, index=True)
    status: Mapped[str] = Column(String(20), nullable=False, default="new")
    created_at: Mapped[dt.datetime] = Column(DateTime, nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = Column(DateTime, nullable=False, default=utcnow)


class HandoffRequest(Base):
    """A visitor asked to talk to a person; the admissions team answers by email."""

    __tablename__ = "handoff_requests"

    id: Mapped[int] = Column(Integer, primary_key=True)
    reference: Mapped[str] = Column(String(16), nullable=False, unique=True)
    full_name: Mapped[str] = Column(String(100), nullable=False)
    email: Mapped[str] = Column(String(254), nullable=False, index=True)
    question: Mapped[str | None] = Column(Text, nullable=True)
    consent_at: Mapped[dt.datetime] = Column(DateTime, nullable=False)
    conversation_id: Mapped[str] = Column(String(255), nullable=False, index=True)
    status: Mapped[str] = Column(String(20), nullable=False, default="new")
    created_at: Mapped[dt.datetime] = Column(DateTime, nullable=False, default=utcnow)
