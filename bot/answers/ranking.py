"""Rank the knowledge base's passages for a visitor's question.

BM25 (bm25s) over the project's own spaCy lemmas, plus one token per passage
for each of its names and synonyms found in the question: "cloud certs" points
at the certifications pathway even though the pathway's text never says
"certs". A passage's keywords (the words visitors use for it, from the content
files) count as part of its text, and a keyword of several words said whole
("first job") as one more token of its own. A word that is neither English nor the
guide's ("pyhton") is read as the guide's closest word first.

Chosen by measurement on the evaluation set (``make eval``, docs/evaluation.md),
the same tokens and thresholds chosen for each: BM25 0.96 top-1 on the first
176 questions and 0.857 on the 38 newer ones, where scikit-learn's TF-IDF
(cosine, sublinear tf) had 0.944 and 0.771.

The index is built once per knowledge-base digest (at the first question, or
after a reseed), never per message.
"""

from __future__ import annotations

import difflib
import re
import threading
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from bot.imports import without_modules
from bot.knowledge.passages import Passage
from bot.knowledge.places import normalise
from bot.language import french_lemma_lookup

with without_modules():  # no TensorFlow or JAX in the action server
    import bm25s
    import spacy

    from bot.nlp.build import KNOWN_WORDS_TABLE


class Tokenise(Protocol):
    """The words of a text as the index counts them, and which words are English."""

    def __call__(self, text: str) -> list[str]: ...

    def is_word(self, word: str) -> bool: ...


_WORD = re.compile(r"[a-z0-9+#]+(?:'[a-z]+)?")
# Words every passage shares, or that say nothing of what is asked.
_DOMAIN_STOP = frozenset(
    {"ai", "project", "manager", "pm", "management", "become", "need", "tell", "know"}
    # Fillers of chat: "what exactly is...", "tell me a bit about...".
    | {"exactly", "actually", "basically", "really", "just", "bit", "lot", "like"}
    | {"kind", "sort", "thing", "stuff", "please", "guess", "wonder", "curious"}
)


# Stop words that say where on a route a question is ("the first job", "the
# last step"): spaCy's English list has them, the route steps need them.
_ORDER = frozenset(
    {"first", "last", "next", "one", "two", "three", "four", "five", "after", "before"}
)


# The role's own name is in most questions and names no passage: "project
# manager" must not point at the project-manager background.
_ROLE_NAME = re.compile(
    r"\b(?:an?\s+)?(?:ai|artificial intelligence)\s+(?:project\s+)?"
    r"(?:manager|pm|management|lead)s?\b"
    # In French: "chef de projet IA", "cheffe de projets en IA", "PM IA".
    r"|\b(?:une?\s+)?chef(?:fe)?s?\s+de\s+projets?\s+(?:en\s+|d')?"
    r"(?:ia|ai|intelligence artificielle)\b"
    r"|\b(?:pm|manager|responsable)s?\s+(?:ia|ai)\b"
)


def without_role_name(text: str) -> str:
    return _ROLE_NAME.sub(" ", normalise(text))


# Kinds of passage that only an entity of the NLU names (see PassageIndex.named).
ENTITY_NAMED_KINDS = frozenset({"background"})


# BM25's term saturation and length normalisation, chosen on the evaluation set
# (1.5 and 0.75 are also bm25s's defaults; 1.2 scored the same, 0.9 less).
BM25_K1 = 1.5
BM25_B = 0.75


@dataclass(frozen=True)
class Ranked:
    passage: Passage
    score: float


class SpacyLemmas:
    """Lemmas from the project's spaCy pipeline (``make build``), lower-cased."""

    def __init__(self, spacy_dir: Path) -> None:
        self._nlp = spacy.load(spacy_dir, exclude=["entity_ruler"])
        self._lemmatizer = self._nlp.get_pipe("lemmatizer")
        self._lock = threading.Lock()
        lookups = self._lemmatizer.lookups
        # Written by `make build` (bot/nlp/build.py). A pipeline built before it
        # has none: then every word counts as English and none is respelt,
        # rather than "parts" becoming "Paris".
        self._known = (
            lookups.get_table(KNOWN_WORDS_TABLE)
            if lookups.has_table(KNOWN_WORDS_TABLE)
            else None
        )

    def is_word(self, word: str) -> bool:
        """Whether ``word`` is a common enough English word to be left alone."""
        return self._known is None or word in self._known

    def __call__(self, text: str) -> list[str]:
        doc = self._nlp.make_doc(normalise(text))
        with self._lock:  # the lookup lemmatizer is not documented as thread-safe
            doc = self._lemmatizer(doc)
        lemmas = (
            token.lemma_.lower()
            for token in doc
            if not (token.is_punct or token.is_space)
            and (token.lower_ in _ORDER or not token.is_stop)
        )
        return [
            lemma
            for lemma in lemmas
            if lemma not in _DOMAIN_STOP
            and (lemma in _ORDER or lemma not in self._nlp.Defaults.stop_words)
            and _WORD.fullmatch(lemma)
        ]


