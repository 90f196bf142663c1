"""The planned graph runner gives what Rasa's dask runner gives, in one planned order.

A small graph with the shapes of Rasa's predict graph (a chain, a node two
others need, an input placeholder, a target that needs only part of the graph)
is run by both runners with the same inputs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage

from bot.rasa_runtime.speedups.graph_runner import PlannedGraphRunner

CALLS: list[str] = []


class Step(GraphComponent):
    """Appends its name to what it receives, so the output shows the path taken."""

    def __init__(self, name: str) -> None:
        self.name = name

    @classmethod
    def create(cls, config, model_storage, resource, execution_context):  # type: ignore[no-untyped-def]
        return cls(config["name"])

    def run(self, **inputs: Any) -> str:
        CALLS.append(self.name)
        received = ",".join(str(inputs[key]) for key in sorted(inputs))
        return f"{self.name}({received})"


def _node(name: str, **needs: str) -> SchemaNode:
    return SchemaNode(
        needs=needs, uses=Step, constructor_name="create", fn="run",
        config={"name": name},
    )  # fmt: skip


# message -> tokens -> (words, chars) -> intent; tokens -> entities (a separate target)
SCHEMA = GraphSchema(
    {
        "tokens": _node("tokens", text="__message__"),
        "words": _node("words", tokens="tokens"),
        "chars": _node("chars", tokens="tokens"),
        "intent": _node("intent", words="words", chars="chars", tokens="tokens"),
        "entities": _node("entities", tokens="tokens"),
    }
)


def _runner(cls: type[DaskGraphRunner], tmp_path: Path) -> DaskGraphRunner:
    return cls.create(
        SCHEMA, LocalModelStorage(tmp_path / cls.__name__), ExecutionContext(SCHEMA)
    )


@pytest.mark.parametrize("targets", [["intent"], ["entities"], ["intent", "entities"]])
def test_outputs_are_those_of_rasas_dask_runner(
    tmp_path: Path, targets: list[str]
) -> None:
    inputs = {"__message__": "hello"}
    expected = _runner(DaskGraphRunner, tmp_path).run(inputs, targets)
    CALLS.clear()
    assert _runner(PlannedGraphRunner, tmp_path).run(inputs, targets) == expected
    assert len(CALLS) == len(set(CALLS)), "every node runs once per run"
    if targets == ["entities"]:
        assert CALLS == ["tokens", "entities"], "only what the target needs runs"
    assert expected["intent" if "intent" in targets else "entities"].startswith(
        targets[0]
    )


def test_every_node_runs_after_its_inputs(tmp_path: Path) -> None:
    runner = _runner(PlannedGraphRunner, tmp_path)
    CALLS.clear()
    runner.run({"__message__": "hi"}, ["intent", "entities"])
    for name, node in SCHEMA.nodes.items():
        for dependency in node.needs.values():
            if dependency in SCHEMA.nodes:
                assert CALLS.index(dependency) < CALLS.index(name)


def test_the_plan_is_worked_out_once_per_set_of_targets(tmp_path: Path) -> None:
    runner = _runner(PlannedGraphRunner, tmp_path)
    runner.run({"__message__": "a"}, ["intent"])
    plan = runner._plans[("intent",)]
    assert runner.run({"__message__": "b"}, ["intent"])["intent"].count("b") == 3
    assert runner._plans[("intent",)] is plan


def test_an_input_named_like_a_node_is_refused_as_rasa_does(tmp_path: Path) -> None:
    for cls in (DaskGraphRunner, PlannedGraphRunner):
        with pytest.raises(GraphRunError, match="clashes with a node name"):
            _runner(cls, tmp_path).run({"__message__": "tokens"}, ["intent"])
