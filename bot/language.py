"""Which language a visitor writes in: English, French, or too short to tell.

Two signals, both shipped in packages (nothing downloads at run time):

* function words, from spaCy's English and French stop-word lists, keeping only
  the words one list has and the other has not ("the", "is" / "le", "est");
* lingua (lingua-language-detector), restricted to English and French, for
  messages of two words or more.

A message decides the language only when they agree or one is sure and the
other silent; otherwise (``None``) the conversation keeps its language: "ok",
"yes", a name, an email, a button's payload. An explicit request ("can we speak
English?", "en français svp") always decides. Measured on the held-out NLU sets
of both languages (``make eval``): see docs/french.md.
"""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

# The NLU entity that carries a message's language to the ``language`` slot
# (bot.nlp.language_detector); no training example annotates it.
ENTITY = "language"
# The slot the conversation's language is kept in (domain.yml).
SLOT = "language"
ENGLISH = "en"
FRENCH = "fr"
LANGUAGES = (ENGLISH, FRENCH)
NAMES = {ENGLISH: "English", FRENCH: "French"}  # as staff read them in the console

# lingua's confidence from which a message of two words or more decides alone.
SURE = 0.9

_WORD = re.compile(r"[^\W\d_]+")
_REQUESTS = {
    FRENCH: re.compile(
        r"\b(?:en|in)\s+fran[cç]ais\s+(?:svp|stp|s'il\s+(?:vous|te)\s+pla[iî]t|please|pls)\b"
        r"|\b(?:parl|r[ée]pond|[ée]cri|continu|pass)\w*\s+(?:en\s+|le\s+)?fran[cç]ais\b"
        r"|\b(?:speak|talk|answer|reply|write|continue|switch)\w*\s+(?:in\s+|to\s+)?french\b"
        r"|\bin\s+french\s+(?:please|pls)\b|\bfran[cç]ais\s+svp\b",
        re.IGNORECASE,
    ),
    ENGLISH: re.compile(
        r"\b(?:speak|talk|answer|reply|write|continue|switch)\w*\s+(?:in\s+|to\s+)?english\b"
        r"|\bin\s+english\s+(?:please|pls)\b"
        r"|\b(?:parl|r[ée]pond|[ée]cri|continu|pass)\w*\s+(?:en\s+|l')?anglais\b"
        r"|\ben\s+anglais\s+(?:svp|stp|s'il\s+(?:vous|te)\s+pla[iî]t|please)\b",
        re.IGNORECASE,
    ),
}
# One-word messages that say their language all the same.
_ONE_WORD = {
    "bonjour": FRENCH,
    "bonsoir": FRENCH,
    "salut": FRENCH,
    "coucou": FRENCH,
    "merci": FRENCH,
    "oui": FRENCH,
    "ouais": FRENCH,
    "hello": ENGLISH,
    "hi": ENGLISH,
    "thanks": ENGLISH,
}


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("’", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def _function_words() -> dict[str, frozenset[str]]:
    from spacy.lang.en.stop_words import STOP_WORDS as ENGLISH_STOP_WORDS
    from spacy.lang.fr.stop_words import STOP_WORDS as FRENCH_STOP_WORDS

    english_words = {_fold(w) for w in ENGLISH_STOP_WORDS}
    french_words = {_fold(w) for w in FRENCH_STOP_WORDS}
    return {
        ENGLISH: frozenset(english_words - french_words),
        FRENCH: frozenset(french_words - english_words),
    }


@lru_cache(maxsize=1)
def _detector():  # type: ignore[no-untyped-def]
    from lingua import Language, LanguageDetectorBuilder

    return (
        LanguageDetectorBuilder.from_languages(Language.ENGLISH, Language.FRENCH)
        .with_preloaded_language_models()
        .build()
    )


def warm_up() -> None:
    """Load the stop lists and lingua's models now, not at the first message."""
    _function_words()
    _detector()


def requested(text: str) -> str | None:
    """The language the visitor asks for outright, if any."""
    for language, request in _REQUESTS.items():
        if request.search(text):
            return language
    return None


def detect(text: str) -> str | None:
    """ "en", "fr", or None when the message does not say (keep the current one)."""
    if not text or text.startswith("/"):  # a button's payload
        return None
    asked = requested(text)
    if asked:
        return asked
    words = _WORD.findall(_fold(text))
    if "@" in text and len(words) <= 4:  # an email address, maybe with a name
        return None
    if len(words) == 1:
        return _ONE_WORD.get(words[0])
    if not words:
        return None
    function_words = _function_words()
    hits = {lang: sum(w in function_words[lang] for w in words) for lang in LANGUAGES}
    if not any(hits.values()) and len(words) <= 3:  # "Fatima Ouedraogo", "stop stop"
        return None
    from lingua import Language

    confidence = _detector().compute_language_confidence(text, Language.FRENCH)
    lingua = (
        FRENCH if confidence >= SURE else ENGLISH if confidence <= 1 - SURE else None
    )
    by_words = (
        FRENCH
        if hits[FRENCH] > hits[ENGLISH]
        else ENGLISH
        if hits[ENGLISH] > hits[FRENCH]
        else None
    )
    if lingua and by_words and lingua != by_words:
        return None
    if lingua:
        return lingua
    if by_words and max(hits.values()) >= 2 and min(hits.values()) == 0:
        return by_words
    return None


@lru_cache(maxsize=1)
def french_lemma_lookup() -> dict[str, str | list[str]]:
    """spaCy's French lookup table, word form -> lemma ("données" -> "donnée"),
    from spacy-lookups-data; read once per process. A few forms have a list of
    lemmas. The spaCy pipeline's build and the French ranking both read it."""
    import spacy_lookups_data

    path = Path(spacy_lookups_data.__file__).parent / "data" / "fr_lemma_lookup.json.gz"
    return json.loads(gzip.decompress(path.read_bytes()))
