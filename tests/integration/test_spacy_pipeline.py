"""What the project's spaCy pipeline (build/spacy-en, `make build`) tags."""

from __future__ import annotations

import pytest
import spacy

from bot.knowledge.places import resolve
from tests.conftest import PROJECT_ROOT

SPACY_MODEL = PROJECT_ROOT / "build" / "spacy-en"


@pytest.fixture(scope="module")
def nlp() -> spacy.language.Language:
    if not SPACY_MODEL.exists():
        pytest.fail("build/spacy-en is missing: `make build` builds it")
    return spacy.load(SPACY_MODEL)


def _entities(nlp: spacy.language.Language, text: str) -> list[tuple[str, str]]:
    return [(e.label_, e.text) for e in nlp(text).ents]


@pytest.mark.parametrize(
    ("text", "place", "country"),
    [
        ("what about Montreal?", "Montreal", "Canada"),  # GeoNames: Montréal
        ("and in montréal", "montréal", "Canada"),
        ("salary in Quebec", "Quebec", "Canada"),
        ("AI PM salary Bangalore", "Bangalore", "India"),  # GeoNames: Bengaluru
        ("what about Calcutta", "Calcutta", "India"),  # not the South African town
        ("and Zurich?", "Zurich", "Switzerland"),
        ("Frankfurt?", "Frankfurt", "Germany"),
        ("how much in Lagos", "Lagos", "Nigeria"),
        # Not "York", in England: the whole name, and the city, not the state.
        ("pay in new york?", "new york", "United States"),
        ("salaries in NYC", "NYC", "United States"),
        ("what about texas", "texas", "United States"),  # a state
    ],
)
def test_places_are_tagged_and_resolve(
    nlp: spacy.language.Language, text: str, place: str, country: str
) -> None:
    assert ("location", place) in _entities(nlp, text)
    resolved = resolve(place)
    assert resolved is not None and resolved.country == country


def test_a_one_letter_skill_only_as_a_capital(nlp: spacy.language.Language) -> None:
    assert ("skill", "R") in _entities(nlp, "do I need R?")
    assert _entities(nlp, "r u human") == []
    assert ("skill", "python") in _entities(nlp, "do I need python?")


def test_common_words_are_not_places(nlp: spacy.language.Language) -> None:
    assert _entities(nlp, "that would be nice, reading more about it") == []


def test_the_french_verb_coder_is_not_the_developer_profile(
    nlp: spacy.language.Language,
) -> None:
    """English "coder" (a developer) is also French for "to code": "faut-il
    savoir coder ?" must not give the visitor a developer's background."""
    for french in ("faut-il savoir coder en python ?", "apprendre a coder"):
        assert "background" not in {label for label, _ in _entities(nlp, french)}
    assert ("background", "codeur") in _entities(nlp, "je suis codeur")
    assert ("background", "self-taught coder") in _entities(
        nlp, "I'm a self-taught coder"
    )


@pytest.mark.parametrize(
    ("text", "label", "span"),
    [
        # French names and synonyms, with accents or without, after an elision.
        (
            "faut-il connaître l'apprentissage automatique ?",
            "skill",
            "apprentissage automatique",
        ),
        ("et l’analyse des besoins ?", "skill", "analyse des besoins"),
        ("la modélisation des données", "skill", "modélisation des données"),
        ("je suis infirmière", "background", "infirmière"),
        ("je suis infirmiere", "background", "infirmiere"),
        ("je suis etudiante en master", "background", "etudiante en master"),
        ("le master en devops", "programme", "master en devops"),
        # "ingénieur" is only a lemma in spaCy's French table, not a word form.
        ("je travaille comme ingénieur logiciel", "background", "ingénieur logiciel"),
        # The background vocabulary's French jobs, with accents and without.
        ("je suis secrétaire", "background", "secrétaire"),
        ("je suis secretaire", "background", "secretaire"),
    ],
)
def test_french_names_are_tagged(
    nlp: spacy.language.Language, text: str, label: str, span: str
) -> None:
    assert (label, span) in _entities(nlp, text)


def test_a_french_synonym_that_is_an_english_word_is_left_out(
    nlp: spacy.language.Language,
) -> None:
    """ "commercial" (a salesperson, in French) would tag English messages."""
    assert _entities(nlp, "we build commercial AI projects") == []


@pytest.mark.parametrize(
    "text",
    [
        "à Genève, un PM IA junior touche combien ?",
        "c'est le chef de projet qui répond de la conformité ?",
        "la différence entre un chef de projet logiciel normal et un PM IA ?",
        "en quoi c'est différent d'un chef de projet informatique classique ?",
    ],
)
def test_the_role_asked_about_in_french_is_not_a_background(
    nlp: spacy.language.Language, text: str
) -> None:
    """ "PM" and "chef de projet" are backgrounds ("je suis chef de projet"), but
    "PM IA" is the job the visitor asks about, and the job it is compared with
    is not who is asking."""
    assert "background" not in {label for label, _ in _entities(nlp, text)}


def test_a_french_project_manager_is_still_a_background(
    nlp: spacy.language.Language,
) -> None:
    assert ("background", "chef de projet") in _entities(
        nlp, "je suis chef de projet dans le BTP"
    )
    assert ("background", "PM") in _entities(nlp, "je suis PM dans une banque")
