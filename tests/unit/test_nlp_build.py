"""Parts of the spaCy pipeline's build (bot/nlp/build.py) that need no pipeline."""

from __future__ import annotations

from bot.nlp.build import unaccented_vocabulary


def test_the_vocabulary_is_also_tagged_without_its_accents() -> None:
    vocabulary = {
        "Career changer": ["infirmières", "secrétaire", "nurse"],
        "Student": ["étudiant", "etudiant"],
    }
    assert unaccented_vocabulary(vocabulary) == {
        "Career changer": ["infirmieres", "secretaire"]
    }
