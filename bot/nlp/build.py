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

Backgrounds come from the knowledge base and from a vocabulary of the jobs
visitors name (``data/nlu/lookups/backgrounds.yml``: "marketing manager",
"product owner"), each mapped there to the nearest background of the knowledge
base. That file is Rasa training data (entity synonyms), so Rasa maps the
values itself; this module only adds its phrases to the ruler.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import spacy
import yaml
from spacy.lookups import load_lookups

from bot.knowledge.french import english
from bot.knowledge.places import get_resolver, normalise, without_accents
from bot.knowledge.queries import KnowledgeBase
from bot.language import french_lemma_lookup
from bot.settings import PROJECT_ROOT

# A one-word city whose name is this common as an English word ("nice", "mobile")
# is only tagged when capitalised. The threshold is a log-probability from
# spaCy's lexeme_prob table: "reading" is -8.8, "canada" -12.4, "paris" -14.3.
COMMON_WORD_LOG_PROB = -12.0
# l', d', j', qu'... before a word (straight or curly apostrophe).
FRENCH_ELISION = r"(?i:qu|[cdjlmnst])['’](?=\w)"
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
# Words at least this common count as English: the ranking's typo fix leaves
# them alone ("parts" is not "Paris") and corrects the others ("pyhton").
# "stakeholder" is -16.2, the typos "machin" -18.1 and "pyton" -19.5.
KNOWN_WORD_LOG_PROB = -17.0
KNOWN_WORDS_TABLE = "known_word_prob"
PIPELINE_NAME = "advisor_en"
BACKGROUND_VOCABULARY = PROJECT_ROOT / "data" / "nlu" / "lookups" / "backgrounds.yml"
# Roles visitors ask about, or compare the job with, are not their background: "how
# do I become an AI project manager?" says nothing about being a project
# manager. These phrases get a label the NLU does not extract, and the ruler
# keeps the longest match, so "project manager" and "PM" inside them are not
# tagged as backgrounds.
MENTIONED_ROLE_LABEL = "role_mention"
MENTIONED_ROLE_PREFIXES = (
    "ai",
    "ia",
    "a.i.",
    "ai-",
    "regular",
    "normal",
    "classic",
    "traditional",
    "standard",
    # "a regular software PM" is what the job is compared with, but "I'm a
    # software project manager" is the visitor's background.
    *(
        f"{kind} {field}"
        for kind in ("regular", "normal", "classic", "traditional", "standard")
        for field in ("software", "it", "tech")
    ),
)
MENTIONED_ROLE_HEADS = (
    "project manager",
    "project managers",
    "project mgr",
    "projet manager",
    "project manger",
    "project management",
    "project lead",
    "project leader",
    "pm",
    "pms",
)
# French puts the qualifier after the head ("PM IA", "chef de projet IA"), and
# "un chef de projet informatique classique" is what the job is compared with;
# "je suis chef de projet dans le BTP" is still the visitor's background.
FRENCH_ROLE_HEADS = (
    "pm",
    "pms",
    "chef de projet",
    "chefs de projet",
    "cheffe de projet",
    "project manager",
    "project managers",
)
FRENCH_ROLE_QUALIFIERS = (
    "ia",
    "en ia",
    "d'ia",
    "ai",
    *(
        f"{field}{kind}"
        for field in ("", "informatique ", "logiciel ", "it ", "si ")
        for kind in ("classique", "traditionnel", "normal", "lambda")
    ),
)
# "the PM" in a question about the job is the AI PM; "le chef de projet" too.
MENTIONED_ROLE_PHRASES = (
    "the pm",
    "the pms",
    "le pm",
    "les pm",
    "le chef de projet",
    "la cheffe de projet",
)


@dataclass(frozen=True)
class Patterns:
    lower: list[dict]
    cased: list[dict]


