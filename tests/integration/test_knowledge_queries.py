"""Every query the actions use, against a seeded SQLite database."""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from bot.knowledge import models as m
from bot.knowledge.queries import KnowledgeBase, KnowledgeBaseUnavailable


def test_skills_lists_the_five_areas_in_article_order(kb: KnowledgeBase) -> None:
    names = [area.name.lower() for area in kb.skills()]
    assert len(names) == 5
    assert "technical" in names[0] and "leadership" in names[4]


@pytest.mark.parametrize(
    ("text", "item", "area_word"),
    [
        ("python", "Python", "technical"),
        ("Scrum", "Scrum", "project"),
        ("do I need python?", "Python", "technical"),
        ("leadership", "Leadership", "leadership"),
    ],
)
def test_one_skill_resolves_to_its_item_and_area(
    kb: KnowledgeBase, text: str, item: str, area_word: str
) -> None:
    found = kb.skill(text)
    assert found is not None and found.item is not None
    assert found.item.name == item
    assert area_word in found.area.name.lower()


def test_an_unknown_skill_is_none(kb: KnowledgeBase) -> None:
    assert kb.skill("underwater basket weaving") is None


def test_outlook_for_a_place_the_article_names(kb: KnowledgeBase) -> None:
    outlook = kb.outlook_for_place("Toronto")
    assert outlook.place is not None and outlook.place.name == "Toronto"
    assert outlook.region is not None and outlook.region.name == "North America"
    assert outlook.resolved is None


def test_outlook_for_a_place_the_article_does_not_name(kb: KnowledgeBase) -> None:
    outlook = kb.outlook_for_place("Munich")
    assert outlook.place is None
    assert outlook.resolved is not None and outlook.resolved.country == "Germany"
    assert outlook.region is not None and outlook.region.name == "Europe"


def test_a_region_named_exactly_is_the_region_not_a_place_in_its_words(
    kb: KnowledgeBase,
) -> None:
    # "North America" holds "america", a synonym of the United States.
    outlook = kb.outlook_for_place("North America")
    assert outlook.place is None
    assert outlook.region is not None and outlook.region.slug == "north-america"
    assert kb.outlook_for_place("america").place.name == "United States"


def test_new_york_is_the_city_in_the_united_states(kb: KnowledgeBase) -> None:
    outlook = kb.outlook_for_place("New York")
    assert outlook.place is not None and outlook.place.name == "United States"
    assert outlook.resolved is not None and outlook.resolved.name == "New York City"


def test_a_city_of_a_named_country_uses_that_country(kb: KnowledgeBase) -> None:
    outlook = kb.outlook_for_place("Lyon")
    assert outlook.place is not None and outlook.place.name == "France"
    assert outlook.place_name == "Lyon"


def test_dakar_is_in_africa_and_asia(kb: KnowledgeBase) -> None:
    outlook = kb.outlook_for_place("Dakar")
    assert outlook.region is not None and outlook.region.slug == "africa-asia"


def test_a_continent_the_article_does_not_cover_has_no_region(
    kb: KnowledgeBase,
) -> None:
    outlook = kb.outlook_for_place("Sydney")
    assert outlook.resolved is not None and outlook.region is None


def test_nonsense_place(kb: KnowledgeBase) -> None:
    outlook = kb.outlook_for_place("Qwertyville")
    assert (outlook.region, outlook.place, outlook.resolved) == (None, None, None)


def test_route_for_a_background_starts_where_it_stands(kb: KnowledgeBase) -> None:
    full = kb.route_for_background(None)
    analyst = kb.route_for_background("data analyst")
    assert analyst.background is not None and analyst.background.slug == "data-analyst"
    assert analyst.steps[0].position == analyst.background.start_step
    assert len(analyst.steps) < len(full.steps)
    assert [s.position for s in full.steps] == sorted(s.position for s in full.steps)


def test_a_teacher_is_a_career_changer(kb: KnowledgeBase) -> None:
    background = kb.background("teacher")
    assert background is not None and background.slug == "career-changer"


def test_pathways_missions_and_programmes(kb: KnowledgeBase) -> None:
    assert len(kb.pathways()) == 5
    assert len(kb.missions()) == 5
    assert [p.slug for p in kb.programmes()] == [
        "master-machine-learning",
        "master-deep-learning",
        "master-devops",
    ]
    assert kb.pathway("cloud certifications") is not None
    assert "risk" in kb.mission("managing risks and budgets").name.lower()


def test_sources_name_the_article_sections(kb: KnowledgeBase) -> None:
    titles = [s.title for s in kb.sources("skills")]
    assert titles[0] == "Skills for AI Project Management"
    assert "I. Technical AI Foundations" in titles


def test_the_snapshot_is_reused_until_the_content_changes(kb: KnowledgeBase) -> None:
    assert kb.snapshot() is kb.snapshot()


def test_an_unseeded_database_is_unavailable(session_factory) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(KnowledgeBaseUnavailable, match="never seeded"):
        KnowledgeBase(session_factory).skills()


def test_a_broken_database_is_unavailable(seeded) -> None:  # type: ignore[no-untyped-def]
    with seeded() as session, session.begin():
        session.execute(delete(m.KnowledgeMeta))
    kb = KnowledgeBase(seeded)
    with pytest.raises(KnowledgeBaseUnavailable):
        kb.topic("role")


def test_within_the_recheck_window_no_database_read_is_needed(seeded) -> None:  # type: ignore[no-untyped-def]
    kb = KnowledgeBase(seeded, recheck_seconds=3600)
    first = kb.snapshot()
    with seeded() as session, session.begin():
        session.execute(delete(m.KnowledgeMeta))  # a read now would fail
    assert kb.snapshot() is first


def test_a_new_seed_is_picked_up_after_the_recheck_window(seeded, content_copy) -> None:  # type: ignore[no-untyped-def]
    import yaml

    from bot.knowledge.load import seed

    kb = KnowledgeBase(seeded, recheck_seconds=0)
    assert kb.skills()[0].summary != "A new summary for the first area."
    path = content_copy / "skills.yml"
    data = yaml.safe_load(path.read_text())
    data["areas"][0]["summary"] = "A new summary for the first area."
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    seed(seeded, content_copy)
    assert kb.skills()[0].summary == "A new summary for the first area."
