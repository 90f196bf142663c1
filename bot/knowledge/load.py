"""Seeding: content files -> knowledge-base tables, in one transaction.

The files are read and validated before the database is touched, so a bad file
leaves the previous content in place. Seeding the same content twice changes
nothing (the content digest is stored in ``kb_meta``).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from bot.knowledge import models as m
from bot.knowledge.content import Content, read_content

log = logging.getLogger(__name__)

DIGEST_KEY = "content_digest"
# What a topic row keeps of its file's French block (the rest has rows of its own).
TOPIC_FRENCH = {"title", "intro", "keywords", "synonyms"}

# Children before parents, so that deleting works without cascades in the database.
_TABLES_IN_DELETE_ORDER = (
    m.TopicPoint,
    m.Topic,
    m.SkillItem,
    m.SkillArea,
    m.Pathway,
    m.Place,
    m.Region,
    m.Mission,
    m.Background,
    m.RouteStep,
    m.Route,
    m.Programme,
    m.NotCoveredSubject,
    m.Section,
)


@dataclass(frozen=True)
class SeedResult:
    changed: bool
    digest: str


def stored_digest(session: Session) -> str | None:
    return session.scalar(
        select(m.KnowledgeMeta.value).where(m.KnowledgeMeta.key == DIGEST_KEY)
    )


def seed(session_factory: sessionmaker, directory: Path) -> SeedResult:
    """Load the content of ``directory`` into the database, if it changed."""
    content = read_content(directory)
    digest = content.digest()
    with session_factory() as session, session.begin():
        if stored_digest(session) == digest:
            log.info("knowledge base already up to date (%s)", digest[:12])
            return SeedResult(changed=False, digest=digest)
        for table in _TABLES_IN_DELETE_ORDER:
            session.execute(delete(table))
        _Builder(session, content).build()
        session.merge(
            m.KnowledgeMeta(
                key=DIGEST_KEY, value=digest, updated_at=dt.datetime.utcnow()
            )
        )
    log.info("knowledge base seeded (%s)", digest[:12])
    return SeedResult(changed=True, digest=digest)


class _Builder:
    """Turns validated content into rows, sharing one Section row per heading."""

    def __init__(self, session: Session, content: Content) -> None:
        self.session = session
        self.content = content
        self._sections: dict[str, m.Section] = {}
        self._reviewed_on: dt.date | None = None

    def section(self, title: str) -> m.Section:
        if title not in self._sections:
            assert self._reviewed_on is not None
            self._sections[title] = m.Section(
                title=title, reviewed_on=self._reviewed_on
            )
        return self._sections[title]

    def topic(self, file, points=()) -> m.Topic:  # type: ignore[no-untyped-def]
        self._reviewed_on = file.reviewed_on
        topic = m.Topic(
            slug=file.topic,
            title=file.title,
            intro=file.intro,
            keywords=file.keywords,
            fr=file.fr.dict(include=TOPIC_FRENCH),
            section=self.section(file.section),
        )
        topic.points = [
            m.TopicPoint(
                position=i,
                slug=p.slug,
                name=p.name,
                text=p.text,
                synonyms=p.synonyms,
                keywords=p.keywords,
                fr=p.fr.dict(),
                section=self.section(p.section),
            )
            for i, p in enumerate(points, start=1)
        ]
        self.session.add(topic)
        return topic

    def entry(self, model, position: int, entry, **extra):  # type: ignore[no-untyped-def]
        row = model(
            slug=entry.slug,
            position=position,
            name=entry.name,
            summary=entry.summary,
            detail=entry.detail,
            synonyms=entry.synonyms,
            keywords=entry.keywords,
            fr=entry.fr.dict(),
            section=self.section(entry.section),
            **extra,
        )
        self.session.add(row)
        return row

    def build(self) -> None:
        c = self.content
        self.topic(c.role, c.role.points)

        self.topic(c.skills)
        for i, area in enumerate(c.skills.areas, start=1):
            row = self.entry(m.SkillArea, i, area)
            row.items = [
                m.SkillItem(
                    position=j,
                    name=item.name,
                    synonyms=item.synonyms,
                    keywords=item.keywords,
                    why=item.why,
                    fr=item.fr.dict(),
                )
                for j, item in enumerate(area.items, start=1)
            ]

        self.topic(c.degrees)
        for i, pathway in enumerate(c.degrees.pathways, start=1):
            self.entry(m.Pathway, i, pathway)

        salary = self.topic(c.salary)
        salary.points.append(
            m.TopicPoint(
                position=1,
                slug="no-figures",
                name="No figures",
                text=c.salary.no_figures,
                keywords=c.salary.no_figures_keywords,
                fr={
                    "name": "Pas de chiffres",
                    "text": c.salary.fr.no_figures,
                    "keywords": c.salary.fr.no_figures_keywords,
                },
                section=self.section(c.salary.section),
            )
        )
        for i, region in enumerate(c.salary.regions, start=1):
            row = self.entry(m.Region, i, region, continents=region.continents)
            row.places = [
                m.Place(
                    position=j,
                    name=p.name,
                    kind=p.kind,
                    country_code=p.country_code,
                    note=p.note,
                    synonyms=p.synonyms,
                    keywords=p.keywords,
                    fr=p.fr.dict(),
                )
                for j, p in enumerate(region.places, start=1)
            ]

        self.topic(c.missions)
        for i, mission in enumerate(c.missions.missions, start=1):
            self.entry(m.Mission, i, mission)

        beginner = c.beginner
        self.topic(beginner)
        route = m.Route(
            slug="beginner",
            answer=beginner.answer,
            fr={"answer": beginner.fr.answer},
            section=self.section(beginner.section),
        )
        route.steps = [
            m.RouteStep(
                position=s.position,
                text=s.text,
                synonyms=s.synonyms,
                keywords=s.keywords,
                fr=s.fr.dict(),
                section=self.section(s.section),
            )
            for s in beginner.route
        ]
        route.backgrounds = [
            m.Background(
                position=i,
                slug=b.slug,
                name=b.name,
                synonyms=b.synonyms,
                keywords=b.keywords,
                start_step=b.start_step,
                start=b.start,
                fr=b.fr.dict(),
            )
            for i, b in enumerate(beginner.backgrounds, start=1)
        ]
        self.session.add(route)

        programmes = c.programmes
        topic = self.topic(programmes, programmes.school.points)
        topic.points.append(
            m.TopicPoint(
                position=len(topic.points) + 1,
                slug="apply",
                name="Apply",
                text=programmes.apply.text,
                keywords=programmes.apply.keywords,
                fr={"name": "Candidater", **programmes.apply.fr.dict()},
                section=self.section(programmes.apply.section),
            )
        )
        for i, programme in enumerate(programmes.programmes, start=1):
            self.entry(m.Programme, i, programme)

        for i, subject in enumerate(c.not_covered.subjects, start=1):
            self.session.add(
                m.NotCoveredSubject(
                    position=i,
                    slug=subject.slug,
                    name=subject.name,
                    phrases=subject.phrases,
                    nearby=subject.nearby,
                    fr=subject.fr.dict(),
                )
            )
