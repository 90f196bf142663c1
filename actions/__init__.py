"""rasa-sdk custom actions: thin wrappers that read slots, call ``bot`` and reply."""

from actions.common import warm_up
from bot.rasa_runtime import install_action_server

# The one call: orjson decoding, and the advisor and place index built before serving.
install_action_server(warm_up)
