"""rasa-sdk custom actions: thin wrappers that read slots, call ``bot`` and reply."""

from bot.action_server import install_fast_json

install_fast_json()  # the action server's JSON decoding (bot/action_server.py)