@lru_cache(maxsize=4)
def spacy_lemmas(spacy_dir: Path) -> SpacyLemmas:
    return SpacyLemmas(spacy_dir)


def lemmas_for(language: str, spacy_dir: Path) -> Tokenise:
    """The tokens a language's advisor ranks with: French lemmas for "fr"."""
    english = spacy_lemmas(spacy_dir)
    return FrenchLemmas(english) if language == "fr" else english


# French words of the role's name and of chat that name no passage, accents off
# ("chef de projet IA", "dans ce métier", "svp").
_FRENCH_DOMAIN_STOP = frozenset(
    {"chef", "projet", "ia", "pm", "manager", "devenir", "metier", "poste", "job"}
    | {"exactement", "vraiment", "concretement", "svp", "stp", "bref", "gros", "truc"}
    | {"faut", "falloir", "etre", "avoir", "faire", "savoir", "dire", "quoi", "ca"}
)
_FRENCH_WORD = re.compile(r"[a-z0-9+#]+")


class FrenchLemmas:
    """French words as the French view's passages are ranked: lemmas from spaCy's
    French lookup table (spacy-lookups-data, in the package), French stop words
    and the role's name out; a word French does not know ("python", "scrum")
    kept as written. Accents are off on both sides, as visitors often type."""

    def __init__(self, english: SpacyLemmas) -> None:
        from spacy.lang.fr.stop_words import STOP_WORDS

        self._english = english
        self._lemmas = _french_lemma_table()
        self._stop = {normalise(w) for w in STOP_WORDS} | _FRENCH_DOMAIN_STOP
        self._stop -= _FRENCH_ORDER

    def is_word(self, word: str) -> bool:
        return word in self._lemmas or self._english.is_word(word)

    def __call__(self, text: str) -> list[str]:
        words = _FRENCH_WORD.findall(normalise(text).replace("'", " "))
        lemmas = (self._lemmas.get(w, w) for w in words if w not in self._stop)
        return [lemma for lemma in lemmas if lemma not in self._stop]


# The route's order in French ("la premiere etape", "apres"), kept as words.
_FRENCH_ORDER = frozenset(
    {"premier", "premiere", "dernier", "derniere", "apres", "avant", "ensuite"}
    | {"un", "deux", "trois", "quatre", "cinq"}
)


@lru_cache(maxsize=1)
def _french_lemma_table() -> dict[str, str]:
    """spaCy's French lookup lemmas, accents off (the first lemma of a form wins)."""
    folded: dict[str, str] = {}
    for form, lemma in french_lemma_lookup().items():
        if isinstance(lemma, list):  # a few forms have several lemmas
            lemma = lemma[0]
        folded.setdefault(normalise(form), normalise(lemma))
    return folded


class Speller:
    """Reads a misspelt word as the guide's closest word: "pyhton" -> "python".

    Only words that are neither English (``is_word``) nor the guide's are
    touched, so "parts" never becomes "Paris"; the cut-off was chosen on the
    evaluation set (0.8 keeps "pyhton", whose letters are swapped).
    """

    MIN_LENGTH = 4
    CUTOFF = 0.8

    def __init__(self, words: Iterable[str], is_word) -> None:  # type: ignore[no-untyped-def]
        self._words = {w for w in words if len(w) >= self.MIN_LENGTH}
        self._choices = sorted(self._words)
        self._is_word = is_word
        self._fixed: dict[str, str] = {}

    def word(self, word: str) -> str:
        if len(word) < self.MIN_LENGTH + 1 or word in self._words:
            return word
        if word not in self._fixed:
            if self._is_word(word):
                fixed = word
            else:
                close = difflib.get_close_matches(word, self._choices, 1, self.CUTOFF)
                fixed = close[0] if close else word
            if len(self._fixed) < 10_000:  # visitors' typos are few; bound them
                self._fixed[word] = fixed
        return self._fixed.get(word, word)

    def __call__(self, text: str) -> str:
        return _LETTERS.sub(lambda match: self.word(match.group()), text)


_LETTERS = re.compile(r"[a-z]+")


def _phrases(passage: Passage) -> list[str]:
    """The passage's keywords of more than one word, as the question would say them."""
    return [k for k in map(normalise, passage.keywords) if " " in k]


def _phrase_token(passage: Passage) -> str:
    return f"~>{passage.id}"


def _term_pattern(terms: Sequence[str]) -> re.Pattern[str] | None:
    phrases = sorted({normalise(t) for t in terms if t.strip()}, key=len, reverse=True)
    if not phrases:
        return None
    alternatives = "|".join(re.escape(p) for p in phrases)
    return re.compile(rf"(?<![a-z0-9])(?:{alternatives})(?![a-z0-9])")


