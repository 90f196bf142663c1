"""Rasa 3.6's per-turn work made cheaper, with the same results.

Each module names the Rasa code it replaces and the ``ADVISOR_*`` variable
whose ``0`` restores Rasa's own (``make bench`` runs both in one go); each is
tested against Rasa's code on the same inputs (``tests/integration``).

* ``action_validation``: ``RemoteAction._validate_action_result``
  (``ADVISOR_FAST_ACTION_VALIDATION``);
* ``action_client``: ``EndpointConfig.session``, one per call
  (``ADVISOR_SHARED_ACTION_SESSION``);
* ``graph_runner``: ``DaskGraphRunner`` for the predict graph
  (``ADVISOR_PLANNED_GRAPH``);
* ``rule_matching``: ``RulePolicy._get_possible_keys``
  (``ADVISOR_FAST_RULE_MATCHING``);
* ``tracker_states``: ``Domain.states_for_tracker_history``
  (``ADVISOR_INCREMENTAL_STATES``);
* ``memoised``: ``DialogueStateTracker.applied_events``, ``Domain.is_empty``
  (``ADVISOR_MEMOISED``);
* ``tracker_copy``: ``DialogueStateTracker.copy`` (``ADVISOR_FAST_COPY``).
"""

from __future__ import annotations


def install_speedups() -> None:
    """Install every speed-up whose switch is on (idempotent)."""
    from bot.rasa_runtime.speedups.action_client import install_shared_action_session
    from bot.rasa_runtime.speedups.action_validation import (
        install_fast_action_validation,
    )
    from bot.rasa_runtime.speedups.graph_runner import install_planned_graph_runner
    from bot.rasa_runtime.speedups.memoised import install_memoised
    from bot.rasa_runtime.speedups.rule_matching import install_fast_rule_matching
    from bot.rasa_runtime.speedups.tracker_copy import install_fast_copy
    from bot.rasa_runtime.speedups.tracker_states import install_incremental_states

    install_fast_action_validation()
    install_shared_action_session()
    install_planned_graph_runner()
    install_fast_rule_matching()
    install_incremental_states()
    install_memoised()
    install_fast_copy()
