"""The incremental conversation states are the states Rasa's own method builds.

Checked after every event of every conversation of the training data (stories
and rules), and of those conversations with the events a running server adds
or that undo earlier ones (generated with hypothesis).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.shared.core.constants import RULE_ONLY_LOOPS, RULE_ONLY_SLOTS
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActiveLoop,
    Event,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_runtime.speedups.tracker_states import (
    _ATTRIBUTE,
    _rasa_states_for_tracker_history,
    incremental_states_for_tracker_history,
)
from tests.support.conversations import (
    CONVERSATIONS,
    DOMAIN,
    RUNTIME_EVENTS,
    replay,
    with_runtime_events,
)

RULE_ONLY = {RULE_ONLY_SLOTS: ["topic"], RULE_ONLY_LOOPS: ["application_form"]}
OPTIONS = [
    {},  # what the featurizers of ML policies ask for
    {"ignore_rule_only_turns": True, "rule_only_data": RULE_ONLY},
    {"omit_unset_slots": True},
]


def _assert_same_states(tracker: DialogueStateTracker) -> None:
    for options in OPTIONS:
        ours = incremental_states_for_tracker_history(DOMAIN, tracker, **options)
        rasas = _rasa_states_for_tracker_history(DOMAIN, tracker, **options)
        assert ours == rasas, options


def _replay(
    events: list[Event], checked: set[int] | None = None
) -> DialogueStateTracker:
    return replay(events, _assert_same_states, checked)


def test_the_training_data_gives_conversations_to_check() -> None:
    assert len(CONVERSATIONS) > 20
    assert any(
        isinstance(e, ActiveLoop) and e.name for events in CONVERSATIONS for e in events
    ), "a form, whose turns the ignore_rule_only_turns path treats apart"


@pytest.mark.parametrize("index", range(len(CONVERSATIONS)))
def test_same_states_after_every_event_of_the_training_conversations(
    index: int,
) -> None:
    _replay(CONVERSATIONS[index])


@settings(max_examples=150, deadline=None)
@given(
    index=st.integers(0, len(CONVERSATIONS) - 1),
    insertions=st.lists(st.tuples(st.integers(0, 60), RUNTIME_EVENTS), max_size=5),
    hidden=st.sets(st.integers(0, 60)),
    # A server asks after some events only: several can come between two calls.
    checked=st.one_of(st.none(), st.sets(st.integers(0, 60))),
)
def test_same_states_with_runtime_and_undoing_events(
    index: int,
    insertions: list[tuple[int, Event]],
    hidden: set[int],
    checked: set[int] | None,
) -> None:
    events = with_runtime_events(CONVERSATIONS[index], insertions, hidden)
    _replay(events, checked)


def test_changing_the_returned_states_changes_nothing_kept() -> None:
    events = max(CONVERSATIONS, key=len)
    tracker = _replay(events[:-1])
    for options in OPTIONS:
        for state in incremental_states_for_tracker_history(DOMAIN, tracker, **options):
            for sub_state in state.values():
                sub_state.clear()
    tracker.update(events[-1])
    _assert_same_states(tracker)


def test_another_domain_starts_again() -> None:
    events = max(
        CONVERSATIONS,
        key=lambda events: sum(
            bool(isinstance(e, UserUttered) and e.entities) for e in events
        ),
    )
    tracker = _replay(events)
    # The same domain, but no intent's state counts its entities.
    as_dict = DOMAIN.as_dict()
    as_dict["intents"] = [{name: {"use_entities": []}} for name in DOMAIN.intents]
    other = Domain.from_dict(as_dict)
    rasas = _rasa_states_for_tracker_history(other, tracker)
    assert rasas != _rasa_states_for_tracker_history(DOMAIN, tracker)
    assert incremental_states_for_tracker_history(other, tracker) == rasas


def test_the_work_is_kept_between_calls() -> None:
    events = max(CONVERSATIONS, key=len)
    tracker = _replay(events[:-1])
    kept = dict(tracker.__dict__[_ATTRIBUTE])
    tracker.update(events[-1])
    _assert_same_states(tracker)
    assert len(kept) == len(OPTIONS)
    for key, history in tracker.__dict__[_ATTRIBUTE].items():
        assert history is kept[key]  # went on, did not start again
        assert history.applied == tracker.applied_events()
