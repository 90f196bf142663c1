"""What the bot answers on each topic, decided from the knowledge base.

Functions here pick a domain response (``utter_...``, where the wording lives)
and the knowledge-base values that fill it, plus buttons for the next useful
questions. They know nothing of Rasa: the actions in ``actions/`` turn an
:class:`Answer` into ``dispatcher`` calls and slot events.

Each answer records a key in the ``answered`` slot ("skills", "skills:python"),
so that a question asked again is acknowledged and extended rather than
repeated word for word.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.answers.choose import ENTITY_TOPICS, Choice, Chooser
from bot.answers.not_covered import SubjectFinder
from bot.answers.ranking import PassageIndex, Tokenise
from bot.answers.wording import wording
from bot.knowledge import models as m
from bot.knowledge.french import english
from bot.knowledge.passages import Passage, slugify
from bot.knowledge.places import french_country_name
from bot.knowledge.queries import KnowledgeBase, Outlook

TOPICS = ("role", "skills", "degrees", "salary", "missions", "beginner", "programmes")


@dataclass(frozen=True)
class Button:
    title: str
    payload: str

    def as_dict(self) -> dict[str, str]:
        return {"title": self.title, "payload": self.payload}


@dataclass(frozen=True)
class Say:
    """One bot message: a domain response filled with values, and buttons."""

    response: str
    values: dict[str, Any] = field(default_factory=dict)
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True)
class Answer:
    topic: str
    key: str  # what was answered, for the `answered` slot
    messages: list[Say]
    # Other slots the answer sets: "unanswered" (for the console), the question
    # kept for the hand-off.
    slots: dict[str, Any] = field(default_factory=dict)


def _bullets(lines: Sequence[str]) -> str:
    return "\n".join(f"- {line}" for line in lines)


# The payloads of the buttons for the next natural questions, by topic (their
# titles are in each language's wording, bot/answers/wording.py).
_ASK = {
    "role": "/ask_role",
    "skills": "/ask_skills",
    "degrees": "/ask_degrees",
    "salary": "/ask_salary",
    "missions": "/ask_missions",
    "beginner": "/ask_beginner_route",
    "programmes": "/ask_programs",
    "apply": "/apply",
}
_NEXT = {
    "role": ("skills", "beginner", "salary"),
    "skills": ("beginner", "degrees", "programmes"),
    "degrees": ("programmes", "beginner", "apply"),
    "salary": ("skills", "beginner", "programmes"),
    "missions": ("skills", "beginner", "programmes"),
    "beginner": ("programmes", "degrees", "apply"),
    "programmes": ("apply", "degrees", "salary"),
}


def literal(text: str) -> str:
    """Visitor text for a Markdown response: shown as typed, never a link or image.

    Responses are Markdown (the widget renders it). Escaping the brackets (and
    backslashes) is enough that nothing a visitor wrote becomes a link or an
    image; HTML is already shown as text by the widget.
    """
    return _MARKDOWN_LINK_CHARS.sub(r"\\\g<0>", text)


_MARKDOWN_LINK_CHARS = re.compile(r"[\\\[\]]")


# ``ADVISOR_PASSAGE_RANKING=0`` answers every question with its topic's answer
# about the NLU's entity, as before the passages were ranked (make bench's
# "before"): no passage leads, nothing is "not in the guide".
RANKING_VARIABLE = "ADVISOR_PASSAGE_RANKING"


class Advisor:
    """Answers on every topic from one knowledge base."""

    def __init__(
        self,
        kb: KnowledgeBase,
        tokenise: Tokenise,
        *,
        ranking: bool = True,
        language: str = "en",
    ) -> None:
        self.language = language
        self.words = wording(language)
        self.kb = kb.in_language(language)
        self._tokenise = tokenise
        self.ranking = ranking
        self._chooser: tuple[str, Chooser] | None = None

    def ask(self, topic: str) -> Button:
        """The button that asks about ``topic`` ("apply" included)."""
        return Button(self.words.asks[topic], _ASK[topic])

    def next_buttons(self, topic: str) -> tuple[Button, ...]:
        return tuple(self.ask(t) for t in _NEXT[topic])

    def _summaries(self, entries: Sequence[Any]) -> str:
        """ "- Name: summary" a line each ("Nom : résumé" in French)."""
        return _bullets([f"{e.name}{self.words.colon}{e.summary}" for e in entries])

    def chooser(self) -> Chooser:
        """The passage index and subject finder of the current content, built once."""
        digest = self.kb.snapshot().digest
        if self._chooser is None or self._chooser[0] != digest:
            index = PassageIndex(self.kb.passages(), self._tokenise)
            self._chooser = (
                digest,
                Chooser(index, SubjectFinder.of(self.kb.not_covered())),
            )
        return self._chooser[1]

    def reply(
        self,
        text: str,
        topic: str | None,
        entities: dict[str, list[str]] | None = None,
        answered: Sequence[str] = (),
    ) -> Answer | None:
        """The answer to ``text`` on ``topic`` (None: unsure); None if none is good."""
        if not self.ranking:
            return self._topic_only(topic, entities, answered)
        choice = self.chooser().choose(text, topic, entities)
        if choice.kind == "overview" and choice.topic in ("skills", "beginner"):
            # A skill or background the guide does not know: say so, then the
            # overview ("The guide doesn't say anything about "Rust" as such").
            entity = "skill" if choice.topic == "skills" else "background"
            about = next(iter((entities or {}).get(entity) or ()), None)
            return self.answer(choice.topic, about, answered)
        return self.respond(choice, text, answered)

    def _topic_only(
        self,
        topic: str | None,
        entities: dict[str, list[str]] | None,
        answered: Sequence[str],
    ) -> Answer | None:
        """The topic's answer about the NLU's entity, without ranking."""
        if topic not in TOPICS:
            return None
        entity = next((e for e, t in ENTITY_TOPICS.items() if t == topic), None)
        about = next(iter((entities or {}).get(entity or "") or ()), None)
        return self.answer(topic, about, answered)

    def respond(
        self, choice: Choice, text: str = "", answered: Sequence[str] = ()
    ) -> Answer | None:
        if choice.kind == "not_covered":
            return self.not_covered(choice.subjects, text, choice.topic)
        if choice.kind == "places":
            if len(choice.places) == 1:
                return self.salary(choice.places[0], answered)
            return self.compare_places(choice.places, answered)
        if choice.kind == "passage" and choice.passage is not None:
            return self.passage(choice.passage, answered)
        if choice.kind == "overview" and choice.topic in TOPICS:
            return self.answer(choice.topic, None, answered)
        return None

    # -- one passage ---------------------------------------------------------

    def passage(self, passage: Passage, answered: Sequence[str] = ()) -> Answer:
        """The answer that leads with ``passage``, citing it, with the overview next."""
        name = passage.title
        by_kind = {
            "item": lambda: self.skills(name, answered),
            "area": lambda: self.skills(name, answered),
            "pathway": lambda: self.degrees(name, answered),
            "mission": lambda: self.missions(name, answered),
            "region": lambda: self.salary(name, answered),
            "place": lambda: self.salary(name, answered),
            "background": lambda: self.beginner(name, answered),
            "programme": lambda: self.programmes(name, answered),
        }
        make = by_kind.get(passage.kind)
        if make is not None:
            answer = make()
        else:  # a point of a topic, a step of the route
            answer = Answer(
                passage.topic,
                passage.id,
                [Say("utter_passage", {"text": passage.text})],
            )
        lead, *rest = answer.messages
        buttons = (
            Button(self.words.overview_titles[passage.topic], _ASK[passage.topic]),
            *(b for b in lead.buttons if b.payload != _ASK[passage.topic]),
        )[:3]
        cited = Say(
            lead.response,
            {**lead.values, "source": self.words.cite.format(section=passage.section)},
            buttons,
        )
        key = answer.key if ":" in answer.key else passage.id
        return Answer(answer.topic, key, [cited, *rest], answer.slots)

    # -- what the guide does not cover ----------------------------------------

    def not_covered(
        self,
        subjects: Sequence[m.NotCoveredSubject],
        text: str = "",
        topic: str | None = None,
    ) -> Answer:
        """Say plainly that the guide does not cover it; offer the admissions team.

        What the guide says nearby comes from its passages, which hold no
        figure, date or duration (the loader refuses money amounts).
        """
        passages = {p.id: p for p in self.kb.passages()}
        nearby = [
            passages[i]
            for i in dict.fromkeys(i for s in subjects for i in s.nearby)
            if i in passages
        ][:1]
        values = {
            "subjects": self.words.listing([s.name for s in subjects])
            or self.words.anything_else,
            "nearby": self.words.nearby.format(text=nearby[0].text) if nearby else "",
        }
        slugs = ",".join(s.slug for s in subjects) or "other"
        buttons = (
            Button(self.words.ask_admissions, "/request_human"),
            self.ask("programmes"),
        )
        say = Say("utter_not_covered", values, buttons)
        return Answer(
            topic if topic in TOPICS else "",
            f"not_covered:{slugs}",
            [say],
            {"unanswered": slugs, "handoff_question": text[:500] or None},
        )

    def not_covered_with_application(self, text: str) -> Say | None:
        """A request to apply that also asks what the guide does not cover.

        "can I start in January, I want to apply": the form starts (the visitor
        asked for it), after saying plainly that the guide does not cover the
        start dates, and the question goes to the admissions team with the
        application (:class:`actions.forms.ValidateApplicationForm`).
        """
        subjects = self.chooser().subjects.find(text)
        if not subjects:
            return None
        return Say(
            "utter_apply_not_covered",
            {"subjects": self.words.listing([s.name for s in subjects])},
        )

    # -- comparisons -----------------------------------------------------------

    def compare_places(
        self, places: Sequence[str], answered: Sequence[str] = ()
    ) -> Answer:
        """Several places in one salary question: each one's region, no figures."""
        lines, names = [], []
        for place in places:
            outlook = self.kb.outlook_for_place(place)
            name = literal(self._place_name(outlook))
            names.append(name)
            if outlook.region is None:
                lines.append(self.words.no_pay_there.format(name=name))
            elif outlook.place is not None and outlook.resolved is not None:
                where = self.words.in_country.format(
                    name=name, country=outlook.place.name, region=outlook.region.name
                )
                lines.append(f"{where}{self.words.colon}{outlook.place.note}")
            elif outlook.place is not None:
                where = f"{name} ({outlook.region.name})"
                lines.append(f"{where}{self.words.colon}{outlook.place.note}")
            else:
                where = f"{name} ({outlook.region.name})"
                lines.append(f"{where}{self.words.colon}{outlook.region.summary}")
        say = Say(
            "utter_salary_compare",
            {
                "places": self.words.listing(names),
                "lines": _bullets(lines),
                "no_figures": self.kb.point("salary", "no-figures").text,
            },
            self.next_buttons("salary"),
        )
        key = "salary:" + "+".join(p.lower() for p in places)
        return Answer("salary", key, [say])

    def _place_name(self, outlook: Outlook) -> str:
        """The place as the visitor's language says it: "Allemagne", not the
        resolver's "Germany"; a city as the visitor wrote it ("Londres")."""
        resolved = outlook.resolved
        if self.language != "fr" or resolved is None:
            return outlook.place_name
        if resolved.kind == "country":
            return french_country_name(resolved.country_code) or resolved.name
        return outlook.query.strip() or resolved.name

    def passage_for_place(self, place: str) -> str | None:
        """The passage id a salary answer about ``place`` leads with (for make eval)."""
        outlook = self.kb.outlook_for_place(place)
        if outlook.place is not None:
            return f"salary:{slugify(english(outlook.place).name)}"
        if outlook.region is not None:
            return f"salary:{outlook.region.slug}"
        return None

    # -- role ----------------------------------------------------------------

    def role(self, answered: Sequence[str] = ()) -> Answer:
        topic = self.kb.topic("role")
        points = {p.slug: p for p in topic.points}
        if "role" in answered:
            extra = [
                p.text for p in topic.points if p.slug not in ("what-it-is", "bridge")
            ]
            say = Say("utter_role_again", {"more": " ".join(extra[:2])})
        else:
            say = Say(
                "utter_role", {"intro": topic.intro, "bridge": points["bridge"].text}
            )
        return Answer("role", "role", [_with_buttons(say, self.next_buttons("role"))])

    # -- skills --------------------------------------------------------------

    def skills(self, skill: str | None = None, answered: Sequence[str] = ()) -> Answer:
        found = self.kb.skill(skill) if skill else None
        if found is not None and found.item is not None:
            item, area = found.item, found.area
            key = f"skills:{english(item).name.lower()}"
            say = Say(
                "utter_skill_item",
                {
                    "item": item.name,
                    "area": area.name,
                    "why": item.why,
                    "related": self.words.listing(
                        [i.name for i in area.items if i.id != item.id][:4]
                    ),
                },
            )
            return Answer(
                "skills", key, [_with_buttons(say, self.next_buttons("skills"))]
            )
        if found is not None:
            area = found.area
            say = Say(
                "utter_skill_area",
                {
                    "area": area.name,
                    "detail": area.detail,
                    "items": self.words.listing([i.name for i in area.items]),
                },
            )
            return Answer(
                "skills",
                f"skills:{area.slug}",
                [_with_buttons(say, self.next_buttons("skills"))],
            )
        if skill:
            unknown = Say("utter_skill_unknown", {"skill": literal(skill)})
            return Answer(
                "skills", "skills", [unknown, *self._skills_overview(answered).messages]
            )
        return self._skills_overview(answered)

    def _skills_overview(self, answered: Sequence[str]) -> Answer:
        topic = self.kb.topic("skills")
        areas = self.kb.skills()
        # "About Python", "About Agile": the first item of the first two areas.
        firsts = [area.items[0] for area in areas[:2] if area.items]
        buttons = (
            *(
                Button(
                    self.words.about.format(name=item.name),
                    f'/ask_skills{{"skill": "{english(item).name}"}}',
                )
                for item in firsts
            ),
            self.next_buttons("skills")[0],
        )
        if "skills" in answered:
            unseen = [a for a in areas if f"skills:{a.slug}" not in answered]
            extra = unseen[0] if unseen else areas[0]
            say = Say(
                "utter_skills_again",
                {
                    "areas": self.words.listing([a.name for a in areas]),
                    "area": extra.name,
                    "detail": extra.detail,
                },
            )
            return Answer(
                "skills", f"skills:{extra.slug}", [_with_buttons(say, buttons)]
            )
        say = Say(
            "utter_skills",
            {
                "intro": topic.intro,
                "areas": self._summaries(areas),
            },
        )
        return Answer("skills", "skills", [_with_buttons(say, buttons)])

    # -- entries with a list and a detail: degrees, missions ------------------

    def degrees(self, text: str | None = None, answered: Sequence[str] = ()) -> Answer:
        return self._entries(
            "degrees", self.kb.pathways(), self.kb.pathway(text), answered
        )

    def missions(self, text: str | None = None, answered: Sequence[str] = ()) -> Answer:
        return self._entries(
            "missions", self.kb.missions(), self.kb.mission(text), answered
        )

    def _entries(
        self,
        topic_slug: str,
        entries: Sequence[m.Pathway | m.Mission],
        chosen: m.Pathway | m.Mission | None,
        answered: Sequence[str],
    ) -> Answer:
        topic = self.kb.topic(topic_slug)
        buttons = self.next_buttons(topic_slug)
        if chosen is None and topic_slug in answered:
            unseen = [e for e in entries if f"{topic_slug}:{e.slug}" not in answered]
            chosen = unseen[0] if unseen else None
            if chosen is not None:
                recap = Say(
                    f"utter_{topic_slug}_again",
                    {"names": self.words.listing([e.name for e in entries])},
                )
                detail = Say(
                    "utter_entry_detail",
                    {"name": chosen.name, "detail": chosen.detail},
                    buttons,
                )
                return Answer(
                    topic_slug, f"{topic_slug}:{chosen.slug}", [recap, detail]
                )
        if chosen is not None:
            say = Say(
                "utter_entry_detail",
                {"name": chosen.name, "detail": chosen.detail},
                buttons,
            )
            return Answer(topic_slug, f"{topic_slug}:{chosen.slug}", [say])
        say = Say(
            f"utter_{topic_slug}",
            {
                "intro": topic.intro,
                "entries": self._summaries(entries),
            },
            buttons,
        )
        return Answer(topic_slug, topic_slug, [say])

    # -- salary ------------------------------------------------------------------

    def salary(self, place: str | None = None, answered: Sequence[str] = ()) -> Answer:
        buttons = self.next_buttons("salary")
        # Said once per conversation: every salary answer carrying it is noise.
        first_time = not any(key.startswith("salary") for key in answered)
        no_figures = (
            " " + self.kb.point("salary", "no-figures").text if first_time else ""
        )
        if not place:
            topic = self.kb.topic("salary")
            regions = self.kb.regions()
            say = Say(
                "utter_salary_overview",
                {
                    "intro": topic.intro,
                    "regions": self._summaries(regions),
                    "no_figures": no_figures.strip(),
                },
                tuple(
                    Button(r.name, f'/ask_salary{{"location": "{english(r).name}"}}')
                    for r in regions
                ),
            )
            return Answer("salary", "salary", [say])
        outlook = self.kb.outlook_for_place(place)
        values: dict[str, Any] = {
            "place": literal(self._place_name(outlook)),
            "no_figures": no_figures,
        }
        if outlook.region is None:
            regions = self.words.listing([r.name for r in self.kb.regions()])
            response = (
                "utter_salary_unknown_place"
                if outlook.resolved is None
                else "utter_salary_no_region"
            )
            values["regions"] = regions
            return Answer("salary", "salary", [Say(response, values, buttons)])
        region = outlook.region
        values.update(region=region.name, outlook=region.summary, detail=region.detail)
        key = f"salary:{outlook.place_name.lower()}"
        if outlook.place is not None and outlook.resolved is None:
            response = "utter_salary_named_place"
            values["note"] = outlook.place.note
        elif outlook.place is not None:
            # A city of a country the article names: "Lyon" -> France.
            response = "utter_salary_city_in_named_country"
            values.update(country=outlook.place.name, note=outlook.place.note)
        elif outlook.resolved is None:
            response = "utter_salary_region"
        else:
            response = "utter_salary_unnamed_place"
        return Answer("salary", key, [Say(response, values, buttons)])

    # -- beginner route ------------------------------------------------------------

    def beginner(
        self, background: str | None = None, answered: Sequence[str] = ()
    ) -> Answer:
        route = self.kb.route_for_background(background)
        steps = _numbered([s.text for s in route.steps], first=route.steps[0].position)
        buttons = self.next_buttons("beginner")
        if route.background is not None:
            say = Say(
                "utter_route_from_background",
                {
                    "background": route.background.name.lower(),
                    "start": route.background.start,
                    "steps": steps,
                },
                buttons,
            )
            return Answer("beginner", f"beginner:{route.background.slug}", [say])
        if background:
            messages = [
                Say("utter_background_unknown", {"background": literal(background)})
            ]
        else:
            messages = []
        if "beginner" in answered and not background:
            messages.append(Say("utter_route_again", {"steps": steps}, buttons))
        else:
            messages.append(
                Say(
                    "utter_route",
                    {"answer": route.route.answer, "steps": steps},
                    buttons,
                )
            )
        return Answer("beginner", "beginner", messages)

    # -- programmes ----------------------------------------------------------------

    def programmes(
        self, programme: str | None = None, answered: Sequence[str] = ()
    ) -> Answer:
        apply = self.kb.point("programmes", "apply").text
        buttons = (self.ask("apply"), *self.next_buttons("programmes")[1:])
        chosen = self.kb.programme(programme)
        if chosen is not None:
            say = Say(
                "utter_programme_detail",
                {"name": chosen.name, "detail": chosen.detail, "apply": apply},
                buttons,
            )
            return Answer("programmes", f"programmes:{chosen.slug}", [say])
        topic = self.kb.topic("programmes")
        points = {p.slug: p.text for p in topic.points}
        programmes = self.kb.programmes()
        if "programmes" in answered:
            say = Say(
                "utter_programmes_again",
                {
                    "names": self.words.listing([p.name for p in programmes]),
                    "rncp": points["rncp-titles"],
                    "more": points["employability"],
                    "apply": apply,
                },
                buttons,
            )
            return Answer("programmes", "programmes:again", [say])
        say = Say(
            "utter_programmes",
            {
                "intro": topic.intro,
                "programmes": self._summaries(programmes),
                "rncp": points["rncp-titles"],
                "projects": points["real-world-projects"],
                "apply": apply,
            },
            buttons,
        )
        return Answer("programmes", "programmes", [say])

    # -- routing -------------------------------------------------------------------

    def answer(
        self, topic: str, about: str | None = None, answered: Sequence[str] = ()
    ) -> Answer:
        """The answer on ``topic``, about one entry of it when ``about`` names one."""
        if topic == "role":
            return self.role(answered)
        handler = {
            "skills": self.skills,
            "degrees": self.degrees,
            "salary": self.salary,
            "missions": self.missions,
            "beginner": self.beginner,
            "programmes": self.programmes,
        }[topic]
        return handler(about, answered)

    def no_topic(self) -> Answer:
        """A follow-up ("what about that?") with no topic to continue and no
        passage that answers it: ask what it is about. The topic a follow-up
        continues is decided with the passages (:meth:`reply`)."""
        return Answer(
            "help",
            "help",
            [
                Say(
                    "utter_follow_up_no_topic",
                    {},
                    tuple(self.ask(t) for t in ("role", "skills", "salary")),
                )
            ],
        )

    # -- source --------------------------------------------------------------------

    def source(self, topic: str | None) -> Answer:
        if topic not in TOPICS:
            return Answer("source", "source", [Say("utter_source_general")])
        sections = self.kb.sources(topic)
        reviewed = max(s.reviewed_on for s in sections)
        say = Say(
            "utter_source",
            {
                "sections": self.words.listing([f"“{s.title}”" for s in sections[:3]]),
                "reviewed_on": self.words.date(reviewed),
            },
        )
        return Answer(topic, "source", [say])


def _with_buttons(say: Say, buttons: Sequence[Button]) -> Say:
    return Say(say.response, say.values, tuple(buttons))


def _numbered(lines: Sequence[str], first: int = 1) -> str:
    return "\n".join(f"{i}. {line}" for i, line in enumerate(lines, start=first))
