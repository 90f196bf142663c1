"""The conversation's states for the policies, worked out once per event.

Before each prediction, RulePolicy asks for the states of the whole
conversation (``Domain.states_for_tracker_history``): Rasa replays every event
into a fresh tracker and builds a state at every action, two or three times a
turn, each time from the first event (about 1 ms each at turn 12, growing with
the conversation). :func:`install_incremental_states` keeps, on the tracker,
the replay and the states of the actions already seen, and goes on from
there when the tracker has only grown since.

It gives Rasa's answer or does Rasa's work:

* the replay is kept per domain and per set of arguments, and goes on only if
  the tracker's applied events (``applied_events()``, which undoes reverted
  turns, restarts and sessions) still begin with those it consumed, the same
  objects in the same order; anything else starts again from the first event;
* the last state (the current, unfinished turn) is always built afresh;
* a state describes the user message through the message's event, which two
  later events change in place (``DefinePrevUserUtteredFeaturization`` sets
  whether its text or its intent counts, ``EntitiesAdded`` adds entities),
  and Rasa rebuilds every state with the event as it is now: when either has
  changed for any message since, it starts again too;
* callers get copies, so that changing a returned state (the featurizer
  removes the intent or the text of the last one) changes nothing kept.

``tests/unit/test_tracker_states.py`` compares it with Rasa's own method on every
prefix of the conversations of the training data and of recorded ones.
``ADVISOR_INCREMENTAL_STATES=0`` keeps Rasa's method (the benchmark's "before").
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from rasa.shared.core.constants import PREVIOUS_ACTION
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import ActionExecuted, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_runtime.speedups.memoised import begins_with

SWITCH_VARIABLE = "ADVISOR_INCREMENTAL_STATES"
_ATTRIBUTE = "_advisor_state_histories"

_rasa_states_for_tracker_history = Domain.states_for_tracker_history


@dataclass
class _History:
    """States up to the last action of ``applied``, and what they depend on."""

    domain: Domain
    replay: DialogueStateTracker  # a tracker with exactly `applied` applied
    applied: list[Event] = field(default_factory=list)
    states: list[State] = field(default_factory=list)
    # The loop variables of Domain.states_for_tracker_history.
    last_ml_action_sub_state: Any = None
    turn_was_hidden: bool = False
    # The user messages the states describe, with what was read of them.
    messages: dict[int, tuple[UserUttered, tuple[Any, int]]] = field(
        default_factory=dict
    )

    def still_describes(self, domain: Domain, applied: list[Event]) -> bool:
        if self.domain is not domain or not begins_with(applied, self.applied):
            return False
        return all(
            _reading(message) == reading for message, reading in self.messages.values()
        )


def _step(
    domain: Domain,
    history: _History,
    tracker: DialogueStateTracker,
    hide_rule_turn: bool,
    states: list[State],
    omit_unset_slots: bool,
    ignore_rule_only_turns: bool,
    rule_only_data: dict[str, Any] | None,
) -> None:
    """One pass of the loop of Domain.states_for_tracker_history (Rasa 3.6)."""
    if ignore_rule_only_turns:
        if not history.turn_was_hidden:
            history.last_ml_action_sub_state = domain._get_prev_action_sub_state(
                tracker
            )
        if (
            not tracker.followup_action
            and tracker.latest_action_name != tracker.active_loop_name
        ):
            history.turn_was_hidden = hide_rule_turn
        if history.turn_was_hidden:
            return
    state = domain.get_active_state(tracker, omit_unset_slots=omit_unset_slots)
    if ignore_rule_only_turns:
        domain._remove_rule_only_features(state, rule_only_data)
        if states:
            domain._substitute_rule_only_user_input(state, states[-1])
        if history.last_ml_action_sub_state:
            state[PREVIOUS_ACTION] = history.last_ml_action_sub_state
    states.append(domain._clean_state(state))


def _reading(message: UserUttered) -> tuple[Any, int]:
    """What of a user message's event a state reads that later events can change."""
    return message.use_text_for_featurization, len(message.entities or ())


def _copy(state: State) -> State:
    # Sub-states hold strings and tuples: copying two levels leaves nothing shared.
    return {kind: dict(sub_state) for kind, sub_state in state.items()}


def incremental_states_for_tracker_history(
    self: Domain,
    tracker: DialogueStateTracker,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: dict[str, Any] | None = None,
) -> list[State]:
    """Domain.states_for_tracker_history, going on from the last call's work."""
    histories: dict[str, _History] = tracker.__dict__.setdefault(_ATTRIBUTE, {})
    key = json.dumps(
        [omit_unset_slots, ignore_rule_only_turns, rule_only_data],
        sort_keys=True,
        default=repr,
    )
    applied = tracker.applied_events()
    history = histories.get(key)
    if history is None or not history.still_describes(self, applied):
        history = _History(self, tracker.init_copy())
        histories[key] = history
    options = (omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    replay = history.replay
    for event in applied[len(history.applied) :]:
        if isinstance(event, ActionExecuted):
            _step(self, history, replay, event.hide_rule_turn, history.states, *options)
            message = replay.latest_message
            if message is not None:
                history.messages[id(message)] = (message, _reading(message))
        replay.update(event)
    history.applied = applied
    # The current turn: built on copies, since the next events may change it.
    states = list(history.states)
    ongoing = _History(
        self,
        replay,
        last_ml_action_sub_state=history.last_ml_action_sub_state,
        turn_was_hidden=history.turn_was_hidden,
    )
    _step(self, ongoing, replay, False, states, *options)
    return [_copy(state) for state in states]


def install_incremental_states() -> None:
    """Make Domain.states_for_tracker_history incremental (idempotent)."""
    if os.environ.get(SWITCH_VARIABLE, "1") == "0":
        return
    Domain.states_for_tracker_history = incremental_states_for_tracker_history  # type: ignore[method-assign]
