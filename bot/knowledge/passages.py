"""Every fact of the knowledge base as an answerable passage.

A passage is a view over one row of the existing tables (a topic's overview, a
point, a skill area or item, a pathway, a region or place, a mission, a route
step, a background, a programme), never a second copy of the content: it is
derived from a :class:`~bot.knowledge.queries.Snapshot` whenever the content
changes. Its ``id`` ("skills:python", "degrees:internships") is what the
evaluation set names and what the ``answered`` slot records.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from bot.knowledge import models as m
from bot.knowledge.french import French, english

OVERVIEW = "overview"


@dataclass(frozen=True)
class Passage:
    id: str  # "<topic>:<slug>"
    topic: str
    kind: str  # overview, point, area, item, pathway, region, place, ...
    slug: str
    title: str
    text: str
    section: str
    reviewed_on: dt.date
    # Names and synonyms that point at this passage and at no other one.
    terms: tuple[str, ...] = ()
    # Words visitors use for it that its text does not say (``keywords`` in the
    # content files): they count when ranking, and may be shared.
    keywords: tuple[str, ...] = field(default=())

    @property
    def is_overview(self) -> bool:
        return self.kind == OVERVIEW


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _p(
    topic: str,
    kind: str,
    slug: str,
    title: str,
    text: str,
    section: m.Section,
    terms: tuple[str, ...] = (),
    keywords: tuple[str, ...] = (),
) -> Passage:
    return Passage(
        id=f"{topic}:{slug}",
        topic=topic,
        kind=kind,
        slug=slug,
        title=title,
        text=text,
        section=section.title,
        reviewed_on=section.reviewed_on,
        terms=tuple(dict.fromkeys(t.lower() for t in terms if t)),
        keywords=tuple(keywords),
    )


def _overview(topic: m.Topic, extra: str = "") -> Passage:
    return _p(
        topic.slug,
        OVERVIEW,
        OVERVIEW,
        topic.title,
        " ".join(part for part in (topic.intro, extra) if part),
        topic.section,
        keywords=tuple(topic.keywords),
    )


def _points(topic: m.Topic) -> Iterator[Passage]:
    for point in topic.points:
        yield _p(
            topic.slug,
            "point",
            point.slug,
            point.name,
            point.text,
            point.section,
            tuple(point.synonyms),
            tuple(point.keywords),
        )


def _entries(topic: str, kind: str, entries: list) -> Iterator[Passage]:  # type: ignore[type-arg]
    for entry in entries:
        yield _p(
            topic,
            kind,
            entry.slug,
            entry.name,
            f"{entry.summary} {entry.detail}",
            entry.section,
            (entry.name, *entry.synonyms),
            tuple(entry.keywords),
        )


def build_passages(snapshot) -> list[Passage]:  # type: ignore[no-untyped-def]
    """The passages of a :class:`~bot.knowledge.queries.Snapshot`, topic by topic."""
    topics = snapshot.topics
    passages: list[Passage] = []

    passages += [_overview(topics["role"]), *_points(topics["role"])]

    passages.append(_overview(topics["skills"]))
    for area in snapshot.skill_areas:
        passages += _entries("skills", "area", [area])
        for item in area.items:
            passages.append(
                _p(
                    "skills",
                    "item",
                    slugify(english(item).name),
                    item.name,
                    item.why,
                    area.section,
                    (item.name, *item.synonyms),
                    tuple(item.keywords),
                )
            )

    passages.append(_overview(topics["degrees"]))
    passages += _entries("degrees", "pathway", snapshot.pathways)

    passages += [_overview(topics["salary"]), *_points(topics["salary"])]
    for region in snapshot.regions:
        passages += _entries("salary", "region", [region])
        for place in region.places:
            passages.append(
                _p(
                    "salary",
                    "place",
                    slugify(english(place).name),
                    place.name,
                    place.note,
                    region.section,
                    (place.name, *place.synonyms),
                    tuple(place.keywords),
                )
            )

    passages.append(_overview(topics["missions"]))
    passages += _entries("missions", "mission", snapshot.missions)

    route = snapshot.route
    step = "Étape" if isinstance(route, French) else "Step"
    passages.append(_overview(topics["beginner"], route.answer))
    for route_step in route.steps:
        passages.append(
            _p(
                "beginner",
                "step",
                f"step-{route_step.position}",
                f"{step} {route_step.position}",
                route_step.text,
                route_step.section,
                tuple(route_step.synonyms),
                tuple(route_step.keywords),
            )
        )
    for background in route.backgrounds:
        passages.append(
            _p(
                "beginner",
                "background",
                background.slug,
                background.name,
                background.start,
                route.section,
                (background.name, *background.synonyms),
                tuple(background.keywords),
            )
        )

    programmes = topics["programmes"]
    passages += [_overview(programmes), *_points(programmes)]
    passages += _entries("programmes", "programme", snapshot.programmes)
    return passages
