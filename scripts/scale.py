"""`make scale`: Rasa's scaling model on this machine, on the loopback only.

Two Rasa servers and two action servers behind nginx, conversations in one
PostgreSQL tracker store, a Redis lock store so that one conversation is handled
by one replica at a time, and the web app: the same code and model as `make
run`, with URLs (and endpoints.scale.yml's lock store) as the only difference.
PostgreSQL is the cluster of scripts/postgres-test-db.sh; Redis and nginx are
Debian's binaries run in the foreground with configurations generated from
scale/*.j2 into the run folder; honcho runs every process, as for `make run`.

    python scripts/scale.py        # start, print the URLs; Ctrl-C stops everything

tests/e2e/test_scale.py and `make bench` use :func:`scratch` (a fresh database,
dropped afterwards) or :func:`running`.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import jinja2
import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
MODEL = ROOT / "models" / "advisor.tar.gz"
TEMPLATES = ROOT / "scale"
SCALE_DATABASE = "advisor_scale"
READY_SECONDS = 300  # two Rasa servers loading the model at once on two cores
HONCHO_STOP_SECONDS = 30  # honcho itself kills what is left after 5 s


@dataclass(frozen=True)
class Ports:
    """Where each process listens (127.0.0.1 only)."""

    rasa_front: int  # nginx: REST (round-robin) and socket.io (sticky)
    web_front: int  # nginx: the site
    actions_front: int  # nginx: the action servers, for the Rasa replicas
    rasa: tuple[int, ...]
    actions: tuple[int, ...]
    web: int
    redis: int

    def all(self) -> list[int]:
        fronts = [self.rasa_front, self.web_front, self.actions_front]
        return [*fronts, *self.rasa, *self.actions, self.web, self.redis]


# `make scale` (docs/scale.md): clear of `make run`'s 5005, 5055 and 8000.
SCALE_PORTS = Ports(8085, 8080, 8095, (5015, 5016), (5065, 5066), 8010, 6380)
# tests/e2e/test_scale.py.
TEST_PORTS = Ports(8605, 8606, 8607, (5605, 5606), (5655, 5656), 8600, 6390)
# `make bench` (after its single-instance stacks on 52xx have stopped).
BENCH_PORTS = Ports(8215, 8216, 8217, (5215, 5216), (5265, 5266), 8210, 6392)


@dataclass
class Scaled:
    """A running layout."""

    ports: Ports
    folder: Path
    database_url: str
    honcho: subprocess.Popen

    @property
    def rasa_url(self) -> str:
        """The nginx front of the Rasa servers (REST and socket.io)."""
        return f"http://127.0.0.1:{self.ports.rasa_front}"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.web_front}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.ports.redis}/1"

    @property
    def access_log(self) -> Path:
        return self.folder / "nginx-access.log"


# --- binaries and the database ------------------------------------------------


def binary(name: str) -> str | None:
    """Debian puts nginx in /usr/sbin, which is not on every user's PATH."""
    candidates = (Path("/usr/sbin") / name, Path("/usr/bin") / name)
    found = shutil.which(name) or next((p for p in candidates if p.exists()), None)
    return str(found) if found else None


def missing_binaries() -> list[str]:
    return [
        name for name in ("redis-server", "nginx", "pg_lsclusters") if not binary(name)
    ]


def create_database(name: str) -> str:
    """Start PostgreSQL, create database `name` if needed, return its URL."""
    result = subprocess.run(
        ["bash", ROOT / "scripts" / "postgres-test-db.sh", name],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"scripts/postgres-test-db.sh failed:\n{result.stderr}")
    url = result.stdout.strip()
    if not url.endswith(f"/{name}"):  # never work on (and drop) another database
        raise RuntimeError(f"scripts/postgres-test-db.sh {name} printed {url!r}")
    return url


def drop_database(url: str) -> None:
    """Drop the database of `url` (its owner may), closing its connections.

    Only databases named advisor_scale*: the test cluster holds others' too.
    """
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    name = target.database or ""
    if not re.fullmatch(r"advisor_scale[a-z0-9_]*", name):
        raise ValueError(f"refusing to drop database {name!r}: not a scale database")
    engine = create_engine(
        target.set(database="postgres"), isolation_level="AUTOCOMMIT", future=True
    )
    try:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


