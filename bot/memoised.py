"""Two of Rasa's answers remembered while what they are computed from is unchanged.

* ``DialogueStateTracker.applied_events()`` (the events minus those undone by
  reverts, restarts and a new session) is asked for four or five times a turn
  (the policies' states, ``get_last_event_for``...), each time walking the
  whole conversation. It is a function of the event objects alone (their
  types and names, which no event changes later), so the answer is kept on
  the tracker with the events it came from, and given again (as a new list)
  while the tracker holds exactly those events, the same objects in the same
  order: a check in C over the event list, a hundred times cheaper than the
  walk.
* ``Domain.is_empty()`` builds an empty domain and serialises both domains
  to compare them, on every message (``MessageProcessor._check_for_unseen_features``)
  and for every state. Rasa treats a loaded domain as unchanging (its derived
  properties are ``lazy_property``); the answer is kept on the domain.

:func:`begins_with` is the check that a tracker has only grown since an answer
or a replay was kept; ``bot/tracker_states.py`` and ``bot/tracker_copy.py`` use
it too. ``ADVISOR_MEMOISED=0`` keeps Rasa's methods (the benchmark's "before").
"""

from __future__ import annotations

import operator
import os
from collections.abc import Sequence

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

SWITCH_VARIABLE = "ADVISOR_MEMOISED"
_APPLIED = "_advisor_applied_events"
_EMPTY = "_advisor_is_empty"

_rasa_applied_events = DialogueStateTracker.applied_events
_rasa_is_empty = Domain.is_empty


def begins_with(events: Sequence[Event], known: Sequence[Event]) -> bool:
    """Whether ``events`` start with the very objects of ``known``, in order.

    How a kept answer or replay checks that a tracker has only grown since:
    identity, not equality, and the comparison loop runs in C.
    """
    return len(events) >= len(known) and all(map(operator.is_, known, events))


def applied_events(self: DialogueStateTracker) -> list[Event]:
    """DialogueStateTracker.applied_events, computed once per list of events."""
    events = self.events
    kept = self.__dict__.get(_APPLIED)
    if (
        kept is not None
        and len(kept[0]) == len(events)
        and begins_with(events, kept[0])
    ):
        return list(kept[1])
    applied = _rasa_applied_events(self)
    self.__dict__[_APPLIED] = (list(events), applied)
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
