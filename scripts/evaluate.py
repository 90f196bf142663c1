"""`make eval`: how well the NLU understands visitors, written to docs/evaluation.*.

* Intents: Rasa's own 5-fold cross-validation over data/nlu, and the held-out
  set tests/nlu_holdout.yml (never trained on) against the trained model.
* Entities: Rasa's evaluation skips pretrained extractors such as
  SpacyEntityExtractor (our entity rulers), so entities are scored here with the
  trained model: a strict match of (start, end, entity) per annotated example.
"""

from __future__ import annotations

import asyncio
import json
import platform
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RASA = ROOT / ".venv" / "bin" / "rasa"
RESULTS = ROOT / "results"
ENTITIES = ("location", "skill", "background", "programme", "form_field")


def rasa_test(*args: str) -> None:
    subprocess.run([str(RASA), "test", "nlu", "--no-plot", *args], cwd=ROOT, check=True)


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
            {"intent": a, "predicted": b, "count": n} for (a, b), n in confusions.most_common(8)
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
        gold = {(e["start"], e["end"], e["entity"]) for e in example.get("entities") or []}
        parsed = await agent.parse_message(text)
        predicted = {(e["start"], e["end"], e["entity"]) for e in parsed.get("entities", [])}
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
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores[entity] = {"precision": round(precision, 3), "recall": round(recall, 3),
                          "f1": round(f1, 3), "support": c["tp"] + c["fn"]}
    return scores


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    import os

    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def markdown(result: dict) -> str:
    cv, holdout = result["cross_validation"], result["holdout"]
    lines = [
        "# NLU evaluation",
        "",
        f"Written by `make eval` on {result['machine']}.",
        f"Training data: {result['training_examples']} examples; held-out set: "
        f"{result['holdout_examples']} messages never trained on (`tests/nlu_holdout.yml`).",
        "",
        "| | intent macro-F1 | intent accuracy |",
        "|---|---|---|",
        f"| 5-fold cross-validation | {cv['macro_f1']} | {cv['accuracy']} |",
        f"| held-out set | {holdout['macro_f1']} | {holdout['accuracy']} |",
        "",
        "Entities (entity rulers of the project's spaCy pipeline, strict span match):",
        "",
        "| entity | F1 on training data | F1 on held-out set | held-out support |",
        "|---|---|---|---|",
    ]
    for entity in ENTITIES:
        t = result["entities_training"].get(entity, {})
        h = result["entities_holdout"].get(entity, {})
        lines.append(f"| {entity} | {t.get('f1', '-')} | {h.get('f1', '-')} | {h.get('support', 0)} |")
    lines += ["", "Most frequent confusions (cross-validation):", ""]
    lines += [f"- {c['intent']} → {c['predicted']}: {c['count']}" for c in cv["top_confusions"]]
    lines += ["", "Lowest intent F1 on the held-out set:", ""]
    worst = sorted(holdout["per_intent"].items(), key=lambda kv: kv[1])[:5]
    lines += [f"- {intent}: {score}" for intent, score in worst]
    return "\n".join(lines) + "\n"


def main() -> int:
    model = ROOT / "models" / "advisor.tar.gz"
    rasa_test("--nlu", "data/nlu", "--config", "config.yml", "--cross-validation",
              "--folds", "5", "--out", str(RESULTS / "cv"))
    rasa_test("--nlu", "tests/nlu_holdout.yml", "--model", str(model), "--out", str(RESULTS / "holdout"))
    training = load_examples(sorted((ROOT / "data" / "nlu").glob("*.yml")))
    holdout = load_examples([ROOT / "tests" / "nlu_holdout.yml"])
    result = {
        "machine": machine(),
        "training_examples": len(training),
        "holdout_examples": len(holdout),
        "cross_validation": intent_summary(RESULTS / "cv" / "intent_report.json"),
        "holdout": intent_summary(RESULTS / "holdout" / "intent_report.json"),
        "entities_training": asyncio.run(entity_scores(model, training)),
        "entities_holdout": asyncio.run(entity_scores(model, holdout)),
    }
    (ROOT / "docs" / "evaluation.json").write_text(json.dumps(result, indent=2) + "\n")
    (ROOT / "docs" / "evaluation.md").write_text(markdown(result))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
