"""Input hygiene of the REST channel, and the action-response validator fix."""

from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from bot.rasa_runtime.channels import (
    EMPTY_MESSAGE_PAYLOAD,
    MAX_MESSAGE_CHARS,
    clean_message,
)
from bot.rasa_runtime.speedups.action_validation import install_fast_action_validation


@pytest.mark.parametrize("text", ["", "   ", "\n\t", None, 42, "\x00"])
def test_empty_messages_become_the_help_menu(text: object) -> None:
    assert clean_message(text) == EMPTY_MESSAGE_PAYLOAD


def test_huge_messages_are_cut() -> None:
    assert len(clean_message("a" * 100_000)) == MAX_MESSAGE_CHARS


def test_ordinary_messages_are_untouched() -> None:
    assert (
        clean_message("<img src=x onerror=alert(1)>") == "<img src=x onerror=alert(1)>"
    )


def test_action_responses_are_still_validated() -> None:
    install_fast_action_validation()
    action = RemoteAction("action_x", None)
    assert action._validate_action_result({"events": [], "responses": []}) is True
    with pytest.raises(
        jsonschema.ValidationError, match="Failed to validate Action server"
    ):
        action._validate_action_result({"events": [{"event": 3}], "responses": []})
