"""Our intent classifier is Rasa's logistic regression, with less copying.

The feature matrix must be the one Rasa's classifier builds (same columns in
the same order), and a trained model must give the same probabilities before
and after it is saved and loaded with its coefficients in Fortran order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.logistic_regression_classifier import (
    LogisticRegressionClassifier,
)
from rasa.shared.nlu.constants import (
    FEATURE_TYPE_SENTENCE,
    FEATURE_TYPE_SEQUENCE,
    INTENT,
    TEXT,
)
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlp.intent_classifier import SentenceLogisticRegressionClassifier

RNG = np.random.default_rng(7)


def _message(intent: str, dense: bool = False) -> Message:
    """A message as the featurizers leave it: sequence and sentence features."""
    message = Message(data={TEXT: f"some {intent} text", INTENT: intent})
    for origin, width in (("words", 6), ("chars", 9)):
        tokens = scipy.sparse.random(3, width, density=0.4, random_state=RNG)
        message.add_features(
            Features(tokens.tocoo(), FEATURE_TYPE_SEQUENCE, TEXT, origin)
        )
        sentence = scipy.sparse.csr_matrix(tokens.sum(axis=0))
        message.add_features(
            Features(sentence.tocoo(), FEATURE_TYPE_SENTENCE, TEXT, origin)
        )
    if dense:
        message.add_features(
            Features(RNG.random((1, 4)), FEATURE_TYPE_SENTENCE, TEXT, "dense")
        )
    return message


@pytest.mark.parametrize("dense", [False, True])
def test_the_feature_matrix_is_rasas(dense: bool) -> None:
    messages = [_message(i, dense) for i in ("greet", "ask_salary", "greet")]
    theirs = LogisticRegressionClassifier._create_X(None, messages)  # type: ignore[arg-type]
    ours = SentenceLogisticRegressionClassifier._create_X(None, messages)  # type: ignore[arg-type]
    assert ours.shape == theirs.shape == (3, 15 + (4 if dense else 0))
    np.testing.assert_array_equal(ours.toarray(), theirs.toarray())
    one = SentenceLogisticRegressionClassifier._create_X(None, messages[:1])  # type: ignore[arg-type]
    np.testing.assert_array_equal(one.toarray(), theirs.toarray()[:1])


def test_a_loaded_model_predicts_what_the_trained_one_did(tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    resource = Resource("intent_classifier")
    context = ExecutionContext(GraphSchema({}), node_name="intent_classifier")
    config = {**SentenceLogisticRegressionClassifier.get_default_config(),
              "random_state": 42}  # fmt: skip
    examples = [_message(i) for i in ("greet", "ask_salary", "goodbye") * 6]
    trained = SentenceLogisticRegressionClassifier.create(
        config, storage, resource, context
    )
    trained.train(TrainingData(training_examples=examples))
    loaded = SentenceLogisticRegressionClassifier.load(
        config, storage, resource, context
    )
    assert loaded.clf.coef_.flags.f_contiguous
    probe = [_message("greet") for _ in range(5)]
    features = trained._create_X(probe)
    np.testing.assert_allclose(
        loaded.clf.predict_proba(features),
        trained.clf.predict_proba(features),
        rtol=1e-12,
    )
    for message in loaded.process(probe):
        assert message.get(INTENT)["name"] in {"greet", "ask_salary", "goodbye"}


def test_the_regularisation_is_configurable(tmp_path: Path) -> None:
    """config.yml's ``C`` reaches scikit-learn; Rasa's own default stays 1.0."""
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), node_name="intent_classifier")
    default = SentenceLogisticRegressionClassifier.create(
        SentenceLogisticRegressionClassifier.get_default_config(),
        storage,
        Resource("a"),
        context,
    )
    tuned = SentenceLogisticRegressionClassifier.create(
        {"C": 20}, storage, Resource("b"), context
    )
    assert (default.clf.C, tuned.clf.C) == (1.0, 20.0)
