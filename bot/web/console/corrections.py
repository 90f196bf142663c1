"""Staff corrections of the NLU, and their export as Rasa training data.

On any visitor message staff choose the right intent and, if needed, mark the
entities in Rasa's own notation (``do I need [python](skill)?``): the words
must stay the visitor's, only the brackets change. ``advisor export-corrections``
(or the console's button) writes every correction to ``data/nlu/corrections.yml``,
or, when the message is French, to ``data/nlu/fr/corrections.yml`` beside the
other French examples; the next ``make train`` learns from both. A message's
language is what :func:`bot.language.detect` says of it, else its
conversation's language (a short "ok" in a French conversation is French).
The files are written whole from the database each time, so that a correction
changed or erased since leaves no trace.

An example is left out, with the reason, when Rasa would refuse or warn about
it, or when it would spoil the evaluation: its intent or entity is not in the
domain, it is a button payload (``/greet``), the same words are already in the
training data (under any intent), or they are a held-out test message
(``tests/nlu_holdout.yml`` and ``tests/nlu_holdout_fr.yml`` must never be
trained on).
"""

from __future__ import annotations

import json
import logging
import os
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import language
from bot.applications.models import utcnow
from bot.language import ENTITY as LANGUAGE_ENTITY
from bot.settings import PROJECT_ROOT
from bot.web.console.models import ConversationSummary, Correction
from bot.web.console.summary import FALLBACK_INTENT, events

log = logging.getLogger(__name__)

DOMAIN_FILE = PROJECT_ROOT / "domain.yml"
NLU_DIR = PROJECT_ROOT / "data" / "nlu"
HOLDOUT_FILES = (
    PROJECT_ROOT / "tests" / "nlu_holdout.yml",
    PROJECT_ROOT / "tests" / "nlu_holdout_fr.yml",
)
_ANNOTATION = re.compile(r"\[([^\[\]]+)\]\(([A-Za-z_][A-Za-z0-9_]*)\)")
# Rasa's other annotation forms, [text]{"entity": ...} and [text][...], when read back.
_ANY_MARKUP = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\}|\[[^\]]*\])")
HEADER = (
    "# Written by `advisor export-corrections` from the corrections staff made in\n"
    "# the review console (/console). Do not edit: correct in the console and\n"
    "# export again.\n"
)


class CorrectionError(ValueError):
    """A correction that cannot be stored, with a message for the staff member."""


@dataclass(frozen=True)
class DomainNames:
    intents: frozenset[str]
    entities: frozenset[str]


@lru_cache(maxsize=4)
def domain_names(path: Path = DOMAIN_FILE) -> DomainNames:
    domain = yaml.safe_load(path.read_text())
    entities = [e if isinstance(e, str) else next(iter(e)) for e in domain["entities"]]
    # The language is detected, never learnt from examples: not a correction's.
    entities = [e for e in entities if e != LANGUAGE_ENTITY]
    intents = [i if isinstance(i, str) else next(iter(i)) for i in domain["intents"]]
    return DomainNames(frozenset(intents), frozenset(entities))


def clean(text: str) -> str:
    """One line of text: control characters dropped, runs of spaces made one."""
    printable = "".join(
        " " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text
    )
    return " ".join(printable.split())


def annotate(text: str, entities: list[dict[str, Any]]) -> str:
    """``text`` with its entities in Rasa's ``[words](entity)`` notation."""
    parts, position = [], 0
    for entity in sorted(entities, key=lambda e: e["start"]):
        start, end = entity["start"], entity["end"]
        if start < position or end > len(text) or start >= end:
            continue  # overlapping or out of range: left unannotated
        parts += [text[position:start], f"[{text[start:end]}]({entity['entity']})"]
        position = end
    return "".join([*parts, text[position:]])


