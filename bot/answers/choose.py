"""What a question is answered with: one passage, the overview, or "not in the guide".

:func:`Chooser.choose` takes what the NLU made of a message (its topic and
entities) and the message itself; the actions render its :class:`Choice`
(:meth:`bot.answers.topics.Advisor.respond`), and ``make eval`` scores it.
The thresholds were chosen on the evaluation set (tests/answers_eval.yml,
docs/evaluation.md), not on single examples.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.answers.not_covered import SubjectFinder
from bot.answers.ranking import PassageIndex, Ranked
from bot.knowledge import models as m
from bot.knowledge.passages import OVERVIEW, Passage

# Scores are BM25's (bot/answers/ranking.py): sums of the question's words'
# weights, not bounded by 1.
# A specific passage leads, instead of the overview, when the question names it
# (a name or synonym) or when it scores at least this much...
SPECIFIC_MIN = 2.0
# ...and this much more than the topic's overview.
OVERVIEW_MARGIN = 0.5
# How much another topic's passage counts against one of the NLU's topic.
OTHER_TOPIC_WEIGHT = 0.5
# Topics the article tells apart less sharply than the NLU can: the role's
# points (delivery on time and on budget, the team's go-between) are also what
# the missions do. A sibling's passages count in full, and can be named.
SIBLING_TOPICS = {"role": frozenset({"missions"}), "missions": frozenset({"role"})}
# Across all topics (the NLU was unsure): the best passage must score this much.
ACROSS_MIN = 5.0
# The topic each intent asks about, as data/rules/topics.yml routes them.
INTENT_TOPICS = {
    "ask_role": "role",
    "ask_skills": "skills",
    "ask_degrees": "degrees",
    "ask_salary": "salary",
    "ask_missions": "missions",
    "ask_beginner_route": "beginner",
    "ask_programs": "programmes",
}
NOT_COVERED_INTENT = "ask_not_covered"
NOT_COVERED = "not_covered"  # the pseudo-topic of that intent
# An "ask_not_covered" message is answered from a passage only above this score.
NOT_COVERED_MIN = 3.0
# Entities whose value names a passage, and the topic they belong to.
ENTITY_TOPICS = {
    "skill": "skills",
    "programme": "programmes",
    "background": "beginner",
    "location": "salary",
}


def near_topics(topic: str) -> frozenset[str]:
    """``topic`` and its siblings: the topics whose passages count in full."""
    return frozenset({topic, *SIBLING_TOPICS.get(topic, ())})


@dataclass(frozen=True)
class Choice:
    """What to answer. ``kind``: passage, overview, places, not_covered, unsure."""

    kind: str
    topic: str | None
    passage: Passage | None = None
    ranked: tuple[Ranked, ...] = ()
    subjects: tuple[m.NotCoveredSubject, ...] = ()
    places: tuple[str, ...] = ()
    meta: dict[str, float] = field(default_factory=dict)

    @property
    def passage_ids(self) -> list[str]:
        """The passages this choice answers with, best first (for ``make eval``)."""
        lead = [self.passage.id] if self.passage is not None else []
        return list(dict.fromkeys([*lead, *(r.passage.id for r in self.ranked)]))


class Chooser:
    def __init__(self, index: PassageIndex, subjects: SubjectFinder) -> None:
        self.index = index
        self.subjects = subjects

    def choose(
        self,
        text: str,
        topic: str | None,
        entities: Mapping[str, Sequence[str]] | None = None,
    ) -> Choice:
        """The answer to ``text``, asked (the NLU says) about ``topic``.

        ``topic`` None means the NLU was unsure: every topic's passages compete.
        ``entities``: the NLU's entity values by type, all of them ("Lyon" and
        "Montreal" for a comparison).
        """
        entities = entities or {}
        question = "" if text.startswith("/") else text  # a button: no words
        found = tuple(self.subjects.find(question))
        if found:
            return Choice("not_covered", topic, subjects=found)
        if topic == NOT_COVERED:
            # The NLU says "not in the guide" but names no known subject: a
            # passage that clearly answers still wins, else "not in the guide".
            choice = self._across(question, {}, NOT_COVERED_MIN, by_name=False)
            return choice if choice.kind != "unsure" else Choice("not_covered", None)
        places = tuple(dict.fromkeys(entities.get("location") or ()))
        if (topic in (None, "salary")) and places:
            return Choice("places", "salary", places=places)
        if topic is None:
            return self._across(question, entities)
        ranked = self._weighted(question, topic)
        named = self._named(question, topic, entities)
        if named is not None:
            return Choice("passage", named.topic, named, ranked)
        return self._within(topic, ranked)

    def _weighted(self, text: str, topic: str) -> tuple[Ranked, ...]:
        """Every passage, the NLU's topic first: its scores count in full.

        Other topics still compete, at OTHER_TOPIC_WEIGHT: "who keeps everyone
        on the same page?" is about the role even when the NLU says missions.
        """
        if not text:
            return ()
        near = near_topics(topic)
        ranked = [
            Ranked(
                r.passage,
                r.score if r.passage.topic in near else r.score * OTHER_TOPIC_WEIGHT,
            )
            for r in self.index.rank(text, named_in=near)
        ]
        return tuple(sorted(ranked, key=lambda r: -r.score))

    def _named(
        self, text: str, topic: str, entities: Mapping[str, Sequence[str]]
    ) -> Passage | None:
        """A passage of ``topic`` that an entity or the words name outright."""
        candidates: list[Passage] = []
        for entity, entity_topic in ENTITY_TOPICS.items():
            if entity_topic == topic:
                for value in entities.get(entity) or ():
                    candidates += self.index.named(value, backgrounds=True)
        candidates += self.index.named(text, backgrounds=topic == "beginner")
        near = near_topics(topic)
        return next((p for p in candidates if p.topic in near), None)

    @staticmethod
    def _within(topic: str, ranked: Sequence[Ranked]) -> Choice:
        overview = next(
            (r.score for r in ranked if r.passage.id == f"{topic}:{OVERVIEW}"), 0.0
        )
        best = next((r for r in ranked if not r.passage.is_overview), None)
        meta = {"overview": overview, "best": best.score if best else 0.0}
        if (
            best is not None
            and best.score >= SPECIFIC_MIN
            and best.score >= overview + OVERVIEW_MARGIN
        ):
            return Choice(
                "passage", best.passage.topic, best.passage, tuple(ranked), meta=meta
            )
        return Choice("overview", topic, None, tuple(ranked), meta=meta)

    def _across(
        self,
        text: str,
        entities: Mapping[str, Sequence[str]],
        threshold: float = ACROSS_MIN,
        by_name: bool = True,
    ) -> Choice:
        ranked = tuple(self.index.rank(text)) if text else ()
        named = self.index.named(text) if by_name else []
        for entity in ("skill", "programme", "background"):
            for value in entities.get(entity) or ():
                named = [*self.index.named(value, backgrounds=True), *named]
        if named:
            return Choice("passage", named[0].topic, named[0], ranked)
        if ranked and ranked[0].score >= threshold:
            best = ranked[0]
            kind = "overview" if best.passage.is_overview else "passage"
            passage = None if best.passage.is_overview else best.passage
            return Choice(kind, best.passage.topic, passage, ranked)
        return Choice("unsure", None, None, ranked)
