"""How the Rasa server calls the action server: over one kept-alive HTTP session.

Rasa 3.6's ``EndpointConfig.request`` opens a new ``aiohttp.ClientSession`` for
every call, so every custom action pays for a new connector, a new TCP
connection and its teardown. :func:`install_shared_action_session` makes
``EndpointConfig.session`` lend one long-lived session per endpoint and event
loop instead; Rasa's ``async with self.session() as session`` then borrows it
without closing it. Headers, basic auth and the timeout are Rasa's own.

The body is encoded with orjson: the tracker's events are most of each call
(about 50 KB by the end of an application), and encoding them took 1.2 ms a
call with the standard library's encoder, 0.5 ms with ujson and 0.1 ms with
orjson. NumPy numbers (the NLU's confidences) are written as numbers, as the
standard encoder writes them; whatever orjson refuses (an integer past 64
bits) goes through ujson.

Idle connections are dropped after :data:`KEEPALIVE_SECONDS`, under the five
seconds after which rasa-sdk's Sanic server closes them, so a request never
lands on a connection the server is closing.

Installed by the channels (``bot/rasa_runtime/channels.py``) when the Rasa server loads
them; ``ADVISOR_SHARED_ACTION_SESSION=0`` keeps Rasa's behaviour, for the
benchmark's before/after.
"""

from __future__ import annotations

import asyncio
import os
import weakref
from typing import Any

import aiohttp
import orjson
import ujson
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

KEEPALIVE_SECONDS = 4.0
SWITCH_VARIABLE = "ADVISOR_SHARED_ACTION_SESSION"

_sessions: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[int, aiohttp.ClientSession]
] = weakref.WeakKeyDictionary()
_installed = False


_ORJSON_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def encode(body: Any) -> str:
    """The JSON text of a request body."""
    try:
        return orjson.dumps(body, option=_ORJSON_OPTIONS).decode()
    except TypeError:  # orjson.JSONEncodeError included
        return ujson.dumps(body)


class _Borrowed:
    """``async with`` hands out the shared session and leaves it open."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self._session

    async def __aexit__(self, *_exc: Any) -> None:
        return None


def _shared_session(endpoint: EndpointConfig) -> _Borrowed:
    per_loop = _sessions.setdefault(asyncio.get_running_loop(), {})
    session = per_loop.get(id(endpoint))
    if session is None or session.closed:
        auth = (
            aiohttp.BasicAuth(
                endpoint.basic_auth["username"], endpoint.basic_auth["password"]
            )
            if endpoint.basic_auth
            else None
        )
        session = aiohttp.ClientSession(
            headers=endpoint.headers,
            auth=auth,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS),
            json_serialize=encode,
        )
        per_loop[id(endpoint)] = session
    return _Borrowed(session)


def install_shared_action_session() -> None:
    """Make Rasa's endpoint requests reuse one session per endpoint (idempotent)."""
    global _installed
    if _installed or os.environ.get(SWITCH_VARIABLE, "1") == "0":
        return
    EndpointConfig.session = _shared_session  # type: ignore[assignment,method-assign]
    _installed = True
