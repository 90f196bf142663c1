"""Rank the knowledge base's passages for a visitor's question.

TF-IDF (scikit-learn, already installed with Rasa) over the project's own spaCy
lemmas, plus one token per passage for each of its names and synonyms found in
the question: "cloud certs" points at the certifications pathway even though
the pathway's text never says "certs". Scored by ``make eval``
(docs/evaluation.md); BM25 (bm25s, a new dependency) is not measured yet.

The index is built once per knowledge-base digest (at the first question, or
after a reseed), never per message.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.knowledge.passages import Passage
from bot.knowledge.places import normalise

Tokenise = Callable[[str], list[str]]

_WORD = re.compile(r"[a-z0-9+#]+(?:'[a-z]+)?")
# Words every passage shares, or that say nothing of what is asked.
_DOMAIN_STOP = frozenset(
    {"ai", "project", "manager", "pm", "management", "become", "need", "tell", "know"}
)


# The role's own name is in most questions and names no passage: "project
# manager" must not point at the project-manager background.
_ROLE_NAME = re.compile(
    r"\b(?:an?\s+)?(?:ai|artificial intelligence)\s+(?:project\s+)?"
    r"(?:manager|pm|management|lead)s?\b"
)


def without_role_name(text: str) -> str:
    return _ROLE_NAME.sub(" ", normalise(text))


@dataclass(frozen=True)
class Ranked:
    passage: Passage
    score: float


class SpacyLemmas:
    """Lemmas from the project's spaCy pipeline (``make build``), lower-cased."""

    def __init__(self, spacy_dir: Path) -> None:
        import spacy

        self._nlp = spacy.load(spacy_dir, exclude=["entity_ruler"])
        self._lemmatizer = self._nlp.get_pipe("lemmatizer")
        self._lock = threading.Lock()

    def __call__(self, text: str) -> list[str]:
        doc = self._nlp.make_doc(normalise(text))
        with self._lock:  # the lookup lemmatizer is not documented as thread-safe
            doc = self._lemmatizer(doc)
        return [
            token.lemma_.lower()
            for token in doc
            if not (token.is_punct or token.is_space or token.is_stop)
            and token.lemma_.lower() not in _DOMAIN_STOP
            and _WORD.fullmatch(token.lemma_.lower())
        ]


@lru_cache(maxsize=4)
def spacy_lemmas(spacy_dir: Path) -> SpacyLemmas:
    return SpacyLemmas(spacy_dir)


def _term_pattern(terms: Sequence[str]) -> re.Pattern[str] | None:
    phrases = sorted({normalise(t) for t in terms if t.strip()}, key=len, reverse=True)
    if not phrases:
        return None
    alternatives = "|".join(re.escape(p) for p in phrases)
    return re.compile(rf"(?<![a-z0-9])(?:{alternatives})(?![a-z0-9])")


class PassageIndex:
    """TF-IDF over lemmas and synonym tokens, for all passages of one digest."""

    def __init__(self, passages: Sequence[Passage], tokenise: Tokenise) -> None:
        self.passages = list(passages)
        self._tokenise = tokenise
        # One pattern for every name and synonym; the phrase says whose it is.
        self._owners: dict[str, list[Passage]] = {}
        for passage in self.passages:
            for term in passage.terms:
                self._owners.setdefault(normalise(term), []).append(passage)
        self._terms = _term_pattern(list(self._owners))
        # A heading counts for the one passage under it, or for the overview.
        self._sections = Counter(p.section for p in self.passages if not p.is_overview)
        documents = [self._document(p) for p in self.passages]
        vectorizer = TfidfVectorizer(
            analyzer=lambda tokens: tokens, sublinear_tf=True, norm="l2"
        )
        # Passages x words, transposed so that a question's few words pick rows.
        self._by_word = vectorizer.fit_transform(documents).T.tocsr()
        self._vocabulary: dict[str, int] = dict(vectorizer.vocabulary_)
        self._idf = vectorizer.idf_
        self._topics = np.array([p.topic for p in self.passages])

    def _document(self, passage: Passage) -> list[str]:
        words = self._tokenise(f"{passage.title}. {passage.text}")
        names = [w for term in passage.terms for w in self._tokenise(term)]
        # Its names count twice, its title and the article's heading once more:
        # they say what it is about (0.81 top-1 on the evaluation set, not 0.79).
        heading = self._tokenise(passage.title)
        if passage.is_overview or self._sections[passage.section] == 1:
            heading += self._tokenise(passage.section)
        return [*words, *names, *names, *heading, *self._synonym_tokens(passage)]

    @staticmethod
    def _synonym_tokens(passage: Passage) -> list[str]:
        return [f"=>{passage.id}"] * 2 if passage.terms else []

    def named(self, text: str) -> list[Passage]:
        """The passages whose name or a synonym ``text`` says, longest phrase first."""
        if self._terms is None:
            return []
        found = self._terms.findall(without_role_name(text))
        found = sorted(found, key=len, reverse=True)
        return list(dict.fromkeys(p for phrase in found for p in self._owners[phrase]))

    def query_tokens(self, text: str) -> list[str]:
        tokens = self._tokenise(text)
        for passage in self.named(text):
            tokens += self._synonym_tokens(passage)
        return tokens

    def rank(self, text: str, topic: str | None = None) -> list[Ranked]:
        """Passages by cosine similarity to ``text``, best first (of ``topic`` only).

        The question's vector is made here (sublinear tf times idf, l2-normed,
        as :class:`TfidfVectorizer` would) because scikit-learn's ``transform``
        costs a millisecond of overhead for a handful of words.
        """
        counts = Counter(t for t in self.query_tokens(text) if t in self._vocabulary)
        scores = np.zeros(len(self.passages))
        if counts:
            columns = [self._vocabulary[t] for t in counts]
            weights = (1 + np.log(list(counts.values()))) * self._idf[columns]
            weights /= np.linalg.norm(weights)
            scores = np.asarray(self._by_word[columns].T @ weights).ravel()
        if topic is not None:
            scores = np.where(self._topics == topic, scores, -1.0)
        order = np.argsort(-scores, kind="stable")
        return [
            Ranked(self.passages[i], float(scores[i])) for i in order if scores[i] >= 0
        ]
