"""Tables of the knowledge base.

Every fact keeps the article section it comes from (``section``), and every
section the date its content was last reviewed, so that an answer can name its
source. Relationships load eagerly (``selectin``/``joined``) because the query
layer caches detached objects for the life of a seed.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Column, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, declared_attr, relationship

from bot.models import Base


class Section(Base):
    """A heading of the source article."""

    __tablename__ = "kb_sections"

    id: Mapped[int] = Column(Integer, primary_key=True)
    title: Mapped[str] = Column(String(200), nullable=False, unique=True)
    reviewed_on: Mapped[dt.date] = Column(Date, nullable=False)


class _Sourced:
    """Columns shared by every fact: where it comes from."""

    @declared_attr
    def section_id(cls) -> Mapped[int]:  # noqa: N805
        return Column(Integer, ForeignKey("kb_sections.id"), nullable=False)

    @declared_attr
    def section(cls) -> Mapped[Section]:  # noqa: N805
        return relationship(Section, lazy="joined")


class _Translated:
    """The fact's French wording: its content file's ``fr`` block (content.py)."""

    fr: Mapped[dict] = Column(JSON, nullable=False, default=dict)


class _Findable(_Translated):
    """The words visitors use for a fact, for ranking it (see content.py)."""

    keywords: Mapped[list[str]] = Column(JSON, nullable=False, default=list)


class _Entry(_Findable, _Sourced):
    """A named, ordered entry of a topic: a skill area, a pathway, a mission..."""

    id: Mapped[int] = Column(Integer, primary_key=True)
    slug: Mapped[str] = Column(String(80), nullable=False, unique=True)
    position: Mapped[int] = Column(Integer, nullable=False)
    name: Mapped[str] = Column(String(200), nullable=False)
    summary: Mapped[str] = Column(Text, nullable=False)
    detail: Mapped[str] = Column(Text, nullable=False)
    synonyms: Mapped[list[str]] = Column(JSON, nullable=False, default=list)


class Topic(_Findable, _Sourced, Base):
    """One subject the bot answers on (role, skills, salary...) and its overview."""

    __tablename__ = "kb_topics"

    id: Mapped[int] = Column(Integer, primary_key=True)
    slug: Mapped[str] = Column(String(40), nullable=False, unique=True)
    title: Mapped[str] = Column(String(200), nullable=False)
    intro: Mapped[str] = Column(Text, nullable=False)
    points: Mapped[list[TopicPoint]] = relationship(
        "TopicPoint",
        lazy="selectin",
        order_by="TopicPoint.position",
        cascade="all, delete-orphan",
    )


class TopicPoint(_Findable, _Sourced, Base):
    """A short fact attached to a topic (the role's points, the school's points)."""

    __tablename__ = "kb_topic_points"

    id: Mapped[int] = Column(Integer, primary_key=True)
    topic_id: Mapped[int] = Column(
        Integer, ForeignKey("kb_topics.id", ondelete="CASCADE"), nullable=False
    )
    position: Mapped[int] = Column(Integer, nullable=False)
    slug: Mapped[str] = Column(String(80), nullable=False)
    name: Mapped[str] = Column(String(200), nullable=False)
    text: Mapped[str] = Column(Text, nullable=False)
    synonyms: Mapped[list[str]] = Column(JSON, nullable=False, default=list)


class SkillArea(_Entry, Base):
    __tablename__ = "kb_skill_areas"

    items: Mapped[list[SkillItem]] = relationship(
        "SkillItem",
        lazy="selectin",
        order_by="SkillItem.position",
        back_populates="area",
        cascade="all, delete-orphan",
    )


class SkillItem(_Findable, Base):
    __tablename__ = "kb_skill_items"

    id: Mapped[int] = Column(Integer, primary_key=True)
    area_id: Mapped[int] = Column(
        Integer, ForeignKey("kb_skill_areas.id", ondelete="CASCADE"), nullable=False
    )
    position: Mapped[int] = Column(Integer, nullable=False)
    name: Mapped[str] = Column(String(120), nullable=False, unique=True)
    synonyms: Mapped[list[str]] = Column(JSON, nullable=False, default=list)
    why: Mapped[str] = Column(Text, nullable=False)
    area: Mapped[SkillArea] = relationship(SkillArea, back_populates="items")


class Pathway(_Entry, Base):
    """A degree or certification pathway."""

    __tablename__ = "kb_pathways"


class Region(_Entry, Base):
    """A salary region of the article and the places it names."""

    __tablename__ = "kb_regions"

    continents: Mapped[list[str]] = Column(JSON, nullable=False)
    places: Mapped[list[Place]] = relationship(
        "Place",
        lazy="selectin",
        order_by="Place.position",
        back_populates="region",
        cascade="all, delete-orphan",
    )


class Place(_Findable, Base):
    """A country, city or area that the article names."""

    __tablename__ = "kb_places"

    id: Mapped[int] = Column(Integer, primary_key=True)
    region_id: Mapped[int] = Column(
        Integer, ForeignKey("kb_regions.id", ondelete="CASCADE"), nullable=False
    )
    position: Mapped[int] = Column(Integer, nullable=False)
    name: Mapped[str] = Column(String(120), nullable=False, unique=True)
    kind: Mapped[str] = Column(String(20), nullable=False)
    country_code: Mapped[str] = Column(String(2), nullable=False)
    note: Mapped[str] = Column(Text, nullable=False)
    synonyms: Mapped[list[str]] = Column(JSON, nullable=False, default=list)
    region: Mapped[Region] = relationship(Region, back_populates="places")


class Mission(_Entry, Base):
    __tablename__ = "kb_missions"


class Route(_Translated, _Sourced, Base):
    """The way into the role, as ordered steps, with where each background starts."""

    __tablename__ = "kb_routes"

    id: Mapped[int] = Column(Integer, primary_key=True)
    slug: Mapped[str] = Column(String(40), nullable=False, unique=True)
    answer: Mapped[str] = Column(Text, nullable=False)
    steps: Mapped[list[RouteStep]] = relationship(
        "RouteStep",
        lazy="selectin",
        order_by="RouteStep.position",
        cascade="all, delete-orphan",
    )
    backgrounds: Mapped[list[Background]] = relationship(
        "Background",
        lazy="selectin",
        order_by="Background.position",
        back_populates="route",
        cascade="all, delete-orphan",
    )


class RouteStep(_Findable, _Sourced, Base):
    __tablename__ = "kb_route_steps"

    id: Mapped[int] = Column(Integer, primary_key=True)
    route_id: Mapped[int] = Column(
        Integer, ForeignKey("kb_routes.id", ondelete="CASCADE"), nullable=False
    )
    position: Mapped[int] = Column(Integer, nullable=False)
    text: Mapped[str] = Column(Text, nullable=False)
    synonyms: Mapped[list[str]] = Column(JSON, nullable=False, default=list)


class Background(_Findable, Base):
    """What a visitor does now, and where on the route that puts them."""

    __tablename__ = "kb_backgrounds"

    id: Mapped[int] = Column(Integer, primary_key=True)
    route_id: Mapped[int] = Column(
        Integer, ForeignKey("kb_routes.id", ondelete="CASCADE"), nullable=False
    )
    position: Mapped[int] = Column(Integer, nullable=False)
    slug: Mapped[str] = Column(String(80), nullable=False, unique=True)
    name: Mapped[str] = Column(String(120), nullable=False)
    synonyms: Mapped[list[str]] = Column(JSON, nullable=False, default=list)
    start_step: Mapped[int] = Column(Integer, nullable=False)
    start: Mapped[str] = Column(Text, nullable=False)
    route: Mapped[Route] = relationship(Route, back_populates="backgrounds")


class Programme(_Entry, Base):
    """A programme of the school."""

    __tablename__ = "kb_programmes"


class NotCoveredSubject(_Translated, Base):
    """A subject the guide does not cover, and the phrases that name it.

    Not sourced: it records an absence from the article, not one of its facts.
    """

    __tablename__ = "kb_not_covered"

    id: Mapped[int] = Column(Integer, primary_key=True)
    position: Mapped[int] = Column(Integer, nullable=False)
    slug: Mapped[str] = Column(String(80), nullable=False, unique=True)
    name: Mapped[str] = Column(String(200), nullable=False)
    phrases: Mapped[list[str]] = Column(JSON, nullable=False)
    nearby: Mapped[list[str]] = Column(JSON, nullable=False, default=list)


class KnowledgeMeta(Base):
    """Key/value facts about the loaded content (its digest, when it was seeded)."""

    __tablename__ = "kb_meta"

    key: Mapped[str] = Column(String(40), primary_key=True)
    value: Mapped[str] = Column(Text, nullable=False)
    updated_at: Mapped[dt.datetime] = Column(DateTime, nullable=False)
