"""The sentence-only featurizer makes Rasa's sentence features and no token ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlp.featurizer import SentenceCountVectorsFeaturizer

EXAMPLES = [
    ("how much does an AI project manager earn in Canada?", "ask_salary"),
    ("which skills do I need", "ask_skills"),
    ("do I need Python or R?", "ask_skills"),
    ("I want to apply", "apply"),
]


def _tokenized(texts: list[tuple[str, str]]) -> list[Message]:
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    messages = [Message(data={TEXT: text, INTENT: intent}) for text, intent in texts]
    tokenizer.process_training_data(TrainingData(training_examples=messages))
    return messages


def _trained(cls: type[CountVectorsFeaturizer], tmp_path: Path, **config: object):  # type: ignore[no-untyped-def]
    featurizer = cls.create(
        {**cls.get_default_config(), **config},
        LocalModelStorage(tmp_path),
        Resource(cls.__name__),
        ExecutionContext(GraphSchema({}), node_name=cls.__name__),
    )
    featurizer.train(TrainingData(training_examples=_tokenized(EXAMPLES)))
    return featurizer


@pytest.mark.parametrize(
    "config",
    [
        {"min_ngram": 1, "max_ngram": 2},
        {"analyzer": "char_wb", "min_ngram": 2, "max_ngram": 5},
    ],
)
def test_sentence_features_are_rasas_and_token_features_are_not_made(
    tmp_path: Path, config: dict
) -> None:
    ours = _trained(SentenceCountVectorsFeaturizer, tmp_path, **config)
    rasas = _trained(CountVectorsFeaturizer, tmp_path, **config)
    probe = [("and what about Scrum in Canada", "ask_skills")]
    (mine,) = ours.process(_tokenized(probe))
    (theirs,) = rasas.process(_tokenized(probe))
    sequence, sentence = mine.get_sparse_features(TEXT)
    expected = theirs.get_sparse_features(TEXT)[1]
    assert sequence is None
    assert expected.features.nnz > 0
    np.testing.assert_array_equal(
        sentence.features.toarray(), expected.features.toarray()
    )
