"""`rasa data validate`, with Rasa 3.6's one unavoidable warning checked, not ignored.

Rasa 3.6 warns that every response is "not used in any story or rule" unless a
story names it, although custom actions and forms send most of ours. This test
runs what `rasa data validate` runs, fails on any other warning, and fails on
an "unused" response that no code sends.
"""

from __future__ import annotations

import re
import warnings

import pytest
import yaml
from rasa.cli.utils import validate_files
from rasa.shared.importers.importer import TrainingDataImporter
from rasa.utils.common import EXPECTED_WARNINGS

from bot.rasa_runtime.resilience import APOLOGY_RESPONSES
from bot.settings import PROJECT_ROOT

# Sent by Rasa's own action_two_stage_fallback.
RASA_FALLBACK_RESPONSES = {"utter_ask_rephrase", "utter_default"}
UNUSED = re.compile(r"The utterance '(.+)' is not used in any story or rule\.")
RASA_DATA = [str(PROJECT_ROOT / "data" / d) for d in ("nlu", "rules", "stories")]
DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())


def _responses_sent_by_code() -> set[str]:
    """Responses the code names: ``response="utter_x"``, ``Say("utter_x", ...)``."""
    names: set[str] = set()
    sources = [
        *(PROJECT_ROOT / "actions").glob("*.py"),
        *(PROJECT_ROOT / "bot" / "answers").glob("*.py"),
        PROJECT_ROOT / "bot" / "applications" / "validation.py",
    ]
    for path in sources:
        code = path.read_text()
        names.update(re.findall(r"\"(utter_[a-z_]+)\"", code))
        # f"utter_{topic_slug}" and f"utter_{topic_slug}_again" for the list topics.
        for suffix in re.findall(r"f\"utter_\{topic_slug\}(_again)?\"", code):
            names.update(f"utter_{topic}{suffix}" for topic in ("degrees", "missions"))
    # Sent by the Rasa server when the action server fails.
    return names | set(APOLOGY_RESPONSES)


def _validation_warnings() -> list[str]:
    """Run what `rasa data validate` runs (exits on an error); return its warnings."""
    importer = TrainingDataImporter.load_from_config(
        str(PROJECT_ROOT / "config.yml"), str(PROJECT_ROOT / "domain.yml"), RASA_DATA
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        validate_files(fail_on_warnings=False, max_history=None, importer=importer)
    return [
        str(w.message)
        for w in caught
        if issubclass(w.category, UserWarning) and not _expected_by_rasa(w)
    ]


def _expected_by_rasa(warning: warnings.WarningMessage) -> bool:
    """Warnings Rasa's own CLI silences (rasa.utils.common.EXPECTED_WARNINGS)."""
    return any(
        issubclass(warning.category, category)
        and re.match(pattern, str(warning.message))
        for category, pattern in EXPECTED_WARNINGS
    )


def test_training_data_is_valid_and_warns_only_about_responses_sent_by_code() -> None:
    messages = _validation_warnings()
    assert [m for m in messages if not UNUSED.search(m)] == []
    # Rasa asks a form's slot with utter_ask_<form>_<slot>, else utter_ask_<slot>.
    form_prompts = {
        prompt
        for name, form in DOMAIN["forms"].items()
        for slot in form["required_slots"]
        for prompt in (f"utter_ask_{name}_{slot}", f"utter_ask_{slot}")
    }
    descriptions = {f"utter_intent_{intent}" for intent in DOMAIN["intents"]}
    unused = {UNUSED.search(m).group(1) for m in messages if UNUSED.search(m)}
    unexplained = (
        unused
        - _responses_sent_by_code()
        - form_prompts
        - descriptions
        - RASA_FALLBACK_RESPONSES
    )
    assert unexplained == set(), "responses nothing sends: remove them or use them"


def test_every_response_the_code_sends_exists() -> None:
    assert _responses_sent_by_code() - set(DOMAIN["responses"]) == set()


def test_every_language_of_a_response_offers_the_same_buttons() -> None:
    """A French visitor gets the buttons an English one gets, in French: the
    Rasa server's own apology too, which no action titles."""
    for name, variations in DOMAIN["responses"].items():
        payloads = {
            tuple(button["payload"] for button in variation.get("buttons", []))
            for variation in variations
        }
        assert len(payloads) == 1, f"{name}: {payloads}"
    apology = DOMAIN["responses"][APOLOGY_RESPONSES[0]]
    french = next(v for v in apology if v.get("condition"))
    assert [b["title"] for b in french["buttons"]] == ["Parler à une personne"]


def _texts(path) -> set[str]:  # type: ignore[no-untyped-def]
    """Example texts of an NLU file, without entity markup, lower case."""
    markup = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")
    data = yaml.safe_load(path.read_text())
    return {
        markup.sub(r"\1", line.strip()[2:]).strip().lower()
        for block in data.get("nlu", [])
        for line in (block.get("examples") or "").splitlines()
        if line.strip().startswith("- ")
    }


def _training_texts() -> set[str]:
    """Every example Rasa trains on, English and French (data/nlu/fr)."""
    training: set[str] = set()
    for path in (PROJECT_ROOT / "data" / "nlu").rglob("*.yml"):
        training |= _texts(path)
    return training


# Each language's held-out NLU set and answer evaluation set.
EVALUATION_SETS = {
    "en": ("nlu_holdout.yml", "answers_eval.yml"),
    "fr": ("nlu_holdout_fr.yml", "answers_eval_fr.yml"),
}


@pytest.mark.parametrize("language", sorted(EVALUATION_SETS))
def test_the_held_out_messages_are_never_trained_on(language: str) -> None:
    held_out = _texts(PROJECT_ROOT / "tests" / EVALUATION_SETS[language][0])
    assert len(held_out) >= (200 if language == "fr" else 100)
    assert held_out & _training_texts() == set()


def _story_texts() -> set[str]:
    """User texts of the test stories (``user: |`` steps), lower case."""
    texts: set[str] = set()
    for path in (PROJECT_ROOT / "tests").glob("test_*.yml"):
        for story in yaml.safe_load(path.read_text()).get("stories", []):
            for step in story.get("steps", []):
                if isinstance(step, dict) and step.get("user"):
                    texts.add(str(step["user"]).strip().lower())
    return texts


@pytest.mark.parametrize("language", sorted(EVALUATION_SETS))
def test_the_answer_evaluation_set_is_never_trained_on(language: str) -> None:
    held_out, answers = EVALUATION_SETS[language]
    questions = yaml.safe_load((PROJECT_ROOT / "tests" / answers).read_text())[
        "questions"
    ]
    asked = {q["text"].strip().lower() for q in questions}
    assert len(asked) == len(questions) >= 150  # no question twice
    assert asked & _training_texts() == set()
    assert asked & _texts(PROJECT_ROOT / "tests" / held_out) == set()
    assert asked & _story_texts() == set()
    for question in questions:  # each one says what answers it
        assert bool(question.get("passages")) != bool(question.get("not_covered"))
