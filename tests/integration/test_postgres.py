"""The same code on PostgreSQL, by changing only the database URL.

`make test` starts Debian's PostgreSQL (scripts/postgres-test-db.sh) and passes
its URL in ADVISOR_TEST_POSTGRES_URL; the module starts from an empty schema.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from bot import migrations
from bot.applications.service import ApplicationData, erase, export, store_application
from bot.db import make_engine, make_session_factory
from bot.knowledge.load import seed
from bot.knowledge.queries import KnowledgeBase
from bot.rasa_runtime.tracker_store import AdvisorTrackerStore
from bot.settings import PROJECT_ROOT
from tests.conftest import KNOWLEDGE_DIR

URL = os.environ.get("ADVISOR_TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(
    not URL, reason="ADVISOR_TEST_POSTGRES_URL is not set (make test sets it)"
)


@pytest.fixture(scope="module")
def postgres() -> Iterator[sessionmaker]:
    assert URL is not None
    engine = make_engine(URL)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    migrations.upgrade(URL)
    yield make_session_factory(engine)
    engine.dispose()


def test_migrations_and_seeding_are_idempotent(postgres: sessionmaker) -> None:
    migrations.upgrade(URL)  # a second upgrade is a no-op
    assert seed(postgres, KNOWLEDGE_DIR).changed is True
    assert seed(postgres, KNOWLEDGE_DIR).changed is False


def test_queries(postgres: sessionmaker) -> None:
    seed(postgres, KNOWLEDGE_DIR)
    kb = KnowledgeBase(postgres)
    assert len(kb.skills()) == 5
    outlook = kb.outlook_for_place("Munich")
    assert outlook.region is not None and outlook.region.name == "Europe"
    assert kb.skill("scrum").item.name == "Scrum"


async def test_tracker_store_applications_and_erasure(postgres: sessionmaker) -> None:
    store = AdvisorTrackerStore(Domain.from_path(PROJECT_ROOT / "domain.yml"), host=URL)
    tracker = DialogueStateTracker.from_events(
        "pg-visitor", [ActionExecuted("action_listen"), UserUttered("I want to apply")]
    )
    await store.save(tracker)
    assert (await store.retrieve("pg-visitor")).latest_message.text == "I want to apply"
    data = ApplicationData(
        full_name="Alan Turing",
        email="alan@example.org",
        programme="master-devops",
        education="Bachelor's",
        country="United Kingdom",
        message=None,
        conversation_id="pg-visitor",
        consent_at=dt.datetime(2026, 11, 25, 12),
    )
    first = store_application(postgres, data)
    again = store_application(postgres, data)
    assert first.created and not again.created and first.reference == again.reference
    assert export(postgres, email="alan@example.org")["applications"][0]["country"] == (
        "United Kingdom"
    )
    erased = erase(postgres, conversation_id="pg-visitor")
    assert erased.applications == 1 and erased.events > 0
    assert await store.retrieve("pg-visitor") is None
    await store.save(
        DialogueStateTracker.from_events(
            "pg-forget", [ActionExecuted("action_listen"), SlotSet("data_erased", True)]
        )
    )
    assert await store.retrieve("pg-forget") is None
