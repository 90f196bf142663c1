"""End to end over the REST channel: the real Rasa server, action server and database.

Starts both servers once for the module on test ports (so that a running
`make run` is not disturbed), against a temporary seeded SQLite database that
also holds the tracker store, exactly as `make run` configures them.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import create_engine, text

from bot.settings import PROJECT_ROOT

pytestmark = pytest.mark.e2e

RASA_PORT = 5105
ACTIONS_PORT = 5155
BIN = PROJECT_ROOT / ".venv" / "bin"
MODEL = PROJECT_ROOT / "models" / "advisor.tar.gz"


def _wait(url: str, process: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}")
        try:
            if requests.get(url, timeout=1).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    raise TimeoutError(url)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` first")
    folder = tmp_path_factory.mktemp("stack")
    env = os.environ | {
        "DATABASE_URL": f"sqlite:///{folder / 'advisor.db'}",
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{ACTIONS_PORT}/webhook",
        "RASA_TELEMETRY_ENABLED": "false",
        "SANIC_HOST": "127.0.0.1",
    }
    subprocess.run([BIN / "advisor", "seed"], env=env, check=True, capture_output=True)
    logs = {name: (folder / f"{name}.log").open("w") for name in ("actions", "rasa")}
    actions = subprocess.Popen(
        [
            BIN / "python",
            "-m",
            "rasa_sdk",
            "--actions",
            "actions",
            "--port",
            str(ACTIONS_PORT),
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=logs["actions"],
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    rasa = subprocess.Popen(
        [
            BIN / "rasa",
            "run",
            "--model",
            str(MODEL),
            "--interface",
            "127.0.0.1",
            "--port",
            str(RASA_PORT),
            "--credentials",
            "credentials.yml",
            "--endpoints",
            "endpoints.yml",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=logs["rasa"],
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait(f"http://127.0.0.1:{ACTIONS_PORT}/health", actions)
        _wait(f"http://127.0.0.1:{RASA_PORT}/", rasa)
        yield {
            "url": f"http://127.0.0.1:{RASA_PORT}",
            "database_url": env["DATABASE_URL"],
            "folder": str(folder),
        }
    finally:
        for process in (rasa, actions):
            os.killpg(process.pid, signal.SIGTERM)
        for process in (rasa, actions):
            process.wait(timeout=30)
        for log in logs.values():
            log.close()


def say(stack: dict[str, str], sender: str, message: object) -> list[dict]:
    response = requests.post(
        f"{stack['url']}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": message}),
        timeout=30,
    )
    response.raise_for_status()
    return response.json()


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def test_which_skills_do_i_need_answers_from_the_database(
    stack: dict[str, str], kb
) -> None:  # type: ignore[no-untyped-def]
    replies = say(stack, "e2e-skills", "which skills do I need?")
    for area in kb.skills():
        assert area.name in texts(replies)
    assert replies[-1]["buttons"], "next questions are offered as buttons"


def test_a_follow_up_resolves_against_the_conversation(stack: dict[str, str]) -> None:
    say(stack, "e2e-canada", "how much does an AI project manager earn?")
    assert texts(say(stack, "e2e-canada", "and in Canada?")).startswith(
        "Canada (North America)"
    )
    assert "Germany itself" in texts(say(stack, "e2e-canada", "what about Germany"))


@pytest.mark.parametrize(
    "message",
    [
        "",
        "   ",
        "🙂🙂🙂",
        "a" * 5000,
        "<script>alert(1)</script>",
        "¿Cuánto gana un jefe de proyecto IA?",
    ],
)
def test_bad_input_always_gets_a_reply(stack: dict[str, str], message: str) -> None:
    replies = say(stack, f"e2e-bad-{abs(hash(message))}", message)
    assert replies and all(r.get("text") for r in replies)


def test_the_conversation_is_kept_in_the_tracker_store(stack: dict[str, str]) -> None:
    say(stack, "e2e-kept", "hello")
    engine = create_engine(stack["database_url"])
    with engine.connect() as connection:
        rows = (
            connection.execute(
                text("SELECT type_name FROM events WHERE sender_id = 'e2e-kept'")
            )
            .scalars()
            .all()
        )
    engine.dispose()
    assert "user" in rows and "bot" in rows


APPLICATION_TURNS = [
    "I want to apply",
    "{name}",
    "{email}",
    '/inform{{"programme": "Specialised master\'s in DevOps"}}',
    "Master's degree",
    "Morocco",
    "no",
    "yes",
    "yes",
]


def _apply(stack: dict[str, str], number: int) -> str:
    sender = f"e2e-apply-{number}"
    values = {
        "name": f"Applicant {chr(65 + number % 26)}{chr(65 + number // 26)}",
        "email": f"applicant{number}@example.org",
    }
    replies: list[dict] = []
    for turn in APPLICATION_TURNS:
        replies = say(stack, sender, turn.format(**values))
    match = re.search(r"reference is (AP-[A-Z0-9]{6})", texts(replies))
    assert match, texts(replies)
    return match.group(1)


def test_fifty_parallel_applications_are_each_stored_once(
    stack: dict[str, str],
) -> None:
    with ThreadPoolExecutor(max_workers=10) as pool:
        references = list(pool.map(lambda n: _apply(stack, n), range(50)))
    engine = create_engine(stack["database_url"])
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT reference, email, conversation_id FROM applications")
        ).all()
    engine.dispose()
    assert len(rows) == 50
    assert sorted(r.reference for r in rows) == sorted(references)
    assert len(set(references)) == 50
    assert all(r.conversation_id == f"e2e-apply-{r.email[9:-12]}" for r in rows)


def test_delete_my_data_erases_the_conversation(stack: dict[str, str]) -> None:
    reference = _apply(stack, 99)
    say(stack, "e2e-apply-99", "delete my data")
    assert "deleted" in texts(say(stack, "e2e-apply-99", "yes"))
    engine = create_engine(stack["database_url"])
    with engine.connect() as connection:
        left = connection.execute(
            text("SELECT count(*) FROM events WHERE sender_id = 'e2e-apply-99'")
        ).scalar()
        applications = connection.execute(
            text("SELECT count(*) FROM applications WHERE reference = :r"),
            {"r": reference},
        ).scalar()
    engine.dispose()
    assert (left, applications) == (0, 0)


def test_the_http_api_is_not_exposed(stack: dict[str, str]) -> None:
    assert requests.get(f"{stack['url']}/status", timeout=5).status_code == 404
    assert (
        requests.get(f"{stack['url']}/conversations/x/tracker", timeout=5).status_code
        == 404
    )
