"""The French view of a knowledge-base row (bot.knowledge.french), on plain rows."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bot.knowledge.french import French, english


def _row(**fields: object) -> SimpleNamespace:
    return SimpleNamespace(**fields)


@pytest.fixture
def area() -> SimpleNamespace:
    python = _row(
        name="Python",
        why="Without Python, checking your team's work is hard.",
        synonyms=["python programming"],
        fr={"why": "Sans Python, vérifier le travail de l'équipe est difficile."},
    )
    scrum = _row(name="Scrum", why="Agile sprints.", synonyms=[], fr=None)
    return _row(
        name="Technical AI foundations",
        synonyms=["technical skills"],
        items=[python, scrum],
        position=1,
        fr={"name": "Bases techniques en IA", "synonyms": ["bases techniques"]},
    )


def test_sayable_fields_are_french_and_the_rest_the_rows_own(area) -> None:
    view = French(area)
    assert view.name == "Bases techniques en IA"
    assert view.position == 1
    assert view.items[1].why == "Agile sprints.", "no French: the English wording"


def test_the_words_that_find_a_fact_are_both_languages(area) -> None:
    assert French(area).synonyms == [
        "bases techniques",
        "technical skills",
        "technical ai foundations",
    ]


def test_child_rows_are_french_and_wrapped_once(area) -> None:
    view = French(area)
    items = view.items
    assert items[0].why.startswith("Sans Python")
    assert view.items is items, "a second read wraps the rows again"
    assert [english(item) for item in items] == area.items
    assert items[0] == area.items[0] and hash(items[0]) == hash(French(area.items[0]))


def test_the_view_is_read_only(area) -> None:
    with pytest.raises(AttributeError):
        French(area).name = "changed"
