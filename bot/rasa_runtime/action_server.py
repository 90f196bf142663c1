"""How the action server reads the Rasa server's calls, and gets ready for them.

rasa-sdk runs its action server on Sanic, whose ``Request.json`` decodes the
body with ujson: about 0.6 ms for the 50 KB of a late call (the tracker's
events). :func:`install_fast_json` makes it decode with orjson (about 0.1 ms),
and with ujson whatever orjson refuses (an integer past 64 bits), so that
every body Sanic accepted is still accepted, with the same values.

An action builds what it needs at its first use: the first knowledge-base
answer after a start took 3.5 to 6.5 s (spaCy's import and pipeline, the
knowledge base's snapshot and passage index) and the first place 0.6 to 1.6 s
(the world's place index), against 2 to 4 ms later. :func:`install_warm_up`
runs a warm-up (``actions.common.warm_up``) when the server starts, before it
serves, so that the first visitor does not wait for it.

Both are installed by the ``actions`` package, which rasa-sdk imports when the
action server starts; ``ADVISOR_FAST_JSON=0`` keeps Sanic's decoder and
``ADVISOR_ACTION_SERVER_WARM_UP=0`` leaves the building to the first questions.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from typing import Any

import orjson
import ujson
from sanic import Sanic
from sanic.exceptions import SanicException
from sanic.request import Request

SWITCH_VARIABLE = "ADVISOR_FAST_JSON"
WARM_UP_VARIABLE = "ADVISOR_ACTION_SERVER_WARM_UP"
# The name rasa_sdk.endpoint.create_app gives its Sanic app; it imports the
# ``actions`` package after making the app.
RASA_SDK_APP_NAME = "rasa_sdk"
# A warm-up still running after this long (a database that neither answers nor
# refuses) goes on while the server serves: it must never keep it from starting.
WARM_UP_TIMEOUT_SECONDS = 60.0

log = logging.getLogger(__name__)


def decode(body: bytes | str) -> Any:
    """The value of a JSON request body."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return ujson.loads(body)  # raises in turn for what is not JSON


def install_fast_json() -> None:
    """Make Sanic's ``Request.json`` decode with :func:`decode` (idempotent)."""
    if os.environ.get(SWITCH_VARIABLE, "1") == "0":
        return
    Request.load_json.__defaults__ = (decode,)


def install_warm_up(warm_up: Callable[[], object], app: Sanic | None = None) -> bool:
    """Run ``warm_up`` when the action server starts, before it serves.

    ``app``: rasa-sdk's, by default; outside the action server (a test or a
    script importing ``actions``) there is none and nothing is installed.
    Returns whether the warm-up was installed. Whatever the warm-up raises is
    logged as a warning: the server starts, and the first questions build what
    it did not.
    """
    if os.environ.get(WARM_UP_VARIABLE, "1") == "0":
        return False
    if app is None:
        try:
            app = Sanic.get_app(RASA_SDK_APP_NAME)
        except SanicException:
            return False

    async def warm(_app: Sanic, _loop: object) -> None:
        started = time.perf_counter()
        try:
            await asyncio.wait_for(
                asyncio.to_thread(warm_up), timeout=WARM_UP_TIMEOUT_SECONDS
            )
        except asyncio.TimeoutError:
            log.warning(
                "warm-up still running after %.0f s: serving meanwhile",
                WARM_UP_TIMEOUT_SECONDS,
            )
            return
        except Exception:
            log.warning(
                "warm-up failed: the first questions build what they need",
                exc_info=True,
            )
            return
        log.info("action server warmed up in %.1f s", time.perf_counter() - started)

    app.register_listener(warm, "before_server_start")
    return True
