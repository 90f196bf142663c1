"""Retention (``advisor purge``) and the CSV export, on real SQLite with dated rows."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import select, text
from sqlalchemy.orm import sessionmaker
from typer.testing import CliRunner

from bot.applications.models import Application, HandoffRequest
from bot.applications.service import (
    ApplicationData,
    csv_cell,
    export,
    export_csv,
    store_application,
    store_handoff,
)
from bot.cli import app
from bot.rasa_runtime.tracker_store import AdvisorTrackerStore
from bot.retention import DEFAULT_RETENTION_DAYS, purge, retention_days
from tests.conftest import clear_process_caches

NOW = dt.datetime(2026, 11, 25, 12, 0)
DAY = dt.timedelta(days=1)


def _apply(sf: sessionmaker, email: str, conversation: str, at: dt.datetime) -> None:
    store_application(
        sf,
        ApplicationData(
            full_name="Ada Lovelace",
            email=email,
            programme="master-devops",
            education='=HYPERLINK("http://evil.example","click")',
            country="Morocco",
            message="+1+1 @SUM(A1) -2",
            conversation_id=conversation,
            consent_at=at,
        ),
    )
    with sf.begin() as session:
        row = session.scalars(
            select(Application).where(Application.email == email)
        ).one()
        row.created_at = row.updated_at = at


def _handoff(sf: sessionmaker, email: str, conversation: str, at: dt.datetime) -> None:
    store_handoff(
        sf,
        full_name="Grace Hopper",
        email=email,
        question="@cmd",
        conversation_id=conversation,
        consent_at=at,
    )
    with sf.begin() as session:
        for row in session.scalars(
            select(HandoffRequest).where(HandoffRequest.email == email)
        ):
            row.created_at = at


async def _conversation(
    store: AdvisorTrackerStore, sender: str, *times: dt.datetime
) -> None:
    """A conversation whose events carry these timestamps (the last one decides)."""
    epoch = [t.replace(tzinfo=dt.timezone.utc).timestamp() for t in times]
    events = [ActionExecuted("action_listen", timestamp=epoch[0])]
    events += [UserUttered(f"=message {i}", timestamp=ts) for i, ts in enumerate(epoch)]
    await store.save(DialogueStateTracker.from_events(sender, events))


def _events(sf: sessionmaker, sender: str) -> int:
    with sf() as session:
        return session.scalar(
            text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": sender}
        )


async def test_purge_deletes_only_what_is_older_than_the_period(
    session_factory: sessionmaker, tracker_store: AdvisorTrackerStore
) -> None:
    old, recent = NOW - 400 * DAY, NOW - 10 * DAY
    _apply(session_factory, "old@example.org", "c-old", old)
    _apply(session_factory, "new@example.org", "c-new", recent)
    _handoff(session_factory, "old@example.org", "c-old", old)
    _handoff(session_factory, "new@example.org", "c-new", recent)
    await _conversation(tracker_store, "c-old", old, old + DAY)
    # Started long ago but still going on: kept whole.
    await _conversation(tracker_store, "c-long", old, recent)
    await _conversation(tracker_store, "c-new", recent)

    counted = purge(session_factory, 365, now=NOW, dry_run=True)
    assert (counted.applications, counted.handoffs, counted.conversations) == (1, 1, 1)
    assert _events(session_factory, "c-old") == counted.events > 0

    purged = purge(session_factory, 365, now=NOW)
    assert purged == counted
    assert purged.cutoff == NOW - 365 * DAY
    with session_factory() as session:
        emails = session.scalars(select(Application.email)).all()
        handoffs = session.scalars(select(HandoffRequest.email)).all()
    assert emails == ["new@example.org"] and handoffs == ["new@example.org"]
    assert _events(session_factory, "c-old") == 0
    assert _events(session_factory, "c-long") == 3
    assert _events(session_factory, "c-new") == 2
    assert await tracker_store.retrieve("c-old") is None
    assert purge(session_factory, 365, now=NOW).applications == 0  # idempotent


def test_purge_without_a_tracker_table(session_factory: sessionmaker) -> None:
    _apply(session_factory, "old@example.org", "c-old", NOW - 30 * DAY)
    purged = purge(session_factory, 7, now=NOW)
    assert (purged.applications, purged.conversations, purged.events) == (1, 0, 0)


def test_the_retention_period_comes_from_the_environment() -> None:
    assert retention_days({}) == DEFAULT_RETENTION_DAYS == 365
    assert retention_days({"ADVISOR_RETENTION_DAYS": "30"}) == 30
    with pytest.raises(ValueError, match="whole number of days"):
        retention_days({"ADVISOR_RETENTION_DAYS": "a year"})
    with pytest.raises(ValueError, match="at least 1 day"):
        retention_days({"ADVISOR_RETENTION_DAYS": "0"})


def test_the_cli_purges_with_the_configured_period(
    database_url: str, session_factory: sessionmaker, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", database_url)
    clear_process_caches()
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    _apply(session_factory, "a@example.org", "c-a", now - 40 * DAY)
    _apply(session_factory, "b@example.org", "c-b", now - 20 * DAY)
    runner = CliRunner()
    monkeypatch.setenv("ADVISOR_RETENTION_DAYS", "30")
    dry = runner.invoke(app, ["purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would purge 1 application(s)" in dry.output and "30 days" in dry.output
    done = runner.invoke(app, ["purge", "--older-than", "10"])
    assert done.exit_code == 0 and "purged 2 application(s)" in done.output
    monkeypatch.setenv("ADVISOR_RETENTION_DAYS", "soon")
    refused = runner.invoke(app, ["purge"])
    assert refused.exit_code == 2 and "Nothing purged" in refused.output
    clear_process_caches()


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+33 6 12", "'+33 6 12"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Ada = Lovelace", "Ada = Lovelace"),
        ("", ""),
        (None, ""),
        (-3, "'-3"),
        ({"a": "=1"}, '{"a": "=1"}'),
    ],
)
def test_csv_cells_never_start_a_formula(value: object, cell: str) -> None:
    assert csv_cell(value) == cell


async def test_the_csv_export_is_safe_for_spreadsheets(
    database_url: str,
    session_factory: sessionmaker,
    tracker_store: AdvisorTrackerStore,
    monkeypatch,
) -> None:  # type: ignore[no-untyped-def]
    _apply(session_factory, "ada@example.org", "c-ada", NOW)
    _handoff(session_factory, "ada@example.org", "c-ada", NOW)
    await _conversation(tracker_store, "c-ada", NOW)
    rows = list(
        csv.reader(
            io.StringIO(export_csv(export(session_factory, email="ada@example.org")))
        )
    )
    assert rows[0] == ["record", "number", "field", "value"]
    values = {(r[0], r[2]): r[3] for r in rows[1:]}
    assert values["application", "education"].startswith("'=HYPERLINK(")
    assert values["application", "message"] == "'+1+1 @SUM(A1) -2"
    assert values["handoff_request", "question"] == "'@cmd"
    assert values["conversation_event", "text"] == "'=message 0"
    assert values["application", "email"] == "ada@example.org"
    dangerous = [r for r in rows[1:] if r[3][:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert dangerous == []

    monkeypatch.setenv("DATABASE_URL", database_url)
    clear_process_caches()
    result = CliRunner().invoke(
        app, ["export", "--email", "ada@example.org", "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    assert "'=HYPERLINK(" in result.output and "\n=" not in result.output
    wrong = CliRunner().invoke(app, ["export", "--email", "a@b.c", "--format", "xls"])
    assert wrong.exit_code == 2 and "json or csv" in wrong.output
    clear_process_caches()
