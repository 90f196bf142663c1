"""The content files (``data/knowledge/*.yml``) and their validation.

Staff edit these files without touching Python; a malformed or incomplete file
is refused with a message naming the file, the entry and what is wrong.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ValidationError, constr, validator

SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"
# Money is the one kind of fact the article never gives: refuse any that creeps in.
MONEY = re.compile(
    r"[$€£¥]|\b\d[\d,.]*\s*(k|K|m|M)\b|\b(usd|eur|gbp|dollars?|euros?|pounds)\b",
    re.IGNORECASE,
)

Slug = constr(regex=SLUG, max_length=80)
Summary = constr(strip_whitespace=True, min_length=10, max_length=200)
Detail = constr(strip_whitespace=True, min_length=10, max_length=500)
Name = constr(strip_whitespace=True, min_length=1, max_length=200)
Text = constr(strip_whitespace=True, min_length=10, max_length=600)


class ContentError(ValueError):
    """A content file that cannot be loaded; the message says where and why."""


class _Strict(BaseModel):
    class Config:
        extra = "forbid"
        anystr_strip_whitespace = True

    @validator("*", pre=True)
    def _no_money(cls, value):  # noqa: N805
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str) and MONEY.search(text):
                raise ValueError(f"looks like a salary figure or currency: {text!r}")
        return value


def _lower_unique(values: list[str]) -> list[str]:
    cleaned = [v.strip().lower() for v in values if v.strip()]
    if len(set(cleaned)) != len(cleaned):
        repeated = sorted({v for v in cleaned if cleaned.count(v) > 1})
        raise ValueError(f"the list repeats itself: {repeated}")
    return cleaned


class _Findable(_Strict):
    """A fact visitors ask about: ``keywords`` are the words they use for it.

    Keywords count only when ranking the passages for a question (they are
    not said to the visitor and not tagged as entities); unlike synonyms, they
    may be shared with other facts.
    """

    keywords: list[str] = []

    _keywords = validator("keywords", allow_reuse=True)(_lower_unique)


class _French(_Findable):
    """A fact's French wording: the same fact, for a visitor who writes French.

    Only what the bot says or matches is translated; slugs, sections, dates and
    codes are the English entry's. Every fact has one (:data:`TRANSLATED`): the
    loader refuses a fact said in one language only.
    """

    synonyms: list[str] = []

    _synonyms = validator("synonyms", allow_reuse=True)(_lower_unique)


class PointFr(_French):
    name: Name
    text: Text


class EntryFr(_French):
    name: Name
    summary: Summary
    detail: Detail


class SkillItemFr(_French):
    name: Name
    why: Text


class PlaceFr(_French):
    name: Name
    note: Text


class RouteStepFr(_French):
    text: Text


class BackgroundFr(_French):
    name: Name
    start: Text


class ApplyFr(_French):
    text: Text


class TopicFr(_French):
    title: Name
    intro: constr(strip_whitespace=True, min_length=10, max_length=400)  # type: ignore[valid-type]


class SalaryFr(TopicFr):
    no_figures: Text
    no_figures_keywords: list[str] = []

    _no_figures_keywords = validator("no_figures_keywords", allow_reuse=True)(
        _lower_unique
    )


class BeginnerFr(TopicFr):
    answer: Text


class NotCoveredSubjectFr(_Strict):
    name: Name
    phrases: list[constr(strip_whitespace=True, min_length=2, max_length=80)]  # type: ignore[valid-type]

    _phrases = validator("phrases", allow_reuse=True)(_lower_unique)


class Point(_Findable):
    slug: Slug
    name: Name
    text: Text
    section: Name
    # Phrases that name this one point outright ("return on investment").
    synonyms: list[str] = []
    fr: PointFr

    _synonyms = validator("synonyms", allow_reuse=True)(_lower_unique)


class Entry(_Findable):
    slug: Slug
    name: Name
    summary: Summary
    detail: Detail
    section: Name
    synonyms: list[str] = []
    fr: EntryFr

    _synonyms = validator("synonyms", allow_reuse=True)(_lower_unique)


class SkillItem(_Findable):
    name: Name
    synonyms: list[str] = []
    why: Text
    fr: SkillItemFr

    _synonyms = validator("synonyms", allow_reuse=True)(_lower_unique)


class SkillArea(Entry):
    items: list[SkillItem]


class Place(_Findable):
    name: Name
    kind: Literal["country", "city", "area"]
    country_code: constr(regex=r"^[A-Z]{2}$")  # type: ignore[valid-type]
    note: Text
    synonyms: list[str] = []
    fr: PlaceFr

    _synonyms = validator("synonyms", allow_reuse=True)(_lower_unique)


class Region(Entry):
    continents: list[Literal["AF", "AN", "AS", "EU", "NA", "OC", "SA"]]
    places: list[Place]


class RouteStep(_Findable):
    position: int
    text: Text
    section: Name
    # Phrases that name this one step outright ("first step", "step one").
    synonyms: list[str] = []
    fr: RouteStepFr

    _synonyms = validator("synonyms", allow_reuse=True)(_lower_unique)


class Background(_Findable):
    slug: Slug
    name: Name
    synonyms: list[str] = []
    start_step: int
    start: Text
    fr: BackgroundFr

    _synonyms = validator("synonyms", allow_reuse=True)(_lower_unique)


class School(_Strict):
    name: Name
    points: list[Point]


class Apply(_Findable):
    text: Text
    section: Name
    fr: ApplyFr


class TopicFile(_Findable):
    """A topic's file; its ``keywords`` are the words of a general question."""

    version: Literal[1]
    topic: str
    title: Name
    section: Name
    reviewed_on: dt.date
    intro: constr(strip_whitespace=True, min_length=10, max_length=400)  # type: ignore[valid-type]
    fr: TopicFr


