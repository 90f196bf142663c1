"""The Rasa server's input channels, and a start-up fix to Rasa itself.

Rasa imports this module when it reads ``credentials.yml`` (channels are named
by module path there), so it is the one place that runs inside the Rasa server
process at start-up.

* :class:`AdvisorRestInput` is Rasa's REST channel with input hygiene: an empty
  or blank message is answered with the help menu instead of silence, and a
  message longer than :data:`MAX_MESSAGE_CHARS` is cut to that length.
* :func:`install_fast_action_validation` keeps Rasa's validation of every
  action-server response but builds the JSON-schema validator once: Rasa 3.6
  calls ``jsonschema.validate``, which re-checks the schema itself on every
  call (about 40 ms per custom action on these machines; 2 ms once cached).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from rasa.core.channels.rest import RestInput
from sanic.request import Request

log = logging.getLogger(__name__)

# Longer messages are cut: nobody types more in a chat, and NLU time grows with length.
MAX_MESSAGE_CHARS = 2000
# What an empty message becomes: the help menu, so that the visitor gets a reply.
EMPTY_MESSAGE_PAYLOAD = "/help"


def clean_message(text: Any) -> str:
    """The text Rasa should handle for what a visitor sent."""
    if not isinstance(text, str) or not text.strip():
        return EMPTY_MESSAGE_PAYLOAD
    text = text.replace("\x00", "")
    if len(text) > MAX_MESSAGE_CHARS:
        log.info("message of %d characters cut to %d", len(text), MAX_MESSAGE_CHARS)
        text = text[:MAX_MESSAGE_CHARS]
    return text if text.strip() else EMPTY_MESSAGE_PAYLOAD


_installed = False


def install_fast_action_validation() -> None:
    """Validate action-server responses with a validator built once (idempotent)."""
    global _installed
    if _installed:
        return
    import jsonschema
    from jsonschema.exceptions import best_match
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    schema = RemoteAction.action_response_format_spec()
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        # Same checks and error as Rasa's own method, without re-checking the schema.
        error = best_match(validator.iter_errors(result))
        if error is not None:
            error.message += (
                ". Failed to validate Action server response from API, "
                "make sure your response from the Action endpoint is valid. "
                "For more information about the format visit "
                f"{DOCS_BASE_URL}/custom-actions"
            )
            raise error
        return True

    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    _installed = True


class AdvisorRestInput(RestInput):
    """Rasa's REST channel (``/webhooks/rest/webhook``), with input hygiene."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> AdvisorRestInput:
        # ADVISOR_FAST_ACTION_VALIDATION=0 keeps Rasa's own (slow) validation, so
        # that `make bench` can show the difference in one run.
        if os.environ.get("ADVISOR_FAST_ACTION_VALIDATION", "1") != "0":
            install_fast_action_validation()
        return cls()

    def _extract_message(self, req: Request) -> str:
        payload = req.json if isinstance(req.json, dict) else {}
        return clean_message(payload.get("message"))

    async def _extract_sender(self, req: Request) -> str:
        payload = req.json if isinstance(req.json, dict) else {}
        sender = payload.get("sender")
        if not isinstance(sender, str) or not sender.strip() or len(sender) > 200:
            return "default"
        return sender
