"""Two of Rasa's answers remembered while what they are computed from is unchanged.

* ``DialogueStateTracker.applied_events()`` (the events minus those undone by
  reverts, restarts and a new session) is asked for four or five times a turn
  (the policies' states, ``get_last_event_for``...), each time walking the
  whole conversation. It is a function of the event objects alone (their
  types and names, which no event changes later), so the answer is kept on
  the tracker with the events it came from, and given again (as a new list)
  while the tracker holds exactly those events, the same objects in the same
  order: a check in C over the event list, a hundred times cheaper than the
  walk. When events were only added since, Rasa's walk goes on from the kept
  answer over the new events alone. Rasa's walk is a fold: each event changes
  the list built so far, reading only that list and the names of the
  conversation's loops. So going on from the kept list gives Rasa's answer,
  unless a new event names a loop not seen before: then the whole walk is
  done again.
* ``Domain.is_empty()`` builds an empty domain and serialises both domains
  to compare them, on every message (``MessageProcessor._check_for_unseen_features``)
  and for every state. Rasa treats a loaded domain as unchanging (its derived
  properties are ``lazy_property``); the answer is kept on the domain.

:func:`begins_with` is the check that a tracker has only grown since an answer
or a replay was kept; ``tracker_states`` and ``tracker_copy`` use it too.
``ADVISOR_MEMOISED=0`` keeps Rasa's methods (the benchmark's "before").
"""

from __future__ import annotations

import operator
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

SWITCH_VARIABLE = "ADVISOR_MEMOISED"
_APPLIED = "_advisor_applied_events"
_EMPTY = "_advisor_is_empty"

_rasa_applied_events = DialogueStateTracker.applied_events
_rasa_is_empty = Domain.is_empty


@dataclass(frozen=True)
class _Kept:
    events: list[Event]  # the tracker's events when the answer was computed
    applied: list[Event]  # Rasa's applied_events() for them
    loop_names: set[str]  # the loops those events name


def begins_with(events: Sequence[Event], known: Sequence[Event]) -> bool:
    """Whether ``events`` start with the very objects of ``known``, in order.

    How a kept answer or replay checks that a tracker has only grown since:
    identity, not equality, and the comparison loop runs in C.
    """
    return len(events) >= len(known) and all(map(operator.is_, known, events))


def _loop_names(events: Iterable[Event]) -> set[str]:
    """The loops Rasa's ``applied_events`` treats as loops: all that were active."""
    return {e.name for e in events if isinstance(e, ActiveLoop) and e.name}


def _go_on(
    tracker: DialogueStateTracker,
    applied: list[Event],
    new: Iterable[Event],
    loop_names: set[str],
) -> list[Event]:
    """Rasa's ``applied_events`` walk, from ``applied`` over ``new``.

    The body of Rasa 3.6's loop, calling its own helpers; ``applied`` is changed.
    """
    for event in new:
        if isinstance(event, (Restarted, SessionStarted)):
            applied = []
        elif isinstance(event, ActionReverted):
            tracker._undo_till_previous(ActionExecuted, applied)
        elif isinstance(event, UserUtteranceReverted):
            tracker._undo_till_previous(UserUttered, applied)
            tracker._undo_till_previous(ActionExecuted, applied)
        elif (
            isinstance(event, ActionExecuted)
            and event.action_name in loop_names
            and not tracker._first_loop_execution_or_unhappy_path(
                event.action_name, applied
            )
        ):
            tracker._undo_till_previous_loop_execution(event.action_name, applied)
        else:
            applied.append(event)
    return applied


def applied_events(self: DialogueStateTracker) -> list[Event]:
    """DialogueStateTracker.applied_events, computed once per list of events."""
    events = list(self.events)
    kept = self.__dict__.get(_APPLIED)
    if kept is not None and begins_with(events, kept.events):
        if len(events) == len(kept.events):
            return list(kept.applied)
        new = events[len(kept.events) :]
        if _loop_names(new) <= kept.loop_names:
            applied = _go_on(self, list(kept.applied), new, kept.loop_names)
            self.__dict__[_APPLIED] = _Kept(events, applied, kept.loop_names)
            return list(applied)
    applied = _rasa_applied_events(self)
    self.__dict__[_APPLIED] = _Kept(events, applied, _loop_names(events))
    return list(applied)


def is_empty(self: Domain) -> bool:
    """Domain.is_empty, computed once per domain."""
    if _EMPTY not in self.__dict__:
        self.__dict__[_EMPTY] = _rasa_is_empty(self)
    return bool(self.__dict__[_EMPTY])


def install_memoised() -> None:
    """Remember applied_events and is_empty (idempotent)."""
    if os.environ.get(SWITCH_VARIABLE, "1") == "0":
        return
    DialogueStateTracker.applied_events = applied_events  # type: ignore[method-assign]
    Domain.is_empty = is_empty  # type: ignore[method-assign]
