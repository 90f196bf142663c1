"""The action server decodes the Rasa server's calls to the same values as before,
and is warm when it starts serving: the first visitor does not wait for the
advisor's spaCy pipeline and passage index or the place index."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
import ujson
from hypothesis import given, settings
from hypothesis import strategies as st
from rasa_sdk.endpoint import create_app
from sanic import Sanic
from sanic.request import Request
from sqlalchemy.orm import sessionmaker

import actions  # noqa: F401  (installs the decoder, as when rasa-sdk starts)
from actions.common import get_advisor, warm_up
from bot.knowledge.places import get_resolver
from bot.rasa_runtime.action_server import WARM_UP_VARIABLE, decode, install_warm_up
from tests.conftest import clear_process_caches

values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**63), 2**63 - 1),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(), inner, max_size=4)
    ),
    max_leaves=20,
)


def test_sanic_requests_decode_with_it() -> None:
    assert Request.load_json.__defaults__ == (decode,)


@settings(max_examples=300, deadline=None)
@given(values)
def test_same_values_as_the_standard_decoder(value: Any) -> None:
    body = json.dumps(value).encode()
    assert decode(body) == json.loads(body)


def test_what_orjson_refuses_is_decoded_as_sanic_did() -> None:
    body = b'{"events": [{"event": "slot", "value": 1267650600228229401496703205376}]}'
    assert decode(body) == ujson.loads(body)


@pytest.mark.parametrize("body", [b"{not json", b"", b'{"a": 1'])
def test_what_is_not_json_is_still_refused(body: bytes) -> None:
    with pytest.raises(ValueError):
        decode(body)


# --- the warm-up -------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def rasa_sdk_app(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sanic]:
    """rasa-sdk's app (the action server's), alone in Sanic's registry, the
    advisor and place index not built yet. In Sanic's test mode, so that an app
    can start more than once in a process."""
    monkeypatch.setattr(Sanic, "_app_registry", {})
    monkeypatch.setattr(Sanic, "test_mode", True)
    clear_process_caches()
    get_resolver.cache_clear()
    yield create_app("actions")
    clear_process_caches()


@asynccontextmanager
async def serving(app: Sanic) -> AsyncIterator[str]:
    """The app started as Sanic's ``run`` starts it (start-up, the listeners
    before it serves, then the socket), on a free port; its URL."""
    port = free_port()
    server = await app.create_server(
        host="127.0.0.1",
        port=port,
        return_asyncio_server=True,
        asyncio_server_kwargs={"start_serving": False},
    )
    await server.startup()
    await server.before_start()
    await server.start_serving()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await server.close()


async def health(url: str) -> int:
    async with aiohttp.ClientSession() as session, session.get(url + "/health") as r:
        return r.status


async def test_the_advisor_and_place_index_are_built_when_it_starts(
    rasa_sdk_app: Sanic,
    database_url: str,
    seeded: sessionmaker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert install_warm_up(warm_up)  # as importing ``actions`` does in rasa-sdk
    async with serving(rasa_sdk_app):
        assert get_advisor.cache_info().currsize == 2  # English and French
        assert get_advisor("en")._chooser is not None  # the passage index
        assert get_advisor("fr")._chooser is not None
        assert get_resolver.cache_info().currsize == 1


async def test_with_the_database_down_it_starts_and_warns(
    rasa_sdk_app: Sanic,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # PostgreSQL on a port where nothing listens: every connection refused.
    down = f"postgresql+psycopg2://advisor:advisor@127.0.0.1:{free_port()}/advisor"
    monkeypatch.setenv("DATABASE_URL", down)
    assert install_warm_up(warm_up)
    with caplog.at_level(logging.WARNING, logger="actions.common"):
        async with serving(rasa_sdk_app) as url:
            assert await health(url) == 200
    assert any("knowledge base unavailable" in r.getMessage() for r in caplog.records)
    assert get_resolver.cache_info().currsize == 1  # what needs no database


async def test_switched_off_the_first_question_builds_it(
    rasa_sdk_app: Sanic,
    database_url: str,
    seeded: sessionmaker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv(WARM_UP_VARIABLE, "0")
    assert not install_warm_up(warm_up)
    async with serving(rasa_sdk_app):
        assert get_advisor.cache_info().currsize == 0
        assert get_resolver.cache_info().currsize == 0


def test_outside_the_action_server_nothing_is_installed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A test or script importing ``actions``: no rasa-sdk app, no warm-up.
    monkeypatch.setattr(Sanic, "_app_registry", {})
    assert not install_warm_up(warm_up)
