"""A conversation as staff read it: every visitor message with its intent,
confidence and entities, every bot reply with the action that sent it, the
slots as they changed, and the loops (forms, two-stage fallback) that ran.

Read straight from Rasa's ``events`` table, one conversation at a time.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.applications.models import Application, HandoffRequest
from bot.web.console.models import Correction, Review, Tag
from bot.web.console.summary import (
    FALLBACK_ACTIONS,
    FALLBACK_INTENT,
    classifier_confidence,
    events,
    from_timestamp,
    has_events_table,
)


@dataclass(frozen=True)
class Entity:
    entity: str
    value: str
    start: int | None
    end: int | None


@dataclass
class Line:
    """One line of a transcript; ``kind`` is visitor, bot, slot or system."""

    kind: str
    event_id: int
    at: dt.datetime
    text: str = ""
    intent: str | None = None
    confidence: float | None = None
    ranking: list[tuple[str, float]] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    action: str | None = None
    response: str | None = None
    buttons: list[str] = field(default_factory=list)
    slot: str | None = None
    value: str | None = None
    correction: Correction | None = None

    @property
    def fallback(self) -> bool:
        return self.intent == FALLBACK_INTENT or self.action in FALLBACK_ACTIONS


@dataclass
class Transcript:
    sender_id: str
    lines: list[Line]
    review: Review | None
    tags: set[str]
    applications: list[Application]
    handoffs: list[HandoffRequest]


def transcript(session: Session, sender_id: str) -> Transcript | None:
    """A conversation as staff read it, or None if it has no events."""
    if not has_events_table(session):
        return None
    rows = session.execute(
        select(events.c.id, events.c.type_name, events.c.timestamp, events.c.data)
        .where(events.c.sender_id == sender_id)
        .order_by(events.c.id)
    ).all()
    if not rows:
        return None
    corrections = {
        c.event_id: c
        for c in session.scalars(
            select(Correction).where(Correction.sender_id == sender_id)
        )
    }
    return Transcript(
        sender_id=sender_id,
        lines=_lines(rows, corrections),
        review=session.get(Review, sender_id),
        tags=set(session.scalars(select(Tag.tag).where(Tag.sender_id == sender_id))),
        applications=list(
            session.scalars(
                select(Application).where(Application.conversation_id == sender_id)
            )
        ),
        handoffs=list(
            session.scalars(
                select(HandoffRequest).where(
                    HandoffRequest.conversation_id == sender_id
                )
            )
        ),
    )


def _lines(rows: list[Any], corrections: dict[int, Correction]) -> list[Line]:
    lines: list[Line] = []
    slots: dict[str, Any] = {}
    action: str | None = None
    for row in rows:
        data = json.loads(row.data or "{}")
        at = from_timestamp(row.timestamp)
        kind = row.type_name
        if kind == "user":
            parse = data.get("parse_data") or {}
            lines.append(
                Line(
                    "visitor",
                    row.id,
                    at,
                    text=data.get("text") or "",
                    intent=(parse.get("intent") or {}).get("name"),
                    confidence=classifier_confidence(parse),
                    ranking=[
                        (r.get("name"), r.get("confidence") or 0.0)
                        for r in (parse.get("intent_ranking") or [])[:3]
                    ],
                    entities=[
                        Entity(
                            str(e.get("entity")),
                            str(e.get("value")),
                            e.get("start"),
                            e.get("end"),
                        )
                        for e in parse.get("entities") or []
                    ],
                    correction=corrections.get(row.id),
                )
            )
        elif kind == "action":
            action = data.get("name")
            if action in FALLBACK_ACTIONS:
                lines.append(Line("system", row.id, at, text=f"fallback: {action}"))
        elif kind == "bot":
            metadata = data.get("metadata") or {}
            lines.append(
                Line(
                    "bot",
                    row.id,
                    at,
                    text=data.get("text") or "",
                    action=action,
                    response=metadata.get("utter_action") or metadata.get("template"),
                    buttons=[
                        str(b.get("title"))
                        for b in (data.get("data") or {}).get("buttons") or []
                    ],
                )
            )
        elif kind == "slot":
            name, value = data.get("name"), data.get("value")
            if name not in slots or slots[name] != value:
                slots[name] = value
                lines.append(
                    Line(
                        "slot",
                        row.id,
                        at,
                        slot=name,
                        value=json.dumps(value, ensure_ascii=False)[:300],
                    )
                )
        elif kind == "active_loop":
            name = data.get("name")
            text = f"loop started: {name}" if name else "loop ended"
            lines.append(Line("system", row.id, at, text=text))
        elif kind == "session_started":
            lines.append(Line("system", row.id, at, text="session started"))
    return lines
