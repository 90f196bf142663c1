"""What the visitor gets when the action server fails: an apology, never silence.

Rasa 3.6 handles a custom action that cannot run (action server down, timing
out, answering 500 or nonsense) by logging "Bot will continue, but the actions
events are lost" and moving on: the visitor gets no reply at all, and a form
keeps whatever Rasa extracted, unvalidated. Every custom action, including the
forms' ``validate_<form>`` and ``action_ask_<slot>`` calls, goes through
:meth:`RemoteAction.run` (Rasa builds ``RemoteAction`` objects itself, so a
subclass could not be plugged in); :func:`install_action_failure_fallback`
wraps that method, once, in the Rasa server process. On a failure:

* an ordinary action (an answer, the application's summary or submission)
  sends the apology with a "Talk to a person" button, and undoes the visitor's
  turn (``UserUtteranceReverted``, then ``action_listen``) so that saying the
  same thing again, once the server is back, does what it would have done: "yes"
  under the application's summary sends it. The events stay in the tracker store;
  only the dialogue state forgets the turn.
* a form's validation sends the apology and empties the slots the visitor's
  message filled, so that nothing unvalidated is kept and the form asks again.
* a form's ``action_ask_<slot>`` falls back to the domain's ``utter_ask_<slot>``.

Rasa waits up to 300 seconds (``DEFAULT_REQUEST_TIMEOUT``) for an action
server that accepted the call and never answers; a visitor would wait as long.
The wrapper gives up after ``ADVISOR_ACTION_TIMEOUT_SECONDS`` (default
:data:`DEFAULT_ACTION_TIMEOUT_SECONDS`) and answers as for any other failure.
An action that finishes on the server after that has still done its work
(a stored application is updated, not duplicated, when sent again).

The apology is the domain response ``utter_action_unavailable`` when the domain
has one, else ``utter_kb_unavailable``; it is sent once per turn, in the
conversation's language (the domain's variations), with the response's own "Talk
to a person" button, or an English one when the response has none. Rejections
(``ActionExecutionRejection``, a form letting another policy answer) are Rasa's
normal flow and pass through untouched.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import TYPE_CHECKING, Any

from rasa.core.actions.action import (
    ActionExecutionRejection,
    RemoteAction,
    create_bot_utterance,
)
from rasa.shared.core.constants import ACTION_LISTEN_NAME, REQUESTED_SLOT
from rasa.shared.core.events import (
    BotUttered,
    Event,
    FollowupAction,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)

if TYPE_CHECKING:
    from rasa.core.channels.channel import OutputChannel
    from rasa.core.nlg import NaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

log = logging.getLogger(__name__)

# The first one the domain has is sent.
APOLOGY_RESPONSES = ("utter_action_unavailable", "utter_kb_unavailable")
HUMAN_PAYLOAD = "/request_human"
# Added to an apology whose response has no button to a person.
HUMAN_BUTTON = {"title": "Talk to a person", "payload": HUMAN_PAYLOAD}

TIMEOUT_VARIABLE = "ADVISOR_ACTION_TIMEOUT_SECONDS"
DEFAULT_ACTION_TIMEOUT_SECONDS = 10.0

_installed = False


def action_timeout() -> float:
    """Seconds a custom action may take before the visitor gets the apology."""
    return float(os.environ.get(TIMEOUT_VARIABLE, DEFAULT_ACTION_TIMEOUT_SECONDS))


def install_action_failure_fallback() -> None:
    """Wrap :meth:`RemoteAction.run` so that a failure answers (idempotent)."""
    global _installed
    if _installed:
        return
    run_remote = RemoteAction.run
    timeout = action_timeout()

    async def run(
        self: RemoteAction,
        output_channel: OutputChannel,
        nlg: NaturalLanguageGenerator,
        tracker: DialogueStateTracker,
        domain: Domain,
    ) -> list[Event]:
        try:
            return await asyncio.wait_for(
                run_remote(self, output_channel, nlg, tracker, domain),
                timeout=timeout,
            )
        except ActionExecutionRejection:
            raise
        except Exception as error:  # whatever the action server did, answer
            log.error(
                "custom action %s failed for sender %s: %r",
                self.name(),
                tracker.sender_id,
                error,
            )
            return await fallback_events(
                self.name(), output_channel, nlg, tracker, domain
            )

    RemoteAction.run = run  # type: ignore[method-assign]
    _installed = True


async def fallback_events(
    action_name: str,
    output_channel: OutputChannel,
    nlg: NaturalLanguageGenerator,
    tracker: DialogueStateTracker,
    domain: Domain,
) -> list[Event]:
    """The events that stand for ``action_name`` when it could not run."""
    if action_name.startswith("action_ask_"):
        question = "utter_ask_" + action_name.removeprefix("action_ask_")
        if question in domain.responses:
            return await _utter(question, [], output_channel, nlg, tracker)
    if action_name.startswith("validate_"):
        filled = _slots_filled_this_turn(tracker)
        if not filled:
            # Nothing to validate: the form rejects, and the next action answers.
            return []
        events: list[Event] = [SlotSet(slot, None) for slot in filled]
        if not _apologised_this_turn(tracker):
            events[:0] = await _apology(output_channel, nlg, tracker, domain)
        return events
    if _apologised_this_turn(tracker):
        return []
    return [
        *await _apology(output_channel, nlg, tracker, domain),
        UserUtteranceReverted(),
        FollowupAction(ACTION_LISTEN_NAME),
    ]


async def _apology(
    output_channel: OutputChannel,
    nlg: NaturalLanguageGenerator,
    tracker: DialogueStateTracker,
    domain: Domain,
) -> list[Event]:
    response = next((r for r in APOLOGY_RESPONSES if r in domain.responses), None)
    if response is None:
        log.error("no apology response in the domain: %s", APOLOGY_RESPONSES)
        return []
    return await _utter(response, [HUMAN_BUTTON], output_channel, nlg, tracker)


async def _utter(
    response: str,
    buttons: list[dict[str, str]],
    output_channel: OutputChannel,
    nlg: NaturalLanguageGenerator,
    tracker: DialogueStateTracker,
) -> list[Event]:
    draft: dict[str, Any] | None = await nlg.generate(
        response, tracker, output_channel.name()
    )
    if not draft:
        return []
    draft["utter_action"] = response
    own = draft.get("buttons") or []
    payloads = {button.get("payload") for button in own}
    extra = [button for button in buttons if button["payload"] not in payloads]
    if extra:
        draft["buttons"] = [*own, *extra]
    return [create_bot_utterance(draft)]


def _this_turn(tracker: DialogueStateTracker) -> list[Event]:
    """The events since the visitor's latest message (in stored order)."""
    turn: list[Event] = []
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            break
        turn.append(event)
    return turn[::-1]


def _apologised_this_turn(tracker: DialogueStateTracker) -> bool:
    return any(
        isinstance(event, UserUtteranceReverted)
        or (
            isinstance(event, BotUttered)
            and (event.metadata or {}).get("utter_action") in APOLOGY_RESPONSES
        )
        for event in _this_turn(tracker)
    )


def _slots_filled_this_turn(tracker: DialogueStateTracker) -> list[str]:
    filled: list[str] = []
    for event in _this_turn(tracker):
        if (
            isinstance(event, SlotSet)
            and event.key != REQUESTED_SLOT
            and event.value is not None
            and event.key not in filled
        ):
            filled.append(event.key)
    return filled
