"""Starting the real processes (action server, Rasa server, web app).

Used by the end-to-end tests (one stack per test module), by `make bench`
(which also starts a stock `rasa init` bot through it: another project folder,
model and environment) and by the widget bench and screenshots
(`ConsoleStack`: the web app with the console's settings). Test ports keep
them clear of a running `make run`; a temporary seeded SQLite database holds
the knowledge base, applications and the tracker store, as `make run`
configures them.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bot.settings import PROJECT_ROOT

BIN = PROJECT_ROOT / ".venv" / "bin"
MODEL = PROJECT_ROOT / "models" / "advisor.tar.gz"


@dataclass
class Stack:
    folder: Path
    rasa_port: int
    actions_port: int
    web_port: int | None = None
    processes: list[subprocess.Popen] = field(default_factory=list)
    model: Path = MODEL
    project: Path = PROJECT_ROOT  # credentials.yml and endpoints.yml are read here
    endpoints: str = "endpoints.yml"
    extra_env: dict[str, str] = field(default_factory=dict)
    ready_seconds: dict[str, float] = field(default_factory=dict)  # start -> ready
    start_timeout: float = 120

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.folder / 'advisor.db'}"

    def env(self) -> dict[str, str]:
        env = os.environ | {
            "DATABASE_URL": self.database_url,
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{self.actions_port}/webhook",
            "RASA_TELEMETRY_ENABLED": "false",
            "SANIC_HOST": "127.0.0.1",
        }
        if self.web_port:
            env["ADVISOR_SITE_ORIGINS"] = self.web_url
            env["ADVISOR_SOCKET_URL"] = self.rasa_url
        return env | self.extra_env

    def _spawn(
        self, name: str, command: list[str | Path], port: int
    ) -> subprocess.Popen:
        if port_in_use(port):
            # A leftover process would answer in place of this one.
            raise RuntimeError(f"port {port} is already in use: {name} cannot start")
        log = (self.folder / f"{name}.log").open("w")
        process = subprocess.Popen(
            command,
            cwd=self.project,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def start_actions(self) -> None:
        process = self._spawn(
            "actions",
            [
                BIN / "python",
                "-m",
                "rasa_sdk",
                "--actions",
                "actions",
                "--port",
                str(self.actions_port),
            ],
            self.actions_port,
        )
        self._wait("actions", f"http://127.0.0.1:{self.actions_port}/health", process)

    def start_rasa(self) -> subprocess.Popen:
        process = self._spawn(
            "rasa",
            [
                BIN / "rasa",
                "run",
                "--model",
                str(self.model),
                "--interface",
                "127.0.0.1",
                "--port",
                str(self.rasa_port),
                "--credentials",
                "credentials.yml",
                "--endpoints",
                self.endpoints,
            ],
            self.rasa_port,
        )
        self._wait("rasa", f"{self.rasa_url}/", process)
        return process

    def stop_rasa(self) -> None:
        """Stop the Rasa server alone (the widget must cope with it being away)."""
        for process in [
            p for p in self.processes if Path(str(p.args[0])).name == "rasa"
        ]:
            stop(process)
            self.processes.remove(process)

    def start_web(self) -> None:
        process = self._spawn(
            "web",
            [
                BIN / "uvicorn",
                "--factory",
                "bot.web.app:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.web_port),
                "--ws",
                "none",
            ],
            self.web_port,
        )
        self._wait("web", f"{self.web_url}/health", process)

    def _wait(self, name: str, url: str, process: subprocess.Popen) -> None:
        started = time.monotonic()
        wait(url, process, self.start_timeout)
        self.ready_seconds[name] = round(time.monotonic() - started, 1)

    def start(self) -> Stack:
        if not self.model.exists():
            raise RuntimeError("no trained model: run `make train` first")
        subprocess.run(
            [BIN / "advisor", "seed"], env=self.env(), check=True, capture_output=True
        )
        self.start_actions()
        self.start_rasa()
        if self.web_port:
            self.start_web()
        return self

    @contextmanager
    def running(self) -> Iterator[Stack]:
        """Started for the block, stopped after it whatever happens."""
        try:
            yield self.start()
        finally:
            self.stop()

    def say(self, sender: str, message: object, timeout: float = 60) -> list[dict]:
        """One message over the REST channel (as the JSON body given); the replies."""
        response = requests.post(
            f"{self.rasa_url}/webhooks/rest/webhook",
            data=json.dumps({"sender": sender, "message": message}),
            timeout=timeout,
        )
        assert response.status_code == 200, response.text
        return response.json()

    def stop(self) -> None:
        for process in self.processes:
            stop(process)
        self.processes.clear()


# The console's admin, and one application conversation to its reference, as the
# console and web-quality tests (and scripts/screenshots.py) make them.
ADMIN = ("lead@ai2.example.org", "a long admin passphrase")
APPLICATION_TURNS = [
    "I want to apply",
    "Grace Hopper",
    "grace.console@example.org",
    '/inform{"programme": "Specialised master\'s in DevOps"}',
    "Master's degree",
    "Belgium",
    "no",
    "yes",
    "yes",
]


@dataclass
class ConsoleStack(Stack):
    """The stack with the console's settings: its own key and corrections file."""

    @property
    def corrections_file(self) -> Path:
        return self.folder / "nlu" / "corrections.yml"

    def env(self) -> dict[str, str]:
        return super().env() | {
            "ADVISOR_SECRET_KEY": "console-e2e-" + "k" * 40,
            "ADVISOR_CORRECTIONS_FILE": str(self.corrections_file),
            "ADVISOR_DATA_DIR": str(self.folder),
        }

    def add_admin(self, who: tuple[str, str] = ADMIN) -> None:
        """A staff account with the admin role, made as staff make it: the CLI."""
        subprocess.run(
            [
                BIN / "advisor",
                "staff",
                "add",
                who[0],
                "--role=admin",
                "--password-stdin",
            ],
            input=who[1] + "\n",
            env=self.env(),
            check=True,
            capture_output=True,
            text=True,
        )


def module_stack(  # type: ignore[no-untyped-def]
    folder: str,
    *,
    rasa_port: int,
    actions_port: int,
    web_port: int | None = None,
    console: bool = False,
):
    """A module-scoped pytest fixture: one stack on these ports for the module.

    ``stack = module_stack("faults", rasa_port=5505, actions_port=5555)`` at a
    test module's top level; each module keeps ports of its own. With a
    ``web_port`` the web app runs too; ``console=True`` makes it a
    :class:`ConsoleStack` with an admin account.
    """
    import pytest  # only the tests need it, not the scripts that start a Stack

    @pytest.fixture(scope="module")
    def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
        kind = ConsoleStack if console else Stack
        started = kind(
            tmp_path_factory.mktemp(folder),
            rasa_port=rasa_port,
            actions_port=actions_port,
            web_port=web_port,
        )
        with started.running():
            if console:
                started.add_admin()
            yield started

    return stack


def say(stack: Stack, sender: str, message: object, timeout: float = 60) -> list[dict]:
    """One visitor message over the REST channel; the bot's replies (the tests' say)."""
    return stack.say(sender, message, timeout=timeout)


def texts(replies: list[dict]) -> str:
    """The text of the bot's replies, one per line."""
    return "\n".join(r.get("text", "") for r in replies)


def port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def wait(url: str, process: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[:2]} exited with {process.returncode}")
        try:
            if requests.get(url, timeout=1).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    raise TimeoutError(url)
