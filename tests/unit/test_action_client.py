"""The Rasa server's calls to the action server reuse one kept-alive connection."""

from __future__ import annotations

import json

import numpy as np
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from rasa.utils.endpoints import EndpointConfig

from bot.rasa_runtime.speedups import action_client


@pytest.fixture
async def webhook() -> TestServer:
    """A stand-in action server that answers with the client's port and headers."""

    async def answer(request: web.Request) -> web.Response:
        _, port = request.transport.get_extra_info("peername")[:2]
        return web.json_response(
            {
                "port": port,
                "token": request.headers.get("X-Token"),
                "body": await request.json(),
            }
        )

    app = web.Application()
    app.router.add_post("/webhook", answer)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield server
    await server.close()


async def _ports(endpoint: EndpointConfig, calls: int = 3) -> set[int]:
    answers = [await endpoint.request(json={}, method="post") for _ in range(calls)]
    return {answer["port"] for answer in answers}


async def test_rasa_opens_a_connection_per_call(webhook: TestServer) -> None:
    endpoint = EndpointConfig(str(webhook.make_url("/webhook")))
    assert len(await _ports(endpoint)) == 3


async def test_with_the_shared_session_calls_reuse_one_connection(
    webhook: TestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(EndpointConfig, "session", action_client._shared_session)
    endpoint = EndpointConfig(
        str(webhook.make_url("/webhook")), headers={"X-Token": "secret"}
    )
    assert len(await _ports(endpoint)) == 1
    answer = await endpoint.request(json={}, method="post")
    assert answer["token"] == "secret"  # the endpoint's own headers still go out


async def test_the_body_arrives_as_the_same_json(
    webhook: TestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shared session encodes with orjson; the action server must read the same."""
    monkeypatch.setattr(EndpointConfig, "session", action_client._shared_session)
    body = {
        "tracker": {
            "events": [
                {"event": "user", "text": "Où est Montréal? 🙂 </script> \"quoted\"",
                 "parse_data": {"intent": {"name": "ask_salary", "confidence": 0.1}}},
                {"event": "slot", "name": "country", "value": None, "timestamp": 1.5e9},
                {"event": "slot", "name": "scores", "value": {1: 2**70}},
            ]
        },
        "next_action": "action_answer_salary",
    }  # fmt: skip
    endpoint = EndpointConfig(str(webhook.make_url("/webhook")))
    as_json = json.loads(json.dumps(body))  # what the standard encoder sends
    assert (await endpoint.request(json=body, method="post"))["body"] == as_json
    body["tracker"]["events"].pop()  # orjson refuses 2**70; the rest is orjson's
    body["tracker"]["events"][0]["parse_data"]["intent"]["confidence"] = np.float64(0.1)
    as_json = json.loads(json.dumps(body))
    assert (await endpoint.request(json=body, method="post"))["body"] == as_json