class RoleFile(TopicFile):
    topic: Literal["role"]
    points: list[Point]


class SkillsFile(TopicFile):
    topic: Literal["skills"]
    areas: list[SkillArea]


class DegreesFile(TopicFile):
    topic: Literal["degrees"]
    pathways: list[Entry]


class SalaryFile(TopicFile):
    topic: Literal["salary"]
    fr: SalaryFr
    no_figures: Text
    no_figures_keywords: list[str] = []

    _no_figures_keywords = validator("no_figures_keywords", allow_reuse=True)(
        _lower_unique
    )
    regions: list[Region]


class MissionsFile(TopicFile):
    topic: Literal["missions"]
    missions: list[Entry]


class BeginnerFile(TopicFile):
    topic: Literal["beginner"]
    fr: BeginnerFr
    answer: Text
    route: list[RouteStep]
    backgrounds: list[Background]

    @validator("backgrounds")
    def _start_on_the_route(cls, backgrounds, values):  # noqa: N805
        positions = {step.position for step in values.get("route", [])}
        for background in backgrounds:
            if positions and background.start_step not in positions:
                raise ValueError(
                    f"{background.slug}: start_step {background.start_step} "
                    f"is not a step of the route {sorted(positions)}"
                )
        return backgrounds


class ProgrammesFile(TopicFile):
    topic: Literal["programmes"]
    school: School
    programmes: list[Entry]
    apply: Apply


class NotCoveredSubject(_Strict):
    """A subject visitors ask about that the guide does not cover (fees, visas...)."""

    slug: Slug
    name: Name
    phrases: list[constr(strip_whitespace=True, min_length=2, max_length=80)]  # type: ignore[valid-type]
    nearby: list[constr(regex=r"^[a-z]+:[a-z0-9-]+$")] = []  # type: ignore[valid-type]
    fr: NotCoveredSubjectFr

    _phrases = validator("phrases", allow_reuse=True)(_lower_unique)

    @validator("phrases")
    def _some_phrase(cls, phrases):  # noqa: N805
        if not phrases:
            raise ValueError("a subject needs at least one phrase")
        return phrases


class NotCoveredFile(_Strict):
    version: Literal[1]
    subjects: list[NotCoveredSubject]


FILES: dict[str, type[_Strict]] = {
    "role.yml": RoleFile,
    "skills.yml": SkillsFile,
    "degrees.yml": DegreesFile,
    "salary.yml": SalaryFile,
    "missions.yml": MissionsFile,
    "beginner.yml": BeginnerFile,
    "programmes.yml": ProgrammesFile,
    "not_covered.yml": NotCoveredFile,
}

# How many entries the article has of each list; fewer means a file was cut short.
EXPECTED_COUNTS = {
    ("skills.yml", "areas"): 5,
    ("degrees.yml", "pathways"): 5,
    ("salary.yml", "regions"): 3,
    ("missions.yml", "missions"): 5,
}


