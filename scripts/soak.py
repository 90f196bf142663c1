"""`make soak`: 10 minutes of 8 visitors talking at once; nothing may be lost.

Starts the action server and the Rasa server as `make run` configures them, on
loopback test ports and a scratch database, then has ``--senders`` threads talk
over the REST channel without pause for ``--minutes``: knowledge-base
questions and follow-ups, applications (each stored), hand-off requests, empty
and overlong messages, every conversation under its own sender id. Then:

* errors: any answer other than a 200 with at least one bot message, and any
  request that failed or timed out;
* the tracker store: every message sent is a ``user`` event of its conversation;
* memory: resident memory (process and children) of each server, idle before
  the load, after the warm-up (``--warmup`` seconds, default 60: caches filled,
  the first conversations loaded), and at the end; the growth is measured from
  the warm-up, and sampled every 10 s to show the trend.

Passes with zero errors, every message stored, and under 10 % memory growth for
each server. Results: docs/soak.json and docs/soak.md. Loopback only, bounded
in time (a hard deadline of the run plus five minutes), stops by itself and on
Ctrl-C; exit code 1 when a criterion fails.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.evaluate import machine  # noqa: E402
from tests.support.stack import Stack  # noqa: E402

DOCS = ROOT / "docs"
REQUEST_TIMEOUT = 60
GRACE_SECONDS = 300  # past the run's length, everything stops regardless
SAMPLE_SECONDS = 10
MAX_GROWTH = 0.10
DEVOPS = '/inform{"programme": "Specialised master\'s in DevOps"}'
# Conversations, taken in turn by each sender; {name} and {email} are unique.
CONVERSATIONS = [
    [
        "hello",
        "which skills do I need?",
        "what about Scrum?",
        "and Python?",
        "which degree do I need?",
        "how much does an AI project manager earn?",
        "and in Canada?",
        "what about Germany",
        "where does this come from?",
        "thanks, bye",
    ],
    [
        "I want to apply",
        "{name}",
        "{email}",
        DEVOPS,
        "Master's degree",
        "Morocco",
        "no",
        "yes",
        "yes",
    ],
    [
        "what does an AI project manager do?",
        "what are the missions?",
        "can a beginner do it?",
        "I'm a teacher",
        "what programmes does AI2 offer?",
        "",
        "   ",
        "ai project manager " * 300,
        "¿Cuánto gana un jefe de proyecto IA?",
        "are you a bot?",
    ],
    [
        "can I talk to a human?",
        "{name}",
        "{email}",
        "yes",
        "which skills do I need?",
        "do I need python?",
    ],
]


def letters(number: int) -> str:
    """A name part from a number, in letters only (names may not hold digits)."""
    out = ""
    number += 26 * 26  # at least three letters
    while number:
        number, rest = divmod(number, 26)
        out = chr(ord("a") + rest) + out
    return out.capitalize()


@dataclass
class Tally:
    """What the senders did; one lock for all of them."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: Counter = field(default_factory=Counter)  # sender id -> messages
    latencies: list[float] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    error_count: int = 0

    def record(self, sender: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.sent[sender] += 1
            self.latencies.append(seconds)
            if error is not None:
                self.error_count += 1
                if len(self.errors) < 20:
                    self.errors.append({"sender": sender, "error": error[:300]})


def talk(
    url: str, index: int, stop_at: float, stop: threading.Event, tally: Tally
) -> None:
    """One visitor after another, without pause, until the run is over."""
    session = requests.Session()
    conversation = 0
    while not stop.is_set() and time.monotonic() < stop_at:
        script = CONVERSATIONS[(index + conversation) % len(CONVERSATIONS)]
        sender = f"soak-{index}-{conversation}"
        values = {
            "name": f"Soak {letters(index)} {letters(conversation)}",
            "email": f"soak-{index}-{conversation}@example.org",
        }
        for turn in script:
            if stop.is_set() or time.monotonic() >= stop_at:
                break
            message = turn.replace("{name}", values["name"])
            body = {
                "sender": sender,
                "message": message.replace("{email}", values["email"]),
            }
            started = time.monotonic()
            error = None
            try:
                response = session.post(url, json=body, timeout=REQUEST_TIMEOUT)
                if response.status_code != 200:
                    error = f"HTTP {response.status_code}: {response.text[:200]}"
                elif not any(m.get("text") for m in response.json()):
                    error = f"no reply to {body['message'][:60]!r}"
            except Exception as exc:  # whatever happened, it is an error of the run
                error = f"{type(exc).__name__}: {exc}"
            tally.record(sender, time.monotonic() - started, error)
        conversation += 1
    session.close()


# --- memory ---------------------------------------------------------------------
def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, from /proc (Linux)."""
    total = 0
    for p in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError):
            continue
    return round(total / 1024, 1)


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except FileNotFoundError:
            continue
        for child in map(int, children):
            found += [child, *_children(child)]
    return found


def memory(stack: Stack) -> dict[str, float]:
    names = {"rasa": "rasa", "python": "actions"}
    return {
        names.get(Path(str(p.args[0])).name, str(p.args[0])): rss_mb(p.pid)
        for p in stack.processes
    }


# --- the run --------------------------------------------------------------------
def stored_messages(stack: Stack) -> Counter:
    """Messages stored per conversation: distinct ``message_id`` of ``user`` events.

    Rasa's two-stage fallback writes a visitor's message a second time (same
    id) when they confirm what they meant; that is one message, not two.
    """
    from sqlalchemy import create_engine, text

    engine = create_engine(stack.database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT sender_id, data FROM events "
                    "WHERE type_name = 'user' AND sender_id LIKE 'soak-%'"
                )
            ).all()
    finally:
        engine.dispose()
    ids: dict[str, set[str]] = {}
    for sender, data in rows:
        ids.setdefault(sender, set()).add(json.loads(data).get("message_id"))
    return Counter({sender: len(found) for sender, found in ids.items()})


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def tracker_cache_size() -> int | None:
    """How many conversations the Rasa server's tracker store keeps in memory."""
    import bot.rasa_runtime.tracker_store

    default = getattr(bot.rasa_runtime.tracker_store, "DEFAULT_CACHE_SIZE", None)
    raw = os.environ.get("ADVISOR_TRACKER_CACHE_SIZE")
    return int(raw) if raw else default


def run(
    minutes: float,
    senders: int,
    warmup: float,
    ports: tuple[int, int],
    keep: bool = False,
) -> dict:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    folder = Path(tempfile.mkdtemp(prefix="advisor-soak-"))
    stack = Stack(folder, rasa_port=ports[0], actions_port=ports[1])
    assert stack.rasa_url.startswith("http://127.0.0.1:"), "loopback only"
    tally = Tally()
    samples: list[dict[str, Any]] = []
    try:
        ready_started = time.monotonic()
        stack.start()
        ready = time.monotonic() - ready_started
        idle = memory(stack)
        url = f"{stack.rasa_url}/webhooks/rest/webhook"
        started = time.monotonic()
        stop_at = started + minutes * 60
        threads = [
            threading.Thread(
                target=talk, args=(url, i, stop_at, stop, tally), daemon=True
            )
            for i in range(senders)
        ]
        for thread in threads:
            thread.start()
        after_warmup: dict[str, float] | None = None
        hard_deadline = stop_at + GRACE_SECONDS
        while any(t.is_alive() for t in threads) and time.monotonic() < hard_deadline:
            time.sleep(1)
            elapsed = time.monotonic() - started
            if after_warmup is None and elapsed >= min(warmup, minutes * 60 / 2):
                after_warmup = memory(stack)
                samples.append({"s": round(elapsed), **after_warmup})
            elif not samples or elapsed - samples[-1]["s"] >= SAMPLE_SECONDS:
                samples.append({"s": round(elapsed), **memory(stack)})
        stop.set()
        for thread in threads:
            thread.join(timeout=REQUEST_TIMEOUT)
        duration = time.monotonic() - started
        end = memory(stack)
        stored = stored_messages(stack)
        db_bytes = sum(
            p.stat().st_size for p in folder.glob("advisor.db*") if p.is_file()
        )
    finally:
        stack.stop()
        if keep:
            print(f"processes' logs and database kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    after_warmup = after_warmup or idle
    missing = {
        sender: {"sent": sent, "stored": stored.get(sender, 0)}
        for sender, sent in tally.sent.items()
        if stored.get(sender, 0) != sent
    }
    growth = {
        name: round((end[name] - after_warmup[name]) / after_warmup[name] * 100, 1)
        for name in end
    }
    growth_from_idle = {
        name: round((end[name] - idle[name]) / idle[name] * 100, 1) for name in end
    }
    messages = sum(tally.sent.values())
    return {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "minutes": round(duration / 60, 2),
        "senders": senders,
        "ready_seconds": round(ready, 1),
        "messages": messages,
        "conversations": len(tally.sent),
        "messages_per_second": round(messages / duration, 2),
        "latency_ms": {
            "p50": round(statistics.median(tally.latencies) * 1000, 1),
            "p95": round(percentile(tally.latencies, 0.95) * 1000, 1),
            "max": round(max(tally.latencies) * 1000, 1),
        }
        if tally.latencies
        else {},
        "errors": tally.error_count,
        "error_examples": tally.errors,
        "messages_stored": sum(stored.values()),
        "conversations_not_matching": missing,
        "memory_mb": {"idle": idle, "after_warmup": after_warmup, "end": end},
        "memory_growth_percent": growth,
        "memory_growth_from_idle_percent": growth_from_idle,
        "memory_samples": samples,
        "warmup_seconds": warmup,
        "database_mb": round(db_bytes / 1e6, 1),
        "tracker_cache_conversations": tracker_cache_size(),
        "passed": {
            "zero errors": tally.error_count == 0,
            "every message in the tracker store": not missing and messages > 0,
            "memory growth under 10%": all(
                g < MAX_GROWTH * 100 for g in growth.values()
            ),
        },
    }


def markdown(result: dict) -> str:
    def verdict(criterion: str) -> str:
        return "pass" if result["passed"][criterion] else "FAIL"

    mem = result["memory_mb"]
    latency = result["latency_ms"]
    lines = [
        "# Soak test",
        "",
        f"Written by `make soak` on {result['machine']}, {result['date']}: "
        f"{result['senders']} senders talking without pause for "
        f"{result['minutes']} minutes over the REST channel on loopback "
        "(knowledge-base questions and follow-ups, applications, hand-off "
        "requests, empty and overlong messages), against the action server and "
        "the Rasa server as `make run` starts them, on a scratch SQLite database.",
        "",
        "| criterion | result | |",
        "|---|---|---|",
        f"| zero errors | {result['errors']} errors | "
        f"{'pass' if result['passed']['zero errors'] else 'FAIL'} |",
        f"| every message in the tracker store | {result['messages']} sent, "
        f"{result['messages_stored']} stored (distinct `user` events) | "
        + verdict("every message in the tracker store")
        + " |",
        "| memory growth under 10% (from the warm-up) | "
        + ", ".join(f"{k} {v:+}%" for k, v in result["memory_growth_percent"].items())
        + f" | {'pass' if result['passed']['memory growth under 10%'] else 'FAIL'} |",
        "",
        f"{result['conversations']} conversations, {result['messages_per_second']} "
        f"messages/s; latency p50 {latency.get('p50')} ms, p95 {latency.get('p95')} "
        f"ms, max {latency.get('max')} ms. Ready {result['ready_seconds']} s after "
        f"start; database {result['database_mb']} MB at the end.",
        "",
        "The Rasa server's tracker store keeps up to "
        f"{result.get('tracker_cache_conversations')} conversations in memory "
        "(`ADVISOR_TRACKER_CACHE_SIZE`, `bot/rasa_runtime/tracker_store.py`); "
        "this run had "
        f"{result['conversations']}: until the cache is full, its memory grows "
        "with every new conversation.",
        "",
        "Resident memory (MB, process and children):",
        "",
        f"| process | idle | after warm-up ({result['warmup_seconds']:.0f} s) | end "
        "| growth from warm-up | from idle |",
        "|---|---|---|---|---|---|",
    ]
    for name in mem["end"]:
        lines.append(
            f"| {name} | {mem['idle'][name]} | {mem['after_warmup'][name]} | "
            f"{mem['end'][name]} | {result['memory_growth_percent'][name]:+}% | "
            f"{result['memory_growth_from_idle_percent'][name]:+}% |"
        )
    samples = result["memory_samples"]
    if samples:
        step = max(1, len(samples) // 10)
        lines += ["", "Trend (MB):", "", "| s | " + " | ".join(mem["end"]) + " |"]
        lines.append("|---" * (len(mem["end"]) + 1) + "|")
        for sample in samples[::step] + ([samples[-1]] if len(samples) % step else []):
            lines.append(
                f"| {sample['s']} | "
                + " | ".join(str(sample[name]) for name in mem["end"])
                + " |"
            )
    if result["error_examples"]:
        lines += ["", "First errors:", ""]
        lines += [f"- `{e['sender']}`: {e['error']}" for e in result["error_examples"]]
    if result["conversations_not_matching"]:
        lines += ["", "Conversations whose stored messages differ from those sent:", ""]
        lines += [
            f"- `{sender}`: sent {v['sent']}, stored {v['stored']}"
            for sender, v in list(result["conversations_not_matching"].items())[:20]
        ]
    lines += [
        "",
        "The machine is shared: other work ran on the same two cores during the "
        "run, so latency and throughput are a floor, not a benchmark "
        "(`make bench` is the benchmark).",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--senders", type=int, default=8)
    parser.add_argument("--warmup", type=float, default=60, help="seconds")
    parser.add_argument("--rasa-port", type=int, default=5506)
    parser.add_argument("--actions-port", type=int, default=5556)
    parser.add_argument(
        "--out", type=Path, default=DOCS / "soak", help="writes OUT.json and OUT.md"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the logs and the scratch database"
    )
    args = parser.parse_args()
    if not 0 < args.minutes <= 120 or not 0 < args.senders <= 32:
        parser.error("--minutes in (0, 120], --senders in 1..32")
    result = run(
        args.minutes,
        args.senders,
        args.warmup,
        (args.rasa_port, args.actions_port),
        keep=args.keep,
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    args.out.with_suffix(".md").write_text(markdown(result))
    print(markdown(result))
    return 0 if all(result["passed"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