def predicted_entities(original: str, entities: list[Any]) -> list[dict[str, Any]]:
    """Rasa's entities of a message, as offsets into its :func:`clean` text."""
    text, found, position = clean(original), [], 0
    for entity in entities:
        if entity.start is None or entity.end is None:
            continue
        if entity.entity == LANGUAGE_ENTITY:  # the whole message, detected
            continue
        words = clean(original[entity.start : entity.end])
        start = text.find(words, position) if words else -1
        if start >= 0:
            found.append(
                {"start": start, "end": start + len(words), "entity": entity.entity}
            )
            position = start + len(words)
    return found


def parse_annotations(
    markup: str, text: str, known: frozenset[str]
) -> list[dict[str, Any]]:
    """The entities ``markup`` marks in ``text``; the words must be unchanged."""
    markup = clean(markup)
    entities, plain, position = [], [], 0
    for match in _ANNOTATION.finditer(markup):
        plain.append(markup[position : match.start()])
        start = sum(len(p) for p in plain)
        words, entity = match.group(1), match.group(2)
        if entity not in known:
            raise CorrectionError(
                f"Unknown entity “{entity}”: use one of {', '.join(sorted(known))}."
            )
        plain.append(words)
        entities.append({"start": start, "end": start + len(words), "entity": entity})
        position = match.end()
    plain.append(markup[position:])
    if "".join(plain) != text:
        raise CorrectionError(
            "The words must stay the visitor's: "
            "only add or remove [words](entity) marks."
        )
    return entities


def save_correction(
    session: Session,
    *,
    sender_id: str,
    event_id: int,
    intent: str,
    markup: str | None,
    staff_email: str,
    names: DomainNames | None = None,
) -> Correction:
    """Store (or replace) the correction of one visitor message."""
    names = names or domain_names()
    if intent not in names.intents:
        raise CorrectionError(f"“{intent}” is not an intent of the domain.")
    row = session.execute(
        select(events.c.data, events.c.intent_name).where(
            events.c.id == event_id,
            events.c.sender_id == sender_id,
            events.c.type_name == "user",
        )
    ).first()
    if row is None:
        raise CorrectionError("No such visitor message in this conversation.")
    data = json.loads(row.data or "{}")
    text = clean(data.get("text") or "")
    if not text:
        raise CorrectionError("An empty message cannot be a training example.")
    entities = parse_annotations(markup, text, names.entities) if markup else []
    correction = session.scalars(
        select(Correction).where(Correction.event_id == event_id)
    ).first()
    if correction is None:
        correction = Correction(event_id=event_id, sender_id=sender_id)
        session.add(correction)
    correction.text = text
    correction.predicted_intent = row.intent_name
    correction.intent = intent
    correction.entities = entities
    correction.corrected_by = staff_email
    correction.corrected_at = utcnow()
    return correction


def delete_correction(session: Session, correction_id: int) -> bool:
    correction = session.get(Correction, correction_id)
    if correction is None:
        return False
    session.delete(correction)
    return True


# --- export -------------------------------------------------------------------


def _normal(text: str) -> str:
    return clean(_ANY_MARKUP.sub(r"\1", text)).lower()


def intent_examples(path: Path) -> dict[str, str]:
    """An NLU file's intent examples: normalised text -> intent."""
    data = yaml.safe_load(path.read_text()) or {}
    found = {}
    for block in data.get("nlu") or []:
        if "intent" not in block:
            continue  # synonyms, regexes, lookup tables
        for line in (block.get("examples") or "").splitlines():
            if line.strip().startswith("- "):
                found[_normal(line.strip()[2:])] = block["intent"]
    return found


def language_file(out: Path, lang: str) -> Path:
    """Where a language's corrections go: ``out`` itself for English, and the
    ``fr/`` folder beside it for French (``data/nlu/fr/corrections.yml``)."""
    return out if lang == language.ENGLISH else out.parent / lang / out.name


def correction_language(text: str, conversation_language: str | None) -> str:
    """The language of a corrected message: its own words', else its conversation's."""
    return language.detect(text) or conversation_language or language.ENGLISH


@dataclass
class Exported:
    path: Path  # the English file; the others are ``paths``
    paths: dict[str, Path] = field(default_factory=dict)  # language -> file
    examples: int = 0
    by_language: dict[str, int] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (text, reason)


