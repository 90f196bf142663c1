"""The action-response check gives jsonschema's verdicts on Rasa's own schema."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.core.actions.action import RemoteAction

from bot.rasa_runtime.speedups.action_validation import ActionResponseValidator

SCHEMA = RemoteAction.action_response_format_spec()
WHOLE = jsonschema.validators.validator_for(SCHEMA)(SCHEMA)
VALIDATOR = ActionResponseValidator(SCHEMA, docs_url="https://rasa.com/docs/rasa")
BRANCHES = SCHEMA["properties"]["events"]["items"]["oneOf"]
EVENT_NAMES = [branch["properties"]["event"]["const"] for branch in BRANCHES]
# Every property any event sub-schema names, so that generated events exercise them.
NO_EVENT_SCHEMA = "is not valid under any of the given schemas"
FIELDS = sorted(
    {name for branch in BRANCHES for name in branch["properties"] if name != "event"}
    | {"timestamp", "metadata", "unknown_field"}
)

json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=False, allow_infinity=False, width=16),
    st.text(max_size=3),
)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(["name", "text", "confidence", "entity", "value", "x"]),
            inner,
            max_size=3,
        ),
    ),
    max_leaves=6,
)


def _typed(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values of the type a (sub-)schema asks for, mostly valid ones."""
    if "const" in schema:
        return st.just(schema["const"])
    kinds = schema.get("type", [])
    kinds = [kinds] if isinstance(kinds, str) else kinds
    options: list[st.SearchStrategy[Any]] = []
    for kind in kinds:
        if kind == "object":
            properties = schema.get("properties", {})
            required = schema.get("required", [])
            options.append(
                st.fixed_dictionaries(
                    {name: _typed(properties.get(name, {})) for name in required},
                    optional={
                        name: _typed(sub)
                        for name, sub in properties.items()
                        if name not in required
                    },
                )
            )
        elif kind == "array":
            options.append(st.lists(_typed(schema.get("items", {})), max_size=2))
        else:
            options.append(
                {
                    "string": st.text(max_size=3),
                    "number": st.one_of(st.integers(-3, 3), st.floats(0, 1)),
                    "integer": st.integers(-3, 3),
                    "boolean": st.booleans(),
                    "null": st.none(),
                }[kind]
            )
    return st.one_of(options) if options else json_value


@st.composite
def events(draw: st.DrawFn) -> Any:
    """Events of every kind, most well formed, some wrong in one or more places."""
    if draw(st.integers(0, 20)) == 0:
        return draw(json_leaf)  # not an object at all
    branch = draw(st.sampled_from(BRANCHES))
    required = ["event", *branch.get("required", [])]
    event: dict[str, Any] = draw(
        _typed({"type": "object", **branch, "required": required})
    )
    for _ in range(draw(st.integers(1, 2)) if draw(st.integers(0, 4)) == 0 else 0):
        # Break it: a wrong value, a wrong name, a missing field, an extra one.
        field = draw(st.sampled_from([*FIELDS, "event"]))
        if draw(st.booleans()):
            event[field] = draw(json_value)
        else:
            event.pop(field, None)
    return event


response_lists = st.lists(st.dictionaries(st.text(max_size=4), json_value), max_size=2)
responses = st.one_of(
    # Mostly what an action server sends: events, and messages to send.
    st.fixed_dictionaries(
        {"events": st.lists(events(), min_size=1, max_size=4)},
        optional={"responses": response_lists},
    ),
    # And anything else.
    st.fixed_dictionaries(
        {},
        optional={
            "events": st.one_of(st.lists(events(), max_size=4), json_leaf),
            "responses": st.one_of(
                response_lists, st.lists(json_value, max_size=2), json_leaf
            ),
        },
    ),
    json_value,
)


def test_the_events_are_checked_one_sub_schema_each() -> None:
    # If Rasa's schema changed shape, the validator would fall back to the
    # whole schema: still correct, but this test says the speed-up is gone.
    assert VALIDATOR.dispatches_events


@settings(max_examples=1500, deadline=None)
@given(responses)
def test_same_verdict_as_jsonschema_on_the_whole_schema(response: Any) -> None:
    assert VALIDATOR.is_valid(response) == WHOLE.is_valid(response)


@pytest.mark.parametrize(
    "response",
    [
        {"events": [{"event": "slot", "name": "topic", "value": "salary"}]},
        {"events": [{"event": "bot", "text": "Hi", "data": {"buttons": []}}]},
        {"events": [{"event": "action", "name": "action_listen"}], "responses": []},
        {
            "responses": [
                {"text": "Hello", "buttons": [{"title": "a", "payload": "/b"}]}
            ]
        },
    ],
)
def test_responses_our_actions_send_are_valid(response: dict[str, Any]) -> None:
    assert VALIDATOR.is_valid(response)
    VALIDATOR.validate(response)


@pytest.mark.parametrize(
    ("response", "wrong"),
    [
        (
            {"events": [{"event": "slot", "value": 1}]},
            NO_EVENT_SCHEMA,
        ),
        ({"events": [{"event": "sloth", "name": "a", "value": 1}]}, "is not valid"),
        ({"events": [{"event": 3}]}, NO_EVENT_SCHEMA),
        ({"events": {"event": "slot"}}, "is not of type 'array'"),
        ({"responses": ["text"]}, "'text' is not of type 'object'"),
    ],
)
def test_an_invalid_response_raises_jsonschemas_error_in_rasas_words(
    response: dict[str, Any], wrong: str
) -> None:
    assert not VALIDATOR.is_valid(response)
    expected = jsonschema.exceptions.best_match(WHOLE.iter_errors(response))
    with pytest.raises(jsonschema.ValidationError) as raised:
        VALIDATOR.validate(response)
    assert raised.value.message.startswith(expected.message)
    assert wrong in raised.value.message
    assert raised.value.message.endswith(
        "For more information about the format visit "
        "https://rasa.com/docs/rasa/custom-actions"
    )


def test_a_schema_of_another_shape_is_checked_whole() -> None:
    schema = {
        "type": "object",
        "properties": {
            "events": {
                "type": "array",
                "items": {"oneOf": [{"required": ["a"]}, {"required": ["b"]}]},
            }
        },
    }
    validator = ActionResponseValidator(schema)
    assert not validator.dispatches_events
    assert validator.is_valid({"events": [{"a": 1}]})
    assert not validator.is_valid({"events": [{"a": 1, "b": 2}]})
