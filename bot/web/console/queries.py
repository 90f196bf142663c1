"""The conversation list with its filters, and the overview's charts.

Each is a few aggregate queries over the summaries (:mod:`.summary`), whatever
the number of conversations; only a transcript (:mod:`.transcript`) reads a
conversation's events themselves.
SQLAlchemy Core in the 2.0 style, the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from sqlalchemy import case, exists, func, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import ColumnElement

from bot.applications.models import Application, HandoffRequest
from bot.language import LANGUAGES
from bot.web.console.models import (
    TAGS,
    ConversationIntent,
    ConversationSummary,
    Review,
    Tag,
)

PER_PAGE = 50
Summary = ConversationSummary


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains(column: Any, text: str) -> ColumnElement:
    return column.like(f"%{_escape_like(text.lower())}%", escape="\\")


def _yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get((value or "").strip().lower())


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def _number(value: str | None, kind: type) -> Any:
    try:
        return kind((value or "").strip())
    except ValueError:
        return None


@dataclass(frozen=True)
class ConversationFilter:
    """The list's filters, from the query string; a value that makes no sense is
    ignored rather than refused, so that a hand-edited URL still shows a list."""

    day_from: dt.date | None = None
    day_to: dt.date | None = None
    question: str = ""  # the first question contains
    min_turns: int | None = None
    max_turns: int | None = None
    below: float | None = None  # lowest confidence under this
    fallback: bool | None = None
    applied: bool | None = None
    handed_off: bool | None = None
    intent: str = ""
    text: str = ""  # any visitor message contains
    tag: str = ""
    reviewed: bool | None = None
    language: str = ""  # "en" or "fr"

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> ConversationFilter:
        tag = params.get("tag", "")
        language = params.get("language", "")
        return cls(
            day_from=_date(params.get("from")),
            day_to=_date(params.get("to")),
            question=params.get("question", "").strip()[:200],
            min_turns=_number(params.get("min_turns"), int),
            max_turns=_number(params.get("max_turns"), int),
            below=_number(params.get("below"), float),
            fallback=_yes_no(params.get("fallback")),
            applied=_yes_no(params.get("applied")),
            handed_off=_yes_no(params.get("handed_off")),
            intent=params.get("intent", "").strip()[:255],
            text=params.get("q", "").strip()[:200],
            tag=tag if tag in TAGS else "",
            reviewed=_yes_no(params.get("reviewed")),
            language=language if language in LANGUAGES else "",
        )

    def query_string(self) -> dict[str, str]:
        """The filter as query parameters, for the pages' links."""
        names = {"day_from": "from", "day_to": "to", "text": "q"}
        result = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or value == "":
                continue
            if isinstance(value, bool):
                value = "yes" if value else "no"
            result[names.get(f.name, f.name)] = str(value)
        return result

    def conditions(self) -> list[ColumnElement]:
        where: list[ColumnElement] = []
        if self.day_from:
            where.append(Summary.started_day >= self.day_from)
        if self.day_to:
            where.append(Summary.started_day <= self.day_to)
        if self.question:
            where.append(_contains(func.lower(Summary.first_question), self.question))
        if self.min_turns is not None:
            where.append(Summary.turns >= self.min_turns)
        if self.max_turns is not None:
            where.append(Summary.turns <= self.max_turns)
        if self.below is not None:
            where.append(Summary.min_confidence < self.below)
        if self.intent:
            where.append(
                exists().where(
                    ConversationIntent.sender_id == Summary.sender_id,
                    ConversationIntent.intent == self.intent,
                )
            )
        if self.text:
            where.append(_contains(Summary.search_text, self.text))
        if self.language:
            where.append(Summary.language == self.language)
        if self.tag:
            where.append(
                exists().where(Tag.sender_id == Summary.sender_id, Tag.tag == self.tag)
            )
        for wanted, condition in (
            (self.fallback, Summary.fallback_turns > 0),
            (self.applied, _has_application()),
            (self.handed_off, _has_handoff()),
            (self.reviewed, _is_reviewed()),
        ):
            if wanted is not None:
                where.append(condition if wanted else ~condition)
        return where


def _has_application() -> Any:
    return exists().where(Application.conversation_id == Summary.sender_id)


def _is_reviewed() -> Any:
    # An alias: the list also joins the reviews, which would swallow the subquery.
    review = aliased(Review)
    return exists().where(
        review.sender_id == Summary.sender_id, review.reviewed.is_(True)
    )


def _has_handoff() -> Any:
    return exists().where(HandoffRequest.conversation_id == Summary.sender_id)


@dataclass(frozen=True)
class ConversationRow:
    sender_id: str
    started_at: dt.datetime
    first_question: str | None
    turns: int
    min_confidence: float | None
    fallback: bool
    applied: bool
    handed_off: bool
    reviewed: bool
    language: str = "en"
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConversationPage:
    rows: list[ConversationRow]
    total: int
    page: int
    pages: int


