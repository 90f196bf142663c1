"""Visitor messages grouped by similar wording, for the Unanswered page.

BM25 (bm25s, the library that ranks the answers' passages) over the words. The
words' weights are learnt from the NLU training examples as well as from the
messages: with only a few messages, "how", "does" and "the" would weigh as much
as "cost", and "what are the fees" would join "what are the admission
requirements".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from bot.imports import without_modules
from bot.settings import PROJECT_ROOT

# Similarity from which two wordings are one question (see group_texts).
SIMILARITY = 0.5
NLU_DIR = PROJECT_ROOT / "data" / "nlu"
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
    whose first wording it is most similar to when that reaches ``threshold``,
    or starts a group. Comparing with the first wording, not with every member,
    keeps a chain of small steps from pulling "how long does the master last"
    into "how much does it cost".

    Similarity is BM25's, as the answers' ranking (bot/answers/ranking.py):
    the score of one wording for the other, over the geometric mean of their
    scores for themselves, so 1 for the same words. ``background`` texts only
    count in the words' document frequencies.
    """
    same: dict[str, list[int]] = {}
    for index, text in enumerate(texts):
        same.setdefault(normalise(text), []).append(index)
    wordings = sorted(same, key=lambda w: (-len(same[w]), same[w][0]))
    if not wordings:  # nothing unanswered yet: the page must still open
        return []
    similarity = _similarities(wordings, background)
    groups: list[list[int]] = []
    leaders: list[int] = []  # each group's first wording
    for position, wording in enumerate(wordings):
        to_leaders = similarity(position, leaders)  # every position, in order
        if leaders:
            best = int(to_leaders.argmax())
            if to_leaders[best] >= threshold:
                groups[best].extend(same[wording])
                continue
        leaders.append(position)
        groups.append(list(same[wording]))
    groups = [sorted(group) for group in groups]
    return sorted(groups, key=lambda g: (-len(g), g[0]))


def _similarities(
    wordings: Sequence[str], background: Sequence[str]
) -> Callable[[int, list[int]], np.ndarray]:
    """``similarity(position, among)``: the wording at ``position``'s similarity
    to the wordings at ``among``, all before it. Asked for each position in
    order, so that a wording's score for itself is known when it is compared;
    one row of scores at a time, not a table of every pair."""
    # bm25s imports in a few hundred milliseconds: only when a page needs it.
    with without_modules():
        import bm25s

    documents = [w.split() for w in [*wordings, *background]]
    vocabulary = {w: i for i, w in enumerate(sorted({w for d in documents for w in d}))}
    if not vocabulary:  # not one word in any of them ("?", emoji)
        return lambda position, among: np.zeros(len(among))
    index = bm25s.BM25()
    index.index(
        bm25s.tokenization.Tokenized(
            ids=[[vocabulary[w] for w in d] for d in documents], vocab=vocabulary
        ),
        show_progress=False,
    )
    asked = [[vocabulary[w] for w in d] for d in documents[: len(wordings)]]
    itself = np.zeros(len(wordings))  # each wording's score for itself

    def similarity(position: int, among: list[int]) -> np.ndarray:
        ids = asked[position]
        row = index.get_scores(ids)[: len(wordings)] if ids else np.zeros(len(wordings))
        itself[position] = row[position]
        norm = np.sqrt(itself[position] * itself[among])
        return np.divide(row[among], norm, out=np.zeros(len(among)), where=norm > 0)

    return similarity
