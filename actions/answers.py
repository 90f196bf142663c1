"""One action per topic; each answers from the knowledge base through ``bot``."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import answered_keys, apologise, get_advisor, language_of, send
from bot.answers import Answer
from bot.answers.choose import ENTITY_TOPICS
from bot.answers.topics import TOPICS
from bot.knowledge.queries import KnowledgeBaseUnavailable

log = logging.getLogger(__name__)


class _AnswerAction(Action):
    """Run :meth:`answer` and send it; apologise if the knowledge base is down."""

    action_name = ""
    # False for answers about the conversation itself ("where does this come
    # from?"), which must not change the topic a follow-up continues.
    sets_topic = True

    def name(self) -> str:
        return self.action_name

    def answer(self, tracker: Tracker) -> Answer:
        raise NotImplementedError

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        try:
            answer = self.answer(tracker)
        except KnowledgeBaseUnavailable as error:
            return apologise(dispatcher, tracker, error)
        events = send(dispatcher, tracker, answer)
        return events if self.sets_topic else []


def _text(tracker: Tracker) -> str:
    return tracker.latest_message.get("text") or ""


def _entities(tracker: Tracker) -> dict[str, list[str]]:
    """Every entity value of the latest message by type ("Lyon", "Montreal")."""
    found: dict[str, list[str]] = {}
    for entity in tracker.latest_message.get("entities") or []:
        value = entity.get("value")
        if isinstance(value, str) and value.strip():
            found.setdefault(entity.get("entity"), []).append(value)
    return found


class _TopicAction(_AnswerAction):
    """A question the NLU placed in ``topic``: the passage that answers it."""

    topic = ""

    def answer(self, tracker: Tracker) -> Answer:
        entities = _entities(tracker)
        background = tracker.get_slot("background")
        if self.topic == "beginner" and background and not entities.get("background"):
            # The slot, not only this message: "I'm a teacher" said earlier counts.
            entities["background"] = [background]
        advisor = get_advisor(language_of(tracker))
        answer = advisor.reply(
            _text(tracker), self.topic, entities, answered_keys(tracker)
        )
        return answer or advisor.answer(self.topic, None, answered_keys(tracker))


class ActionAnswerRole(_TopicAction):
    action_name = "action_answer_role"
    topic = "role"


class ActionAnswerSkills(_TopicAction):
    action_name = "action_answer_skills"
    topic = "skills"


class ActionAnswerDegrees(_TopicAction):
    action_name = "action_answer_degrees"
    topic = "degrees"


class ActionAnswerSalary(_TopicAction):
    action_name = "action_answer_salary"
    topic = "salary"


class ActionAnswerMissions(_TopicAction):
    action_name = "action_answer_missions"
    topic = "missions"


class ActionAnswerBeginnerRoute(_TopicAction):
    action_name = "action_answer_beginner_route"
    topic = "beginner"


class ActionAnswerProgrammes(_TopicAction):
    action_name = "action_answer_programmes"
    topic = "programmes"


class ActionFollowUp(_AnswerAction):
    """A follow-up without a topic word: resolved against the conversation.

    An entity decides the topic (a place is about salaries, a skill about
    skills...); without one, the follow-up continues the last topic, and
    without a last topic every topic's passages compete.
    """

    action_name = "action_follow_up"

    def answer(self, tracker: Tracker) -> Answer:
        entities = _entities(tracker)
        topic = next(
            (t for e, t in ENTITY_TOPICS.items() if entities.get(e)),
            tracker.get_slot("topic"),
        )
        advisor = get_advisor(language_of(tracker))
        answered = answered_keys(tracker)
        answer = advisor.reply(
            _text(tracker), topic if topic in TOPICS else None, entities, answered
        )
        return answer or advisor.no_topic()


class ActionAnswerNotCovered(_AnswerAction):
    """A question on something the guide does not cover: say so, offer a person."""

    action_name = "action_answer_not_covered"

    def answer(self, tracker: Tracker) -> Answer:
        advisor = get_advisor(language_of(tracker))
        text = _text(tracker)
        subjects = advisor.chooser().subjects.find(text)
        return advisor.not_covered(subjects, text, tracker.get_slot("topic"))


class ActionAnswerUnsure(Action):
    """The NLU is unsure: answer from the best passage of any topic, if one is good.

    Sets ``unsure_answered`` so that the rules start the two-stage fallback
    ("did you mean...") only when no passage cleared its threshold.
    """

    def name(self) -> str:
        return "action_answer_unsure"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        try:
            answer = get_advisor(language_of(tracker)).reply(
                _text(tracker), None, _entities(tracker), answered_keys(tracker)
            )
        except KnowledgeBaseUnavailable as error:
            log.error("knowledge base unavailable, falling back: %s", error)
            answer = None
        if answer is None:
            return [
                SlotSet("unsure_answered", False),
                SlotSet("unanswered", "fallback"),
            ]
        return [*send(dispatcher, tracker, answer), SlotSet("unsure_answered", True)]


class ActionAnswerSource(_AnswerAction):
    """'Where does this come from?': the article sections and review date."""

    action_name = "action_answer_source"

    sets_topic = False

    def answer(self, tracker: Tracker) -> Answer:
        return get_advisor(language_of(tracker)).source(tracker.get_slot("topic"))
