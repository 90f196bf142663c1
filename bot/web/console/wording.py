"""Visitor messages grouped by similar wording, for the Unanswered page.

TF-IDF vectors of the words and their cosine similarity (scikit-learn). The
words' weights are learnt from the NLU training examples as well as from the
messages: with only a few messages, "how", "does" and "the" would weigh as much
as "cost", and "what are the fees" would join "what are the admission
requirements".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from bot.settings import PROJECT_ROOT

# Cosine similarity from which two wordings are one question (see group_texts).
SIMILARITY = 0.5
NLU_DIR = PROJECT_ROOT / "data" / "nlu"
_BLOCK = 256  # wordings compared per matrix product
_NOT_WORD = re.compile(r"[^\w]+")


def normalise(text: str) -> str:
    """Lower case, no accents, no punctuation: "Coûte-t-il ?" -> "coute t il"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NOT_WORD.sub(" ", bare).split())


@lru_cache(maxsize=2)
def background_questions(nlu_dir: Path = NLU_DIR) -> tuple[str, ...]:
    """The NLU training examples: questions like visitors', to weigh words by."""
    from bot.web.console.corrections import intent_examples  # it imports .summary

    return tuple(
        normalise(text)
        for path in sorted(nlu_dir.rglob("*.yml"))
        for text in intent_examples(path)
    )


def group_texts(
    texts: Sequence[str],
    threshold: float = SIMILARITY,
    background: Sequence[str] = (),
) -> list[list[int]]:
    """The indices of ``texts`` in groups of similar wording, largest first.

    Identical wordings (once normalised) count as one, asked so many times. The
    most asked wording starts the first group; each next one joins the group
    whose first wording it is most similar to (cosine of TF-IDF vectors of their
    words) when that reaches ``threshold``, or starts a group. Comparing with
    the first wording, not with every member, keeps a chain of small steps from
    pulling "how long does the master last" into "how much does it cost".
    ``background`` texts only count in the words' document frequencies.
    """
    # scikit-learn takes most of a second to import: only when a page needs it.
    from sklearn.feature_extraction.text import TfidfVectorizer

    same: dict[str, list[int]] = {}
    for index, text in enumerate(texts):
        same.setdefault(normalise(text), []).append(index)
    wordings = sorted(same, key=lambda w: (-len(same[w]), same[w][0]))
    if not wordings:  # nothing unanswered yet: the page must still open
        return []
    vectorizer = TfidfVectorizer(sublinear_tf=True)
    try:
        vectorizer.fit([*background, *wordings])
    except ValueError:  # not one word in any of them ("?", emoji)
        return [same[w] for w in wordings]
    vectors = vectorizer.transform(wordings)
    leaders = np.empty(len(wordings), dtype=np.intp)  # each group's first wording
    groups: list[list[int]] = []
    for start in range(0, len(wordings), _BLOCK):
        block = (vectors[start : start + _BLOCK] @ vectors.T).toarray()
        for offset, similarity in enumerate(block):
            wording = wordings[start + offset]
            if groups:
                to_leaders = similarity[leaders[: len(groups)]]
                best = int(to_leaders.argmax())
                if to_leaders[best] >= threshold:
                    groups[best].extend(same[wording])
                    continue
            leaders[len(groups)] = start + offset
            groups.append(list(same[wording]))
    groups = [sorted(group) for group in groups]
    return sorted(groups, key=lambda g: (-len(g), g[0]))
