"""Beyond one machine: two Rasa replicas behind nginx, one conversation on both.

Starts `make scale`'s layout on test ports (scripts/scale.py: PostgreSQL's
tracker store on a fresh database, Redis's lock store, nginx, two Rasa servers,
two action servers, the web app) once for the module, sends bounded traffic to
the loopback through nginx, and drops the database afterwards. nginx's REST
upstream is round-robin with one worker, so a sender whose turns are
interleaved with an odd number of others alternates between the replicas.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
import requests
import yaml
from sqlalchemy import create_engine, text

from bot.settings import PROJECT_ROOT
from scripts import scale

TURNS = [
    "hello",
    "how much does an AI project manager earn?",
    "and in Canada?",
    "what about Germany",
    "which skills do I need?",
    "do I need python?",
    "and what about Scrum?",
    "where does this come from?",
]
INTERLEAVED = [f"scale-interleaved-{n}" for n in range(5)]  # odd: see the docstring
CONCURRENT = [f"scale-concurrent-{n}" for n in range(6)]
BURST_SENDER = "scale-burst"
BURST = [
    "which skills do I need?",
    "do I need python?",
    "what does an AI PM do day to day",
    "can a beginner become an AI project manager?",
    "what programmes does AI2 offer?",
    "how much does an AI project manager earn?",
]
REPLICAS = {f"127.0.0.1:{port}" for port in scale.TEST_PORTS.rasa}
ACTION_SERVERS = {f"127.0.0.1:{port}" for port in scale.TEST_PORTS.actions}

needs_binaries = pytest.mark.skipif(
    bool(scale.missing_binaries()),
    reason=f"not installed: {', '.join(scale.missing_binaries())} "
    "(`make pytest` and `make scale` install them with apt)",
)


@dataclass
class Exchange:
    sender: str
    message: str
    replies: list[dict]
    replica: str

    @property
    def text(self) -> str:
        return "\n".join(r.get("text", "") for r in self.replies)


@dataclass
class Traffic:
    interleaved: list[Exchange] = field(default_factory=list)
    concurrent: list[Exchange] = field(default_factory=list)
    burst: list[Exchange] = field(default_factory=list)
    lock_keys_seen: set[str] = field(default_factory=set)


@pytest.fixture(scope="module")
def scaled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[scale.Scaled]:
    folder = tmp_path_factory.mktemp("scale")
    with scale.scratch(scale.TEST_PORTS, folder, "advisor_scale_test") as running:
        yield running


def say(scaled: scale.Scaled, sender: str, message: str) -> Exchange:
    response = requests.post(
        f"{scaled.rasa_url}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": message}),
        timeout=60,
    )
    response.raise_for_status()
    return Exchange(sender, message, response.json(), response.headers["X-Upstream"])


def watch_lock_keys(client: redis.Redis, seen: set[str], done: threading.Event) -> None:
    while not done.is_set():
        seen.update(k.decode() for k in client.scan_iter(match="advisor:lock:*"))
        done.wait(0.01)


@pytest.fixture(scope="module")
def traffic(scaled: scale.Scaled) -> Traffic:
    """94 messages in three bounded rounds, all to 127.0.0.1."""
    record = Traffic()
    # One request at a time, senders interleaved turn by turn.
    for message in TURNS:
        for sender in INTERLEAVED:
            record.interleaved.append(say(scaled, sender, message))

    # Six conversations at once, each one turn after the other.
    def converse(sender: str) -> list[Exchange]:
        return [say(scaled, sender, message) for message in TURNS]

    with ThreadPoolExecutor(max_workers=len(CONCURRENT)) as pool:
        for exchanges in pool.map(converse, CONCURRENT):
            record.concurrent.extend(exchanges)

    # One sender, six messages at the same moment: both replicas get some, and
    # only the lock store keeps the turns apart.
    client = redis.Redis.from_url(scaled.redis_url)
    done = threading.Event()
    watcher = threading.Thread(
        target=watch_lock_keys, args=(client, record.lock_keys_seen, done)
    )
    watcher.start()
    start = threading.Barrier(len(BURST))

    def burst(message: str) -> Exchange:
        start.wait(timeout=10)
        return say(scaled, BURST_SENDER, message)

    try:
        with ThreadPoolExecutor(max_workers=len(BURST)) as pool:
            record.burst = list(pool.map(burst, BURST))
    finally:
        done.set()
        watcher.join(timeout=5)
        client.close()
    return record


def stored_events(scaled: scale.Scaled, sender: str) -> list[dict]:
    engine = create_engine(scaled.database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT id, type_name, action_name, timestamp, data FROM events"
                    " WHERE sender_id = :sender ORDER BY id"
                ),
                {"sender": sender},
            ).all()
    finally:
        engine.dispose()
    return [dict(row._mapping) for row in rows]


def assert_stored_once_turn_by_turn(events: list[dict]) -> list[str]:
    """Checks the events of one conversation; returns the user messages in order."""
    assert len({e["data"] for e in events}) == len(events), "an event is duplicated"
    timestamps = [e["timestamp"] for e in events]
    assert timestamps == sorted(timestamps), "events are out of order"
    assert [e["action_name"] for e in events].count("action_session_start") == 1
    actions = [e for e in events if e["type_name"] in ("action", "user")]
    for before, event in itertools.pairwise(actions):
        if event["type_name"] == "user":
            # The previous turn was over (the bot listened) before this one began.
            assert before["action_name"] == "action_listen", (before, event)
    return [json.loads(e["data"])["text"] for e in events if e["type_name"] == "user"]


def test_scale_endpoints_add_only_the_lock_store() -> None:
    default = yaml.safe_load((PROJECT_ROOT / "endpoints.yml").read_text())
    scaled = yaml.safe_load((PROJECT_ROOT / "endpoints.scale.yml").read_text())
    lock_store = scaled.pop("lock_store")
    assert "lock_store" not in default  # one server: Rasa's in-memory lock store
    assert lock_store["type"] == "bot.rasa_runtime.lock_store.AdvisorRedisLockStore"
    # Another replica could take the lock before a turn written after its reply.
    assert default["tracker_store"].pop("write_after_reply") is True
    assert "write_after_reply" not in scaled["tracker_store"]
    assert scaled == default


@pytest.mark.e2e
@needs_binaries
def test_each_interleaved_sender_is_served_by_both_replicas(traffic: Traffic) -> None:
    for sender in INTERLEAVED:
        replicas = [x.replica for x in traffic.interleaved if x.sender == sender]
        assert len(replicas) == len(TURNS)
        assert set(replicas) == REPLICAS
        assert all(a != b for a, b in itertools.pairwise(replicas)), replicas


@pytest.mark.e2e
@needs_binaries
def test_follow_ups_resolve_on_the_other_replica(traffic: Traffic) -> None:
    for sender in INTERLEAVED:
        turns = {x.message: x for x in traffic.interleaved if x.sender == sender}
        salary, canada = turns[TURNS[1]], turns["and in Canada?"]
        assert canada.replica != salary.replica
        assert canada.text.startswith("Canada (North America)"), canada.text
        assert "Germany itself" in turns["what about Germany"].text
    for exchange in traffic.concurrent:
        if exchange.message == "and in Canada?":
            assert exchange.text.startswith("Canada (North America)"), exchange.text


@pytest.mark.e2e
@needs_binaries
def test_every_turn_gets_a_reply(traffic: Traffic) -> None:
    exchanges = traffic.interleaved + traffic.concurrent + traffic.burst
    assert len(exchanges) == 94
    assert all(x.replies and x.text for x in exchanges)
    assert {x.replica for x in traffic.concurrent} == REPLICAS


@pytest.mark.e2e
@needs_binaries
def test_every_event_is_stored_once_in_order(
    scaled: scale.Scaled, traffic: Traffic
) -> None:
    for sender in INTERLEAVED + CONCURRENT:
        assert assert_stored_once_turn_by_turn(stored_events(scaled, sender)) == TURNS


@pytest.mark.e2e
@needs_binaries
def test_a_burst_from_one_sender_is_taken_turn_by_turn(
    scaled: scale.Scaled, traffic: Traffic
) -> None:
    assert {x.replica for x in traffic.burst} == REPLICAS
    messages = assert_stored_once_turn_by_turn(stored_events(scaled, BURST_SENDER))
    assert Counter(messages) == Counter(BURST)


@pytest.mark.e2e
@needs_binaries
def test_the_redis_lock_store_holds_the_locks(
    scaled: scale.Scaled, traffic: Traffic
) -> None:
    assert f"advisor:lock:{BURST_SENDER}" in traffic.lock_keys_seen
    client = redis.Redis.from_url(scaled.redis_url)
    try:
        stats = client.info("commandstats")
        left = list(client.scan_iter(match="advisor:lock:*"))
    finally:
        client.close()
    # Every message takes a ticket and gives it back, each in one transaction.
    assert stats["cmdstat_set"]["calls"] >= 94
    assert stats["cmdstat_exec"]["calls"] >= 2 * 94
    assert left == [], "a lock outlived its turn"


@pytest.mark.e2e
@needs_binaries
def test_both_action_servers_answer(scaled: scale.Scaled, traffic: Traffic) -> None:
    log = scaled.access_log.read_text()
    used = {
        f"127.0.0.1:{port}" for port in scale.TEST_PORTS.actions if f":{port} " in log
    }
    assert "POST /webhook" in log
    assert used == ACTION_SERVERS


@pytest.mark.e2e
@needs_binaries
def test_the_site_points_its_widget_at_the_front(scaled: scale.Scaled) -> None:
    page = requests.get(f"{scaled.web_url}/", timeout=10)
    assert page.status_code == 200
    assert f'data-socket-url="http://localhost:{scale.TEST_PORTS.rasa_front}"' in (
        page.text
    )


def packet(event: str, data: object) -> str:
    """A socket.io event as Engine.IO 4 sends it: message (4), event (2), JSON."""
    return "42" + json.dumps([event, data])


def events(payload: str) -> list[list]:
    """The socket.io events in a payload (long-polling joins packets with 0x1e)."""
    return [json.loads(p[2:]) for p in payload.split("\x1e") if p.startswith("42")]


@pytest.mark.e2e
@needs_binaries
def test_socket_io_long_polling_stays_on_one_replica(scaled: scale.Scaled) -> None:
    # Round-robin would send the second request to the other replica, which does
    # not know the session ("Invalid session", HTTP 400).
    base = f"{scaled.rasa_url}/socket.io/?EIO=4&transport=polling"
    headers = {"Origin": scaled.web_url}
    with requests.Session() as http:
        opened = http.get(base, headers=headers, timeout=10)
        opened.raise_for_status()
        polled = f"{base}&sid={json.loads(opened.text[1:])['sid']}"
        session = {"session_id": "scale-polling"}
        responses = [
            opened,
            http.post(polled, data="40", headers=headers, timeout=10),
            http.get(polled, headers=headers, timeout=10),  # the connect ack
            http.post(
                polled,
                data=packet("session_request", session),
                headers=headers,
                timeout=10,
            ),
            http.get(polled, headers=headers, timeout=10),  # session_confirm
        ]
    assert [r.status_code for r in responses] == [200] * 5
    assert len({r.headers["X-Upstream"] for r in responses}) == 1
    assert events(responses[-1].text) == [["session_confirm", "scale-polling"]]


@pytest.mark.e2e
@needs_binaries
async def test_the_widget_websocket_works_through_nginx(scaled: scale.Scaled) -> None:
    import websockets

    port = scale.TEST_PORTS.rasa_front
    uri = f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket"
    async with websockets.connect(uri, origin=scaled.web_url, open_timeout=10) as ws:

        async def receive() -> str:
            while True:
                received = await asyncio.wait_for(ws.recv(), 30)
                if received != "2":  # Engine.IO ping: answer and wait on
                    return received
                await ws.send("3")

        assert (await receive()).startswith("0{")  # Engine.IO open
        await ws.send("40")  # socket.io connect
        assert (await receive()).startswith("40")
        await ws.send(packet("session_request", {"session_id": "scale-widget"}))
        assert events(await receive()) == [["session_confirm", "scale-widget"]]
        await ws.send(
            packet(
                "user_uttered",
                {"message": "which skills do I need?", "session_id": "scale-widget"},
            )
        )
        [[event, reply]] = events(await receive())
    assert event == "bot_uttered"
    assert "skills" in reply["text"]


@pytest.mark.e2e
@needs_binaries
def test_tickets_are_unique_when_two_servers_issue_them_at_once(
    scaled: scale.Scaled,
) -> None:
    from bot.rasa_runtime.lock_store import AdvisorRedisLockStore

    # Two stores, as two Rasa servers have; database 2, away from the replicas' 1.
    stores = [
        AdvisorRedisLockStore(
            host="127.0.0.1", port=scale.TEST_PORTS.redis, db=2, key_prefix="t"
        )
        for _ in range(2)
    ]

    def issue(n: int) -> list[int]:
        return [stores[n % 2].issue_ticket("race") for _ in range(50)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        tickets = [t for chunk in pool.map(issue, range(8)) for t in chunk]
    assert sorted(tickets) == list(range(400))
    for number in tickets:
        stores[number % 2].cleanup("race", number)
    assert stores[0].get_lock("race") is None


def test_ports_are_refused_when_taken(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        ports = scale.Ports(port, port + 1, port + 2, (port,), (port,), port, port)
        with pytest.raises(RuntimeError, match=f"port {port} is in use"):
            scale.check_ports_free(ports)
