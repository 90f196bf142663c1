"""Subjects visitors ask about that the guide does not cover.

The knowledge base lists them (``data/knowledge/not_covered.yml``) with the
phrases that name them. A question naming one gets a plain "the guide does not
cover it" and the admissions team, never a guess: no figure, date or duration
can come from here, because nothing here holds one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.knowledge import models as m
from bot.knowledge.places import normalise


def _phrase_pattern(phrase: str) -> str:
    words = [
        r"(?:\S+\s+){0,5}?" if word == "*" else re.escape(word) + r"\s+"
        for word in normalise(phrase).split()
    ]
    body = "".join(words)
    body = body[: -len(r"\s+")] if body.endswith(r"\s+") else body
    return body


@dataclass(frozen=True)
class SubjectFinder:
    """Finds the not-covered subjects a message names, in the file's order."""

    subjects: tuple[m.NotCoveredSubject, ...]
    patterns: tuple[re.Pattern[str], ...]

    @classmethod
    def of(cls, subjects: Sequence[m.NotCoveredSubject]) -> SubjectFinder:
        patterns = tuple(
            re.compile(
                r"(?<![a-z0-9])(?:"
                + "|".join(_phrase_pattern(p) for p in s.phrases)
                + r")(?![a-z0-9])"
            )
            for s in subjects
        )
        return cls(tuple(subjects), patterns)

    def find(self, text: str) -> list[m.NotCoveredSubject]:
        key = " ".join(normalise(text).replace("’", "'").split())
        return [
            s
            for s, p in zip(self.subjects, self.patterns, strict=True)
            if p.search(key)
        ]
