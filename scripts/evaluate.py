"""`make eval`: how well the bot understands visitors, written to docs/evaluation.*.

* Intents: Rasa's own 5-fold cross-validation over data/nlu (English and
  French), and the held-out sets tests/nlu_holdout.yml and
  tests/nlu_holdout_fr.yml (never trained on) against a model trained on all
  of data/nlu.
* Entities: Rasa's evaluation skips pretrained extractors such as
  SpacyEntityExtractor (our entity rulers), so entities are scored here with the
  same model: a strict match of (start, end, entity) per annotated example.
* Answers: scripts/evaluate_answers.py, the passage each question of
  tests/answers_eval.yml (and tests/answers_eval_fr.yml, answered in French)
  is answered with, and "outside the guide".

The model is trained here, in a temporary folder, from the current training
data: models/advisor.tar.gz may be older than the data and is left alone. Rasa
shuffles the cross-validation folds with numpy's global generator and no seed,
so the same data gave figures a point apart from one run to the next; the
generator is seeded (SEED) so that `make eval` gives the same figures twice.

    python scripts/evaluate.py [--config config.yml]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scripts.evaluate_answers import answer_scores
from scripts.evaluate_answers import markdown as answers_markdown

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
RESULTS = ROOT / "results"
ENTITIES = ("location", "skill", "background", "programme", "form_field")
SEED = 42
# Held-out messages never trained on, by language (results/<name>/).
HELD_OUT = {
    "holdout": ROOT / "tests" / "nlu_holdout.yml",
    "holdout_fr": ROOT / "tests" / "nlu_holdout_fr.yml",
}
# `rasa ...` with numpy's global generator seeded first (see the docstring).
SEEDED_RASA = (
    "import sys, numpy; numpy.random.seed(int(sys.argv[1])); "
    "from rasa.__main__ import main; sys.argv = ['rasa', *sys.argv[2:]]; main()"
)


def rasa(*args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(
        [str(PYTHON), "-c", SEEDED_RASA, str(SEED), *args],
        cwd=ROOT,
        check=True,
        env={**os.environ, **(env or {})},
    )


def train(config: Path, out: Path) -> tuple[Path, float]:
    """Train the NLU on all of data/nlu; return the model and the seconds it took.

    With an empty cache, so that the time is a full training, not Rasa reusing
    components it trained before.
    """
    start = time.perf_counter()
    rasa(
        "train", "nlu", "--nlu", "data/nlu", "--config", str(config), "--out", str(out),
        "--fixed-model-name", "eval", "--num-threads", "2",
        env={"RASA_CACHE_DIRECTORY": str(out / "cache")},
    )  # fmt: skip
    return out / "eval.tar.gz", round(time.perf_counter() - start, 1)


def intent_summary(report_path: Path) -> dict:
    report = json.loads(report_path.read_text())
    per_intent = {
        k: round(v["f1-score"], 3)
        for k, v in report.items()
        if isinstance(v, dict) and "f1-score" in v and not k.endswith("avg")
    }
    confusions: Counter[tuple[str, str]] = Counter()
    for intent, values in report.items():
        if isinstance(values, dict):
            for other, count in (values.get("confused_with") or {}).items():
                confusions[(intent, other)] += count
    return {
        "macro_f1": round(report["macro avg"]["f1-score"], 3),
        "weighted_f1": round(report["weighted avg"]["f1-score"], 3),
        "accuracy": round(report.get("accuracy", 0.0), 3),
        "per_intent": per_intent,
        "top_confusions": [
            {"intent": a, "predicted": b, "count": n}
            for (a, b), n in confusions.most_common(8)
        ],
    }


def load_examples(paths: list[Path]) -> list:
    from rasa.shared.nlu.training_data.loading import load_data

    examples = []
    for path in paths:
        examples.extend(m for m in load_data(str(path)).intent_examples)
    return examples


async def entity_scores(model: Path, examples: list) -> dict:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    counts: dict[str, Counter] = defaultdict(Counter)
    for example in examples:
        text = example.get("text")
        gold = {
            (e["start"], e["end"], e["entity"]) for e in example.get("entities") or []
        }
        parsed = await agent.parse_message(text)
        predicted = {
            (e["start"], e["end"], e["entity"]) for e in parsed.get("entities", [])
        }
        for entity in ENTITIES:
            g = {x for x in gold if x[2] == entity}
            p = {x for x in predicted if x[2] == entity}
            counts[entity]["tp"] += len(g & p)
            counts[entity]["fp"] += len(p - g)
            counts[entity]["fn"] += len(g - p)
    scores = {}
    for entity, c in counts.items():
        precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 0.0
        recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 0.0
        f1 = (
            2 * precision * recall / (precision + recall) if precision + recall else 0.0
        )
        scores[entity] = {
            "precision": round(precision, 3),
            "recall": round(recall, 3),
            "f1": round(f1, 3),
            "support": c["tp"] + c["fn"],
        }
    return scores


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def markdown(result: dict) -> str:
    cv, holdout = result["cross_validation"], result["holdout"]
    lines = [
        "# NLU evaluation",
        "",
        f"Written by `make eval` on {result['machine']}.",
        f"Training data: {result['training_examples']} examples; held-out set: "
        f"{result['holdout_examples']} messages never trained on "
        "(`tests/nlu_holdout.yml`).",
        f"Training the NLU on all the training data took {result['train_seconds']} s;"
        f" the cross-validation folds are shuffled with seed {result['seed']}.",
        "",
        "| | intent macro-F1 | intent accuracy |",
        "|---|---|---|",
        f"| 5-fold cross-validation | {cv['macro_f1']} | {cv['accuracy']} |",
        f"| held-out set | {holdout['macro_f1']} | {holdout['accuracy']} |",
        f"| French held-out set ({result['holdout_fr_examples']} messages,"
        " `tests/nlu_holdout_fr.yml`) | "
        f"{result['holdout_fr']['macro_f1']} | {result['holdout_fr']['accuracy']} |",
        "",
        "Entities (entity rulers of the project's spaCy pipeline, strict span match;",
        "the rulers are not trained, so the training data is a fair test too):",
        "",
        "| entity | F1 training data | F1 held-out | held-out precision / recall"
        " | held-out support |",
        "|---|---|---|---|---|",
    ]
    for entity in ENTITIES:
        t = result["entities_training"].get(entity, {})
        h = result["entities_holdout"].get(entity, {})
        lines.append(
            f"| {entity} | {t.get('f1', '-')} | {h.get('f1', '-')} | "
            f"{h.get('precision', '-')} / {h.get('recall', '-')} | "
            f"{h.get('support', 0)} |"
        )
    lines += [
        "",
        "The same in the French held-out set:",
        "",
        "| entity | F1 held-out | precision / recall | support |",
        "|---|---|---|---|",
    ]
    for entity in ENTITIES:
        h = result["entities_holdout_fr"].get(entity, {})
        lines.append(
            f"| {entity} | {h.get('f1', '-')} | {h.get('precision', '-')} / "
            f"{h.get('recall', '-')} | {h.get('support', 0)} |"
        )
    lines += ["", "Most frequent confusions (cross-validation):", ""]
    lines += [
        f"- {c['intent']} → {c['predicted']}: {c['count']}"
        for c in cv["top_confusions"]
    ]
    for title, summary in (
        ("cross-validation", cv),
        ("the held-out set", holdout),
        ("the French held-out set", result["holdout_fr"]),
    ):
        lines += ["", f"Lowest intent F1 in {title}:", ""]
        worst = sorted(summary["per_intent"].items(), key=lambda kv: kv[1])[:5]
        lines += [f"- {intent}: {score}" for intent, score in worst]
    lines += answers_markdown(result["answers"])
    lines += answers_markdown(result["answers_fr"])
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=ROOT / "config.yml")
    args = parser.parse_args()
    config = args.config.resolve()
    with tempfile.TemporaryDirectory(prefix="advisor-eval-") as tmp:
        model, train_seconds = train(config, Path(tmp))
        rasa(
            "test",
            "nlu",
            "--no-plot",
            "--nlu",
            "data/nlu",
            "--config",
            str(config),
            "--cross-validation",
            "--folds",
            "5",
            "--out",
            str(RESULTS / "cv"),
        )
        for name, held_out in HELD_OUT.items():
            rasa(
                "test",
                "nlu",
                "--no-plot",
                "--nlu",
                str(held_out.relative_to(ROOT)),
                "--model",
                str(model),
                "--out",
                str(RESULTS / name),
            )
        training = load_examples(
            sorted(
                path
                for path in (ROOT / "data" / "nlu").rglob("*.yml")
                if "generated" not in path.parts
            )
        )
        holdout = load_examples([HELD_OUT["holdout"]])
        holdout_fr = load_examples([HELD_OUT["holdout_fr"]])
        result = {
            "machine": machine(),
            "seed": SEED,
            "train_seconds": train_seconds,
            "training_examples": len(training),
            "holdout_examples": len(holdout),
            "cross_validation": intent_summary(RESULTS / "cv" / "intent_report.json"),
            "holdout": intent_summary(RESULTS / "holdout" / "intent_report.json"),
            "holdout_fr_examples": len(holdout_fr),
            "holdout_fr": intent_summary(RESULTS / "holdout_fr" / "intent_report.json"),
            "entities_training": asyncio.run(entity_scores(model, training)),
            "entities_holdout": asyncio.run(entity_scores(model, holdout)),
            "entities_holdout_fr": asyncio.run(entity_scores(model, holdout_fr)),
            "answers": asyncio.run(answer_scores(model)),
            "answers_fr": asyncio.run(answer_scores(model, language="fr")),
        }
    (ROOT / "docs" / "evaluation.json").write_text(json.dumps(result, indent=2) + "\n")
    (ROOT / "docs" / "evaluation.md").write_text(markdown(result))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
