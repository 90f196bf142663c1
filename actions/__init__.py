"""rasa-sdk custom actions: thin wrappers that read slots, call ``bot`` and reply."""

from actions.common import warm_up
from bot.action_server import install_fast_json, install_warm_up

install_fast_json()  # the action server's JSON decoding (bot/action_server.py)
install_warm_up(warm_up)  # the advisor and place index built before serving
