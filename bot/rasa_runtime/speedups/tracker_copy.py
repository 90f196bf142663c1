"""``DialogueStateTracker.copy()`` from a replay kept up to date, not a new one.

Before running each action, Rasa's processor copies the tracker
(``tracker.copy()``), and Rasa's copy replays every event of the conversation
into a new tracker (``travel_back_in_time(inf)``): two or three replays a
turn, growing with the conversation. The copy is the state the events make,
not the tracker's own (which the processor changes directly, e.g. clearing a
follow-up action before running it), so it cannot simply be duplicated.

:func:`install_fast_copy` keeps that replay on the tracker and applies to it
only the events added since, when the tracker's events still begin with the
events replayed (the same objects, in order); anything else replays from the
first event, as Rasa does. The copy handed out is a duplicate of the replay:
its own event list, its own slots, its own latest action and active loop
(events interrupt and reject a loop in place); events, messages and values
are shared, as they are between Rasa's copy and the tracker.

``tests/unit/test_tracker_copy.py`` compares every attribute of the copies with
Rasa's after every event of the training conversations and of generated ones.
``ADVISOR_FAST_COPY=0`` keeps Rasa's copy (the benchmark's "before").
"""

from __future__ import annotations

import copy
import os
from collections import deque
from typing import Any

from rasa.shared.core.trackers import DialogueStateTracker, TrackerActiveLoop

from bot.rasa_runtime.speedups.memoised import begins_with

SWITCH_VARIABLE = "ADVISOR_FAST_COPY"
_REPLAY = "_advisor_replay"
# What this project keeps on trackers; never part of a copy.
_PRIVATE = ("_advisor_",)

_rasa_copy = DialogueStateTracker.copy
_FOREVER = float("inf")  # Rasa's copy is travel_back_in_time(inf)


def _duplicate(tracker: DialogueStateTracker) -> DialogueStateTracker:
    """A tracker in the same state as ``tracker``, sharing no mutable container."""
    twin = DialogueStateTracker.__new__(DialogueStateTracker)
    for name, value in tracker.__dict__.items():
        if name.startswith(_PRIVATE):
            continue
        if name == "slots":
            value = value.__class__({key: copy.copy(s) for key, s in value.items()})
        elif isinstance(value, deque):
            value = deque(value, maxlen=value.maxlen)
        elif isinstance(value, dict):
            value = dict(value)
        elif isinstance(value, TrackerActiveLoop):  # changed in place by events
            value = copy.copy(value)
        twin.__dict__[name] = value
    return twin


def fast_copy(self: DialogueStateTracker) -> DialogueStateTracker:
    """DialogueStateTracker.copy, going on from the last copy's replay."""
    events = self.events
    kept: tuple[list[Any], DialogueStateTracker] | None = self.__dict__.get(_REPLAY)
    if kept is None or not begins_with(events, kept[0]):
        kept = ([], self.init_copy())
    replayed, replay = kept
    for event in list(events)[len(replayed) :]:
        if not event.timestamp <= _FOREVER:  # Rasa's replay stops there (NaN)
            return _rasa_copy(self)
        replay.update(event)
    self.__dict__[_REPLAY] = (list(events), replay)
    return _duplicate(replay)


def install_fast_copy() -> None:
    """Make DialogueStateTracker.copy go on from a kept replay (idempotent)."""
    if os.environ.get(SWITCH_VARIABLE, "1") == "0":
        return
    DialogueStateTracker.copy = fast_copy  # type: ignore[method-assign]
