"""Rasa's prediction graph, run in a plan worked out once instead of every turn.

Every message runs Rasa's predict graph at least three times (the NLU pipeline,
then the policies before and after each action) through ``DaskGraphRunner``.
On every run that runner walks the graph schema again to find the nodes the
targets need (a recursion without memory that visits shared dependencies over
and over), builds a new dask task graph, lets dask order it, and formats a debug
line holding the whole tracker even when debug logging is off. `make bench`'s
profile put that bookkeeping at about a tenth of the Rasa server's time per turn.

:class:`PlannedGraphRunner` is the same runner (same nodes, same hooks, same
errors) that computes the order of the nodes once per set of targets and then
calls them in that order. Dask's ``get`` runs a graph synchronously, one node
at a time, as this does; the nodes are called with the same inputs in a
dependency order, so the outputs are the same.

Installed by the channels (``bot/rasa_runtime/channels.py``) before the model loads;
``ADVISOR_PLANNED_GRAPH=0`` keeps Rasa's runner.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import rasa.core.processor
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner

log = logging.getLogger(__name__)

SWITCH_VARIABLE = "ADVISOR_PLANNED_GRAPH"

# For each node to run, in order: its name and the names of its inputs.
Plan = list[tuple[str, tuple[str, ...]]]


class PlannedGraphRunner(DaskGraphRunner):
    """``DaskGraphRunner`` with a precomputed order instead of dask per run."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: dict[tuple[str, ...], Plan] = {}

    def _plan(self, targets: tuple[str, ...]) -> Plan:
        """Every node the targets depend on, each after its own inputs."""
        plan = self._plans.get(targets)
        if plan is not None:
            return plan
        nodes = self._graph_schema.nodes
        plan, placed, visiting = [], set(), set()

        def place(name: str) -> None:
            if name in placed or name not in nodes:  # done, or an input placeholder
                return
            if name in visiting:
                raise GraphRunError(f"The graph has a cycle through '{name}'.")
            visiting.add(name)
            needs = tuple(nodes[name].needs.values())
            for dependency in needs:
                place(dependency)
            visiting.discard(name)
            placed.add(name)
            plan.append((name, needs))

        for target in targets:
            place(target)
        self._plans[targets] = plan
        return plan

    def run(
        self,
        inputs: dict[str, Any] | None = None,
        targets: list[str] | None = None,
    ) -> dict[str, Any]:
        """Runs the graph (see ``DaskGraphRunner.run``)."""
        run_targets = tuple(targets if targets else self._graph_schema.target_names)
        plan = self._plan(run_targets)
        # Outputs travel as (node name, value), as GraphNode.__call__ expects.
        outputs: dict[str, tuple[str, Any]] = {}
        for name, value in (inputs or {}).items():
            if isinstance(value, str) and any(value == step[0] for step in plan):
                raise GraphRunError(
                    f"Input value '{value}' clashes with a node name. Make sure "
                    f"that none of the input names passed to the `run` method are "
                    f"the same as node names in the graph schema."
                )
            outputs[name] = (name, value)
        try:
            for name, needs in plan:
                outputs[name] = self._instantiated_nodes[name](
                    *(outputs.get(dependency, dependency) for dependency in needs)
                )
        except RuntimeError as error:
            raise GraphRunError("Error running runner.") from error
        return dict(outputs[target] for target in run_targets)


def install_planned_graph_runner() -> None:
    """Make the Rasa server load its model into a PlannedGraphRunner (idempotent)."""
    if os.environ.get(SWITCH_VARIABLE, "1") == "0":
        return
    rasa.core.processor.DaskGraphRunner = PlannedGraphRunner  # type: ignore[misc]
