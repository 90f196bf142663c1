"""Rasa's check of every action-server response, with the same verdicts, faster.

Rasa 3.6 checks each response against ``RemoteAction.action_response_format_spec()``
with ``jsonschema.validate``, which first re-checks the schema itself: about
40 ms per custom action on these machines. :class:`ActionResponseValidator`
builds the validator once, and goes one step further for the events.

The schema says each event must match exactly one of 23 sub-schemas
(``oneOf``), and each sub-schema fixes the ``event`` name with a ``const``.
jsonschema tries all 23 for every event (about 1.7 ms for a typical
response). An event that passes the outer checks has a string ``event``, so
at most the one sub-schema with that name can match it: checking that one
alone gives the same verdict. :class:`ActionResponseValidator` does that when
the schema has this shape (every ``oneOf`` branch names a distinct ``const``),
and otherwise validates with the whole schema. Any response it refuses is
validated again with the whole schema, so the error raised is jsonschema's
own ``best_match``, worded as Rasa words it.
"""

from __future__ import annotations

import copy
import os
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

# Rasa's wording after jsonschema's message (RemoteAction._validate_action_result).
ERROR_SUFFIX = (
    ". Failed to validate Action server response from API, "
    "make sure your response from the Action endpoint is valid. "
    "For more information about the format visit {docs}/custom-actions"
)


class ActionResponseValidator:
    """Validates action-server responses against one JSON schema, built once."""

    def __init__(self, schema: dict[str, Any], docs_url: str = "") -> None:
        validator_class = jsonschema.validators.validator_for(schema)
        validator_class.check_schema(schema)
        self._whole = validator_class(schema)
        self._docs_url = docs_url
        self._outer: Any = None
        self._by_event: dict[str, Any] = {}
        split = _split_event_schema(schema)
        if split is not None:
            outer, branches = split
            self._outer = validator_class(outer)
            self._by_event = {
                name: validator_class(branch) for name, branch in branches.items()
            }

    @property
    def dispatches_events(self) -> bool:
        """Whether events are checked against their own sub-schema only."""
        return self._outer is not None

    def is_valid(self, response: Any) -> bool:
        if self._outer is None:
            return bool(self._whole.is_valid(response))
        if not self._outer.is_valid(response):
            return False
        # The outer checks passed: response is an object, events (if any) an
        # array of objects, each with a string "event".
        for event in response.get("events", ()):
            branch = self._by_event.get(event["event"])
            if branch is None or not branch.is_valid(event):
                return False
        return True

    def validate(self, response: Any) -> None:
        """Raise Rasa's ``ValidationError`` for a response the schema refuses."""
        if self.is_valid(response):
            return
        error: ValidationError | None = best_match(self._whole.iter_errors(response))
        if error is None:  # cannot happen: the two checks agree (tested)
            return
        error.message += ERROR_SUFFIX.format(docs=self._docs_url)
        raise error


def _split_event_schema(
    schema: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]] | None:
    """The schema without the events' ``oneOf``, and its branches by event name.

    None when the schema is not shaped so that this split keeps its meaning.
    """
    try:
        items = schema["properties"]["events"]["items"]
        branches = items["oneOf"]
        if items["type"] != "object" or "event" not in items["required"]:
            return None
        if items["properties"]["event"] != {"type": "string"}:
            return None
        names = [branch["properties"]["event"]["const"] for branch in branches]
    except (KeyError, TypeError):
        return None
    if not all(isinstance(name, str) for name in names) or len(set(names)) != len(
        names
    ):
        return None
    if set(items) != {"type", "properties", "required", "oneOf"}:
        return None  # other keywords could interact with oneOf: keep the whole schema
    outer = copy.deepcopy(schema)
    del outer["properties"]["events"]["items"]["oneOf"]
    return outer, dict(zip(names, branches, strict=True))


SWITCH_VARIABLE = "ADVISOR_FAST_ACTION_VALIDATION"
_installed = False


def install_fast_action_validation() -> None:
    """Validate action-server responses with a validator built once (idempotent).

    Replaces ``rasa.core.actions.action.RemoteAction._validate_action_result``;
    ``ADVISOR_FAST_ACTION_VALIDATION=0`` keeps Rasa's own (slow) validation, so
    that `make bench` can show the difference in one run."""
    global _installed
    if _installed or os.environ.get(SWITCH_VARIABLE, "1") == "0":
        return
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    validator = ActionResponseValidator(
        RemoteAction.action_response_format_spec(), docs_url=DOCS_BASE_URL
    )

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        # Same verdicts and error as Rasa's own method (ActionResponseValidator).
        validator.validate(result)
        return True

    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    _installed = True