def _phrase_patterns(label: str, phrases: Iterable[str]) -> list[dict]:
    return [{"label": label, "pattern": p} for p in sorted(set(phrases)) if p.strip()]


def _named(entries: Iterable) -> list[str]:  # type: ignore[type-arg]
    return [name for e in entries for name in (e.name, *e.synonyms)]


@lru_cache(maxsize=1)
def _french_accents() -> dict[str, str]:
    """A French word without its accents -> the word ("donnees" -> "données"),
    from spaCy's French lookup table (spacy-lookups-data): its word forms and
    their lemmas, since a lemma is not always a form of the table ("ingénieurs"
    is, "ingénieur" only as its lemma); unsure ones left out."""
    table = french_lemma_lookup()
    forms = set(table)
    for lemma in table.values():
        forms.update([lemma] if isinstance(lemma, str) else lemma)
    accented: dict[str, set[str]] = {}
    for form in forms:
        if not form.isascii():
            accented.setdefault(without_accents(form), set()).add(form)
    # "des" is a word of its own, not "dés" without its accent.
    return {
        bare: next(iter(found))
        for bare, found in accented.items()
        if len(found) == 1 and bare not in forms
    }


def with_french_accents(phrase: str) -> str:
    """A phrase written without accents, with its words' French accents."""
    accents = _french_accents()
    return " ".join(accents.get(word, word) for word in phrase.split(" "))


def french_phrases(entries: Iterable, probs: dict) -> dict[str, str]:  # type: ignore[type-arg]
    """French phrase -> the entry's (English) name, for French views of entries.

    Each entry's French name, with and without its accents ("Modélisation des
    données", "modelisation des donnees"), and its French synonyms, written
    without accents as the ranking folds them, and with them ("infirmière",
    from spaCy's French word forms). A one-word French phrase that
    is a common English word ("commercial") is left out unless the English
    entry says it too: the ruler tags both languages' messages, and the
    English "coder" had made "savoir coder" a developer's background.
    """
    found: dict[str, str] = {}
    for entry in entries:
        row = english(entry)
        own = {row.name.lower(), *(s.lower() for s in row.synonyms)}
        said = [entry.name, *(row.fr or {}).get("synonyms", [])]
        variants = [
            *(without_accents(p) for p in said),
            *map(with_french_accents, said),
        ]
        for phrase in [*said, *variants]:
            key = phrase.lower()
            if key in own or key in found:
                continue
            if " " not in key and probs.get(key, -99.0) > COMMON_WORD_LOG_PROB:
                continue
            found[key] = row.name
    return found


def _french_named(french) -> dict[str, list]:  # type: ignore[no-untyped-def,type-arg]
    """The French views of the entries whose French phrases the ruler tags and
    the synonyms normalise to the English name, by entity: skills, programmes,
    backgrounds (places have French names of their own, as synonyms)."""
    return {
        "skill": [item for area in french.skill_areas for item in area.items],
        "programme": list(french.programmes),
        "background": list(french.route.backgrounds),
    }


def _role_phrases(phrases: Iterable[str]) -> list[str]:
    """Background phrases to tag: the role itself, not "i'm a student" around it.

    The knowledge base's synonyms include clauses for matching free text ("i'm a
    student", "at university"); the ruler tags the role alone ("student"), as the
    training data does, and not a place: "study at university" says nothing
    about who is asking.
    """
    clauses = ("i'm ", "i am ", "im ", "at ")
    return [p for p in phrases if not p.lower().startswith(clauses)]


def _mentioned_role_phrases() -> list[str]:
    phrases = [
        f"{prefix}{head}" if prefix.endswith("-") else f"{prefix} {head}"
        for prefix in MENTIONED_ROLE_PREFIXES
        for head in MENTIONED_ROLE_HEADS
    ]
    french = [
        f"{head} {qualifier}"
        for head in FRENCH_ROLE_HEADS
        for qualifier in FRENCH_ROLE_QUALIFIERS
    ]
    return [*phrases, *french, *MENTIONED_ROLE_PHRASES]


