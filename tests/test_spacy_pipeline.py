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
