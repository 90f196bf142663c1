"""How the action server reads the Rasa server's calls.

rasa-sdk runs its action server on Sanic, whose ``Request.json`` decodes the
body with ujson: about 0.6 ms for the 50 KB of a late call (the tracker's
events). :func:`install_fast_json` makes it decode with orjson (about 0.1 ms),
and with ujson whatever orjson refuses (an integer past 64 bits), so that
every body Sanic accepted is still accepted, with the same values.

Installed by the ``actions`` package, which rasa-sdk imports when the action
server starts; ``ADVISOR_FAST_JSON=0`` keeps Sanic's decoder.
"""

from __future__ import annotations

import os
from typing import Any

import orjson
import ujson
from sanic.request import Request

SWITCH_VARIABLE = "ADVISOR_FAST_JSON"


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
