"""Answer-level evaluation: does the bot lead with the passage that answers?

Each question of tests/answers_eval.yml goes through the trained NLU (intent,
entities) and then the same choice the actions make
(:class:`bot.answers.choose.Chooser`). Scored: top-1 and top-3 passage accuracy
on the questions the guide answers, and precision and recall of "outside the
guide". Part of `make eval`; alone, against models/advisor.tar.gz:

    python scripts/evaluate_answers.py [--model models/advisor.tar.gz] [--show]
        [--questions other-questions.yml]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
EVAL_SET = ROOT / "tests" / "answers_eval.yml"
# Each language's set; its questions are answered in that language.
EVAL_SETS = {
    "en": EVAL_SET,
    "fr": ROOT / "tests" / "answers_eval_fr.yml",
}
# "apply" is answered by the application form itself (the article's "Apply
# Now!"), which is what the passage on applying offers; with a subject the
# guide does not cover, the form starts after saying so.
APPLY_INTENT = "apply"
APPLY_PASSAGE = "programmes:apply"


def load_questions(path: Path = EVAL_SET) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]


def advisor(language: str = "en"):  # type: ignore[no-untyped-def]
    from bot.answers import Advisor
    from bot.answers.ranking import lemmas_for
    from bot.db import session_factory_for
    from bot.knowledge.queries import KnowledgeBase
    from bot.settings import get_settings

    settings = get_settings()
    return Advisor(
        KnowledgeBase(session_factory_for(settings.database_url)),
        lemmas_for(language, settings.spacy_model_dir),
        language=language,
    )


def predicted(advisor, intent: str, text: str, entities: dict) -> tuple[bool, list]:  # type: ignore[no-untyped-def]
    """(outside the guide?, passage ids best first) as the dialogue would answer."""
    from bot.answers.choose import (
        ENTITY_TOPICS,
        INTENT_TOPICS,
        NOT_COVERED,
        NOT_COVERED_INTENT,
    )

    if intent == APPLY_INTENT:  # data/rules/application.yml: the form starts,
        # after saying what the guide does not cover (actions/forms.py)
        if advisor.not_covered_with_application(text) is not None:
            return True, []
        return False, [APPLY_PASSAGE]
    if intent in INTENT_TOPICS:
        topic = INTENT_TOPICS[intent]
    elif intent == NOT_COVERED_INTENT:
        topic = NOT_COVERED
    else:  # follow-ups and unsure messages: an entity's topic, else every topic
        topic = next((t for e, t in ENTITY_TOPICS.items() if entities.get(e)), None)
    choice = advisor.chooser().choose(text, topic, entities)
    if choice.kind == "not_covered":
        return True, []
    if choice.kind == "places":
        ids = [advisor.passage_for_place(p) for p in choice.places]
        return False, [i for i in ids if i]
    ids = choice.passage_ids
    if choice.kind == "overview":
        ids = [f"{choice.topic}:overview", *ids]
    elif choice.kind == "unsure":
        ids = ["(did you mean)", *ids]
    return False, list(dict.fromkeys(ids))


async def answer_scores(
    model: Path,
    show: bool = False,
    questions_path: Path | None = None,
    language: str = "en",
) -> dict:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    the_advisor = advisor(language)
    questions_path = questions_path or EVAL_SETS[language]
    questions = load_questions(questions_path)
    top1 = top3 = answerable = 0
    tp = fp = fn = 0
    misses = []
    for question in questions:
        parsed = await agent.parse_message(question["text"])
        entities: dict[str, list[str]] = {}
        for entity in parsed.get("entities", []):
            entities.setdefault(entity["entity"], []).append(str(entity["value"]))
        intent = parsed["intent"]["name"]
        outside, ids = predicted(the_advisor, intent, question["text"], entities)
        gold_outside = "not_covered" in question
        tp += outside and gold_outside
        fp += outside and not gold_outside
        fn += gold_outside and not outside
        if gold_outside:
            if not outside:
                misses.append((question["text"], "outside", intent, ids[:3]))
            continue
        answerable += 1
        gold = set(question["passages"])
        if ids[:1] and ids[0] in gold:
            top1 += 1
        else:
            misses.append((question["text"], sorted(gold), intent, ids[:3]))
        top3 += bool(gold & set(ids[:3]))
    if show:
        for miss in misses:
            print("MISS", *miss, sep=" | ")
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return {
        "language": language,
        "set": _shown(questions_path),
        "questions": len(questions),
        "answerable": answerable,
        "outside": tp + fn,
        "top1": round(top1 / answerable, 3),
        "top3": round(top3 / answerable, 3),
        "outside_precision": round(precision, 3),
        "outside_recall": round(recall, 3),
        "misses": [
            {"text": t, "expected": e, "intent": i, "got": g} for t, e, i, g in misses
        ],
    }


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:  # a file outside the project
        return str(path)


def markdown(scores: dict) -> list[str]:
    title = {"en": "Answers", "fr": "Answers in French"}[scores.get("language", "en")]
    return [
        "",
        f"## {title}",
        "",
        f"Answer-level set: {scores['questions']} questions never trained on "
        f"(`{scores.get('set', 'tests/answers_eval.yml')}`), {scores['answerable']}"
        " answered by a passage "
        f"of the guide and {scores['outside']} outside it; each goes through the "
        "trained NLU, then the choice the actions make.",
        "",
        "| top-1 passage | top-3 passage | outside-the-guide precision"
        " | outside-the-guide recall |",
        "|---|---|---|---|",
        f"| {scores['top1']} | {scores['top3']} | {scores['outside_precision']}"
        f" | {scores['outside_recall']} |",
        "",
        f"Misses ({len(scores['misses'])}):",
        "",
        *(
            f"- “{m['text']}”: expected {m['expected']}, NLU {m['intent']}, "
            f"got {m['got']}"
            for m in scores["misses"]
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model", type=Path, default=ROOT / "models" / "advisor.tar.gz"
    )
    parser.add_argument("--show", action="store_true", help="print every miss")
    parser.add_argument(
        "--questions",
        type=Path,
        default=None,
        help="another question file in the same format (a fresh slice)",
    )
    parser.add_argument("--language", choices=sorted(EVAL_SETS), default="en")
    args = parser.parse_args()
    scores = asyncio.run(
        answer_scores(args.model, args.show, args.questions, args.language)
    )
    print(json.dumps({k: v for k, v in scores.items() if k != "misses"}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
