"""How long personal data is kept: ``advisor purge`` deletes what is older.

The retention period (``ADVISOR_RETENTION_DAYS``, default
:data:`DEFAULT_RETENTION_DAYS`) applies to everything that holds what a visitor
wrote or who they are:

* applications not changed for longer (``updated_at``: a visitor who applies
  again restarts the clock);
* hand-off requests made longer ago (``created_at``);
* conversations whose *last* event is older, all their events at once, from
  Rasa's tracker store (table ``events``, same database). A conversation still
  going on keeps its beginning.

The console's conversation summaries follow: its refresh drops the summary of
a conversation whose events are gone (``bot/web/console/summary.py``).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass

from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from bot.applications.models import Application, HandoffRequest, utcnow

log = logging.getLogger(__name__)

RETENTION_VARIABLE = "ADVISOR_RETENTION_DAYS"
DEFAULT_RETENTION_DAYS = 365
# Conversations whose latest event is older than the cut-off (``:epoch``).
_OLD_SENDERS = (
    "SELECT sender_id FROM events GROUP BY sender_id HAVING max(timestamp) < :epoch"
)


def retention_days(environ: dict[str, str] | None = None) -> int:
    """The configured retention period, in days."""
    env = os.environ if environ is None else environ
    raw = env.get(RETENTION_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_RETENTION_DAYS
    try:
        days = int(raw)
    except ValueError:
        raise ValueError(
            f"{RETENTION_VARIABLE} must be a whole number of days, not {raw!r}"
        ) from None
    if days < 1:
        raise ValueError(f"{RETENTION_VARIABLE} must be at least 1 day, not {days}")
    return days


@dataclass(frozen=True)
class Purged:
    cutoff: dt.datetime  # naive UTC, as the tables store it
    applications: int
    handoffs: int
    conversations: int
    events: int


def purge(
    session_factory: sessionmaker,
    older_than_days: int,
    *,
    now: dt.datetime | None = None,
    dry_run: bool = False,
) -> Purged:
    """Delete the personal data older than ``older_than_days`` (or only count it)."""
    if older_than_days < 1:
        raise ValueError("the retention period must be at least one day")
    cutoff = (now or utcnow()) - dt.timedelta(days=older_than_days)
    old_applications = Application.updated_at < cutoff
    old_handoffs = HandoffRequest.created_at < cutoff
    with session_factory() as session, session.begin():
        conversations, events = _old_conversations(session, cutoff)
        if dry_run:
            applications = session.scalar(
                select(func.count()).select_from(Application).where(old_applications)
            )
            handoffs = session.scalar(
                select(func.count()).select_from(HandoffRequest).where(old_handoffs)
            )
        else:
            applications = session.execute(
                delete(Application).where(old_applications)
            ).rowcount
            handoffs = session.execute(
                delete(HandoffRequest).where(old_handoffs)
            ).rowcount
            if conversations:
                # One statement, so that a message arriving meanwhile is kept.
                events = session.execute(
                    text(f"DELETE FROM events WHERE sender_id IN ({_OLD_SENDERS})"),
                    {"epoch": _epoch(cutoff)},
                ).rowcount
    result = Purged(cutoff, applications or 0, handoffs or 0, conversations, events)
    if not dry_run:
        log.info("purged personal data older than %s: %s", cutoff, result)
    return result


def _epoch(cutoff: dt.datetime) -> float:
    return cutoff.replace(tzinfo=dt.timezone.utc).timestamp()


def _old_conversations(session: Session, cutoff: dt.datetime) -> tuple[int, int]:
    """How many old conversations there are, and how many events they hold."""
    try:
        with session.begin_nested():
            row = session.execute(
                text(
                    "SELECT count(DISTINCT sender_id) AS conversations, "
                    "count(*) AS events FROM events "
                    f"WHERE sender_id IN ({_OLD_SENDERS})"
                ),
                {"epoch": _epoch(cutoff)},
            ).one()
    except (OperationalError, ProgrammingError):
        return 0, 0  # no tracker store table in this database
    return row.conversations, row.events
