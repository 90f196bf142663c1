"""RulePolicy's rule matching without the work that cannot change its result.

Rasa 3.6's ``RulePolicy._get_possible_keys`` filters the set of rules against
every state of the conversation, newest first. Once it is further back than the
longest rule, every rule passes by definition (``_is_rule_applicable`` returns
True for any turn past the rule's length), yet it goes on re-filtering the whole
set for each older state: a cost that grows with the conversation, twice or more
per turn. :func:`install_fast_rule_matching` stops there, and when no rule is
left. For the newest state, where most rules drop out, it also looks only at
the rules that can match it: those that ask for the action just run (or for no
action in particular), or, at the start of a conversation, those that start one.
The set it returns is the same.

It also skips ``format_tracker_states`` when debug logging is off: Rasa formats
(and deep-copies) the whole conversation's states for a debug line on every
prediction, whether or not anything logs it.

Installed by the channels (``bot/rasa_runtime/channels.py``), before the first message;
``ADVISOR_FAST_RULE_MATCHING=0`` keeps Rasa's code.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET
from rasa.shared.nlu.constants import ACTION_NAME

SWITCH_VARIABLE = "ADVISOR_FAST_RULE_MATCHING"

_rasa_log = logging.getLogger("rasa.core.policies.rule_policy")


def possible_keys(
    policy: RulePolicy, lookup: dict[str, str], states: list[dict[str, Any]]
) -> set[str]:
    """The rules of ``lookup`` that match the end of ``states`` (Rasa's result)."""
    by_last_action, longest = _index(policy, lookup)
    keys = set(lookup)
    for turn, state in enumerate(reversed(states)):
        if turn >= longest or not keys:
            break  # every remaining rule is applicable from here on, or none is left
        if turn == 0:
            keys = _candidates(by_last_action, state)
        keys = {key for key in keys if policy._is_rule_applicable(key, turn, state)}
    return keys


# Rules grouped by what their newest state asks of the previous action:
# _STARTS (no previous action: the start of a conversation), _ANY_ACTION (some
# previous action, no name in particular), or that action's name.
_STARTS, _ANY_ACTION = object(), object()
Index = tuple[dict[object, set[str]], int]


def _index(policy: RulePolicy, lookup: dict[str, str]) -> Index:
    """The rules by their newest state, and the longest rule (once per lookup)."""
    cached = policy.__dict__.setdefault("_advisor_rule_index", {}).get(id(lookup))
    if cached is not None and cached[0] is lookup and len(cached[0]) == cached[1]:
        return cached[2]
    groups: dict[object, set[str]] = {}
    longest = 0
    for key in lookup:
        rule = policy._rule_key_to_state(key)
        longest = max(longest, len(rule))
        previous = rule[-1].get(PREVIOUS_ACTION)
        name = previous.get(ACTION_NAME) if previous else None
        if not previous:
            group = _STARTS
        elif name and name != SHOULD_NOT_BE_SET:
            group = name
        else:
            group = _ANY_ACTION
        groups.setdefault(group, set()).add(key)
    index = (groups, longest)
    policy.__dict__["_advisor_rule_index"][id(lookup)] = (lookup, len(lookup), index)
    return index


def _candidates(groups: dict[object, set[str]], state: dict[str, Any]) -> set[str]:
    """The rules that may match ``state`` as the newest one; the others cannot.

    Rasa's ``_is_rule_applicable`` refuses a rule that starts a conversation for
    a state with a previous action and the reverse, and ``_does_rule_match_state``
    refuses a rule naming another previous action than the state's.
    """
    previous = state.get(PREVIOUS_ACTION)
    if not previous:
        return set(groups.get(_STARTS, ()))
    name = previous.get(ACTION_NAME)
    return groups.get(name, set()) | groups.get(_ANY_ACTION, set())


_format_tracker_states = RulePolicy.format_tracker_states


def _format_states_for_debug(states: list[dict[str, Any]]) -> str:
    if not _rasa_log.isEnabledFor(logging.DEBUG):
        return ""
    return _format_tracker_states(states)


def install_fast_rule_matching() -> None:
    """Patch RulePolicy's matching in this process (a second call changes nothing)."""
    if os.environ.get(SWITCH_VARIABLE, "1") == "0":
        return
    RulePolicy._get_possible_keys = possible_keys  # type: ignore[assignment,method-assign]
    RulePolicy.format_tracker_states = staticmethod(_format_states_for_debug)  # type: ignore[method-assign]