def read_background_vocabulary(
    path: Path, background_names: Iterable[str]
) -> dict[str, list[str]]:
    """Background name -> the jobs mapped to it, from a Rasa entity-synonyms file.

    Refuses a block that is not a synonym or a name the knowledge base does not
    have, so that a renamed background fails the build rather than the answers.
    """
    names = set(background_names)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    vocabulary: dict[str, list[str]] = {}
    for block in data.get("nlu") or []:
        name = block.get("synonym")
        if name is None:
            raise ValueError(f"{path}: only entity synonyms belong here, not {block}")
        if name not in names:
            raise ValueError(
                f"{path}: {name!r} is not a background of the knowledge base "
                f"({', '.join(sorted(names))})"
            )
        vocabulary.setdefault(name, []).extend(
            line.strip()[2:].strip()
            for line in (block.get("examples") or "").splitlines()
            if line.strip().startswith("- ")
        )
    return vocabulary


def unaccented_vocabulary(vocabulary: dict[str, list[str]]) -> dict[str, list[str]]:
    """The vocabulary's phrases with accents, written without them ("infirmières"
    -> "infirmieres"), as visitors type them; those the file lists are left out."""
    listed = {p.lower() for phrases in vocabulary.values() for p in phrases}
    variants: dict[str, list[str]] = {}
    for name, phrases in vocabulary.items():
        for phrase in phrases:
            bare = without_accents(phrase).lower()
            if bare != phrase.lower() and bare not in listed:
                variants.setdefault(name, []).append(bare)
                listed.add(bare)
    return variants


def _check_vocabulary(
    vocabulary: dict[str, list[str]], kb_backgrounds: Iterable, taken: set[str]
) -> None:
    """A phrase must not name another background or another kind of entity."""
    owner = {
        normalise(phrase): b.name
        for b in kb_backgrounds
        for phrase in (b.name, *b.synonyms)
    }
    for name, phrases in vocabulary.items():
        for phrase in phrases:
            key = normalise(phrase)
            if owner.get(key, name) != name:
                raise ValueError(
                    f"background vocabulary: {phrase!r} is mapped to {name!r}, "
                    f"but the knowledge base maps it to {owner[key]!r}"
                )
            if key in taken:
                raise ValueError(
                    f"background vocabulary: {phrase!r} is already a skill or programme"
                )


@lru_cache(maxsize=1)
def lexeme_probs():  # type: ignore[no-untyped-def]
    """spaCy's English word log-probabilities (spacy-lookups-data; 6 s to load)."""
    return load_lookups("en", ["lexeme_prob"]).get_table("lexeme_prob")