def list_conversations(
    session: Session,
    conversation_filter: ConversationFilter,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> ConversationPage:
    """One page of conversations, newest first: two queries, whatever the total."""
    conditions = conversation_filter.conditions()
    total = session.scalar(select(func.count()).select_from(Summary).where(*conditions))
    pages = max(1, -(-(total or 0) // per_page))
    page = min(max(1, page), pages)
    query = (
        select(
            Summary.sender_id,
            Summary.started_at,
            Summary.first_question,
            Summary.turns,
            Summary.min_confidence,
            (Summary.fallback_turns > 0).label("fallback"),
            _has_application().label("applied"),
            _has_handoff().label("handed_off"),
            func.coalesce(Review.reviewed, False).label("reviewed"),
            Summary.language,
        )
        .outerjoin(Review, Review.sender_id == Summary.sender_id)
        .where(*conditions)
        .order_by(Summary.started_at.desc(), Summary.sender_id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    found = session.execute(query).all()
    tags = _tags(session, [row.sender_id for row in found])
    rows = [
        ConversationRow(
            **{**row._asdict(), "fallback": bool(row.fallback)},
            tags=tuple(sorted(tags.get(row.sender_id, ()))),
        )
        for row in found
    ]
    return ConversationPage(rows=rows, total=total or 0, page=page, pages=pages)


def _tags(session: Session, senders: list[str]) -> dict[str, set[str]]:
    result: dict[str, set[str]] = {}
    if senders:
        for sender, tag in session.execute(
            select(Tag.sender_id, Tag.tag).where(Tag.sender_id.in_(senders))
        ):
            result.setdefault(sender, set()).add(tag)
    return result


# --- the overview -------------------------------------------------------------


@dataclass(frozen=True)
class Overview:
    days: list[str]
    conversations: list[int]
    fallback_rate: list[float | None]  # share of visitor messages, per day
    intents: list[tuple[str, int]]
    funnel: list[tuple[str, int]]
    total_conversations: int
    total_messages: int
    overall_fallback_rate: float | None
    languages: list[tuple[str, int]] = field(default_factory=list)  # conversations


def overview(
    session: Session, days: int = 30, today: dt.date | None = None
) -> Overview:
    """Charts of the last ``days`` days (UTC): a handful of GROUP BY queries."""
    today = today or dt.datetime.now(dt.timezone.utc).date()
    start = today - dt.timedelta(days=days - 1)
    in_period = Summary.started_day >= start
    per_day = {
        row.started_day: row
        for row in session.execute(
            select(
                Summary.started_day,
                func.count().label("conversations"),
                func.sum(Summary.turns).label("messages"),
                func.sum(Summary.fallback_turns).label("fallbacks"),
            )
            .where(in_period)
            .group_by(Summary.started_day)
        )
    }
    calendar = [start + dt.timedelta(days=n) for n in range(days)]
    total = func.sum(ConversationIntent.messages)
    intents = session.execute(
        select(ConversationIntent.intent, total)
        .where(ConversationIntent.started_day >= start)
        .group_by(ConversationIntent.intent)
        .order_by(total.desc(), ConversationIntent.intent)
    ).all()

    def flag(condition: ColumnElement) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    funnel_row = session.execute(
        select(
            func.count(),
            flag(Summary.asked_question),
            flag(Summary.asked_programmes),
            flag(Summary.form_started),
            flag(Summary.summary_shown),
        ).where(in_period)
    ).one()
    # The period's conversations that ended in an application (few rows).
    applied = session.scalar(
        select(func.count(func.distinct(Application.conversation_id)))
        .join(Summary, Summary.sender_id == Application.conversation_id)
        .where(in_period)
    )
    languages = session.execute(
        select(Summary.language, func.count())
        .where(in_period)
        .group_by(Summary.language)
        .order_by(func.count().desc(), Summary.language)
    ).all()
    messages = sum(int(r.messages or 0) for r in per_day.values())
    fallbacks = sum(int(r.fallbacks or 0) for r in per_day.values())
    return Overview(
        days=[day.isoformat() for day in calendar],
        conversations=[
            int(per_day[d].conversations) if d in per_day else 0 for d in calendar
        ],
        fallback_rate=[
            round(int(per_day[d].fallbacks or 0) / int(per_day[d].messages), 4)
            if d in per_day and per_day[d].messages
            else None
            for d in calendar
        ],
        intents=[(name, int(count)) for name, count in intents],
        funnel=list(
            zip(
                (
                    "Conversations",
                    "Asked something (beyond small talk)",
                    "Asked about programmes or applying",
                    "Started the application form",
                    "Reached the summary",
                    "Application stored",
                ),
                (*(int(v or 0) for v in funnel_row), int(applied or 0)),
                strict=True,
            )
        ),
        total_conversations=int(funnel_row[0] or 0),
        total_messages=messages,
        overall_fallback_rate=round(fallbacks / messages, 4) if messages else None,
        languages=[(language, int(count)) for language, count in languages],
    )
