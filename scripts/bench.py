"""`make bench`: how fast the bot answers and what it costs, as medians of runs.

Starts, on loopback test ports and a scratch copy of the database:
- the advisor as `make run` configures it (action server, Rasa server, web app);
- the same Rasa server on Rasa 3.6's own code: its action-server client
  (per-call JSON-schema check, a new HTTP session per call, the whole domain
  in every call), its SQL tracker store, and every other fix of bot/ switched
  off by its ADVISOR_* variable, for the before/after (the model is the same);
- a stock `rasa init` bot, trained by this script with its default config
  (DIET, TED, in-memory tracker store), the baseline a Rasa user knows.
Then, over the REST channel, with the Rasa server's `/` endpoint as the floor:
p50/p95 per turn and messages per second at 1, 8 and 32 concurrent senders for
a fixed mix of knowledge-base questions, follow-ups and form turns; turn 1
against turn 30 of one conversation; resident memory of every process; time
from start to ready; train time; knowledge-base queries in process.
Results: docs/bench.json, docs/bench.md and docs/bench.png.

`--target URL` measures an already running front instead (`make scale`'s
nginx) and writes docs/bench-<label>.json/.md. Every load goes to loopback only,
is bounded in messages and time, and stops by itself.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.answers.topics import RANKING_VARIABLE  # noqa: E402
from scripts.evaluate import machine  # noqa: E402
from tests.support.stack import BIN, MODEL, Stack  # noqa: E402

DOCS = ROOT / "docs"
STOCK_DIR = ROOT / "var" / "bench" / "stock-bot"
RUNS = 3
SENDERS = (1, 8, 32)
REQUEST_TIMEOUT = 60
RUN_DEADLINE_SECONDS = 300  # a run that takes longer stops and is reported as such
# One visitor's path: knowledge-base questions, follow-ups, then the application
# form (name, email) left with "cancel", so that nothing is stored.
MIX = [
    "which skills do I need?",
    "do I need python?",
    "and what about Scrum?",
    "how much does an AI project manager earn?",
    "and in Canada?",
    "what about Munich",
    "can a beginner become an AI project manager?",
    "what programmes does AI2 offer?",
    "I want to apply",
    "Marie Curie",
    "marie.curie@example.com",
    "cancel",
]
# The same visitor in French (issue 19): the language detector and the French
# answers on the one bilingual model.
MIX_FR = [
    "quelles compétences faut-il pour ce métier ?",
    "faut-il savoir coder en python ?",
    "et Scrum ?",
    "combien gagne un chef de projet IA ?",
    "et au Canada ?",
    "et à Munich",
    "un débutant peut-il devenir chef de projet IA ?",
    "quelles formations propose AI2 ?",
    "je veux candidater",
    "Marie Curie",
    "marie.curie@example.com",
    "annuler",
]
# The turns answered from the knowledge base (issue 5's target is for these).
KB_QUESTIONS = frozenset(MIX[:8] + MIX_FR[:8])
# Turn 1 against turn 30: one conversation of knowledge-base questions.
LONG_CONVERSATION = [q for q in MIX[:8] for _ in range(4)][:30]
PORTS = {  # rasa, actions, web
    "advisor": (5205, 5255, 8205),
    "rasa_defaults": (5206, 5256, None),
    "stock": (5207, None, None),
    "no_ranking": (5208, 5258, None),
}


# --- load ---------------------------------------------------------------------
def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def say(session: requests.Session, url: str, sender: str, text: str) -> float:
    started = time.perf_counter()
    if text == "/":
        response = session.get(url + "/", timeout=REQUEST_TIMEOUT)
    else:
        response = session.post(
            url + "/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            timeout=REQUEST_TIMEOUT,
        )
    response.raise_for_status()
    return (time.perf_counter() - started) * 1000


def measure(url: str, senders: int, turns: list[str], visits: int = 1) -> dict:
    """One run: `senders` at once, each `visits` visitors in a row through `turns`."""
    deadline = time.monotonic() + RUN_DEADLINE_SECONDS

    def sender_loop(_: int) -> list[tuple[str, float]]:
        timed = []
        with requests.Session() as session:
            for _visit in range(visits):
                sender = f"bench-{uuid.uuid4().hex[:10]}"
                timed += [
                    (text, say(session, url, sender, text))
                    for text in turns
                    if time.monotonic() < deadline
                ]
        return timed

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=senders) as pool:
        timed = [x for chunk in pool.map(sender_loop, range(senders)) for x in chunk]
    elapsed = time.perf_counter() - started
    latencies = [ms for _, ms in timed]
    answers = [ms for text, ms in timed if text in KB_QUESTIONS] or latencies
    return {
        "p50": percentile(latencies, 0.5),
        "p95": percentile(latencies, 0.95),
        "kb_p50": percentile(answers, 0.5),
        "per_second": len(latencies) / elapsed,
        "messages": len(latencies),
    }


def warm_up(url: str) -> None:
    """One visitor through the mix, unmeasured: the first turns of a fresh server
    pay for loading what it loads lazily (every server gets the same)."""
    measure(url, 1, MIX)


def median_of_runs(url: str, senders: int, turns: list[str]) -> dict:
    """Every visitor a new conversation through `turns`; at 1 sender, three visitors
    one after the other, for a stable median."""
    visits = max(1, 3 // senders)
    runs = [measure(url, senders, turns, visits) for _ in range(RUNS)]
    return {key: round(statistics.median(r[key] for r in runs), 1) for key in runs[0]}


def growth(url: str) -> dict:
    """Median latency of turn 1 and of turn 30 over RUNS conversations."""
    firsts, lasts = [], []
    for _ in range(RUNS):
        with requests.Session() as session:
            sender = f"long-{uuid.uuid4().hex[:10]}"
            latencies = [say(session, url, sender, t) for t in LONG_CONVERSATION]
        firsts.append(latencies[0])
        lasts.append(latencies[-1])
    return {
        "turn_1": round(statistics.median(firsts), 1),
        "turn_30": round(statistics.median(lasts), 1),
    }


# --- processes ----------------------------------------------------------------
def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, from /proc (Linux)."""
    total = 0
    pids = [pid, *_children(pid)]
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            continue
    return round(total / 1024, 1)


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children = (task / "children").read_text().split()
        for child in map(int, children):
            found += [child, *_children(child)]
    return found


