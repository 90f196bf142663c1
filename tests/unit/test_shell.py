"""`make shell` greets in the terminal's language (issue 19)."""

from __future__ import annotations

import pytest

from bot.rasa_runtime import shell


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"LANG": "fr_FR.UTF-8"}, "fr"),
        ({"LANG": "fr_BE.UTF-8"}, "fr"),
        ({"LANG": "en_US.UTF-8", "LC_ALL": "fr_CH.UTF-8"}, "fr"),
        ({"LANG": "fr_FR.UTF-8", "LANGUAGE": "en_GB:en"}, "en"),
        ({"LANG": "fr_SN.UTF-8", "LANGUAGE": ""}, "fr"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LC_ALL": "C", "LANG": "fr_FR.UTF-8"}, "fr"),
        ({}, "en"),
    ],
)
def test_the_terminal_language_follows_the_locale(
    environ: dict[str, str], expected: str
) -> None:
    assert shell.terminal_language(environ) == expected


def test_the_greeting_is_the_widgets_payload() -> None:
    assert shell.greeting("fr") == '/greet{"language": "fr"}'


def test_greet_first_wraps_rasas_shell_input_once() -> None:
    from rasa.core.channels import console

    original = console.record_messages
    try:
        shell.greet_first("fr")
        shell.greet_first("en")
        assert console.record_messages.greets_in == "en"
        assert console.record_messages.__wrapped__ is original
    finally:
        console.record_messages = original


async def test_greet_tries_again_while_the_server_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A refused connection is tried again; the first answer is returned."""
    import aiohttp
    from rasa.core.channels import console

    calls: list[str] = []

    async def send(url: str, token: str, sender: str, message: str) -> list[dict]:
        calls.append(message)
        if len(calls) < 3:
            raise aiohttp.ClientConnectionError("not listening yet")
        return [{"text": "Bonjour"}]

    monkeypatch.setattr(console, "send_message_receive_block", send)
    monkeypatch.setattr(shell, "STARTING_PAUSE_SECONDS", 0)
    assert await shell.greet("http://localhost:1", "", "me", "fr") == [
        {"text": "Bonjour"}
    ]
    assert calls == [shell.greeting("fr")] * 3


async def test_greet_gives_up_after_its_tries(monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that never listens ends in the connection error, after each try."""
    import aiohttp
    from rasa.core.channels import console

    calls: list[str] = []

    async def send(url: str, token: str, sender: str, message: str) -> list[dict]:
        calls.append(message)
        raise aiohttp.ClientConnectionError("not listening")

    monkeypatch.setattr(console, "send_message_receive_block", send)
    monkeypatch.setattr(shell, "STARTING_PAUSE_SECONDS", 0)
    monkeypatch.setattr(shell, "STARTING_TRIES", 4)
    with pytest.raises(aiohttp.ClientConnectionError):
        await shell.greet("http://localhost:1", "", "me", "en")
    assert len(calls) == 4
