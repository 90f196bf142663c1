"""Rasa's SpacyEntityExtractor, reading the document SpacyNLP already made.

Rasa's extractor runs the whole spaCy pipeline (tokenizer, lemmas, both
entity rulers) on the message a second time, because SpacyNLP may have
lower-cased the text it parsed. This project's SpacyNLP is case-sensitive
(``config.yml``), so its document is of the message's own text: when the
document's text is the message's, this subclass extracts from it; otherwise
it parses the text as Rasa's does. Same pipeline, same text, same entities
(``tests/integration/test_entity_extractor.py``), one spaCy run a message, not two.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import SPACY_DOCS
from rasa.nlu.extractors.spacy_entity_extractor import SpacyEntityExtractor
from rasa.nlu.utils.spacy_utils import SpacyModel
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR,
    is_trainable=False,
    model_from="SpacyNLP",
)
class SharedDocSpacyEntityExtractor(SpacyEntityExtractor):
    """Entities from spaCy's entity rulers, without parsing the text twice."""

    @property
    def name(self) -> str:
        # Entities still name Rasa's extractor: `make eval` and the console group
        # entities by it, and the stored conversations keep one name.
        return SpacyEntityExtractor.__name__

    def process(self, messages: list[Message], model: SpacyModel) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            doc: Any = message.get(SPACY_DOCS[TEXT])
            if doc is None or doc.text != text:
                doc = model.model(text)  # what Rasa's extractor always does
            extracted = self.filter_irrelevant_entities(
                self.add_extractor_name(self._extract_entities(doc)),
                self._config["dimensions"],
            )
            message.set(
                ENTITIES, message.get(ENTITIES, []) + extracted, add_to_output=True
            )
        return messages
