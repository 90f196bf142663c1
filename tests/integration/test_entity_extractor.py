"""Extracting from SpacyNLP's document finds the entities Rasa's extractor finds."""

from __future__ import annotations

import pytest
from rasa.nlu.extractors.spacy_entity_extractor import SpacyEntityExtractor
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
from rasa.shared.importers.importer import TrainingDataImporter
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlp.entity_extractor import SharedDocSpacyEntityExtractor
from tests.conftest import PROJECT_ROOT

SPACY_MODEL = PROJECT_ROOT / "build" / "spacy-en"
CONFIG = {"dimensions": ["location", "skill", "programme", "background"]}


@pytest.fixture(scope="module")
def spacy_nlp() -> SpacyNLP:
    if not SPACY_MODEL.exists():
        pytest.fail("build/spacy-en is missing: `make build` builds it")
    config = {**SpacyNLP.get_default_config(), "model": str(SPACY_MODEL)}
    config["case_sensitive"] = True  # as in config.yml
    return SpacyNLP(SpacyNLP.load_model(str(SPACY_MODEL)), config)


def _texts() -> list[str]:
    importer = TrainingDataImporter.load_from_dict(
        training_data_paths=[str(PROJECT_ROOT / "data" / "nlu")]
    )
    texts = [m.get(TEXT) for m in importer.get_nlu_data().training_examples]
    held_out = TrainingDataImporter.load_from_dict(
        training_data_paths=[str(PROJECT_ROOT / "tests" / "nlu_holdout.yml")]
    )
    texts += [m.get(TEXT) for m in held_out.get_nlu_data().training_examples]
    return [t for t in texts if t] + ["New York", "r u human", "  Dakar  ", ""]


def test_same_entities_as_rasas_extractor(spacy_nlp: SpacyNLP) -> None:
    model = spacy_nlp.provide()
    texts = _texts()
    ours = [Message(data={TEXT: t}) for t in texts]
    rasas = [Message(data={TEXT: t}) for t in texts]
    spacy_nlp.process(ours, model)  # SpacyNLP's document, as in the pipeline
    SharedDocSpacyEntityExtractor(CONFIG).process(ours, model)
    SpacyEntityExtractor(CONFIG).process(rasas, model)
    assert [m.get(ENTITIES, []) for m in ours] == [m.get(ENTITIES, []) for m in rasas]
    assert sum(bool(m.get(ENTITIES)) for m in ours) > 100  # entities were found


def test_without_spacys_document_it_parses_the_text(spacy_nlp: SpacyNLP) -> None:
    model: SpacyModel = spacy_nlp.provide()
    message = Message(data={TEXT: "how much in Canada?"})
    SharedDocSpacyEntityExtractor(CONFIG).process([message], model)
    assert [e["value"] for e in message.get(ENTITIES)] == ["Canada"]


def test_a_lower_cased_document_is_not_used(spacy_nlp: SpacyNLP) -> None:
    """With a case-insensitive SpacyNLP the document is of other text: parse again."""
    model: SpacyModel = spacy_nlp.provide()
    lower = SpacyNLP(model, {**SpacyNLP.get_default_config(), "case_sensitive": False})
    ours = Message(data={TEXT: "and in the US?"})
    rasas = Message(data={TEXT: "and in the US?"})
    lower.process([ours], model)
    SharedDocSpacyEntityExtractor(CONFIG).process([ours], model)
    SpacyEntityExtractor(CONFIG).process([rasas], model)
    assert ours.get(ENTITIES) == rasas.get(ENTITIES)
    assert [e["value"] for e in ours.get(ENTITIES)] == ["US"]
