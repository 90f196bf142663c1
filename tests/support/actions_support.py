"""Running actions through rasa-sdk's executor, as the action server does."""

from __future__ import annotations

from typing import Any

import yaml
from rasa_sdk.executor import ActionExecutor

from bot.settings import PROJECT_ROOT

DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())


def make_executor() -> ActionExecutor:
    executor = ActionExecutor()
    executor.register_package("actions")
    return executor


def tracker_state(
    *,
    text: str = "",
    intent: str = "",
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    events: list[dict[str, Any]] | None = None,
    active_loop: str | None = None,
    intent_ranking: list[dict[str, Any]] | None = None,
    sender_id: str = "test-sender",
) -> dict[str, Any]:
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": entities or [],
        "intent_ranking": intent_ranking or [],
    }
    user_event = {"event": "user", "text": text, "parse_data": latest}
    return {
        "sender_id": sender_id,
        "slots": {name: None for name in DOMAIN["slots"]} | (slots or {}),
        "latest_message": latest,
        "events": [user_event, *(events or [])],
        "paused": False,
        "followup_action": None,
        "active_loop": {"name": active_loop} if active_loop else {},
        "latest_action_name": "action_listen",
    }


def entity(name: str, value: str) -> dict[str, Any]:
    return {"entity": name, "value": value, "start": 0, "end": len(value)}


async def run_action(
    executor: ActionExecutor, name: str, **tracker: Any
) -> dict[str, Any]:
    call = {
        "next_action": name,
        "sender_id": tracker.get("sender_id", "test-sender"),
        "tracker": tracker_state(**tracker),
        "domain": DOMAIN,
        "version": "3.6.2",
    }
    result = await executor.run(call)
    assert result is not None
    return result


def slot_events(result: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in result["events"] if e["event"] == "slot"}


def variation(name: str, language: str = "en") -> dict[str, Any]:
    """The response's variation that Rasa picks with the ``language`` slot."""
    variations = DOMAIN["responses"][name]
    for candidate in variations:
        conditions = candidate.get("condition") or []
        said_in = next(
            (c["value"] for c in conditions if c["name"] == "language"), "en"
        )
        if said_in == language:
            return candidate
    return variations[0]


def rendered(result: dict[str, Any], language: str = "en") -> list[str]:
    """Each response of the result, filled with its values, as the visitor sees it."""
    texts = []
    for response in result["responses"]:
        name = response.get("response")
        template = (
            variation(name, language)["text"] if name else response.get("text", "")
        )
        values = {k: v for k, v in response.items() if k not in ("response", "buttons")}
        texts.append(template.format_map(_Missing(values)))
    return texts


class _Missing(dict):
    """Leave slot placeholders ({applicant_name}) as Rasa would fill them later."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
