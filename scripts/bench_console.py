"""`make bench`: how fast the staff console renders with 10,000 conversations.

Seeds a temporary SQLite database with 10,000 conversations written as Rasa's
SQL tracker store writes them (Rasa's own event classes, the same columns and
JSON), with the applications and hand-off requests some of them end in, then
asks the real web app (through Starlette's TestClient, logged in as staff) for
the console's pages: the first list page, filtered lists, a deep page, the
overview and a transcript. Every figure is the median (and p95) of RUNS
requests; the first request, which summarises every conversation once, is
reported apart. Results: docs/bench-console.json and .md.

    .venv/bin/python scripts/bench_console.py [--conversations N] [--runs N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from bot import migrations  # noqa: E402
from bot.applications.models import Application, HandoffRequest  # noqa: E402
from bot.db import make_engine, make_session_factory  # noqa: E402
from bot.web.console import auth  # noqa: E402
from bot.web.console.summary import events  # noqa: E402
from scripts.evaluate import machine  # noqa: E402

CONVERSATIONS = 10_000
RUNS = 15
DAYS = 90
SEED = 8
PASSWORD = "benchmark passphrase"
ANSWERS = {
    "ask_role": "action_answer_role",
    "ask_skills": "action_answer_skills",
    "ask_degrees": "action_answer_degrees",
    "ask_salary": "action_answer_salary",
    "ask_missions": "action_answer_missions",
    "ask_beginner_route": "action_answer_beginner_route",
    "ask_programs": "action_answer_programmes",
    "follow_up": "action_follow_up",
    "ask_source": "action_answer_source",
    "thank": "utter_thank",
    "help": "utter_help",
    "bot_challenge": "utter_iamabot",
    "goodbye": "utter_goodbye",
}
QUESTION_WEIGHTS = {
    "ask_skills": 14,
    "ask_salary": 12,
    "ask_role": 10,
    "ask_degrees": 9,
    "ask_beginner_route": 9,
    "ask_programs": 8,
    "follow_up": 10,
    "ask_missions": 6,
    "ask_source": 2,
    "thank": 5,
    "help": 3,
    "bot_challenge": 1,
    "goodbye": 4,
}
REPLY = (
    "You'll need five kinds of skills: technical AI foundations, solid project "
    "management, complex problem solving, business requirements analysis, and "
    "clear communication with strong leadership. Want me to dig into one?"
)
MARKUP = re.compile(r"\[([^\]]+)\]\(([a-z_]+)\)")

PAGES = {
    "list, first page": "/console/conversations",
    "list, filtered (intent + fallback + confidence)": (
        "/console/conversations?intent=ask_salary&fallback=yes&below=0.45"
    ),
    "list, text search": "/console/conversations?q=python",
    "list, page 150 (of 200 for 10,000)": "/console/conversations?page=150",
    "overview, 30 days": "/console/overview",
    "overview, 90 days": "/console/overview?days=90",
}


# --- seeding --------------------------------------------------------------------
def examples() -> dict[str, list[tuple[str, list[dict[str, Any]]]]]:
    """The training examples by intent, with their entities: realistic messages."""
    found: dict[str, list[tuple[str, list[dict[str, Any]]]]] = {}
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for block in (yaml.safe_load(path.read_text()) or {}).get("nlu") or []:
            if "intent" not in block:
                continue
            for line in block["examples"].splitlines():
                if line.strip().startswith("- "):
                    found.setdefault(block["intent"], []).append(
                        parse(line.strip()[2:])
                    )
    return found


def parse(markup: str) -> tuple[str, list[dict[str, Any]]]:
    text, entities, position = "", [], 0
    for match in MARKUP.finditer(markup):
        text += markup[position : match.start()]
        entities.append(
            {
                "entity": match.group(2),
                "start": len(text),
                "end": len(text) + len(match.group(1)),
                "value": match.group(1),
                "extractor": "SpacyEntityExtractor",
            }
        )
        text += match.group(1)
        position = match.end()
    return text + markup[position:], entities


class Writer:
    """Builds one conversation's events with Rasa's classes, as rows of ``events``."""

    def __init__(self, rng: random.Random, sender: str, start: float) -> None:
        from rasa.shared.core import events as rasa_events

        self.e = rasa_events
        self.rng, self.sender, self.clock = rng, sender, start
        self.rows: list[dict[str, Any]] = []

    def add(self, event: Any) -> None:
        self.clock += self.rng.uniform(0.05, 0.4)
        event.timestamp = self.clock
        data = event.as_dict()
        self.rows.append(
            {
                "sender_id": self.sender,
                "type_name": event.type_name,
                "timestamp": data.get("timestamp"),
                "intent_name": (data.get("parse_data") or {})
                .get("intent", {})
                .get("name"),
                "action_name": data.get("name"),
                "data": json.dumps(data),
            }
        )

    def user(
        self, text: str, intent: str, confidence: float, entities: list[dict[str, Any]]
    ) -> None:
        self.clock += self.rng.uniform(3, 40)  # the visitor reads and types
        ranking = [{"name": intent, "confidence": confidence}]
        if intent == "nlu_fallback":
            guess = self.rng.choice(list(QUESTION_WEIGHTS))
            ranking.append({"name": guess, "confidence": self.rng.uniform(0.15, 0.49)})
        parse_data = {
            "intent": {"name": intent, "confidence": confidence},
            "entities": entities,
            "text": text,
            "intent_ranking": ranking,
        }
        self.add(
            self.e.UserUttered(
                text, parse_data["intent"], entities, parse_data=parse_data
            )
        )
        self.add(self.e.DefinePrevUserUtteredFeaturization(False))

    def bot(self, action: str, text: str = REPLY, **slots: Any) -> None:
        self.add(self.e.ActionExecuted(action, policy="RulePolicy", confidence=1.0))
        self.add(self.e.BotUttered(text, metadata={"utter_action": action}))
        for name, value in slots.items():
            self.add(self.e.SlotSet(name, value))
        self.add(self.e.ActionExecuted("action_listen"))


def conversation(
    rng: random.Random,
    sender: str,
    start: float,
    pool: dict[str, list[tuple[str, list[dict[str, Any]]]]],
    ending: str | None,
) -> list[dict[str, Any]]:
    w = Writer(rng, sender, start)
    w.add(w.e.ActionExecuted("action_session_start"))
    w.add(w.e.SessionStarted())
    w.add(w.e.ActionExecuted("action_listen"))
    w.user("/greet", "greet", 1.0, [])
    w.bot("utter_greet")
    intents, weights = zip(*QUESTION_WEIGHTS.items(), strict=True)
    for _ in range(rng.choice([1, 1, 2, 2, 3, 3, 4, 5, 6, 8, 12])):
        intent = rng.choices(intents, weights)[0]
        text, entities = rng.choice(pool[intent])
        if rng.random() < 0.08:  # not understood: Rasa's two-stage fallback
            w.user(text, "nlu_fallback", 0.5, entities)
            w.add(w.e.ActionExecuted("action_two_stage_fallback"))
            w.add(w.e.ActiveLoop("action_two_stage_fallback"))
            w.bot("action_default_ask_affirmation", "Did you mean one of these?")
            continue
        confidence = min(0.999, rng.betavariate(8, 1.2))
        w.user(text, intent, confidence, entities)
        w.bot(ANSWERS[intent], topic=intent.removeprefix("ask_"))
    if ending == "application":
        w.user("I want to apply", "apply", 0.97, [])
        w.add(w.e.ActionExecuted("application_form"))
        w.add(w.e.ActiveLoop("application_form"))
        for answer, slot in [
            ("Grace Hopper", "applicant_name"),
            (f"{sender}@example.org", "applicant_email"),
            ("Belgium", "applicant_country"),
        ]:
            w.user(answer, "inform", 0.8, [])
            w.add(w.e.SlotSet(slot, answer))
            w.bot("application_form", "Next question.")
        w.add(w.e.ActiveLoop(None))
        w.add(w.e.ActionExecuted("action_application_summary"))
        w.user("yes", "affirm", 0.99, [])
        w.bot("action_submit_application", "Your reference is AP-XXXXXX.")
    elif ending == "handoff":
        w.user("can I talk to a human?", "request_human", 0.93, [])
        w.add(w.e.ActionExecuted("handoff_form"))
        w.bot("action_submit_handoff", "Someone will write to you.")
    return w.rows


def seed(url: str, count: int) -> dict[str, Any]:
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain

    migrations.upgrade(url)
    # Rasa creates its own table (and index), exactly as the Rasa server does.
    store = SQLTrackerStore(Domain.from_path(ROOT / "domain.yml"), host=url)
    store.engine.dispose()
    rng, pool = random.Random(SEED), examples()
    now = dt.datetime.now(dt.timezone.utc).timestamp()
    engine = make_engine(url)
    rows: list[dict[str, Any]] = []
    applications: list[dict[str, Any]] = []
    handoffs: list[dict[str, Any]] = []
    total = 0
    started = time.perf_counter()
    starts = sorted(now - rng.uniform(0, DAYS * 86400) for _ in range(count))
    with engine.begin() as connection:
        for number, start in enumerate(starts):
            sender = f"bench{number:05d}"
            ending = rng.choices([None, "application", "handoff"], weights=[94, 4, 2])[
                0
            ]
            rows += conversation(rng, sender, start, pool, ending)
            moment = dt.datetime.fromtimestamp(start, dt.timezone.utc).replace(
                tzinfo=None
            )
            prefix = "AP" if ending == "application" else "HR"
            person = {
                "reference": f"{prefix}-{number:06d}",
                "full_name": "Grace Hopper",
                "email": f"{sender}@example.org",
                "consent_at": moment,
                "conversation_id": sender,
                "status": "new",
                "created_at": moment,
            }
            if ending == "application":
                applications.append(
                    person
                    | {
                        "programme": "master-devops",
                        "education": "Master's degree",
                        "country": "Belgium",
                        "updated_at": moment,
                    }
                )
            elif ending == "handoff":
                handoffs.append(person | {"question": "can I talk to a human?"})
            if len(rows) >= 20_000:
                connection.execute(insert(events), rows)
                total += len(rows)
                rows = []
        if rows:
            connection.execute(insert(events), rows)
            total += len(rows)
        connection.execute(insert(Application.__table__), applications)
        connection.execute(insert(HandoffRequest.__table__), handoffs)
    with make_session_factory(engine).begin() as session:
        auth.add_staff(session, "bench@ai2.example.org", PASSWORD, "admin")
    engine.dispose()
    return {
        "conversations": count,
        "events": total,
        "applications": len(applications),
        "handoffs": len(handoffs),
        "seconds": round(time.perf_counter() - started, 1),
    }


# --- measuring -------------------------------------------------------------------
def timed(client: Any, path: str) -> float:
    started = time.perf_counter()
    response = client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{path}: HTTP {response.status_code}")
    return elapsed


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(
            ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 1
        ),
        "runs": len(ordered),
    }


def measure(url: str, folder: Path, runs: int, count: int) -> dict[str, Any]:
    from starlette.testclient import TestClient

    from bot.web.app import SiteConfig, create_app
    from bot.web.console.config import ConsoleConfig

    app = create_app(
        SiteConfig(socket_url="http://localhost:5005"),
        ConsoleConfig(
            database_url=url,
            secret_key="bench-" + "k" * 40,
            corrections_file=folder / "corrections.yml",
        ),
    )
    results: dict[str, Any] = {}
    with TestClient(app) as client:
        page = client.get("/console/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        client.post(
            "/console/login",
            data={
                "email": "bench@ai2.example.org",
                "password": PASSWORD,
                "csrf_token": token,
            },
            follow_redirects=False,
        )
        first = timed(client, PAGES["list, first page"])
        results["first request (summarises every conversation once)"] = {
            "ms": round(first, 1)
        }
        for name, path in PAGES.items():
            results[name] = summary([timed(client, path) for _ in range(runs)])
        results["transcript of one conversation"] = summary(
            [
                timed(client, f"/console/conversation?id=bench{count // 2:05d}")
                for _ in range(runs)
            ]
        )
    return results


def markdown(report: dict[str, Any]) -> str:
    seeded = report["seeded"]
    lines = [
        "# Staff console benchmark",
        "",
        f"Written by `scripts/bench_console.py` on {report['machine']}.",
        f"{seeded['conversations']:,} conversations ({seeded['events']:,} events in "
        f"Rasa's `events` table, SQLite; {seeded['applications']} applications, "
        f"{seeded['handoffs']} hand-off requests) over {DAYS} days, seeded in "
        f"{seeded['seconds']} s. Pages are rendered by the real web app (Starlette's "
        "TestClient, logged in as staff); each figure is over "
        f"{report['runs']} requests.",
        "",
        "| page | median ms | p95 ms |",
        "|---|---|---|",
    ]
    for name, figures in report["pages"].items():
        if "median_ms" in figures:
            lines.append(f"| {name} | {figures['median_ms']} | {figures['p95_ms']} |")
    first = report["pages"]["first request (summarises every conversation once)"]
    lines += [
        "",
        f"The first request after the seed took {first['ms']} ms: it summarised every "
        "conversation into `console_conversations` once. Later requests only "
        "summarise conversations with new events.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=CONVERSATIONS)
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-console-") as name:
        folder = Path(name)
        url = f"sqlite:///{folder / 'advisor.db'}"
        print(f"seeding {args.conversations:,} conversations…", flush=True)
        seeded = seed(url, args.conversations)
        print(f"seeded {seeded}", flush=True)
        pages = measure(url, folder, args.runs, args.conversations)
    report = {
        "machine": machine(),
        "runs": args.runs,
        "seeded": seeded,
        "pages": pages,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench-console.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "bench-console.md").write_text(markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    main()
