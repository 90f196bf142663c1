"""RulePolicy's rule matching without the work that cannot change its result.

Rasa 3.6's ``RulePolicy._get_possible_keys`` filters the set of rules against
every state of the conversation, newest first. Once it is further back than the
longest rule, every rule passes by definition (``_is_rule_applicable`` returns
True for any turn past the rule's length), yet it goes on re-filtering the whole
set for each older state: a cost that grows with the conversation, twice or more
per turn. :func:`install_fast_rule_matching` stops there, and when no rule is
left. The set it returns is the same.

It also skips ``format_tracker_states`` when debug logging is off: Rasa formats
(and deep-copies) the whole conversation's states for a debug line on every
prediction, whether or not anything logs it.

Installed by the channels (``bot/channels.py``), before the first message;
``ADVISOR_FAST_RULE_MATCHING=0`` keeps Rasa's code.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from rasa.core.policies.rule_policy import RulePolicy

SWITCH_VARIABLE = "ADVISOR_FAST_RULE_MATCHING"

_rasa_log = logging.getLogger("rasa.core.policies.rule_policy")
_installed = False


def possible_keys(
    policy: RulePolicy, lookup: dict[str, str], states: list[dict[str, Any]]
) -> set[str]:
    """The rules of ``lookup`` that match the end of ``states`` (Rasa's result)."""
    keys = set(lookup)
    longest = max((len(policy._rule_key_to_state(key)) for key in keys), default=0)
    for turn, state in enumerate(reversed(states)):
        if turn >= longest or not keys:
            break  # every remaining rule is applicable from here on, or none is left
        keys = {key for key in keys if policy._is_rule_applicable(key, turn, state)}
    return keys


_format_tracker_states = RulePolicy.format_tracker_states


def _format_states_for_debug(states: list[dict[str, Any]]) -> str:
    if not _rasa_log.isEnabledFor(logging.DEBUG):
        return ""
    return _format_tracker_states(states)


def install_fast_rule_matching() -> None:
    """Patch RulePolicy's matching in this process (idempotent)."""
    global _installed
    if _installed or os.environ.get(SWITCH_VARIABLE, "1") == "0":
        return
    RulePolicy._get_possible_keys = possible_keys  # type: ignore[assignment,method-assign]
    RulePolicy.format_tracker_states = staticmethod(_format_states_for_debug)  # type: ignore[method-assign]
    _installed = True
