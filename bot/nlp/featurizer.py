"""Rasa's CountVectorsFeaturizer, making only the features the classifier reads.

For a message's text, Rasa's featurizer makes two things: a row of counts per
token (sequence features, for DIET or CRF) and one row for the whole text
(sentence features). This project's classifier
(:mod:`bot.nlp.intent_classifier`) reads the sentence row only, and no other
component reads token features, so half of the featurizer's work per message
(about a millisecond a turn with the two featurizers of ``config.yml``) was
thrown away. This subclass makes the sentence row alone for the text
attributes; other attributes (intents, action names) keep Rasa's behaviour.
The vocabulary, the counts and the sentence row are Rasa's.

Do not use it with a component that needs token features (DIET, CRF): Rasa
would refuse nothing, those components would just see no text features.
"""

from __future__ import annotations

import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)

Rows = list[scipy.sparse.spmatrix | None]  # one matrix (or None) per message


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True
)
class SentenceCountVectorsFeaturizer(CountVectorsFeaturizer):
    """Counts of words or character n-grams for the whole text, not per token."""

    def _create_features(
        self, attribute: str, all_tokens: list[list[str]]
    ) -> tuple[Rows, Rows]:
        if attribute not in DENSE_FEATURIZABLE_ATTRIBUTES or not self.vectorizers.get(
            attribute
        ):
            return super()._create_features(attribute, all_tokens)
        sentence_features: Rows = []
        for tokens in all_tokens:
            if not tokens:
                sentence_features.append(None)
                continue
            sentence = self.vectorizers[attribute].transform([" ".join(tokens)])
            sentence.sort_indices()
            sentence_features.append(sentence.tocoo())
        return [None] * len(all_tokens), sentence_features
