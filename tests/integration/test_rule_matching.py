"""The shortened rule matching finds exactly the rules Rasa's own matching finds.

Rules and conversations are generated (hypothesis) from a small vocabulary of
intents, actions, slots and loops, so that many rules match partly, some
completely, and conversations are often longer than any rule.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource

from bot.rasa_runtime.speedups import rule_matching

RASAS_MATCHING = RulePolicy._get_possible_keys

USER = st.fixed_dictionaries(
    {"intent": st.sampled_from(["ask_salary", "apply", "stop", "affirm"])}
)
PREVIOUS = st.fixed_dictionaries(
    {"action_name": st.sampled_from(["action_listen", "utter_greet", "form"])},
    optional={"action_text": st.sampled_from(["hi", "should_not_be_set"])},
)
SLOTS = st.fixed_dictionaries({"country": st.sampled_from([(1.0,), (0.0,)])})
LOOP = st.fixed_dictionaries({"name": st.sampled_from(["form", "should_not_be_set"])})
PREVIOUS = PREVIOUS | st.fixed_dictionaries(
    {}, optional={"action_text": st.just("hello")}
)
STATE = st.fixed_dictionaries(
    {},
    optional={
        "user": USER,
        "prev_action": PREVIOUS,
        "slots": SLOTS,
        "active_loop": LOOP,
    },
)


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory) -> RulePolicy:
    storage = LocalModelStorage(tmp_path_factory.mktemp("policy"))
    return RulePolicy.create(
        RulePolicy.get_default_config(),
        storage,
        Resource("rule_policy"),
        ExecutionContext(GraphSchema({})),
    )


@settings(max_examples=300, deadline=None)
@given(
    rules=st.lists(st.lists(STATE, min_size=1, max_size=4), min_size=0, max_size=12),
    conversation=st.lists(STATE, min_size=0, max_size=14),
)
def test_the_same_rules_match(
    policy: RulePolicy, rules: list[list[dict[str, Any]]], conversation: list[dict]
) -> None:
    lookup = {json.dumps(rule, sort_keys=True): "action" for rule in rules}
    ours = rule_matching.possible_keys(policy, lookup, conversation)
    assert ours == RASAS_MATCHING(policy, lookup, conversation)


def test_a_conversation_longer_than_every_rule_still_matches(
    policy: RulePolicy,
) -> None:
    listen = {"prev_action": {"action_name": "action_listen"}}
    rule = [listen | {"user": {"intent": "apply"}}]
    lookup = {json.dumps(rule): "application_form"}
    conversation = [listen | {"user": {"intent": "stop"}}] * 30 + rule
    assert rule_matching.possible_keys(policy, lookup, conversation) == set(lookup)
    assert rule_matching.possible_keys(policy, lookup, conversation[:-1]) == set()


def test_states_are_formatted_only_for_debug_logging(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    states = [{"user": {"intent": "apply"}}]
    log = rule_matching._rasa_log
    monkeypatch.setattr(log, "level", 20)  # INFO
    assert rule_matching._format_states_for_debug(states) == ""
    monkeypatch.setattr(log, "level", 10)  # DEBUG
    log.manager._clear_cache()
    assert "apply" in rule_matching._format_states_for_debug(states)
    log.manager._clear_cache()
