"""Conversations to check Rasa replacements against: the training data's, and
the same with the events a running server adds or that undo earlier ones."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import strategies as st
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    ConversationPaused,
    ConversationResumed,
    DefinePrevUserUtteredFeaturization,
    EntitiesAdded,
    Event,
    FollowupAction,
    LoopInterrupted,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
)
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.importers.importer import TrainingDataImporter

from tests.conftest import PROJECT_ROOT

_importer = TrainingDataImporter.load_from_dict(
    domain_path=str(PROJECT_ROOT / "domain.yml"),
    training_data_paths=[
        str(PROJECT_ROOT / "data" / "stories"),
        str(PROJECT_ROOT / "data" / "rules"),
    ],
)
DOMAIN: Domain = _importer.get_domain()
CONVERSATIONS: list[list[Event]] = [
    list(tracker.events)
    for tracker in TrainingDataGenerator(
        _importer.get_stories(), DOMAIN, remove_duplicates=False, augmentation_factor=0
    ).generate()
]


# What a running server adds to conversations, and what undoes earlier events.
RUNTIME_EVENTS = st.one_of(
    st.builds(DefinePrevUserUtteredFeaturization, st.booleans()),
    st.builds(
        EntitiesAdded,
        st.just([{"entity": "location", "value": "Canada", "start": 0, "end": 6}]),
    ),
    st.builds(ActionReverted),
    st.builds(UserUtteranceReverted),
    st.builds(Restarted),
    st.builds(SessionStarted),
    st.builds(ActionExecuted, st.just("action_listen")),
    st.builds(ActionExecuted, st.just("utter_greet"), hide_rule_turn=st.booleans()),
    st.builds(SlotSet, st.just("background"), st.sampled_from(["student", None])),
    st.builds(FollowupAction, st.just("utter_greet")),
    st.builds(ConversationPaused),
    st.builds(ConversationResumed),
    st.builds(ActiveLoop, st.sampled_from(["application_form", "handoff_form", None])),
    st.builds(ActionExecuted, st.sampled_from(["application_form", "handoff_form"])),
    st.builds(ActionExecutionRejected, st.just("application_form")),
    st.builds(LoopInterrupted, st.booleans()),
)


def with_runtime_events(
    events: list[Event], insertions: list[tuple[int, Event]], hidden: set[int]
) -> list[Event]:
    """``events`` with ``insertions`` made, and the actions at ``hidden`` hidden."""
    changed = [
        # A turn RulePolicy predicted from a rule only: hidden from ML policies.
        ActionExecuted(e.action_name, e.policy, e.confidence, hide_rule_turn=True)
        if i in hidden and isinstance(e, ActionExecuted)
        else e
        for i, e in enumerate(events)
    ]
    for position, event in insertions:
        changed.insert(min(position, len(changed)), event)
    return changed


def replay(
    events: list[Event],
    check: Callable[[DialogueStateTracker], None],
    checked: set[int] | None = None,
) -> DialogueStateTracker:
    """A tracker given ``events`` one by one, checked after each (or those at
    the positions ``checked``, as a server asks after some events only) and
    at the end."""
    tracker = DialogueStateTracker("test", DOMAIN.slots)
    for position, event in enumerate(events):
        tracker.update(event)
        if checked is None or position in checked:
            check(tracker)
    check(tracker)
    return tracker
