"""The action server decodes the Rasa server's calls to the same values as before."""

from __future__ import annotations

import json
from typing import Any

import pytest
import ujson
from hypothesis import given, settings
from hypothesis import strategies as st
from sanic.request import Request

import actions  # noqa: F401  (installs the decoder, as when rasa-sdk starts)
from bot.action_server import decode

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
