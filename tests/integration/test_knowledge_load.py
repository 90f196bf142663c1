"""Seeding the knowledge base: complete, idempotent, and safe against bad files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from bot.knowledge import models as m
from bot.knowledge.content import ContentError, read_content
from bot.knowledge.load import seed
from tests.conftest import KNOWLEDGE_DIR

ARTICLE = (
    KNOWLEDGE_DIR.parents[2] / "shared" / "source" / "ai-project-manager-article.txt"
)


def _counts(session_factory: sessionmaker) -> dict[str, int]:
    tables = (
        m.Section,
        m.Topic,
        m.TopicPoint,
        m.SkillArea,
        m.SkillItem,
        m.Pathway,
        m.Region,
        m.Place,
        m.Mission,
        m.RouteStep,
        m.Background,
        m.Programme,
    )
    with session_factory() as session:
        return {
            t.__tablename__: session.scalar(select(func.count()).select_from(t))
            for t in tables
        }


def _edit(directory: Path, name: str, change) -> None:  # type: ignore[no-untyped-def]
    path = directory / name
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_seed_loads_every_part_of_the_article(seeded: sessionmaker) -> None:
    counts = _counts(seeded)
    assert counts["kb_skill_areas"] == 5
    assert counts["kb_pathways"] == 5
    assert counts["kb_missions"] == 5
    assert counts["kb_regions"] == 3
    assert counts["kb_topics"] == 7
    assert counts["kb_programmes"] == 3
    assert counts["kb_route_steps"] >= 4
    with seeded() as session:
        places = set(session.scalars(select(m.Place.name)))
        items = set(session.scalars(select(m.SkillItem.name)))
    # Every country and city the article names has its own entry.
    assert {
        "United States",
        "Canada",
        "Silicon Valley",
        "Toronto",
        "France",
        "Belgium",
        "Switzerland",
        "Paris",
        "Geneva",
        "Senegal",
        "Morocco",
    } <= places
    assert {"Python", "R", "Agile", "Scrum", "Leadership", "Communication"} <= items


def test_every_fact_keeps_an_article_section_that_exists(seeded: sessionmaker) -> None:
    headings = {
        line.strip() for line in ARTICLE.read_text().splitlines() if line.strip()
    }
    with seeded() as session:
        titles = set(session.scalars(select(m.Section.title)))
    assert titles, "no sections stored"
    assert titles <= headings, f"not headings of the article: {titles - headings}"


def test_no_salary_figure_anywhere(seeded: sessionmaker) -> None:
    money = re.compile(r"[$€£]|\d")
    with seeded() as session:
        texts = [
            *session.scalars(select(m.Region.summary)),
            *session.scalars(select(m.Region.detail)),
            *session.scalars(select(m.Place.note)),
            *session.scalars(select(m.Topic.intro)),
        ]
    offenders = [t for t in texts if money.search(t.replace("AI2", ""))]
    assert offenders == []


def test_seeding_twice_changes_nothing(seeded: sessionmaker) -> None:
    before = _counts(seeded)
    with seeded() as session:
        ids_before = list(
            session.scalars(select(m.SkillArea.id).order_by(m.SkillArea.id))
        )
    result = seed(seeded, KNOWLEDGE_DIR)
    assert result.changed is False
    assert _counts(seeded) == before
    with seeded() as session:
        assert (
            list(session.scalars(select(m.SkillArea.id).order_by(m.SkillArea.id)))
            == ids_before
        )


def test_changed_content_is_reseeded(seeded: sessionmaker, content_copy: Path) -> None:
    _edit(
        content_copy,
        "skills.yml",
        lambda d: d["areas"][0].update(
            summary="A reworded summary for the first area."
        ),
    )
    assert seed(seeded, content_copy).changed is True
    with seeded() as session:
        first = session.scalars(
            select(m.SkillArea).order_by(m.SkillArea.position)
        ).first()
    assert first.summary == "A reworded summary for the first area."
    assert _counts(seeded)["kb_skill_areas"] == 5


def test_a_bad_file_is_refused_naming_file_entry_and_problem(
    seeded: sessionmaker, content_copy: Path
) -> None:
    before = _counts(seeded)
    _edit(content_copy, "missions.yml", lambda d: d["missions"][2].pop("summary"))
    with pytest.raises(ContentError) as error:
        seed(seeded, content_copy)
    message = str(error.value)
    slug = yaml.safe_load((KNOWLEDGE_DIR / "missions.yml").read_text())["missions"][2][
        "slug"
    ]
    assert "missions.yml" in message
    assert repr(slug) in message
    assert "summary" in message and "field required" in message
    assert _counts(seeded) == before  # the previous content is kept


def test_a_salary_figure_is_refused(content_copy: Path) -> None:
    _edit(
        content_copy,
        "salary.yml",
        lambda d: d["regions"][0].update(summary="Managers there earn $150k a year."),
    )
    with pytest.raises(
        ContentError, match=r"(?s)salary\.yml.*north-america.*salary figure"
    ):
        read_content(content_copy)


def test_an_incomplete_list_is_refused(content_copy: Path) -> None:
    _edit(content_copy, "skills.yml", lambda d: d["areas"].pop())
    with pytest.raises(
        ContentError, match=r"skills\.yml: areas has 4 entries, the article has 5"
    ):
        read_content(content_copy)


def test_invalid_yaml_is_refused(content_copy: Path) -> None:
    (content_copy / "role.yml").write_text("topic: role\n  intro: [unclosed\n")
    with pytest.raises(ContentError, match=r"role\.yml: not valid YAML"):
        read_content(content_copy)


def test_a_missing_file_is_refused(content_copy: Path) -> None:
    (content_copy / "degrees.yml").unlink()
    with pytest.raises(ContentError, match=r"missing content files: degrees\.yml"):
        read_content(content_copy)


def test_a_route_start_outside_the_route_is_refused(content_copy: Path) -> None:
    _edit(
        content_copy,
        "beginner.yml",
        lambda d: d["backgrounds"][0].update(start_step=42),
    )
    with pytest.raises(ContentError, match=r"start_step 42 is not a step of the route"):
        read_content(content_copy)


def test_a_synonym_naming_two_entries_is_refused(content_copy: Path) -> None:
    _edit(
        content_copy,
        "programmes.yml",
        lambda d: d["programmes"][0]["synonyms"].append("python"),
    )
    with pytest.raises(
        ContentError, match=r"'python' stands for both skill 'Python' and programme"
    ):
        read_content(content_copy)


def test_a_step_synonym_naming_another_entry_is_refused(content_copy: Path) -> None:
    _edit(
        content_copy,
        "beginner.yml",
        lambda d: d["route"][2].setdefault("synonyms", []).append("data analyst"),
    )
    with pytest.raises(
        ContentError, match=r"'data analyst' stands for both background .* and step 3"
    ):
        read_content(content_copy)


def test_a_currency_in_keywords_is_refused(content_copy: Path) -> None:
    _edit(
        content_copy,
        "salary.yml",
        lambda d: d["regions"][1].setdefault("keywords", []).append("euros a year"),
    )
    with pytest.raises(ContentError, match=r"(?s)salary\.yml.*europe.*salary figure"):
        read_content(content_copy)


def test_repeated_keywords_are_refused(content_copy: Path) -> None:
    _edit(
        content_copy,
        "missions.yml",
        lambda d: d["missions"][0].update(keywords=["automate", "Automate"]),
    )
    with pytest.raises(ContentError, match=r"repeats itself: \['automate'\]"):
        read_content(content_copy)


def test_keywords_and_point_synonyms_are_stored(
    seeded: sessionmaker, content_copy: Path
) -> None:
    _edit(
        content_copy,
        "role.yml",
        lambda d: d["points"][1].update(synonyms=["go-between"], keywords=["liaison"]),
    )
    seed(seeded, content_copy)
    with seeded() as session:
        point = session.scalars(
            select(m.TopicPoint).where(m.TopicPoint.slug == "bridge")
        ).one()
    assert (point.synonyms, point.keywords) == (["go-between"], ["liaison"])


# --- French ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file_name", "change", "where"),
    [
        (
            "skills.yml",
            lambda d: d["areas"][0]["items"][2].pop("fr"),
            "Machine learning",
        ),
        (
            "missions.yml",
            lambda d: d["missions"][1]["fr"].pop("detail"),
            "coordinating",
        ),
        ("salary.yml", lambda d: d["regions"][0]["places"][0].pop("fr"), "places"),
        ("beginner.yml", lambda d: d["fr"].pop("answer"), "top level"),
        ("not_covered.yml", lambda d: d["subjects"][0].pop("fr"), "fees"),
    ],
)
def test_a_fact_in_one_language_only_is_refused(
    content_copy: Path, file_name: str, change, where: str
) -> None:  # type: ignore[no-untyped-def]
    _edit(content_copy, file_name, change)
    with pytest.raises(
        ContentError, match=rf"(?is){file_name}.*{where}.*field required"
    ):
        read_content(content_copy)


def test_a_french_salary_figure_is_refused(content_copy: Path) -> None:
    _edit(
        content_copy,
        "salary.yml",
        lambda d: d["regions"][1]["fr"].update(
            summary="Environ 60 k par an en Europe."
        ),
    )
    with pytest.raises(ContentError, match=r"(?s)salary\.yml.*salary figure"):
        read_content(content_copy)


def test_a_french_synonym_naming_another_entry_is_refused(content_copy: Path) -> None:
    _edit(
        content_copy,
        "programmes.yml",
        lambda d: d["programmes"][0]["fr"]["synonyms"].append("langage python"),
    )
    with pytest.raises(ContentError, match=r"'langage python' stands for both skill"):
        read_content(content_copy)


def test_every_fact_is_stored_with_its_french(seeded: sessionmaker) -> None:
    money = re.compile(r"[$€£]|\d")
    with seeded() as session:
        item = session.scalars(
            select(m.SkillItem).where(m.SkillItem.name == "Neural networks")
        ).one()
        rows = [
            row
            for table in (m.Topic, m.TopicPoint, m.SkillArea, m.SkillItem, m.Region)
            for row in session.scalars(select(table))
        ]
        rows += [*session.scalars(select(m.Place)), *session.scalars(select(m.Route))]
        rows += [*session.scalars(select(m.NotCoveredSubject))]
    assert item.fr["name"] == "Réseaux de neurones"
    assert all(row.fr for row in rows)
    said = [
        value
        for row in rows
        for key, value in row.fr.items()
        if isinstance(value, str) and key != "name"
    ]
    assert [t for t in said if money.search(t.replace("AI2", ""))] == []
