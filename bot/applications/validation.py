"""Checks on what a visitor types into the application form.

Each function returns the cleaned value, or raises :class:`Invalid` whose
``response`` names the domain response that explains what is wrong.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from bot.knowledge.places import get_resolver
from bot.knowledge.queries import KnowledgeBase

MAX_NAME = 100
MAX_EDUCATION = 100
MAX_MESSAGE = 1000
# Letters of any alphabet, with the spaces, hyphens, apostrophes and dots of names.
_NAME_CHARS = re.compile(r"^[^\W\d_]+(?:[ '’.\-][^\W\d_]*)*$")
NO_MESSAGE = {
    "no",
    "nope",
    "none",
    "nothing",
    "skip",
    "no message",
    "no thanks",
    "-",
    "n/a",
}


@dataclass
class Invalid(ValueError):
    response: str


# Replies that answer no question of the form: "hello", "yes", "ok"...
NOT_AN_ANSWER = {
    "hello",
    "hi",
    "hey",
    "hi there",
    "yes",
    "yeah",
    "yep",
    "no",
    "nope",
    "ok",
    "okay",
    "sure",
    "thanks",
    "thank you",
    "bye",
    "goodbye",
    "maybe",
    "perhaps",
    "hmm",
    "idk",
    "what",
    "why",
    "test",
}
MAX_NAME_WORDS = 6
# Words that make a yes or a no unclear: consent must be given plainly.
_HEDGE = re.compile(
    r"\b(maybe|perhaps|not sure|unsure|don'?t know|do not know|dunno|idk|"
    r"not certain|i guess|possibly|probably|hmm+|later)\b",
    re.I,
)


def _plain(text: str) -> str:
    return text.lower().strip(" .!?,;:")


def name(text: str | None) -> str:
    cleaned = " ".join((text or "").split())
    cleaned = re.sub(
        r"^(my name is|i am|i'm|it's|it is|name:)\s+", "", cleaned, flags=re.I
    )
    if not cleaned or len(cleaned) > MAX_NAME:
        raise Invalid("utter_invalid_name_length")
    if (
        "?" in cleaned
        or len(cleaned.split()) > MAX_NAME_WORDS
        or _plain(cleaned) in NOT_AN_ANSWER
    ):
        raise Invalid("utter_invalid_name")
    normalised = unicodedata.normalize("NFC", cleaned)
    if not _NAME_CHARS.match(normalised) or sum(c.isalpha() for c in normalised) < 2:
        raise Invalid("utter_invalid_name")
    return normalised


def email(text: str | None) -> str:
    candidate = (text or "").strip()
    # Take the address out of a sentence: "it's marie@example.com".
    found = re.search(r"\S+@\S+", candidate)
    candidate = found.group(0).strip(".,;:!?()<>\"'") if found else candidate
    if len(candidate) > 254:
        raise Invalid("utter_invalid_email")
    try:
        result = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as error:
        raise Invalid("utter_invalid_email") from error
    return result.normalized.lower()


def programme(kb: KnowledgeBase, text: str | None) -> str:
    """The slug of the programme ``text`` names."""
    found = kb.programme(text)
    if found is None:
        # Button payloads and short answers: "machine learning", "devops".
        for candidate in kb.programmes():
            if (
                text
                and candidate.slug.removeprefix("master-").replace("-", " ")
                in text.lower()
            ):
                return candidate.slug
        raise Invalid("utter_invalid_programme")
    return found.slug


def education(text: str | None) -> str:
    cleaned = " ".join((text or "").split())
    if (
        "?" in cleaned
        or _plain(cleaned) in NOT_AN_ANSWER
        or len(cleaned) < 2
        or len(cleaned) > MAX_EDUCATION
        or not any(c.isalpha() for c in cleaned)
    ):
        raise Invalid("utter_invalid_education")
    return cleaned


def country(text: str | None) -> str:
    """The country of any country or city the visitor names."""
    place = get_resolver().resolve(text or "")
    if place is None:
        raise Invalid("utter_invalid_country")
    return place.country


def message(text: str | None) -> str | None:
    cleaned = (text or "").strip()
    if cleaned.lower().strip(".! ") in NO_MESSAGE:
        return None
    if len(cleaned) > MAX_MESSAGE:
        raise Invalid("utter_invalid_message")
    return cleaned


def consent(value: object, text: str | None) -> bool:
    """A plain yes or no (the intent's value); a hedged one is no answer."""
    if value is None or _HEDGE.search(text or ""):
        raise Invalid("utter_invalid_consent")
    return bool(value)
