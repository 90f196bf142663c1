"""Storage, erasure and export of personal data; the tracker store's erasure."""

from __future__ import annotations

import datetime as dt
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import select, text
from sqlalchemy.orm import sessionmaker
from typer.testing import CliRunner

from bot.applications.models import Application
from bot.applications.service import (
    ApplicationData,
    erase,
    export,
    new_reference,
    store_application,
    store_handoff,
)
from bot.cli import app
from bot.rasa_runtime.tracker_store import AdvisorTrackerStore
from tests.conftest import clear_process_caches

NOW = dt.datetime(2026, 11, 25, 12, 0)


def _application(
    email: str, programme: str = "master-devops", conversation: str = "c1"
) -> ApplicationData:
    return ApplicationData(
        full_name="Ada Lovelace",
        email=email,
        programme=programme,
        education="Master's",
        country="Morocco",
        message=None,
        conversation_id=conversation,
        consent_at=NOW,
    )


def _tracker(sender: str, *events) -> DialogueStateTracker:  # type: ignore[no-untyped-def]
    return DialogueStateTracker.from_events(
        sender, [ActionExecuted("action_listen"), *events]
    )


def test_references_are_short_and_unambiguous() -> None:
    refs = {new_reference("AP") for _ in range(500)}
    assert len(refs) == 500
    assert all(len(r) == 9 and not set(r[3:]) & set("01OIL") for r in refs)


def test_parallel_applications_are_each_stored_once(
    session_factory: sessionmaker,
) -> None:
    emails = [f"person{i}@example.org" for i in range(40)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(
            pool.map(
                lambda e: store_application(session_factory, _application(e)),
                emails * 2,
            )
        )
    with session_factory() as session:
        rows = session.scalars(select(Application)).all()
    assert sorted(r.email for r in rows) == sorted(emails)
    assert len({r.reference for r in rows}) == 40
    assert sum(r.created for r in results) == 40  # the second round updated


async def test_the_tracker_store_forgets_a_conversation_on_request(
    tracker_store: AdvisorTrackerStore, session_factory: sessionmaker
) -> None:
    await tracker_store.save(
        _tracker("erase-me", UserUttered("hi my email is a@b.org"))
    )
    await tracker_store.save(_tracker("keep-me", UserUttered("hello")))
    assert len((await tracker_store.retrieve("erase-me")).events) > 0
    await tracker_store.save(
        _tracker(
            "erase-me", UserUttered("delete my data"), SlotSet("data_erased", True)
        )
    )
    assert await tracker_store.retrieve("erase-me") is None
    assert await tracker_store.retrieve("keep-me") is not None


async def test_erase_and_export_one_person(
    tracker_store: AdvisorTrackerStore, session_factory: sessionmaker
) -> None:
    await tracker_store.save(_tracker("c1", UserUttered("I want to apply")))
    await tracker_store.save(_tracker("c2", UserUttered("someone else")))
    store_application(
        session_factory, _application("ada@example.org", conversation="c1")
    )
    store_handoff(
        session_factory,
        full_name="Ada",
        email="ada@example.org",
        question="?",
        conversation_id="c1",
        consent_at=NOW,
    )
    data = export(session_factory, email="ADA@example.org")
    assert [a["email"] for a in data["applications"]] == ["ada@example.org"]
    assert len(data["handoff_requests"]) == 1
    assert any(e.get("text") == "I want to apply" for e in data["conversation_events"])
    json.dumps(data)  # JSON-ready
    erased = erase(session_factory, email="ada@example.org")
    assert (erased.applications, erased.handoffs) == (1, 1) and erased.events > 0
    assert await tracker_store.retrieve("c1") is None
    assert await tracker_store.retrieve("c2") is not None
    assert export(session_factory, email="ada@example.org")["applications"] == []


def test_erase_needs_someone(session_factory: sessionmaker) -> None:
    with pytest.raises(ValueError, match="email or a conversation"):
        erase(session_factory)


def test_erase_without_a_tracker_table(session_factory: sessionmaker) -> None:
    store_application(session_factory, _application("x@example.org", conversation="cx"))
    with session_factory() as session:
        assert (
            session.execute(
                text("SELECT name FROM sqlite_master WHERE name='events'")
            ).first()
            is None
        )
    assert erase(session_factory, conversation_id="cx").applications == 1


def test_the_cli_erases_and_exports(
    database_url: str, session_factory: sessionmaker, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", database_url)
    clear_process_caches()
    store_application(
        session_factory, _application("cli@example.org", conversation="c-cli")
    )
    runner = CliRunner()
    exported = runner.invoke(app, ["export", "--email", "cli@example.org"])
    assert exported.exit_code == 0, exported.output
    assert json.loads(exported.output)["applications"][0]["conversation_id"] == "c-cli"
    erased = runner.invoke(app, ["erase", "--conversation", "c-cli"])
    assert erased.exit_code == 0 and "erased 1 application(s)" in erased.output
    refused = runner.invoke(app, ["erase"])
    assert refused.exit_code == 2 and "--email or --conversation" in refused.output
    clear_process_caches()


def test_the_cli_seeds_shows_and_refuses_bad_content(
    database_url: str, content_copy, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", database_url)
    clear_process_caches()
    runner = CliRunner()
    assert "seeded" in runner.invoke(app, ["seed"]).output
    assert "already up to date" in runner.invoke(app, ["seed"]).output
    shown = runner.invoke(app, ["show", "salary"])
    assert shown.exit_code == 0 and "Silicon Valley" in shown.output
    (content_copy / "role.yml").write_text("version: 1\ntopic: role\n")
    refused = runner.invoke(app, ["seed", "--dir", str(content_copy)])
    assert refused.exit_code == 2
    assert (
        "role.yml" in refused.output and "keeps its previous content" in refused.output
    )
    clear_process_caches()