class PassageIndex:
    """BM25 over lemmas and synonym tokens, for all passages of one digest."""

    def __init__(self, passages: Sequence[Passage], tokenise: Tokenise) -> None:
        self.passages = list(passages)
        self._tokenise = tokenise
        # One pattern for every name and synonym; the phrase says whose it is.
        self._owners: dict[str, list[Passage]] = {}
        for passage in self.passages:
            for term in passage.terms:
                self._owners.setdefault(normalise(term), []).append(passage)
        self._terms = _term_pattern(list(self._owners))
        # A keyword of several words said whole ("first job") is one more token
        # for its passages, beyond its words ("first" also names the first step).
        self._phrase_owners: dict[str, list[Passage]] = {}
        for passage in self.passages:
            for phrase in _phrases(passage):
                self._phrase_owners.setdefault(phrase, []).append(passage)
        self._phrases = _term_pattern(list(self._phrase_owners))
        self._speller = Speller(
            (
                word
                for p in self.passages
                for part in (p.title, p.text, *p.terms, *p.keywords)
                for word in _LETTERS.findall(normalise(part))
            ),
            tokenise.is_word,
        )
        # A heading counts for the one passage under it, or for the overview.
        self._sections = Counter(p.section for p in self.passages if not p.is_overview)
        documents = [self._document(p) for p in self.passages]
        self._vocabulary: dict[str, int] = {
            word: i for i, word in enumerate(sorted({w for d in documents for w in d}))
        }
        self._bm25 = bm25s.BM25(k1=BM25_K1, b=BM25_B)
        self._bm25.index(
            bm25s.tokenization.Tokenized(
                ids=[[self._vocabulary[w] for w in d] for d in documents],
                vocab=self._vocabulary,
            ),
            show_progress=False,
        )
        self._topics = np.array([p.topic for p in self.passages])

    def _document(self, passage: Passage) -> list[str]:
        words = self._tokenise(f"{passage.title}. {passage.text}")
        names = [w for term in passage.terms for w in self._tokenise(term)]
        # Each keyword word once: "average salary", "annual salary" and "salary
        # range" must not make "salary" this passage's word above all others.
        keywords = list(
            dict.fromkeys(w for word in passage.keywords for w in self._tokenise(word))
        )
        # Its names count twice, its title and the article's heading once more:
        # they say what it is about (0.81 top-1 on the evaluation set, not 0.79).
        heading = self._tokenise(passage.title)
        if passage.is_overview or self._sections[passage.section] == 1:
            heading += self._tokenise(passage.section)
        return [
            *words,
            *names,
            *names,
            *heading,
            *keywords,
            *self._synonym_tokens(passage),
            *self._phrase_tokens(passage),
        ]

    @staticmethod
    def _synonym_tokens(passage: Passage) -> list[str]:
        return [f"=>{passage.id}"] * 2 if passage.terms else []

    @staticmethod
    def _phrase_tokens(passage: Passage) -> list[str]:
        return [_phrase_token(passage)] if _phrases(passage) else []

    def named(self, text: str, *, backgrounds: bool = False) -> list[Passage]:
        """The passages whose name or a synonym ``text`` says, longest phrase first.

        Backgrounds only with ``backgrounds=True`` (an entity's value, or a
        question the NLU says is about the route): "how is it different from a
        project manager?" says "project manager" without being the visitor's
        background, and the entity extractor is what tells the two apart.
        """
        return self._named_in(self._said(text), backgrounds=backgrounds)

    def _said(self, text: str) -> str:
        """``text`` as names and phrases are matched in: spelled, role name out."""
        return self._speller(without_role_name(text))

    def _named_in(self, said: str, *, backgrounds: bool = False) -> list[Passage]:
        if self._terms is None:
            return []
        found = sorted(self._terms.findall(said), key=len, reverse=True)
        passages = dict.fromkeys(p for phrase in found for p in self._owners[phrase])
        return [p for p in passages if backgrounds or p.kind not in ENTITY_NAMED_KINDS]

    def query_tokens(
        self, text: str, named_in: Collection[str] | None = None
    ) -> list[str]:
        """The question's lemmas, and a token for each passage it names.

        ``named_in``: only the passages of these topics count as named.
        """
        tokens = self._tokenise(self._speller(normalise(text)))
        said = self._said(text)
        for passage in self._named_in(said):
            if named_in is None or passage.topic in named_in:
                tokens += self._synonym_tokens(passage)
        if self._phrases is not None:
            for phrase in dict.fromkeys(self._phrases.findall(said)):
                tokens += [_phrase_token(p) for p in self._phrase_owners[phrase]]
        return tokens

    def rank(
        self,
        text: str,
        topic: str | None = None,
        named_in: Collection[str] | None = None,
    ) -> list[Ranked]:
        """Passages by their BM25 score for ``text``, best first (of ``topic`` only).

        ``named_in``: the topics whose passages the question may name (all of
        them when None); another topic's name counts as a word, not a name.
        A word the question says twice counts twice, as a name's token does.
        """
        ids = [
            self._vocabulary[t]
            for t in self.query_tokens(text, named_in)
            if t in self._vocabulary
        ]
        scores = np.zeros(len(self.passages))
        if ids:
            scores = self._bm25.get_scores(ids).astype(float)
        if topic is not None:
            scores = np.where(self._topics == topic, scores, -1.0)
        order = np.argsort(-scores, kind="stable")
        return [
            Ranked(self.passages[i], float(scores[i])) for i in order if scores[i] >= 0
        ]
