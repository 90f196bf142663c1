"""The Rasa server's input channels; building them installs the fixes to Rasa.

Rasa imports this module when it reads ``credentials.yml`` (channels are named
by module path there), so it is the one place that runs inside the Rasa server
process at start-up.

* :class:`AdvisorRestInput` is Rasa's REST channel with input hygiene: an empty
  or blank message is answered with the help menu instead of silence, and a
  message longer than :data:`MAX_MESSAGE_CHARS` is cut to that length. The
  body must be a JSON object; a ``sender`` must be a printable string of at
  most :data:`MAX_SENDER_ID_CHARS` characters (else 400 with a JSON error),
  and a request without one gets a conversation of its own (the reply's
  ``recipient_id`` names it) instead of Rasa's shared ``"default"``.
* :class:`AdvisorSocketIOInput` is Rasa's socket.io channel (the website's
  widget) with three fixes: it accepts only the site's own origins (Rasa 3.6
  accepts any), it awaits ``enter_room`` so that replies reach a persistent
  session (Rasa issue 13027: with python-socketio 5.10+ the coroutine was never
  run and every reply was lost), and it applies the same input hygiene.
* Building either channel calls :func:`bot.rasa_runtime.install_rasa_server`,
  which installs every fix of ``bot/rasa_runtime`` (the speed-ups and the
  apology when the action server fails): this is its only caller, so that the
  fixes are in the Rasa server, and only there.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint
from sanic.exceptions import InvalidUsage
from sanic.request import Request

from bot.rasa_runtime import install_rasa_server

log = logging.getLogger(__name__)

# Longer messages are cut: nobody types more in a chat, and NLU time grows with length.
MAX_MESSAGE_CHARS = 2000
# What an empty message becomes: the help menu, so that the visitor gets a reply.
EMPTY_MESSAGE_PAYLOAD = "/help"
# Longer sender ids are refused (400): cutting them could merge two conversations.
MAX_SENDER_ID_CHARS = 128
# REST metadata is stored with every message in the tracker store: kept small.
MAX_METADATA_CHARS = 2000


_SURROGATES = re.compile("[\ud800-\udfff]")


def clean_message(text: Any) -> str:
    """The text Rasa should handle for what a visitor sent."""
    if not isinstance(text, str) or not text.strip():
        return EMPTY_MESSAGE_PAYLOAD
    # NUL bytes, and lone surrogates (valid in JSON, not in UTF-8: spaCy fails on them).
    text = _SURROGATES.sub("\ufffd", text.replace("\x00", ""))
    if len(text) > MAX_MESSAGE_CHARS:
        log.info("message of %d characters cut to %d", len(text), MAX_MESSAGE_CHARS)
        text = text[:MAX_MESSAGE_CHARS]
    return text if text.strip() else EMPTY_MESSAGE_PAYLOAD


class AdvisorRestInput(RestInput):
    """Rasa's REST channel (``/webhooks/rest/webhook``), with input hygiene."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> AdvisorRestInput:
        install_rasa_server()  # the one call: every fix of bot/rasa_runtime
        return cls()

    def _payload(self, req: Request) -> dict[str, Any]:
        """The JSON object sent; anything else is refused with a JSON 400."""
        payload = req.json  # invalid JSON: Sanic answers 400 itself
        if not isinstance(payload, dict):
            raise InvalidUsage(
                'The body must be a JSON object: {"sender": "...", "message": "..."}.'
            )
        return payload

    def _extract_message(self, req: Request) -> str:
        return clean_message(self._payload(req).get("message"))

    async def _extract_sender(self, req: Request) -> str:
        return clean_sender(self._payload(req).get("sender"))

    def _extract_input_channel(self, req: Request) -> str:
        # Rasa lets the client name any channel; this is the REST channel.
        return self.name()

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        metadata = self._payload(request).get("metadata")
        if not isinstance(metadata, dict):
            return None
        if len(json.dumps(metadata, default=str)) > MAX_METADATA_CHARS:
            log.info("metadata over %d characters dropped", MAX_METADATA_CHARS)
            return None
        return metadata


