"""Build the project's own spaCy pipeline and the generated NLU files.

No pretrained spaCy model can be downloaded here, so the pipeline is built from
parts that ship in PyPI packages and from the knowledge base:

* spaCy's English tokenizer and a lookup lemmatizer (tables from
  ``spacy-lookups-data``), which give Rasa's featurizers lemmas;
* two entity rulers that tag ``location``, ``skill``, ``programme`` and
  ``background``: one matching lower-cased text, one matching exact case for
  names that are also ordinary words ("Nice", "Reading", "US").

Rasa's ``SpacyNLP`` loads the result from a local folder. The same knowledge
base produces ``data/nlu/generated/synonyms.yml`` so that entity values are
normalised to the names the knowledge base uses, without typing them twice.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import spacy
import yaml
from spacy.lookups import load_lookups

from bot.knowledge.places import get_resolver, normalise
from bot.knowledge.queries import KnowledgeBase

# A one-word city whose name is this common as an English word ("nice", "mobile")
# is only tagged when capitalised. The threshold is a log-probability from
# spaCy's lexeme_prob table: "reading" is -8.8, "canada" -12.4, "paris" -14.3.
COMMON_WORD_LOG_PROB = -12.0
# Cities tagged without any help from the training data.
MIN_CITY_POPULATION = 100_000
# Short names that are only places when written in capitals.
CASED_PLACE_NAMES = ("US", "USA", "U.S.", "U.S.A.", "UK", "UAE", "NYC")
EXTRA_PLACE_NAMES = (
    "Europe",
    "Asia",
    "Africa",
    "North America",
    "South America",
    "Latin America",
    "Middle East",
    "Oceania",
    "the States",
)
PIPELINE_NAME = "advisor_en"


@dataclass(frozen=True)
class Patterns:
    lower: list[dict]
    cased: list[dict]


def _phrase_patterns(label: str, phrases: Iterable[str]) -> list[dict]:
    return [{"label": label, "pattern": p} for p in sorted(set(phrases)) if p.strip()]


def _named(entries: Iterable) -> list[str]:  # type: ignore[type-arg]
    return [name for e in entries for name in (e.name, *e.synonyms)]


def collect_patterns(kb: KnowledgeBase) -> Patterns:
    """Entity-ruler patterns from the knowledge base and the world's places."""
    snapshot = kb.snapshot()
    resolver = get_resolver()
    probs = load_lookups("en", ["lexeme_prob"]).get_table("lexeme_prob")

    skills = _named(item for area in snapshot.skill_areas for item in area.items)
    skills += [area.name for area in snapshot.skill_areas]
    programmes = _named(snapshot.programmes)
    backgrounds = _named(snapshot.route.backgrounds)
    kb_places = _named(p for r in snapshot.regions for p in r.places)
    kb_places += _named(snapshot.regions)
    taken = {normalise(x) for x in [*skills, *programmes, *backgrounds]}

    lower: set[str] = set()
    cased: set[str] = set(CASED_PLACE_NAMES)
    world = [
        *resolver.country_names(),
        *resolver.capitals(),
        *resolver.large_cities(MIN_CITY_POPULATION),
        *EXTRA_PLACE_NAMES,
    ]
    for name in world:
        key = normalise(name)
        if key in taken:
            continue
        if " " not in key and probs.get(key, -99.0) > COMMON_WORD_LOG_PROB:
            cased.add(name)
        else:
            lower.add(name)
    lower.update(kb_places)

    return Patterns(
        lower=[
            *_phrase_patterns("location", lower),
            *_phrase_patterns("skill", skills),
            *_phrase_patterns("programme", programmes),
            *_phrase_patterns("background", backgrounds),
        ],
        cased=_phrase_patterns("location", cased),
    )


def build_pipeline(patterns: Patterns, output_dir: Path) -> spacy.language.Language:
    """Assemble, initialise and save the pipeline to ``output_dir``."""
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    lower = nlp.add_pipe(
        "entity_ruler", name="entity_ruler", config={"phrase_matcher_attr": "LOWER"}
    )
    cased = nlp.add_pipe(
        "entity_ruler",
        name="entity_ruler_cased",
        config={"phrase_matcher_attr": "ORTH"},
    )
    nlp.initialize()  # loads the lemma tables from spacy-lookups-data
    lower.add_patterns(patterns.lower)
    cased.add_patterns(patterns.cased)
    nlp.meta["name"] = PIPELINE_NAME
    nlp.meta["description"] = "Built by `advisor build-nlp` from the knowledge base."
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = output_dir.with_name(output_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    nlp.to_disk(tmp)
    shutil.rmtree(output_dir, ignore_errors=True)
    tmp.rename(output_dir)  # readers never see a half-written pipeline
    return nlp


def synonyms(kb: KnowledgeBase) -> dict[str, list[str]]:
    """Canonical entity value -> the other ways visitors write it."""
    snapshot = kb.snapshot()
    entries = [
        *(item for area in snapshot.skill_areas for item in area.items),
        *snapshot.programmes,
        *snapshot.route.backgrounds,
        *(place for region in snapshot.regions for place in region.places),
    ]
    result: dict[str, list[str]] = {}
    for entry in entries:
        others = [s for s in entry.synonyms if s != entry.name.lower()]
        if others:
            result[entry.name] = others
    return result


def write_generated_nlu(kb: KnowledgeBase, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Generated by `advisor build-nlp` from data/knowledge: do not edit.",
        'version: "3.1"',
        "nlu:",
    ]
    for name, others in synonyms(kb).items():
        lines.append(f"- synonym: {json.dumps(name)}")
        lines.append("  examples: |")
        lines += [f"    - {other}" for other in others]
    path = directory / "synonyms.yml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    yaml.safe_load(path.read_text(encoding="utf-8"))  # fail here, not in Rasa
    return path


def build_all(kb: KnowledgeBase, spacy_dir: Path, nlu_dir: Path) -> str:
    patterns = collect_patterns(kb)
    build_pipeline(patterns, spacy_dir)
    path = write_generated_nlu(kb, nlu_dir)
    counts = json.dumps(
        {"lower_patterns": len(patterns.lower), "cased_patterns": len(patterns.cased)}
    )
    return f"spaCy pipeline -> {spacy_dir} {counts}; synonyms -> {path}"
