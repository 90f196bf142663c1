"""The advisor inside Rasa: what runs in the Rasa server or the action server,
or changes Rasa 3.6's own behaviour. The domain (``bot.knowledge``,
``bot.answers``, ``bot.applications``, ``bot.nlp``, ``bot.web``...) never
imports this package (``tests/unit/test_layout.py``); a Rasa upgrade starts
here, and ``docs/rasa-fixes.md`` says what each module replaces and why.

Plugged into Rasa by name:

* ``channels`` (``credentials.yml``): the REST and socket.io channels;
* ``tracker_store`` (``endpoints.yml``): the SQL tracker store, fast per turn
  and able to forget a conversation;
* ``lock_store`` (``endpoints.scale.yml``): Redis locks changed atomically;
* ``shell`` (``make shell``): Rasa's shell, greeting in the terminal's language.

Installed over Rasa's code, each with the ``ADVISOR_*`` switch that restores
Rasa's (``=0``), by the two functions below and nowhere else:

* :func:`install_rasa_server`, called only when Rasa builds a channel of
  ``bot.rasa_runtime.channels``: ``resilience`` (an apology, never silence,
  when the action server fails) and the ``speedups`` package;
* :func:`install_action_server`, called only by ``actions/__init__.py`` when
  rasa-sdk loads the actions: ``action_server`` (orjson decoding, warm-up).
"""

from __future__ import annotations

from collections.abc import Callable


def install_rasa_server() -> None:
    """Every fix of the Rasa server (idempotent; each honours its switch)."""
    from bot.rasa_runtime.resilience import install_action_failure_fallback
    from bot.rasa_runtime.speedups import install_speedups

    install_action_failure_fallback()
    install_speedups()


def install_action_server(warm_up: Callable[[], object]) -> None:
    """The action server's fixes: orjson decoding; ``warm_up`` before serving."""
    from bot.rasa_runtime.action_server import install_fast_json, install_warm_up

    install_fast_json()
    install_warm_up(warm_up)
