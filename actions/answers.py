"""One action per topic; each answers from the knowledge base through ``bot``."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import answered_keys, apologise, get_advisor, latest_entity, send
from bot.answers import Answer
from bot.knowledge.queries import KnowledgeBaseUnavailable


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


class ActionAnswerRole(_AnswerAction):
    action_name = "action_answer_role"

    def answer(self, tracker: Tracker) -> Answer:
        return get_advisor().role(answered_keys(tracker))


class ActionAnswerSkills(_AnswerAction):
    action_name = "action_answer_skills"

    def answer(self, tracker: Tracker) -> Answer:
        skill = latest_entity(tracker, "skill")
        advisor = get_advisor()
        if skill is None and advisor.kb.skill(_text(tracker)) is not None:
            skill = _text(tracker)
        return advisor.skills(skill, answered_keys(tracker))


class ActionAnswerDegrees(_AnswerAction):
    action_name = "action_answer_degrees"

    def answer(self, tracker: Tracker) -> Answer:
        return get_advisor().degrees(_text(tracker), answered_keys(tracker))


class ActionAnswerSalary(_AnswerAction):
    action_name = "action_answer_salary"

    def answer(self, tracker: Tracker) -> Answer:
        return get_advisor().salary(
            latest_entity(tracker, "location"), answered_keys(tracker)
        )


class ActionAnswerMissions(_AnswerAction):
    action_name = "action_answer_missions"

    def answer(self, tracker: Tracker) -> Answer:
        return get_advisor().missions(_text(tracker), answered_keys(tracker))


class ActionAnswerBeginnerRoute(_AnswerAction):
    action_name = "action_answer_beginner_route"

    def answer(self, tracker: Tracker) -> Answer:
        # The slot, not only this message: "I'm a teacher" said earlier still counts.
        background = latest_entity(tracker, "background") or tracker.get_slot(
            "background"
        )
        return get_advisor().beginner(background, answered_keys(tracker))


class ActionAnswerProgrammes(_AnswerAction):
    action_name = "action_answer_programmes"

    def answer(self, tracker: Tracker) -> Answer:
        programme = latest_entity(tracker, "programme") or _text(tracker)
        return get_advisor().programmes(programme, answered_keys(tracker))


class ActionFollowUp(_AnswerAction):
    """A follow-up without a topic word: resolved against the conversation."""

    action_name = "action_follow_up"

    def answer(self, tracker: Tracker) -> Answer:
        entities = {
            name: latest_entity(tracker, name)
            for name in ("skill", "location", "programme", "background")
        }
        return get_advisor().follow_up(
            tracker.get_slot("topic"), entities, _text(tracker), answered_keys(tracker)
        )


class ActionAnswerSource(_AnswerAction):
    """'Where does this come from?': the article sections and review date."""

    action_name = "action_answer_source"

    sets_topic = False

    def answer(self, tracker: Tracker) -> Answer:
        return get_advisor().source(tracker.get_slot("topic"))
