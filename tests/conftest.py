"""Shared fixtures: a real SQLite database in a temporary folder, migrated, seeded."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, Page
from rasa_sdk.executor import ActionExecutor
from sqlalchemy.orm import sessionmaker

from bot import migrations
from bot.db import make_engine, make_session_factory
from bot.knowledge.load import seed
from bot.knowledge.queries import KnowledgeBase
from bot.settings import PROJECT_ROOT
from tests.support.browser import chromium, new_page

if TYPE_CHECKING:
    from bot.rasa_runtime.tracker_store import AdvisorTrackerStore

KNOWLEDGE_DIR = PROJECT_ROOT / "data" / "knowledge"


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'advisor.db'}"


@pytest.fixture
def session_factory(database_url: str) -> Iterator[sessionmaker]:
    migrations.upgrade(database_url)
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def seeded(session_factory: sessionmaker) -> sessionmaker:
    seed(session_factory, KNOWLEDGE_DIR)
    return session_factory


@pytest.fixture
def tracker_store(
    database_url: str, session_factory: sessionmaker
) -> AdvisorTrackerStore:
    """The Rasa server's tracker store on the test database (migrated first).

    Imported here, not at the top: importing Rasa's tracker store module warns
    (SQLAlchemy 2.0 deprecations) before pytest's warning filters apply.
    """
    from rasa.shared.core.domain import Domain

    from bot.rasa_runtime.tracker_store import AdvisorTrackerStore

    return AdvisorTrackerStore(
        Domain.from_path(PROJECT_ROOT / "domain.yml"), host=database_url
    )


@pytest.fixture
def kb(seeded: sessionmaker) -> KnowledgeBase:
    return KnowledgeBase(seeded)


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """An editable copy of the content files."""
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, target)
    return target


def clear_process_caches() -> None:
    """Forget the settings, advisor and engines cached for the action server."""
    from actions.common import get_advisor, knowledge_base
    from bot.db import session_factory_for
    from bot.settings import get_settings

    for cache in (get_settings, get_advisor, knowledge_base, session_factory_for):
        cache.cache_clear()


@pytest.fixture
def executor(
    database_url: str, seeded: sessionmaker, monkeypatch
) -> Iterator[ActionExecutor]:  # type: ignore[no-untyped-def]
    """rasa-sdk's executor with every action, on the seeded test database."""
    from tests.support.actions_support import make_executor

    monkeypatch.setenv("DATABASE_URL", database_url)
    clear_process_caches()
    yield make_executor()
    clear_process_caches()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless chromium per test module.

    Not per session: Playwright's sync API keeps its event loop running while
    the browser is open, and the async tests of other modules need their own.
    """
    with chromium() as running:
        yield running


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    with new_page(browser) as opened:
        yield opened


@pytest.fixture
def advisor(kb: KnowledgeBase):  # type: ignore[no-untyped-def]
    """The advisor on the seeded database, ranking with the built spaCy pipeline."""
    from bot.answers import Advisor
    from bot.answers.ranking import spacy_lemmas
    from bot.settings import get_settings

    return Advisor(kb, spacy_lemmas(get_settings().spacy_model_dir))
