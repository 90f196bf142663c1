"""Typed queries over the knowledge base, the only way actions read it.

The content only changes when it is seeded again, so the whole knowledge base
is read once into detached objects (:class:`Snapshot`) and reused while the
stored content digest stays the same: a query costs one tiny read of
``kb_meta`` plus in-memory work. If the database cannot be read,
:class:`KnowledgeBaseUnavailable` is raised for the caller to apologise.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from bot.knowledge import models as m
from bot.knowledge.french import French
from bot.knowledge.load import stored_digest
from bot.knowledge.passages import Passage, build_passages
from bot.knowledge.places import ResolvedPlace, get_resolver, normalise


class KnowledgeBaseUnavailable(RuntimeError):
    """The knowledge base could not be read (database down, or never seeded)."""


class _Named(Protocol):
    name: str
    synonyms: list[str]


N = TypeVar("N", bound=_Named)


@dataclass(frozen=True)
class Snapshot:
    digest: str
    topics: dict[str, m.Topic]
    skill_areas: list[m.SkillArea]
    pathways: list[m.Pathway]
    regions: list[m.Region]
    missions: list[m.Mission]
    route: m.Route
    programmes: list[m.Programme]
    not_covered: list[m.NotCoveredSubject]


def in_french(snapshot: Snapshot) -> Snapshot:
    """The same content, every row seen through its French wording."""

    def rows(items):  # type: ignore[no-untyped-def]
        return [French(row) for row in items]

    return Snapshot(
        digest=snapshot.digest,
        topics={slug: French(topic) for slug, topic in snapshot.topics.items()},
        skill_areas=rows(snapshot.skill_areas),
        pathways=rows(snapshot.pathways),
        regions=rows(snapshot.regions),
        missions=rows(snapshot.missions),
        route=French(snapshot.route),
        programmes=rows(snapshot.programmes),
        not_covered=rows(snapshot.not_covered),
    )


@dataclass(frozen=True)
class SkillAnswer:
    area: m.SkillArea
    item: m.SkillItem | None


@dataclass(frozen=True)
class Outlook:
    """The salary outlook for a place a visitor named."""

    query: str
    region: m.Region | None
    place: m.Place | None  # set when the article names the place itself
    resolved: ResolvedPlace | None  # what the place resolver made of the query

    @property
    def place_name(self) -> str:
        if self.resolved is not None:
            return self.resolved.name
        if self.place is not None:
            return self.place.name
        return self.query


@dataclass(frozen=True)
class RouteAnswer:
    route: m.Route
    background: m.Background | None
    steps: list[m.RouteStep]  # from where this background starts


def _words(text: str) -> str:
    return " " + re.sub(r"[^a-z0-9+#.' ]+", " ", normalise(text)) + " "


def find_named(
    entries: Iterable[N], text: str | None, *, exactly: bool = False
) -> N | None:
    """The entry whose name or a synonym ``text`` is, or else mentions as words.

    ``exactly``: only the first (``text`` is the name or a synonym).
    """
    if not text:
        return None
    entries = list(entries)
    key = normalise(text)
    for entry in entries:
        if key == normalise(entry.name) or key in entry.synonyms:
            return entry
    if exactly:
        return None
    haystack = _words(text)
    best: tuple[int, N] | None = None
    for entry in entries:
        for phrase in [normalise(entry.name), *entry.synonyms]:
            if f" {phrase} " in haystack and (best is None or len(phrase) > best[0]):
                best = (len(phrase), entry)
    return best[1] if best else None


class KnowledgeBase:
    """Read access to the knowledge base through a session factory.

    ``recheck_seconds``: how long a snapshot is trusted before the stored digest
    is read again, so that a query costs no database round trip; a new seed is
    picked up within that time.
    """

    def __init__(
        self, session_factory: sessionmaker, recheck_seconds: float = 1.0
    ) -> None:
        self._session_factory = session_factory
        self._snapshot: Snapshot | None = None
        self._checked_at = float("-inf")
        self._recheck_seconds = recheck_seconds
        self._lock = threading.Lock()
        self._passages: tuple[str, list[Passage]] | None = None
        self._french_view: FrenchKnowledgeBase | None = None

    def in_language(self, language: str) -> KnowledgeBase:
        """This knowledge base in ``language`` ("en" or "fr"), sharing its reads;
        the French view is made once, so that its snapshot and passages are too."""
        if language != "fr":
            return self
        if self._french_view is None:
            self._french_view = FrenchKnowledgeBase(self)
        return self._french_view

    # -- loading -----------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """The current content, re-read only when its digest changed."""
        cached = self._snapshot
        if (
            cached is not None
            and time.monotonic() - self._checked_at < self._recheck_seconds
        ):
            return cached
        snapshot = self._current()
        self._checked_at = time.monotonic()
        return snapshot

    def _current(self) -> Snapshot:
        try:
            with self._session_factory() as session:
                digest = stored_digest(session)
                if digest is None:
                    raise KnowledgeBaseUnavailable(
                        "the knowledge base was never seeded"
                    )
                cached = self._snapshot
                if cached is not None and cached.digest == digest:
                    return cached
                with self._lock:
                    snapshot = self._read(session, digest)
                    self._snapshot = snapshot
                    return snapshot
        except SQLAlchemyError as exc:
            raise KnowledgeBaseUnavailable(str(exc)) from exc

    @staticmethod
    def _read(session, digest: str) -> Snapshot:  # type: ignore[no-untyped-def]
        def ordered(model):  # type: ignore[no-untyped-def]
            return list(session.scalars(select(model).order_by(model.position)))

        topics = {t.slug: t for t in session.scalars(select(m.Topic))}
        route = session.scalars(select(m.Route).where(m.Route.slug == "beginner")).one()
        return Snapshot(
            digest=digest,
            topics=topics,
            skill_areas=ordered(m.SkillArea),
            pathways=ordered(m.Pathway),
            regions=ordered(m.Region),
            missions=ordered(m.Mission),
            route=route,
            programmes=ordered(m.Programme),
            not_covered=ordered(m.NotCoveredSubject),
        )

    # -- topics ------------------------------------------------------------

    def topic(self, slug: str) -> m.Topic:
        return self.snapshot().topics[slug]

    def point(self, topic: str, slug: str) -> m.TopicPoint:
        return next(p for p in self.topic(topic).points if p.slug == slug)

    # -- skills ------------------------------------------------------------

    def skills(self) -> list[m.SkillArea]:
        return self.snapshot().skill_areas

    def skill(self, text: str | None) -> SkillAnswer | None:
        """The skill area (and item) that ``text`` is about: "python" -> technical."""
        areas = self.skills()
        items = [item for area in areas for item in area.items]
        item = find_named(items, text)
        if item is not None:
            area = next(a for a in areas if a.id == item.area_id)
            return SkillAnswer(area=area, item=item)
        area = find_named(areas, text)
        return SkillAnswer(area=area, item=None) if area else None

    # -- degrees, missions, programmes ----------------------------------------

    def pathways(self) -> list[m.Pathway]:
        return self.snapshot().pathways

    def pathway(self, text: str | None) -> m.Pathway | None:
        return find_named(self.pathways(), text)

    def missions(self) -> list[m.Mission]:
        return self.snapshot().missions

    def mission(self, text: str | None) -> m.Mission | None:
        return find_named(self.missions(), text)

    def programmes(self) -> list[m.Programme]:
        return self.snapshot().programmes

    def programme(self, text: str | None) -> m.Programme | None:
        return find_named(self.programmes(), text)

    # -- salary --------------------------------------------------------------

    def regions(self) -> list[m.Region]:
        return self.snapshot().regions

    def outlook_for_place(self, text: str) -> Outlook:
        """The region the article puts ``text`` in, and the place if it names it."""
        regions = self.regions()
        places = [place for region in regions for place in region.places]
        # "North America" is the region, though its words hold "America".
        region = find_named(regions, text, exactly=True)
        place = None if region else find_named(places, text)
        if place is not None:
            region = next(r for r in regions if r.id == place.region_id)
            return Outlook(query=text, region=region, place=place, resolved=None)
        region = region or find_named(regions, text)
        if region is not None:
            return Outlook(query=text, region=region, place=None, resolved=None)
        resolved = get_resolver().resolve(text)
        if resolved is None:
            return Outlook(query=text, region=None, place=None, resolved=None)
        named_country = next(
            (
                p
                for p in places
                if p.kind == "country" and p.country_code == resolved.country_code
            ),
            None,
        )
        if named_country is not None and resolved.kind != "country":
            # A city of a country the article names: "Lyon" -> what it says of France.
            region = next(r for r in regions if r.id == named_country.region_id)
            return Outlook(
                query=text, region=region, place=named_country, resolved=resolved
            )
        region = next((r for r in regions if resolved.continent in r.continents), None)
        return Outlook(query=text, region=region, place=None, resolved=resolved)

    # -- the beginner route ----------------------------------------------------

    def background(self, text: str | None) -> m.Background | None:
        return find_named(self.snapshot().route.backgrounds, text)

    def route_for_background(self, text: str | None) -> RouteAnswer:
        """The route, starting where a person with this background stands."""
        route = self.snapshot().route
        background = self.background(text)
        start = background.start_step if background else route.steps[0].position
        steps = [step for step in route.steps if step.position >= start]
        return RouteAnswer(route=route, background=background, steps=steps)

    # -- passages and what the guide does not cover ----------------------------

    def passages(self) -> list[Passage]:
        """Every fact as an answerable passage, derived once per content digest."""
        snapshot = self.snapshot()
        cached = self._passages
        if cached is None or cached[0] != snapshot.digest:
            cached = (snapshot.digest, build_passages(snapshot))
            self._passages = cached
        return cached[1]

    def not_covered(self) -> list[m.NotCoveredSubject]:
        return self.snapshot().not_covered

    # -- sources ----------------------------------------------------------------

    def sources(self, topic: str) -> Sequence[m.Section]:
        """The article sections a topic's answers come from, topic heading first."""
        snapshot = self.snapshot()
        entries: dict[str, list] = {
            "skills": snapshot.skill_areas,
            "degrees": snapshot.pathways,
            "salary": snapshot.regions,
            "missions": snapshot.missions,
            "beginner": snapshot.route.steps,
            "programmes": snapshot.programmes,
        }
        head = snapshot.topics[topic]
        sections = [head.section, *(p.section for p in head.points)]
        sections += [entry.section for entry in entries.get(topic, [])]
        return list({s.title: s for s in sections}.values())


class FrenchKnowledgeBase(KnowledgeBase):
    """The same queries over the French view of the same snapshot."""

    def __init__(self, english: KnowledgeBase) -> None:
        self._english = english
        self._french: Snapshot | None = None
        self._passages: tuple[str, list[Passage]] | None = None

    def in_language(self, language: str) -> KnowledgeBase:
        return self if language == "fr" else self._english

    def snapshot(self) -> Snapshot:
        current = self._english.snapshot()
        french = self._french
        if french is None or french.digest != current.digest:
            french = in_french(current)
            self._french = french
        return french
