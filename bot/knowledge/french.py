"""The knowledge base in French: the same rows, said with their ``fr`` wording.

A :class:`French` view wraps a row read from the database (a detached object of
:mod:`bot.knowledge.models`) and answers its sayable fields (name, summary,
detail, text, why, note, start, answer, intro, title) from the row's ``fr``
column, which the loader fills from the content files' ``fr`` blocks. The words
that find a fact (synonyms, keywords, a subject's phrases) are both languages':
a French visitor writes "machine learning" as often as "apprentissage
automatique", and entity values arrive in English ("Geneva" for "Genève").
Everything else (ids, slugs, positions, sections, dates) is the row's own.
"""

from __future__ import annotations

from typing import Any

# The list fields that find a fact: French first, then the English ones.
_BOTH = ("synonyms", "keywords", "phrases", "no_figures_keywords")
# Relationships to other rows, which are shown in French too.
_ROWS = ("points", "items", "places", "steps", "backgrounds")


class French:
    """A read-only French view of one knowledge-base row."""

    __slots__ = ("_rows", "english")

    def __init__(self, row: Any) -> None:
        object.__setattr__(self, "english", row)
        # Child rows are wrapped once, on first read: a snapshot's rows do not change.
        object.__setattr__(self, "_rows", {})

    def __getattr__(self, name: str) -> Any:
        row = object.__getattribute__(self, "english")
        if name in _ROWS:
            rows = object.__getattribute__(self, "_rows")
            if name not in rows:
                rows[name] = [French(child) for child in getattr(row, name)]
            return rows[name]
        value = getattr(row, name)
        french = getattr(row, "fr", None) or {}
        if name in _BOTH:
            own = [v for v in value if v not in french.get(name, [])]
            words = [*french.get(name, []), *own]
            if name == "synonyms" and hasattr(row, "name"):
                words.append(row.name.lower())  # "Geneva", the entity's value
            return words
        if name in french and isinstance(value, str):
            return french[name]
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("the French view of the knowledge base is read-only")

    def __eq__(self, other: object) -> bool:
        return english(other) is self.english

    def __hash__(self) -> int:
        return id(self.english)

    def __repr__(self) -> str:
        return f"French({self.english!r})"


def english(row: Any) -> Any:
    """The row itself, whether given as a French view or not."""
    return row.english if isinstance(row, French) else row
