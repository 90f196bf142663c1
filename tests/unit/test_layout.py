"""The tree says what the code is (issue 20): the domain knows nothing of the
Rasa runtime, and the fixes to Rasa are installed from one place each."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

BOT = PROJECT_ROOT / "bot"
RUNTIME = BOT / "rasa_runtime"
SPEEDUPS = RUNTIME / "speedups"


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at its top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def calls_of(name: str) -> list[Path]:
    """The project's files (not the tests) that call ``name``."""
    files = [*BOT.rglob("*.py"), *(PROJECT_ROOT / "actions").rglob("*.py")]
    return sorted(
        path.relative_to(PROJECT_ROOT)
        for path in files
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", getattr(node.func, "attr", None)) == name
    )


def domain_files() -> list[Path]:
    return sorted(p for p in BOT.rglob("*.py") if RUNTIME not in p.parents)


def test_the_domain_imports_nothing_of_the_rasa_runtime() -> None:
    assert domain_files(), "no domain module found"
    offenders = {
        str(path.relative_to(PROJECT_ROOT)): sorted(
            m for m in imported_modules(path) if m.startswith("bot.rasa_runtime")
        )
        for path in domain_files()
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_check_sees_an_import_inside_a_function(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from bot.rasa_runtime import shell\n")
    assert "bot.rasa_runtime.shell" in imported_modules(module)


def test_each_installer_has_one_caller() -> None:
    assert calls_of("install_rasa_server") == [
        Path("bot/rasa_runtime/channels.py"),
        Path("bot/rasa_runtime/channels.py"),  # the REST and the socket.io channel
    ]
    assert calls_of("install_action_server") == [Path("actions/__init__.py")]
    assert calls_of("install_speedups") == [Path("bot/rasa_runtime/__init__.py")]


@pytest.mark.parametrize(
    "module", sorted(p.stem for p in SPEEDUPS.glob("*.py") if p.stem != "__init__")
)
def test_each_speedup_names_its_switch_and_is_installed_by_the_package(
    module: str,
) -> None:
    loaded = importlib.import_module(f"bot.rasa_runtime.speedups.{module}")
    switch = loaded.SWITCH_VARIABLE
    assert switch.startswith("ADVISOR_") and switch in (loaded.__doc__ or "") + (
        importlib.import_module("bot.rasa_runtime.speedups").__doc__ or ""
    )
    installers = [name for name in vars(loaded) if name.startswith("install_")]
    assert len(installers) == 1, installers
    assert calls_of(installers[0]) == [Path("bot/rasa_runtime/speedups/__init__.py")]


def test_importing_the_channels_changes_nothing_in_rasa() -> None:
    """The fixes come with the call, not with an import."""
    from rasa.core.policies.rule_policy import RulePolicy

    before = RulePolicy._get_possible_keys
    importlib.import_module("bot.rasa_runtime.channels")
    assert RulePolicy._get_possible_keys is before
