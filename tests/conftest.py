"""Shared fixtures: a real SQLite database in a temporary folder, migrated, seeded."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import sessionmaker

from bot import migrations
from bot.db import make_engine, make_session_factory
from bot.knowledge.load import seed
from bot.knowledge.queries import KnowledgeBase
from bot.settings import PROJECT_ROOT

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
def kb(seeded: sessionmaker) -> KnowledgeBase:
    return KnowledgeBase(seeded)


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """An editable copy of the content files."""
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, target)
    return target