def clean_sender(value: Any) -> str:
    """The conversation id for a REST ``sender``; refuses what cannot be one.

    No sender (or a blank one) gets a new conversation of its own, never Rasa's
    ``"default"``, which every such request would share, personal data included.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return f"rest-{uuid.uuid4().hex}"
    if not isinstance(value, str):
        raise InvalidUsage("The sender must be a string.")
    if len(value) > MAX_SENDER_ID_CHARS:
        raise InvalidUsage(
            f"The sender must be at most {MAX_SENDER_ID_CHARS} characters long."
        )
    if not value.isprintable():
        raise InvalidUsage("The sender must not contain control characters.")
    return value


# The site's own origins, the only ones the socket.io channel accepts.
DEFAULT_SITE_ORIGINS = "http://localhost:8000,http://127.0.0.1:8000"
MAX_SESSION_ID_CHARS = 100


def site_origins() -> list[str]:
    raw = os.environ.get("ADVISOR_SITE_ORIGINS", DEFAULT_SITE_ORIGINS)
    return [origin.strip().rstrip("/") for origin in raw.split(",") if origin.strip()]


def clean_session_id(value: Any) -> str:
    """The widget's session id, or a new one when it sent none or nonsense."""
    if (
        isinstance(value, str)
        and 0 < len(value) <= MAX_SESSION_ID_CHARS
        and value.isprintable()
    ):
        return value
    return uuid.uuid4().hex


class AdvisorSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel for the site's widget (see the module docstring)."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    @classmethod
    def from_credentials(
        cls, credentials: dict[str, Any] | None
    ) -> AdvisorSocketIOInput:
        credentials = credentials or {}
        channel = cls(
            credentials.get("user_message_evt", "user_uttered"),
            credentials.get("bot_message_evt", "bot_uttered"),
            credentials.get("namespace"),
            credentials.get("session_persistence", False),
            credentials.get("socketio_path", "/socket.io"),
            credentials.get("jwt_key"),
            credentials.get("jwt_method", "HS256"),
            credentials.get("metadata_key", "metadata"),
        )
        channel.allowed_origins = site_origins()
        install_rasa_server()  # idempotent: whichever channel Rasa builds first
        return channel

    allowed_origins: list[str]

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        blueprint = super().blueprint(on_new_message)
        sio = self.sio
        assert sio is not None
        # Rasa passes [] ("no CORS handling"), which lets every origin connect.
        sio.eio.cors_allowed_origins = self.allowed_origins

        async def session_request(sid: str, data: dict | None) -> None:
            session_id = clean_session_id((data or {}).get("session_id"))
            if self.session_persistence:
                entered = sio.enter_room(sid, session_id)
                if inspect.isawaitable(entered):
                    await entered
            await sio.emit("session_confirm", session_id, room=sid)

        async def handle_message(sid: str, data: dict | None) -> None:
            data = data if isinstance(data, dict) else {}
            if self.session_persistence:
                if not data.get("session_id"):
                    log.warning("socket.io message without a session id from %s", sid)
                    return
                sender_id = clean_session_id(data["session_id"])
            else:
                sender_id = sid
            metadata = data.get(self.metadata_key) or {}
            if isinstance(metadata, str):
                try:
                    metadata = json.loads(metadata)
                except json.JSONDecodeError:
                    metadata = {}
            await on_new_message(
                UserMessage(
                    clean_message(data.get("message")),
                    SocketIOOutput(sio, self.bot_message_evt),
                    sender_id,
                    input_channel=self.name(),
                    metadata=metadata if isinstance(metadata, dict) else {},
                )
            )

        # on() replaces the handlers Rasa registered for these events.
        sio.on("session_request", session_request, namespace=self.namespace)
        sio.on(self.user_message_evt, handle_message, namespace=self.namespace)
        return blueprint
