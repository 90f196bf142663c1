"""`make bench`: how fast the bot answers, as medians over repeated runs.

Starts the stack (action server, and two Rasa servers on the same model: one as
`make run` configures it, one with Rasa's own per-call JSON-schema validation)
against a scratch copy of the database, unless told otherwise, then measures
over the REST channel, beside the Rasa server's `/` endpoint as the floor:
p50/p95 latency per turn and messages per second at 1 and 8 concurrent
senders, for a fixed mix of knowledge-base questions and follow-ups. It also
times the knowledge-base queries in process. Results: docs/bench.json and .md.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
sys.path.insert(0, str(ROOT))

from scripts.evaluate import machine  # noqa: E402

ACTIONS_PORT = 5255
SERVERS = {"advisor": 5205, "rasa_validation": 5206}
QUESTIONS = [
    "which skills do I need?",
    "do I need python?",
    "and what about Scrum?",
    "how much does an AI project manager earn?",
    "and in Canada?",
    "what about Munich",
    "what does an AI PM do day to day",
    "can a beginner become an AI project manager?",
    "what programmes does AI2 offer?",
    "where does this come from?",
]
RUNS = 3
CONCURRENCY = (1, 8)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def wait(url: str, seconds: float = 180) -> float:
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        try:
            if requests.get(url, timeout=1).ok:
                return time.monotonic() - start
        except requests.ConnectionError:
            time.sleep(0.2)
    raise TimeoutError(url)


def sender_loop(session: requests.Session, url: str, sender: str, turns: list[str]) -> list[float]:
    latencies = []
    for turn in turns:
        started = time.perf_counter()
        if turn == "/":
            response = session.get(url + "/", timeout=30)
        else:
            response = session.post(url + "/webhooks/rest/webhook",
                                    json={"sender": sender, "message": turn}, timeout=30)
        response.raise_for_status()
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def measure(url: str, concurrency: int, turns: list[str], repeat: int = 3) -> dict:
    """One run: `concurrency` senders, each going through `turns` `repeat` times."""
    sessions = [requests.Session() for _ in range(concurrency)]

    def one(i: int) -> list[float]:
        sender = f"bench-{uuid.uuid4().hex[:8]}"
        return [x for _ in range(repeat) for x in sender_loop(sessions[i], url, sender, turns)]

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        latencies = [x for chunk in pool.map(one, range(concurrency)) for x in chunk]
    elapsed = time.perf_counter() - started
    return {"p50": percentile(latencies, 0.5), "p95": percentile(latencies, 0.95),
            "per_second": len(latencies) / elapsed}


def median_of_runs(url: str, concurrency: int, turns: list[str]) -> dict:
    runs = [measure(url, concurrency, turns) for _ in range(RUNS)]
    return {key: round(statistics.median(r[key] for r in runs), 1) for key in runs[0]}


def kb_query_times() -> dict:
    from bot.db import make_engine, make_session_factory
    from bot.knowledge.queries import KnowledgeBase
    from bot.settings import get_settings

    kb = KnowledgeBase(make_session_factory(make_engine(get_settings().database_url)))
    kb.snapshot()
    kb.outlook_for_place("Munich")  # builds the place index once
    queries = {
        "skills()": lambda: kb.skills(),
        "skill('do I need python?')": lambda: kb.skill("do I need python?"),
        "outlook_for_place('Munich')": lambda: kb.outlook_for_place("Munich"),
        "route_for_background('teacher')": lambda: kb.route_for_background("teacher"),
    }
    result = {}
    for name, query in queries.items():
        times = []
        for _ in range(500):
            started = time.perf_counter()
            query()
            times.append((time.perf_counter() - started) * 1000)
        result[name] = round(statistics.median(times), 3)
    return result


def start_stack(folder: Path) -> tuple[list[subprocess.Popen], dict[str, float]]:
    db = folder / "advisor.db"
    shutil.copy(ROOT / "var" / "advisor.db", db)
    env = os.environ | {"DATABASE_URL": f"sqlite:///{db}", "SANIC_HOST": "127.0.0.1",
                        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{ACTIONS_PORT}/webhook",
                        "RASA_TELEMETRY_ENABLED": "false"}
    processes = [subprocess.Popen(
        [BIN / "python", "-m", "rasa_sdk", "--actions", "actions", "--port", str(ACTIONS_PORT)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)]
    ready = {}
    for name, port in SERVERS.items():
        server_env = env | {"ADVISOR_FAST_ACTION_VALIDATION": "0" if name == "rasa_validation" else "1"}
        started = time.monotonic()
        processes.append(subprocess.Popen(
            [BIN / "rasa", "run", "--model", "models/advisor.tar.gz", "--interface", "127.0.0.1",
             "--port", str(port), "--credentials", "credentials.yml", "--endpoints", "endpoints.yml"],
            cwd=ROOT, env=server_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True))
        wait(f"http://127.0.0.1:{port}/")
        ready[name] = round(time.monotonic() - started, 1)
    wait(f"http://127.0.0.1:{ACTIONS_PORT}/health")
    return processes, ready


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="advisor-bench-"))
    processes, ready = start_stack(folder)
    try:
        results: dict = {"machine": machine(), "runs": RUNS, "ready_seconds": ready,
                         "kb_query_ms": kb_query_times(), "rest": {}}
        for concurrency in CONCURRENCY:
            row = {"floor": median_of_runs(f"http://127.0.0.1:{SERVERS['advisor']}", concurrency, ["/"] * len(QUESTIONS))}
            for name, port in SERVERS.items():
                row[name] = median_of_runs(f"http://127.0.0.1:{port}", concurrency, QUESTIONS)
            results["rest"][str(concurrency)] = row
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            process.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)
    (ROOT / "docs" / "bench.json").write_text(json.dumps(results, indent=2) + "\n")
    (ROOT / "docs" / "bench.md").write_text(markdown(results))
    print(markdown(results))
    return 0


def markdown(results: dict) -> str:
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` on {results['machine']}; every figure is the median of "
        f"{results['runs']} runs in one go. REST channel, {len(QUESTIONS)} knowledge-base "
        "questions and follow-ups per sender, three times over.",
        "",
        "| senders | server | p50 ms | p95 ms | messages/s | p50 above floor |",
        "|---|---|---|---|---|---|",
    ]
    labels = {"floor": "Rasa `/` (floor)", "advisor": "advisor (as `make run`)",
              "rasa_validation": "advisor, Rasa's own per-call schema check"}
    for concurrency, row in results["rest"].items():
        for name, figures in row.items():
            above = "" if name == "floor" else f"{figures['p50'] - row['floor']['p50']:.1f}"
            lines.append(f"| {concurrency} | {labels[name]} | {figures['p50']} | {figures['p95']} | "
                         f"{figures['per_second']} | {above} |")
    lines += ["", "Knowledge-base queries in process (median ms over 500 calls):", ""]
    lines += [f"- `{name}`: {ms} ms" for name, ms in results["kb_query_ms"].items()]
    lines += ["", "Time from start to ready (s): " + ", ".join(
        f"{name} {seconds}" for name, seconds in results["ready_seconds"].items())]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