def collect_patterns(
    kb: KnowledgeBase, vocabulary_path: Path = BACKGROUND_VOCABULARY
) -> Patterns:
    """Entity-ruler patterns from the knowledge base and the world's places."""
    snapshot = kb.snapshot()
    resolver = get_resolver()
    probs = lexeme_probs()

    skills = _named(item for area in snapshot.skill_areas for item in area.items)
    skills += [area.name for area in snapshot.skill_areas]
    programmes = _named(snapshot.programmes)
    kb_backgrounds = snapshot.route.backgrounds
    vocabulary = read_background_vocabulary(
        vocabulary_path, (b.name for b in kb_backgrounds)
    )
    _check_vocabulary(
        vocabulary, kb_backgrounds, {normalise(x) for x in [*skills, *programmes]}
    )
    backgrounds = _role_phrases(_named(kb_backgrounds))
    backgrounds += [phrase for phrases in vocabulary.values() for phrase in phrases]
    backgrounds += [
        phrase
        for phrases in unaccented_vocabulary(vocabulary).values()
        for phrase in phrases
    ]
    # The French names and synonyms of skills, programmes and backgrounds.
    # Skill areas are tagged too, as in English, but not normalised.
    french = kb.in_language("fr").snapshot()
    named = _french_named(french)
    skills += french_phrases([*named["skill"], *french.skill_areas], probs)
    programmes += french_phrases(named["programme"], probs)
    backgrounds += french_phrases(named["background"], probs)
    kb_places = _named(p for r in snapshot.regions for p in r.places)
    kb_places += _named(snapshot.regions)
    # Their French names too ("Genève", "Amérique du Nord"), from the French view.
    kb_places += _named(p for r in french.regions for p in r.places)
    kb_places += _named(french.regions)
    taken = {normalise(x) for x in [*skills, *programmes, *backgrounds]}

    lower: set[str] = set()
    cased: set[str] = set(CASED_PLACE_NAMES)
    world = [
        *resolver.country_names(),
        *resolver.capitals(),
        *resolver.state_names(),
        *resolver.large_cities(MIN_CITY_POPULATION),
        *resolver.common_city_names(),
        *resolver.french_country_names(),
        *EXTRA_PLACE_NAMES,
    ]
    # Visitors type "Montreal" and "Zurich" as often as "Montréal" and "Zürich".
    world += [without_accents(name) for name in world if not name.isascii()]
    for name in world:
        key = normalise(name)
        if key in taken:
            continue
        if " " not in key and probs.get(key, -99.0) > COMMON_WORD_LOG_PROB:
            cased.add(name)
        else:
            lower.add(name)
    lower.update(kb_places)

    # A one-letter skill ("R") is tagged only as a capital: "r u human?"
    cased_skills = [skill for skill in skills if len(skill) == 1]
    return Patterns(
        lower=[
            *_phrase_patterns("location", lower),
            *_phrase_patterns("skill", set(skills) - set(cased_skills)),
            *_phrase_patterns("programme", programmes),
            *_phrase_patterns("background", backgrounds),
            *_phrase_patterns(MENTIONED_ROLE_LABEL, _mentioned_role_phrases()),
        ],
        cased=[
            *_phrase_patterns("location", cased),
            *_phrase_patterns("skill", cased_skills),
        ],
    )


def build_pipeline(patterns: Patterns, output_dir: Path) -> spacy.language.Language:
    """Assemble, initialise and save the pipeline to ``output_dir``."""
    nlp = spacy.blank("en")
    # French elisions are tokens of their own, as spaCy's French rules make
    # them: "l'apprentissage automatique" is "l'" + a skill's name.
    prefixes = [FRENCH_ELISION, *nlp.Defaults.prefixes]
    nlp.tokenizer.prefix_search = spacy.util.compile_prefix_regex(prefixes).search
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
    # Saved with the lemmatizer's tables; keys are spaCy's string hashes.
    nlp.get_pipe("lemmatizer").lookups.add_table(
        KNOWN_WORDS_TABLE,
        {
            key: prob
            for key, prob in lexeme_probs().items()
            if prob > KNOWN_WORD_LOG_PROB
        },
    )
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
    # French names and synonyms arrive as the English value, as places do.
    french = kb.in_language("fr").snapshot()
    taken = {s.lower() for words in result.values() for s in words} | {
        name.lower() for name in result
    }
    french_pairs = [
        pair
        for entries_fr in _french_named(french).values()
        for pair in french_phrases(entries_fr, lexeme_probs()).items()
    ]
    # The background vocabulary is Rasa's synonyms already; its phrases written
    # without their accents are not.
    vocabulary = read_background_vocabulary(
        BACKGROUND_VOCABULARY, (b.name for b in snapshot.route.backgrounds)
    )
    unaccented_pairs = [
        (phrase, name)
        for name, phrases in unaccented_vocabulary(vocabulary).items()
        for phrase in phrases
    ]
    for phrase, name in [*french_pairs, *unaccented_pairs]:
        if phrase not in taken:
            result.setdefault(name, []).append(phrase)
            taken.add(phrase)
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
