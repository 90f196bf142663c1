"""Remembered answers are Rasa's answers, and are not kept past a change."""

from __future__ import annotations

from collections import deque

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, Event, Restarted
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_runtime.speedups.memoised import (
    _rasa_applied_events,
    _rasa_is_empty,
    applied_events,
    is_empty,
)
from tests.support.conversations import (
    CONVERSATIONS,
    DOMAIN,
    RUNTIME_EVENTS,
    replay,
    with_runtime_events,
)


def _same_applied_events(tracker: DialogueStateTracker) -> None:
    assert applied_events(tracker) == _rasa_applied_events(tracker)
    assert applied_events(tracker) == _rasa_applied_events(tracker)  # remembered


def _replay(events: list[Event]) -> DialogueStateTracker:
    return replay(events, _same_applied_events)


@pytest.mark.parametrize("index", range(0, len(CONVERSATIONS), 5))
def test_applied_events_after_every_event_of_training_conversations(
    index: int,
) -> None:
    _replay(CONVERSATIONS[index])


@settings(max_examples=100, deadline=None)
@given(
    index=st.integers(0, len(CONVERSATIONS) - 1),
    insertions=st.lists(st.tuples(st.integers(0, 60), RUNTIME_EVENTS), max_size=5),
)
def test_applied_events_with_runtime_and_undoing_events(
    index: int, insertions: list[tuple[int, Event]]
) -> None:
    _replay(with_runtime_events(CONVERSATIONS[index], insertions, set()))


@settings(max_examples=100, deadline=None)
@given(
    index=st.integers(0, len(CONVERSATIONS) - 1),
    insertions=st.lists(st.tuples(st.integers(0, 60), RUNTIME_EVENTS), max_size=5),
    checked=st.sets(st.integers(0, 80), max_size=12),
)
def test_applied_events_asked_after_some_events_only(
    index: int, insertions: list[tuple[int, Event]], checked: set[int]
) -> None:
    # Several events (a whole turn, a loop's start) arrive between two questions.
    events = with_runtime_events(CONVERSATIONS[index], insertions, set())
    replay(events, _same_applied_events, checked)


def test_events_added_since_are_walked_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    walks: list[int] = []

    def counted(tracker: DialogueStateTracker) -> list[Event]:
        walks.append(len(tracker.events))
        return _rasa_applied_events(tracker)

    monkeypatch.setattr(
        "bot.rasa_runtime.speedups.memoised._rasa_applied_events", counted
    )
    tracker = DialogueStateTracker("test", DOMAIN.slots)
    tracker.update(ActionExecuted("action_listen"))
    applied_events(tracker)
    tracker.update(ActionExecuted("utter_greet"))
    tracker.update(ActionExecuted("action_listen"))
    assert applied_events(tracker) == _rasa_applied_events(tracker)
    assert walks == [1]  # the second answer went on from the first
    # A loop not named before changes how earlier events count: walked again.
    tracker.update(ActiveLoop("application_form"))
    assert applied_events(tracker) == _rasa_applied_events(tracker)
    assert walks == [1, 4]


def test_applied_events_are_computed_again_for_other_events() -> None:
    tracker = _replay(max(CONVERSATIONS, key=len))
    before = applied_events(tracker)
    # Same length, different objects: a restart in place of the last event.
    tracker.events = deque([*list(tracker.events)[:-1], Restarted()])
    assert applied_events(tracker) == _rasa_applied_events(tracker) == []
    assert before


def test_changing_the_returned_list_changes_nothing_kept() -> None:
    tracker = _replay(max(CONVERSATIONS, key=len))
    applied_events(tracker).append(ActionExecuted("utter_greet"))
    applied_events(tracker).clear()
    assert applied_events(tracker) == _rasa_applied_events(tracker)


def test_is_empty() -> None:
    assert is_empty(Domain.empty()) is _rasa_is_empty(Domain.empty()) is True
    assert is_empty(DOMAIN) is _rasa_is_empty(DOMAIN) is False
    assert is_empty(DOMAIN) is False  # remembered