class Content(BaseModel):
    role: RoleFile
    skills: SkillsFile
    degrees: DegreesFile
    salary: SalaryFile
    missions: MissionsFile
    beginner: BeginnerFile
    programmes: ProgrammesFile
    not_covered: NotCoveredFile

    def digest(self) -> str:
        """A stable fingerprint of the content, to make seeding idempotent."""
        payload = json.dumps(json.loads(self.json()), sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()


def _describe(error: ValidationError, data: dict) -> str:
    lines = []
    for item in error.errors():
        location = item["loc"]
        entry = _entry_name(data, location)
        where = ".".join(str(part) for part in location)
        lines.append(f"  entry {entry}, field {where}: {item['msg']}")
    return "\n".join(lines)


def _entry_name(data: dict, location: tuple) -> str:
    """Name the entry as a person would find it in the file: its slug or name."""
    node = data
    label = "(top level)"
    for part in location:
        if part == "fr":  # a French block is named by its English entry
            break
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and ("slug" in node or "name" in node):
            label = repr(node.get("slug") or node.get("name"))
    return label


def read_file(path: Path) -> _Strict:
    model = FILES[path.name]
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ContentError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ContentError(f"{path}: expected a mapping at the top level")
    try:
        parsed = model.parse_obj(data)
    except ValidationError as exc:
        raise ContentError(f"{path}: invalid content\n{_describe(exc, data)}") from exc
    for (file_name, field), expected in EXPECTED_COUNTS.items():
        if file_name == path.name and len(getattr(parsed, field)) != expected:
            raise ContentError(
                f"{path}: {field} has {len(getattr(parsed, field))} entries, "
                f"the article has {expected}"
            )
    return parsed


def read_content(directory: Path) -> Content:
    """Read and validate every content file; :class:`ContentError` on a problem."""
    missing = [name for name in FILES if not (directory / name).is_file()]
    if missing:
        raise ContentError(f"{directory}: missing content files: {', '.join(missing)}")
    parsed = {path.removesuffix(".yml"): read_file(directory / path) for path in FILES}
    content = Content(**parsed)
    _check_unique_slugs(content)
    _check_unique_synonyms(content)
    return content


def _check_unique_synonyms(content: Content) -> None:
    """A phrase may stand for one thing only, in either language.

    Entity synonyms become Rasa entity synonyms; those of points and route
    steps make their passage lead an answer (bot/answers/ranking.py).
    """
    named = [
        *(("skill", item) for area in content.skills.areas for item in area.items),
        *(("programme", p) for p in content.programmes.programmes),
        *(("background", b) for b in content.beginner.backgrounds),
        *(("place", p) for region in content.salary.regions for p in region.places),
    ]
    points = [*content.role.points, *content.programmes.school.points]
    unnamed = [
        *((f"point {p.name!r}", [*p.synonyms, *p.fr.synonyms]) for p in points),
        *(
            (f"step {s.position}", [*s.synonyms, *s.fr.synonyms])
            for s in content.beginner.route
        ),
    ]
    phrases = [
        *(
            (
                f"{kind} {entry.name!r}",
                {
                    entry.name.lower(),
                    *entry.synonyms,
                    entry.fr.name.lower(),
                    *entry.fr.synonyms,
                },
            )
            for kind, entry in named
        ),
        *unnamed,
    ]
    owner: dict[str, str] = {}
    for label, synonyms in phrases:
        for phrase in synonyms:
            if phrase in owner and owner[phrase] != label:
                raise ContentError(
                    f"{phrase!r} stands for both {owner[phrase]} and {label}; "
                    "a synonym may name one entry only"
                )
            owner[phrase] = label


def _check_unique_slugs(content: Content) -> None:
    seen: dict[str, str] = {}
    entries = [
        *content.skills.areas,
        *content.degrees.pathways,
        *content.salary.regions,
        *content.missions.missions,
        *content.programmes.programmes,
    ]
    for entry in entries:
        if entry.slug in seen:
            raise ContentError(
                f"slug {entry.slug!r} is used twice ({seen[entry.slug]})"
            )
        seen[entry.slug] = entry.name
    subjects = [s.slug for s in content.not_covered.subjects]
    if len(set(subjects)) != len(subjects):
        raise ContentError("not_covered.yml: a subject slug is used twice")