def prepare_database(url: str, env: dict[str, str]) -> None:
    """Migrate and seed, and create Rasa's events table before the replicas start.

    Two replicas starting at once both create the table; Rasa survives the
    loser's error (logged, then a retry 5 s later), but a clean start is clearer.
    """
    result = subprocess.run(
        [BIN / "advisor", "seed"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(f"advisor seed failed:\n{result.stdout}{result.stderr}")
    from bot.rasa_runtime.tracker_store import AdvisorTrackerStore

    AdvisorTrackerStore(host=url).engine.dispose()


# --- configuration --------------------------------------------------------------


def environment(ports: Ports, database_url: str) -> dict[str, str]:
    """What differs from `make run`: URLs, and the lock store's address."""
    site = [f"http://{host}:{ports.web_front}" for host in ("localhost", "127.0.0.1")]
    return os.environ | {
        "DATABASE_URL": database_url,
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{ports.actions_front}/webhook",
        "REDIS_HOST": "127.0.0.1",
        "REDIS_PORT": str(ports.redis),
        "ADVISOR_SITE_ORIGINS": ",".join(site),
        "ADVISOR_SOCKET_URL": f"http://localhost:{ports.rasa_front}",
        "SANIC_HOST": "127.0.0.1",
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def procfile(ports: Ports, folder: Path) -> str:
    nginx, redis = binary("nginx"), binary("redis-server")
    run, venv, model = (shlex.quote(str(path)) for path in (folder, BIN, MODEL))
    lines = [
        f"redis: {redis} {run}/redis.conf",
        f"nginx: {nginx} -p {run}/ -c {run}/nginx.conf -e stderr -g 'daemon off;'",
    ]
    for number, port in enumerate(ports.actions, 1):
        lines.append(
            f"actions{number}: {venv}/python -m rasa_sdk --actions actions "
            f"--port {port}"
        )
    for number, port in enumerate(ports.rasa, 1):
        lines.append(
            f"rasa{number}: {venv}/rasa run --model {model} --interface 127.0.0.1 "
            f"--port {port} --credentials credentials.yml "
            "--endpoints endpoints.scale.yml"
        )
    lines.append(
        f"web: {venv}/uvicorn --factory bot.web.app:create_app --host 127.0.0.1 "
        f"--port {ports.web} --ws none --no-access-log"
    )
    return "\n".join(lines) + "\n"


def write_configuration(ports: Ports, folder: Path) -> Path:
    """nginx.conf, redis.conf and the Procfile in `folder`; returns the Procfile."""
    (folder / "nginx-tmp").mkdir(parents=True, exist_ok=True)
    templates = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # configuration files, not HTML
    )
    values = {
        "folder": folder,
        "rasa_front": ports.rasa_front,
        "web_front": ports.web_front,
        "actions_front": ports.actions_front,
        "rasa_ports": ports.rasa,
        "action_ports": ports.actions,
        "web_port": ports.web,
        "port": ports.redis,
    }
    for name in ("nginx.conf", "redis.conf"):
        (folder / name).write_text(templates.get_template(f"{name}.j2").render(values))
    path = folder / "Procfile"
    path.write_text(procfile(ports, folder))
    return path


def check_ports_free(ports: Ports) -> None:
    for port in ports.all():
        with socket.socket() as probe:
            # As the servers do: connections closing on the port do not count.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                raise RuntimeError(
                    f"port {port} is in use: is `make scale` (or its test) already "
                    "running?"
                ) from None


# --- processes ------------------------------------------------------------------


def readiness_urls(ports: Ports) -> list[str]:
    """Every process behind its front, then the fronts themselves."""
    local = "http://127.0.0.1"
    return [
        *(f"{local}:{port}/health" for port in ports.actions),
        *(f"{local}:{port}/" for port in ports.rasa),
        f"{local}:{ports.web}/health",
        f"{local}:{ports.actions_front}/health",
        f"{local}:{ports.rasa_front}/",
        f"{local}:{ports.web_front}/health",
    ]


def wait_until_ready(scaled: Scaled, seconds: float = READY_SECONDS) -> None:
    import redis

    deadline = time.monotonic() + seconds
    pending = readiness_urls(scaled.ports)
    client = redis.Redis.from_url(scaled.redis_url, socket_timeout=1)
    while time.monotonic() < deadline:
        if scaled.honcho.poll() is not None:
            raise RuntimeError(
                f"a process exited early (see {scaled.folder}/honcho.log)"
            )
        try:
            if client.ping():
                while pending and requests.get(pending[0], timeout=2).ok:
                    pending.pop(0)
                if not pending:
                    client.close()
                    return
        except (requests.ConnectionError, requests.Timeout, redis.ConnectionError):
            pass
        time.sleep(0.5)
    client.close()
    raise TimeoutError(
        f"{pending[0]} not ready after {seconds:.0f} s (see {scaled.folder}/honcho.log)"
    )


def stop(honcho: subprocess.Popen) -> None:
    """honcho sends SIGTERM to every process group, then SIGKILL after 5 s."""
    if honcho.poll() is None:
        honcho.send_signal(signal.SIGTERM)
        try:
            honcho.wait(timeout=HONCHO_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(honcho.pid, signal.SIGKILL)
            honcho.wait(timeout=10)


@contextmanager
def running(
    ports: Ports, folder: Path, database_url: str, output: IO | None = None
) -> Iterator[Scaled]:
    """Start the layout on `database_url`, wait until it answers, stop it after.

    `output` receives honcho's output (every process's log, prefixed with its
    name); by default `folder`/honcho.log.
    """
    if not MODEL.exists():
        raise RuntimeError("no trained model: run `make train` first")
    if missing := missing_binaries():
        raise RuntimeError(
            f"not installed: {', '.join(missing)} (make scale installs them)"
        )
    check_ports_free(ports)
    folder.mkdir(parents=True, exist_ok=True)
    env = environment(ports, database_url)
    prepare_database(database_url, env)
    path = write_configuration(ports, folder)
    log = output or (folder / "honcho.log").open("w")
    colour = [] if log.isatty() else ["--no-colour"]
    honcho = subprocess.Popen(
        [BIN / "honcho", "start", *colour, "-f", path, "-d", ROOT],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    scaled = Scaled(ports, folder, database_url, honcho)
    try:
        wait_until_ready(scaled)
        yield scaled
    finally:
        stop(honcho)
        if output is None:
            log.close()


@contextmanager
def scratch(ports: Ports, folder: Path, database: str) -> Iterator[Scaled]:
    """:func:`running` on a new, empty database, dropped afterwards."""
    url = create_database(database)
    drop_database(url)  # left over from an interrupted run
    url = create_database(database)
    try:
        with running(ports, folder, url) as scaled:
            yield scaled
    finally:
        drop_database(url)


# --- make scale -----------------------------------------------------------------


def banner(scaled: Scaled, seconds: float) -> str:
    p = scaled.ports
    database = re.sub(r"//[^@/]*@", "//", scaled.database_url)
    replicas = ", ".join(f":{port}" for port in p.rasa)
    actions = ", ".join(f":{port}" for port in p.actions)
    return f"""
  Ready in {seconds:.0f} s; everything listens on 127.0.0.1.
  Website with the chat widget:  http://localhost:{p.web_front}  (nginx -> :{p.web})
  Rasa (REST and socket.io):     http://localhost:{p.rasa_front}  (nginx -> {replicas})
  Action servers:                nginx :{p.actions_front} -> {actions}
  Tracker store, project data:   {database}
  Lock store:                    {scaled.redis_url}
  nginx's access log (which replica served what): {scaled.access_log}
  Stop everything with Ctrl-C.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--folder", type=Path, default=ROOT / "var" / "scale", help="run folder"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")  # Rasa's import
    started = time.monotonic()
    try:
        url = create_database(SCALE_DATABASE)
        print(
            "Starting PostgreSQL's database, Redis, nginx, 2 action servers, "
            "2 Rasa servers and the web app",
            flush=True,
        )
        with running(SCALE_PORTS, args.folder, url, output=sys.stdout) as scaled:
            print(banner(scaled, time.monotonic() - started), flush=True)
            scaled.honcho.wait()
            print("A process stopped, so everything stopped.", file=sys.stderr)
            return 1
    except KeyboardInterrupt:
        print("\nStopped.")
        return 0
    except (RuntimeError, TimeoutError) as error:
        print(f"make scale: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
