"""``make shell``: Rasa's shell, greeting in the terminal's language.

``rasa shell`` waits for the first message, so a conversation starts in
English whatever the terminal speaks. The widget starts its conversations with
``/greet{"language": "fr"}`` (its page's language); this does the same for the
shell, from the terminal's locale (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``,
``LANG``, in gettext's order), by wrapping the function Rasa runs for the
shell's input, ``rasa.core.channels.console.record_messages``, so that it sends
the greeting first. Everything else is ``rasa shell``'s own: the arguments are
passed through.

    python -m bot.rasa_runtime.shell --model models/advisor.tar.gz \
        --endpoints endpoints.yml
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Mapping
from typing import Any

from bot.language import ENGLISH, ENTITY, LANGUAGES

LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
STARTING_TRIES = 60
STARTING_PAUSE_SECONDS = 0.5


def terminal_language(environ: Mapping[str, str] = os.environ) -> str:
    """ "fr" for a French locale (``fr_BE.UTF-8``, ``fr``), else English."""
    for name in LOCALE_VARIABLES:
        value = environ.get(name, "")
        if value and value not in ("C", "POSIX") and not value.startswith("C."):
            code = value.split(":")[0].split(".")[0].split("_")[0].lower()
            return code if code in LANGUAGES else ENGLISH
    return ENGLISH


def greeting(language: str) -> str:
    """The payload the widget sends first, for ``language``."""
    return "/greet" + json.dumps({ENTITY: language})


async def greet(
    server_url: str, auth_token: str, sender_id: str, language: str
) -> list[dict[str, Any]]:
    """Start the conversation in ``language``; the bot's replies.

    Rasa starts the shell's input a second after its server; should the server
    not listen yet, this tries again for up to 30 seconds."""
    import aiohttp
    from rasa.core.channels import console

    tries = 0
    while True:
        tries += 1
        try:
            return await console.send_message_receive_block(
                server_url, auth_token, sender_id, greeting(language)
            )
        except aiohttp.ClientConnectionError:
            if tries >= STARTING_TRIES:
                raise
            await asyncio.sleep(STARTING_PAUSE_SECONDS)


def greet_first(language: str) -> None:
    """Make Rasa's shell greet in ``language`` before reading the keyboard."""
    from rasa.core.channels import console

    record_messages = console.record_messages
    if getattr(record_messages, "greets_in", None):
        record_messages = record_messages.__wrapped__

    async def greeted(
        sender_id: str,
        server_url: str = console.DEFAULT_SERVER_URL,
        auth_token: str = "",
        *args: Any,
        **kwargs: Any,
    ) -> int:
        for reply in await greet(server_url, auth_token, sender_id, language):
            console._print_bot_output(reply)
        return await record_messages(sender_id, server_url, auth_token, *args, **kwargs)

    greeted.greets_in = language  # type: ignore[attr-defined]
    greeted.__wrapped__ = record_messages  # type: ignore[attr-defined]
    console.record_messages = greeted


def main(argv: list[str] | None = None) -> int:
    from rasa.__main__ import main as rasa_main

    greet_first(terminal_language())
    sys.argv = ["rasa", "shell", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