def memory(stack: Stack) -> dict[str, float]:
    names = {"rasa": "rasa", "python": "actions", "uvicorn": "web"}
    return {
        names.get(Path(str(p.args[0])).name, str(p.args[0])): rss_mb(p.pid)
        for p in stack.processes
    }


def timed(command: list, cwd: Path) -> float:
    started = time.monotonic()
    subprocess.run(
        command, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    return round(time.monotonic() - started, 1)


def stock_bot() -> tuple[Path, float | None]:
    """A `rasa init` project with its default config, trained once and kept."""
    model = STOCK_DIR / "models" / "stock.tar.gz"
    record = STOCK_DIR / "train_seconds.json"
    if model.exists() and record.exists():
        return model, json.loads(record.read_text())["train_seconds"]
    import rasa.cli

    # What `rasa init` copies, without the training it starts itself.
    shutil.rmtree(STOCK_DIR, ignore_errors=True)
    shutil.copytree(Path(rasa.cli.__file__).parent / "initial_project", STOCK_DIR)
    seconds = timed(
        [BIN / "rasa", "train", "--out", "models", "--fixed-model-name", "stock"],
        STOCK_DIR,
    )
    record.write_text(json.dumps({"train_seconds": seconds}))
    return model, seconds


def our_train_seconds(folder: Path) -> float:
    """Train time of the advisor's model from scratch (the spaCy pipeline is built)."""
    return timed(
        [
            BIN / "rasa",
            "train",
            "--data",
            "data/nlu",
            "data/rules",
            "data/stories",
            "--out",
            str(folder),
            "--force",
        ],
        ROOT,
    )


def rasa_defaults_endpoints(folder: Path) -> str:
    """endpoints.yml with Rasa's own SQLTrackerStore on the same kind of database."""
    path = folder / "endpoints-rasa-defaults.yml"
    database = folder / "rasa_defaults" / "advisor.db"
    path.write_text(
        "action_endpoint:\n  url: ${ACTION_ENDPOINT_URL}\n"
        f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {database}\n"
    )
    return str(path)


def start(folder: Path, name: str, **overrides: object) -> Stack:
    rasa, actions, web = PORTS[name]
    stack = Stack(
        folder / name,
        rasa_port=rasa,
        actions_port=actions,
        web_port=web,
        start_timeout=600,
    )
    stack.folder.mkdir(parents=True)
    for key, value in overrides.items():
        setattr(stack, key, value)
    try:
        if name == "stock":
            stack.start_rasa()
        else:
            stack.start()
    except BaseException:
        stack.stop()
        raise
    return stack


# --- the benchmark --------------------------------------------------------------
def kb_query_times() -> dict:
    from bot.db import make_engine, make_session_factory
    from bot.knowledge.queries import KnowledgeBase
    from bot.settings import get_settings

    kb = KnowledgeBase(make_session_factory(make_engine(get_settings().database_url)))
    kb.snapshot()
    kb.outlook_for_place("Munich")  # builds the place index once
    queries = {
        "skills()": kb.skills,
        "skill('do I need python?')": lambda: kb.skill("do I need python?"),
        "outlook_for_place('Munich')": lambda: kb.outlook_for_place("Munich"),
        "route_for_background('teacher')": lambda: kb.route_for_background("teacher"),
    }
    queries.update(answer_times(kb))
    result = {}
    for name, query in queries.items():
        times = []
        for _ in range(500):
            started = time.perf_counter()
            query()
            times.append((time.perf_counter() - started) * 1000)
        result[name] = round(statistics.median(times), 3)
    return result


# Questions of every kind for the passage ranking's cost: named, ranked, general,
# outside the guide, a comparison.
RANKED = [
    ("do I need python?", "skills", {"skill": ["Python"]}),
    ("what do i get from an internship", "degrees", {}),
    ("which skills do I need?", "skills", {}),
    ("how much does the master cost?", "programmes", {}),
    ("salary in Lyon or Montreal?", "salary", {"location": ["Lyon", "Montreal"]}),
]


def answer_times(kb) -> dict:  # type: ignore[no-untyped-def]
    """The answer of a knowledge-base turn before (the topic's handler alone) and
    after (choosing the passage first, bot/answers/choose.py), in one run."""
    from bot.answers import Advisor
    from bot.answers.ranking import spacy_lemmas
    from bot.settings import get_settings

    advisor = Advisor(kb, spacy_lemmas(get_settings().spacy_model_dir))
    advisor.chooser()  # the index is built once, at the first question

    def before() -> None:
        advisor.skills("Python")
        advisor.degrees("what do i get from an internship")
        advisor.skills(None)
        advisor.programmes("how much does the master cost?")
        advisor.salary("Lyon")

    def after() -> None:
        for text, topic, entities in RANKED:
            advisor.reply(text, topic, entities)

    return {
        "answer, 5 questions, before ranking": before,
        "answer, 5 questions, with ranking": after,
    }


def full(folder: Path) -> dict:
    stock_model, stock_train = stock_bot()
    results: dict = {
        "machine": machine(),
        "runs": RUNS,
        "train_seconds": {"advisor": our_train_seconds(folder / "model")},
        "kb_query_ms": kb_query_times(),
        "rest": {},
        "growth": {},
    }
    results["train_seconds"]["stock"] = stock_train
    stacks: dict[str, Stack] = {}
    try:
        stacks["advisor"] = start(folder, "advisor")
        stacks["rasa_defaults"] = start(
            folder,
            "rasa_defaults",
            endpoints=rasa_defaults_endpoints(folder),
            extra_env={
                "ADVISOR_FAST_ACTION_VALIDATION": "0",
                "ADVISOR_SHARED_ACTION_SESSION": "0",
                "ADVISOR_PLANNED_GRAPH": "0",
                "ADVISOR_FAST_RULE_MATCHING": "0",
                "ADVISOR_INCREMENTAL_STATES": "0",
                "ADVISOR_MEMOISED": "0",
                "ADVISOR_FAST_JSON": "0",
                "ADVISOR_FAST_COPY": "0",
            },
        )
        stacks["stock"] = start(folder, "stock", model=stock_model, project=STOCK_DIR)
        # The answer issue's before/after: the same advisor, passages unranked.
        stacks["no_ranking"] = start(
            folder, "no_ranking", extra_env={RANKING_VARIABLE: "0"}
        )
        results["ready_seconds"] = {
            name: stack.ready_seconds for name, stack in stacks.items()
        }
        for stack in stacks.values():
            warm_up(stack.rasa_url)
        for senders in SENDERS:
            row = {
                "floor": median_of_runs(stacks["advisor"].rasa_url, senders, ["/"] * 12)
            }
            for name, stack in stacks.items():
                if name == "rasa_defaults" and senders > 8:
                    continue  # the "before" column; slow enough at 8
                if name == "no_ranking" and senders > 1:
                    continue  # the ranking's cost to one visitor
                row[name] = median_of_runs(stack.rasa_url, senders, MIX)
            if senders <= 8:  # French visitors, same server, same run
                row["advisor_fr"] = median_of_runs(
                    stacks["advisor"].rasa_url, senders, MIX_FR
                )
            results["rest"][str(senders)] = row
        for name, stack in stacks.items():
            results["growth"][name] = growth(stack.rasa_url)
        results["memory_mb"] = {name: memory(s) for name, s in stacks.items()}
    finally:
        for stack in stacks.values():
            stack.stop()
    scaled(folder, results)
    return results


def scaled(folder: Path, results: dict) -> None:
    """The same load through nginx on `make scale`'s layout (2 + 2 replicas)."""
    from scripts import scale

    if scale.missing_binaries():
        results["scaled_skipped"] = f"missing: {', '.join(scale.missing_binaries())}"
        return
    started = time.monotonic()
    with scale.scratch(scale.BENCH_PORTS, folder / "scale", "advisor_scale_bench") as s:
        results["ready_seconds"]["scaled"] = {
            "all": round(time.monotonic() - started, 1)
        }
        warm_up(s.rasa_url)
        for senders in SENDERS:
            results["rest"][str(senders)]["scaled"] = median_of_runs(
                s.rasa_url, senders, MIX
            )
        results["growth"]["scaled"] = growth(s.rasa_url)


def against(url: str) -> dict:
    host = urlsplit(url).hostname
    if host not in {"127.0.0.1", "localhost", "::1"}:
        raise SystemExit(f"bench sends load to loopback only, not to {host}")
    results: dict = {"machine": machine(), "runs": RUNS, "target": url, "rest": {}}
    warm_up(url)
    for senders in SENDERS:
        results["rest"][str(senders)] = {
            "floor": median_of_runs(url, senders, ["/"] * 12),
            "target": median_of_runs(url, senders, MIX),
        }
    results["growth"] = {"target": growth(url)}
    return results


LABELS = {
    "floor": "Rasa `/` (floor)",
    "advisor": "advisor (as `make run`)",
    "advisor_fr": "advisor, French visitors (as `make run`)",
    "rasa_defaults": "advisor on Rasa's own code, every fix of bot/ switched off "
    "(before)",
    "stock": "stock `rasa init` bot",
    "no_ranking": "advisor without passage ranking (`ADVISOR_PASSAGE_RANKING=0`)",
    "scaled": "`make scale`: nginx, 2 Rasa + 2 action servers, PostgreSQL, Redis",
    "target": "advisor behind the target",
}


# The other benchmarks of `make bench` write their own pages; this one links them.
SEE_ALSO = (
    "Also written by `make bench`: the staff console's pages with 10,000 "
    "conversations, [`bench-console.md`](bench-console.md); what a visitor sees, "
    "send to the first and the last bubble of each answer in the widget, "
    "[`bench-widget.md`](bench-widget.md)."
)


def markdown(results: dict) -> str:
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` on {results['machine']}; each figure is the median "
        f"of {results['runs']} runs in one go, after one unmeasured visitor per "
        "server. REST channel; each visitor goes "
        f"through {len(MIX)} turns (knowledge-base questions, follow-ups, the "
        "application form) in a conversation of their own; at 1 sender three "
        "visitors one after the other.",
    ]
    if "target" in results:
        lines += ["", f"Target: {results['target']}."]
    lines += [
        "",
        "| senders | server | p50 ms | p95 ms | messages/s | p50 above floor "
        "| knowledge-base answers: p50 above floor |",
        "|---|---|---|---|---|---|---|",
    ]
    for senders, row in results["rest"].items():
        for name, figures in row.items():
            above = answers = ""
            if name != "floor":
                above = f"{figures['p50'] - row['floor']['p50']:.1f}"
                answers = f"{figures['kb_p50'] - row['floor']['p50']:.1f}"
            lines.append(
                f"| {senders} | {LABELS[name]} | {figures['p50']} | {figures['p95']} "
                f"| {figures['per_second']} | {above} | {answers} |"
            )
    if "scaled_skipped" in results:
        lines += [
            "",
            "`make scale`'s layout was not measured in this run "
            f"({results['scaled_skipped']} on this machine; it needs Debian's "
            "nginx, redis-server and PostgreSQL).",
        ]
    one = results["rest"].get(str(SENDERS[0]), {})
    if "advisor_fr" in one and "advisor" in one:
        floor = one["floor"]["p50"]
        lines += [
            "",
            f"Knowledge-base answers, {SENDERS[0]} sender, p50 above the floor "
            f"in the same run: English {one['advisor']['kb_p50'] - floor:.1f} ms, "
            f"French {one['advisor_fr']['kb_p50'] - floor:.1f} ms (language "
            "detection and the bilingual model included; issue 19's bound: 15 ms).",
        ]
    if "no_ranking" in one and "advisor" in one:
        cost = one["advisor"]["kb_p50"] - one["no_ranking"]["kb_p50"]
        lines += [
            "",
            f"The passage ranking's cost to a knowledge-base answer, {SENDERS[0]} "
            f"sender, same run: p50 {one['no_ranking']['kb_p50']} ms without, "
            f"{one['advisor']['kb_p50']} ms with ({cost:+.1f} ms).",
        ]
    lines += ["", "Turn 1 against turn 30 of one conversation (p50 ms):", ""]
    lines += [
        f"- {LABELS[name]}: {g['turn_1']} -> {g['turn_30']}"
        for name, g in results["growth"].items()
    ]
    if "memory_mb" in results:
        lines += ["", "Resident memory after the load (MB):", ""]
        lines += [
            f"- {LABELS[name]}: "
            + ", ".join(f"{proc} {mb}" for proc, mb in procs.items())
            for name, procs in results["memory_mb"].items()
        ]
        lines += ["", "Time from start to ready (s):", ""]
        lines += [
            f"- {LABELS[name]}: "
            + ", ".join(f"{proc} {s}" for proc, s in ready.items())
            for name, ready in results["ready_seconds"].items()
        ]
        lines += [
            "",
            "Train time (s): "
            + ", ".join(f"{name} {s}" for name, s in results["train_seconds"].items()),
        ]
    if "kb_query_ms" in results:
        lines += ["", "Knowledge-base queries in process (median ms of 500 calls):", ""]
        lines += [f"- `{name}`: {ms} ms" for name, ms in results["kb_query_ms"].items()]
    lines += ["", SEE_ALSO]
    return "\n".join(lines) + "\n"


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [n for n in LABELS if n in results["rest"][str(SENDERS[0])]]
    figure, (latency, throughput) = plt.subplots(1, 2, figsize=(11, 5))
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        xs = [
            j + i * width
            for j, s in enumerate(results["rest"])
            if name in results["rest"][s]
        ]
        rows = [row[name] for row in results["rest"].values() if name in row]
        latency.bar(xs, [r["p50"] for r in rows], width, label=LABELS[name])
        throughput.bar(xs, [r["per_second"] for r in rows], width)
    for axis, title in ((latency, "p50 ms per turn"), (throughput, "messages/s")):
        axis.set_xticks([j + 0.4 - width / 2 for j in range(len(results["rest"]))])
        axis.set_xticklabels([f"{s} senders" for s in results["rest"]])
        axis.set_title(title)
        axis.set_yscale("log")
    figure.legend(loc="lower center", ncol=2, fontsize="small")
    figure.tight_layout(rect=(0, 0.16, 1, 1))
    figure.savefig(path, dpi=100)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--target", help="measure this running front (loopback)")
    parser.add_argument("--label", default="scale", help="file suffix for --target")
    args = parser.parse_args()
    if not MODEL.exists():
        raise SystemExit("no trained model: run `make train` first")
    folder = Path(tempfile.mkdtemp(prefix="advisor-bench-"))
    try:
        if args.target:
            results, stem = against(args.target.rstrip("/")), f"bench-{args.label}"
        else:
            os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'kb.db'}"
            subprocess.run([BIN / "advisor", "seed"], check=True, capture_output=True)
            results, stem = full(folder), "bench"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    (DOCS / f"{stem}.json").write_text(json.dumps(results, indent=2) + "\n")
    (DOCS / f"{stem}.md").write_text(markdown(results))
    plot(results, DOCS / f"{stem}.png")
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