def export_corrections(
    session_factory: sessionmaker,
    out: Path,
    *,
    nlu_dir: Path = NLU_DIR,
    holdout: tuple[Path, ...] = HOLDOUT_FILES,
    names: DomainNames | None = None,
) -> Exported:
    """Write every usable correction as Rasa NLU YAML (3.1), one file a language."""
    names = names or domain_names()
    out = out.resolve()
    paths = {lang: language_file(out, lang) for lang in language.LANGUAGES}
    training: dict[str, tuple[str, str]] = {}
    for path in sorted(nlu_dir.rglob("*.yml")):
        if path.resolve() not in paths.values():
            for text, intent in intent_examples(path).items():
                training.setdefault(text, (intent, str(path.relative_to(nlu_dir))))
    held_out = {
        text for path in holdout if path.exists() for text in intent_examples(path)
    }
    with session_factory() as session:
        corrections = list(
            session.scalars(
                select(Correction).order_by(
                    Correction.corrected_at.desc(), Correction.id.desc()
                )
            )
        )
        senders = {c.sender_id for c in corrections}
        conversation_language = (
            dict(
                session.execute(
                    select(
                        ConversationSummary.sender_id, ConversationSummary.language
                    ).where(ConversationSummary.sender_id.in_(senders))
                ).all()
            )
            if senders
            else {}
        )
    result = Exported(path=out, paths=paths)
    chosen: dict[str, tuple[str, str, str]] = {}  # normalised -> (lang, intent, markup)
    for correction in corrections:  # newest first: the latest word on a text wins
        reason = _refusal(correction, names, training, held_out, chosen)
        if reason:
            result.skipped.append((correction.text, reason))
            continue
        chosen[_normal(correction.text)] = (
            correction_language(
                correction.text, conversation_language.get(correction.sender_id)
            ),
            correction.intent,
            annotate(correction.text, correction.entities or []),
        )
    for lang, path in paths.items():
        by_intent: dict[str, list[str]] = {}
        for example_lang, intent, markup in chosen.values():
            if example_lang == lang:
                by_intent.setdefault(intent, []).append(markup)
        _write_atomically(path, _yaml(by_intent))
        result.by_language[lang] = sum(map(len, by_intent.values()))
    result.examples = len(chosen)
    log.info("exported %s corrections to %s", result.by_language, out.parent)
    return result


def _refusal(
    correction: Correction,
    names: DomainNames,
    training: dict[str, tuple[str, str]],
    held_out: set[str],
    chosen: dict[str, tuple[str, str, str]],
) -> str | None:
    text, normal = correction.text, _normal(correction.text)
    if correction.intent not in names.intents or correction.intent == FALLBACK_INTENT:
        return f"intent {correction.intent} is not in the domain"
    unknown = {e["entity"] for e in correction.entities or []} - names.entities
    if unknown:
        return f"entity {', '.join(sorted(unknown))} is not in the domain"
    if not normal:
        return "empty"
    if text.startswith("/"):
        return "a button payload, not words a visitor typed"
    if "[" in text or "]" in text:
        return "brackets would read as entity marks"
    if normal in held_out:
        return "a held-out test message (tests/nlu_holdout*.yml)"
    if normal in training:
        intent, file = training[normal]
        if intent == correction.intent:
            return f"already in data/nlu/{file}"
        return f"in data/nlu/{file} as {intent}: change it there"
    if normal in chosen:
        return "a newer correction of the same words"
    return None


def _yaml(by_intent: dict[str, list[str]]) -> str:
    lines = [HEADER.rstrip("\n"), 'version: "3.1"']
    if not by_intent:
        return "\n".join([*lines, "nlu: []", ""])
    lines.append("nlu:")
    for intent in sorted(by_intent):
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {markup}" for markup in sorted(by_intent[intent])]
    return "\n".join([*lines, ""])


def _write_atomically(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    draft.write_text(content, encoding="utf-8")
    os.replace(draft, path)
