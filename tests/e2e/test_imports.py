"""The ranking and the console's grouping load without TensorFlow or JAX."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy.orm import sessionmaker

from bot.imports import without_modules
from bot.settings import PROJECT_ROOT

PROBE = """
import sys
import {module}
{use}
print(sorted(name for name in ("tensorflow", "jax") if name in sys.modules))
"""


@pytest.mark.parametrize(
    ("module", "use"),
    [
        # As the action server: the advisor's index built and a question ranked.
        (
            "actions.common",
            "actions.common.get_advisor().chooser().choose("
            "'which skills do I need?', 'skills', {})",
        ),
        (
            "bot.web.console.wording",
            "bot.web.console.wording.group_texts(['what are the fees', 'fees?'])",
        ),
    ],
)
def test_tensorflow_and_jax_stay_out(
    module: str, use: str, seeded: sessionmaker, database_url: str
) -> None:
    env = {**os.environ, "DATABASE_URL": database_url}
    probe = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module, use=use)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert probe.stdout.strip().splitlines()[-1] == "[]"


def test_hidden_modules_can_be_imported_after_the_block() -> None:
    name = "json.decoder_not_there"  # any name not imported yet
    with without_modules([name, "json"]):
        assert sys.modules[name] is None
        assert "json" in sys.modules and sys.modules["json"] is not None  # kept
    assert name not in sys.modules
