"""The message's language as a ``language`` entity, for the ``language`` slot.

A Rasa NLU component, so that detection runs in the Rasa server with the rest
of the parse (no call to the action server). It adds the entity only when the
message says its language (:func:`bot.language.detect`); the slot's
``from_entity`` mapping then keeps the conversation's language through "ok",
names, emails and buttons.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot import language
from bot.language import ENTITY


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False
)
class LanguageDetector(GraphComponent):
    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageDetector:
        language.warm_up()  # lingua's models load here, not at the first message
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            found = language.detect(text)
            if found is None:
                continue
            entity = {
                ENTITY_ATTRIBUTE_TYPE: ENTITY,
                ENTITY_ATTRIBUTE_VALUE: found,
                ENTITY_ATTRIBUTE_START: 0,
                ENTITY_ATTRIBUTE_END: len(text),
                EXTRACTOR: type(self).__name__,
            }
            message.set(
                ENTITIES, [*message.get(ENTITIES, []), entity], add_to_output=True
            )
        return messages
