"""The tracker copies from the kept replay are the copies Rasa makes."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.shared.core.events import ActiveLoop, Event, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_runtime.speedups.tracker_copy import _rasa_copy, fast_copy
from tests.support.conversations import (
    CONVERSATIONS,
    RUNTIME_EVENTS,
    replay,
    with_runtime_events,
)


def _state(tracker: DialogueStateTracker) -> dict[str, Any]:
    """Everything a tracker holds (slots compared by their attributes)."""
    state = {k: v for k, v in vars(tracker).items() if not k.startswith("_advisor_")}
    state["slots"] = {name: vars(slot) for name, slot in tracker.slots.items()}
    state["events"] = list(tracker.events)
    return state


def _same_copy(tracker: DialogueStateTracker) -> None:
    assert _state(fast_copy(tracker)) == _state(_rasa_copy(tracker))


def _replay(
    events: list[Event], checked: set[int] | None = None
) -> DialogueStateTracker:
    return replay(events, _same_copy, checked)


@pytest.mark.parametrize("index", range(0, len(CONVERSATIONS), 3))
def test_same_copies_after_every_event_of_training_conversations(index: int) -> None:
    _replay(CONVERSATIONS[index])


@settings(max_examples=150, deadline=None)
@given(
    index=st.integers(0, len(CONVERSATIONS) - 1),
    insertions=st.lists(st.tuples(st.integers(0, 60), RUNTIME_EVENTS), max_size=6),
    checked=st.one_of(st.none(), st.sets(st.integers(0, 60))),
)
def test_same_copies_with_runtime_and_undoing_events(
    index: int, insertions: list[tuple[int, Event]], checked: set[int] | None
) -> None:
    tracker = _replay(
        with_runtime_events(CONVERSATIONS[index], insertions, set()), checked
    )
    assert _state(fast_copy(tracker)) == _state(_rasa_copy(tracker))


def test_the_copy_is_the_events_state_not_the_trackers() -> None:
    """The processor clears a follow-up action directly: copies replay the event."""
    tracker = _replay(max(CONVERSATIONS, key=len))
    tracker.update(SlotSet("background", "student"))
    tracker.trigger_followup_action("utter_greet")  # no event for it
    tracker.clear_followup_action()
    tracker.latest_action = {"action_name": "not from an event"}
    assert _state(fast_copy(tracker)) == _state(_rasa_copy(tracker))


def test_changing_a_copy_changes_neither_the_tracker_nor_the_next_copy() -> None:
    tracker = _replay(max(CONVERSATIONS, key=len))
    tracker.update(ActiveLoop("application_form"))
    before = _state(tracker)
    copied = fast_copy(tracker)
    copied.interrupt_loop(True)  # these two change the active loop in place
    copied.reject_action("application_form")
    copied.latest_action["action_name"] = "changed in place"
    copied.update(SlotSet("background", "student"))
    assert _state(tracker) == before
    assert _state(fast_copy(tracker)) == _state(_rasa_copy(tracker))


def test_an_event_without_a_time_ends_the_copy_as_in_rasa() -> None:
    tracker = _replay(max(CONVERSATIONS, key=len))
    fast_copy(tracker)  # a replay is kept
    tracker.update(SlotSet("background", "student", timestamp=float("nan")))
    tracker.update(SlotSet("background", "developer"))
    assert _state(fast_copy(tracker)) == _state(_rasa_copy(tracker))
