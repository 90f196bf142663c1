"""The console's read model and queries, on a real SQLite database.

Conversations are written by Rasa's own SQL tracker store
(tests/support/console_support.py);
applications by the project's service. The same queries run on PostgreSQL at
the end of the module when ADVISOR_TEST_POSTGRES_URL is set (``make test``).
"""

from __future__ import annotations

import datetime as dt
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select, text
from sqlalchemy.orm import sessionmaker

from bot import migrations
from bot.applications.models import Application
from bot.applications.service import (
    ApplicationData,
    erase,
    store_application,
    store_handoff,
)
from bot.db import make_engine, make_session_factory
from bot.settings import PROJECT_ROOT
from bot.web.console import corrections, queues
from bot.web.console.models import (
    ConversationIntent,
    ConversationSummary,
    Correction,
    Review,
    Tag,
)
from bot.web.console.queries import ConversationFilter, list_conversations, overview
from bot.web.console.summary import refresh
from bot.web.console.transcript import transcript
from tests.support.console_support import (
    GREETING,
    Turn,
    application_turns,
    events_of,
    fallback,
    python_question,
    save,
    skills_question,
)

TODAY = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
NOON = TODAY.replace(hour=12, minute=0, second=0)


def _apply(session_factory: sessionmaker, conversation_id: str, email: str) -> str:
    return store_application(
        session_factory,
        ApplicationData(
            full_name="Grace Hopper",
            email=email,
            programme="master-machine-learning",
            education="Master's degree",
            country="Belgium",
            message=None,
            conversation_id=conversation_id,
            consent_at=NOON,
        ),
    ).reference


@pytest.fixture
def conversations(database_url: str, session_factory: sessionmaker) -> sessionmaker:
    """Four conversations over three days, the newest last."""
    save(
        database_url,
        "old-skills",
        events_of([GREETING, skills_question()], NOON - dt.timedelta(days=2)),
    )
    save(
        database_url,
        "fallback",
        events_of(
            [GREETING, fallback("blorp the 100% wizzle"), python_question()],
            NOON - dt.timedelta(days=1),
        ),
    )
    save(
        database_url,
        "applicant",
        events_of(
            [skills_question("What are the SKILLS?"), *application_turns()], NOON
        ),
    )
    save(
        database_url,
        "handoff",
        events_of(
            [Turn("can I talk to a human?", "request_human", 0.9, "utter_handoff")],
            NOON + dt.timedelta(hours=1),
        ),
    )
    _apply(session_factory, "applicant", "grace@example.org")
    store_handoff(
        session_factory,
        full_name="Alan Turing",
        email="alan@example.org",
        question="can I talk to a human?",
        conversation_id="handoff",
        consent_at=NOON,
    )
    return session_factory


def _senders(session_factory: sessionmaker, **query: str) -> list[str]:
    with session_factory() as session:
        page = list_conversations(session, ConversationFilter.from_query(query))
    return [row.sender_id for row in page.rows]


def test_refresh_summarises_each_conversation_from_its_events(
    conversations: sessionmaker,
) -> None:
    assert refresh(conversations).summarised == 4
    with conversations() as session:
        summary = session.get(ConversationSummary, "fallback")
        intents = dict(
            session.execute(
                select(ConversationIntent.intent, ConversationIntent.messages).where(
                    ConversationIntent.sender_id == "fallback"
                )
            ).all()
        )
    assert summary.first_question == "blorp the 100% wizzle"  # not the /greet payload
    assert summary.turns == 3
    # The classifier's own best guess, not the fallback threshold Rasa reports.
    assert summary.min_confidence == pytest.approx(0.31)
    assert summary.fallback_turns == 1
    assert summary.started_day == (NOON - dt.timedelta(days=1)).date()
    assert intents == {"greet": 1, "nlu_fallback": 1, "ask_skills": 1}


def test_refresh_only_reads_conversations_with_new_events(
    conversations: sessionmaker, database_url: str
) -> None:
    refresh(conversations)
    assert refresh(conversations).summarised == 0
    save(database_url, "fallback", events_of([skills_question()], NOON))
    assert refresh(conversations).summarised == 1
    with conversations() as session:
        assert session.get(ConversationSummary, "fallback").turns == 4


def test_the_list_is_newest_first_and_paginated(conversations: sessionmaker) -> None:
    refresh(conversations)
    with conversations() as session:
        first = list_conversations(session, ConversationFilter(), page=1, per_page=3)
        second = list_conversations(session, ConversationFilter(), page=2, per_page=3)
    assert [r.sender_id for r in first.rows] == ["handoff", "applicant", "fallback"]
    assert [r.sender_id for r in second.rows] == ["old-skills"]
    assert (first.total, first.pages, second.page) == (4, 2, 2)
    applicant = first.rows[1]
    assert applicant.first_question == "What are the SKILLS?"
    assert (applicant.turns, applicant.applied, applicant.handed_off) == (
        3,
        True,
        False,
    )
    assert first.rows[0].handed_off and not first.rows[0].applied
    assert first.rows[2].fallback and not applicant.fallback


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"intent": "ask_skills"}, ["applicant", "fallback", "old-skills"]),
        ({"intent": "request_human"}, ["handoff"]),
        ({"q": "skills"}, ["applicant", "old-skills"]),  # any message, any case
        ({"q": "100%"}, ["fallback"]),  # % is a character, not a wildcard
        ({"q": "_"}, []),
        ({"question": "blorp"}, ["fallback"]),
        ({"fallback": "yes"}, ["fallback"]),
        ({"fallback": "no"}, ["handoff", "applicant", "old-skills"]),
        ({"applied": "yes"}, ["applicant"]),
        ({"applied": "no", "handed_off": "no"}, ["fallback", "old-skills"]),
        ({"handed_off": "yes"}, ["handoff"]),
        ({"below": "0.5"}, ["fallback"]),
        ({"min_turns": "3"}, ["applicant", "fallback"]),
        ({"max_turns": "1"}, ["handoff"]),
        ({"from": (NOON - dt.timedelta(days=1)).date().isoformat()}, None),
        ({"to": (NOON - dt.timedelta(days=2)).date().isoformat()}, ["old-skills"]),
        ({"below": "nonsense", "fallback": "maybe"}, None),  # ignored, not an error
    ],
)
def test_each_filter(
    conversations: sessionmaker, query: dict[str, str], expected: list[str] | None
) -> None:
    refresh(conversations)
    if expected is None:  # every conversation from that day on / all
        since = query.get("from")
        expected = [
            s
            for s, day in [
                ("handoff", NOON),
                ("applicant", NOON),
                ("fallback", NOON - dt.timedelta(days=1)),
                ("old-skills", NOON - dt.timedelta(days=2)),
            ]
            if not since or day.date().isoformat() >= since
        ]
    assert _senders(conversations, **query) == expected


def test_tags_and_review_state_filter_the_list(conversations: sessionmaker) -> None:
    refresh(conversations)
    with conversations.begin() as session:
        session.add(Tag(sender_id="fallback", tag="wrong answer"))
        session.add(Review(sender_id="applicant", reviewed=True, updated_by="a@b.org"))
    assert _senders(conversations, tag="wrong answer") == ["fallback"]
    assert _senders(conversations, reviewed="yes") == ["applicant"]
    assert "applicant" not in _senders(conversations, reviewed="no")
    with conversations() as session:
        rows = list_conversations(session, ConversationFilter()).rows
    assert {r.sender_id: r.tags for r in rows}["fallback"] == ("wrong answer",)


def test_a_transcript_shows_intents_entities_actions_and_slot_changes(
    conversations: sessionmaker, database_url: str
) -> None:
    payload = "<script>alert(1)</script>"
    save(
        database_url,
        "markup",
        events_of(
            [python_question(), python_question(), Turn(payload, "out_of_scope", 0.4)],
            NOON,
        ),
    )
    with conversations() as session:
        found = transcript(session, "markup")
    visitor = [line for line in found.lines if line.kind == "visitor"]
    bot = [line for line in found.lines if line.kind == "bot"]
    slots = [(line.slot, line.value) for line in found.lines if line.kind == "slot"]
    assert visitor[0].intent == "ask_skills"
    assert visitor[0].confidence == pytest.approx(0.88)
    assert [(e.entity, e.value) for e in visitor[0].entities] == [("skill", "Python")]
    assert visitor[2].text == payload  # stored as typed; the template escapes it
    assert bot[0].action == "action_answer_skills"
    assert bot[0].text.startswith("Python belongs")
    # The second question sets the same slots again: shown once, as they changed.
    assert slots == [("skill", '"Python"'), ("topic", '"skills"')]
    with conversations() as session:
        assert transcript(session, "nobody") is None


def test_the_overview_counts_days_intents_fallbacks_and_the_funnel(
    conversations: sessionmaker,
) -> None:
    refresh(conversations)
    with conversations() as session:
        found = overview(session, days=7, today=NOON.date())
    assert found.days[-1] == NOON.date().isoformat() and len(found.days) == 7
    assert found.conversations[-3:] == [1, 1, 2]
    assert sum(found.conversations) == found.total_conversations == 4
    intents = dict(found.intents)
    assert intents["ask_skills"] == 3 and intents["nlu_fallback"] == 1
    assert found.total_messages == 9
    assert found.overall_fallback_rate == pytest.approx(1 / 9, abs=1e-4)
    assert found.fallback_rate[-2] == pytest.approx(1 / 3, abs=1e-4)
    assert dict(found.funnel) == {
        "Conversations": 4,
        "Asked something (beyond small talk)": 4,
        "Asked about programmes or applying": 1,
        "Started the application form": 1,
        "Reached the summary": 1,
        "Application stored": 1,
    }


def test_an_erased_conversation_leaves_nothing_in_the_console(
    conversations: sessionmaker, database_url: str
) -> None:
    refresh(conversations)
    with conversations.begin() as session:
        session.add(Tag(sender_id="applicant", tag="good"))
        session.add(Review(sender_id="applicant", note="fine", updated_by="a@b.org"))
        corrections.save_correction(
            session,
            sender_id="applicant",
            event_id=_first_message_id(session, "applicant"),
            intent="ask_skills",
            markup=None,
            staff_email="a@b.org",
        )
    # The visitor's "delete my data" goes through the service, not the console.
    erase(conversations, conversation_id="applicant")
    assert refresh(conversations).purged == 1
    with conversations() as session:
        for model in (ConversationSummary, Review, Tag, Correction, ConversationIntent):
            assert (
                session.scalar(
                    select(func.count())
                    .select_from(model)
                    .where(model.sender_id == "applicant")
                )
                == 0
            )
    # The same visitor comes back: a new conversation, nothing of the old one.
    save(database_url, "applicant", events_of([python_question()], NOON))
    refresh(conversations)
    with conversations() as session:
        assert session.get(ConversationSummary, "applicant").first_question == (
            "do I need python?"
        )


def _first_message_id(session, sender: str) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(
        text("SELECT min(id) FROM events WHERE sender_id = :s AND type_name = 'user'"),
        {"s": sender},
    )


# --- corrections ---------------------------------------------------------------


def test_a_correction_keeps_the_visitors_words(conversations: sessionmaker) -> None:
    with conversations.begin() as session:
        event_id = session.scalar(
            text(
                "SELECT id FROM events WHERE sender_id = 'fallback'"
                " AND type_name = 'user' AND intent_name = 'ask_skills'"
            )
        )
        correction = corrections.save_correction(
            session,
            sender_id="fallback",
            event_id=event_id,
            intent="ask_skills",
            markup="do I need [python](skill)?",
            staff_email="a@b.org",
        )
        assert correction.entities == [{"start": 10, "end": 16, "entity": "skill"}]
        assert correction.predicted_intent == "ask_skills"
        for intent, markup, problem in [
            ("ask_everything", None, "not an intent"),
            ("ask_skills", "do I need [java](skill)?", "words must stay"),
            ("ask_skills", "do I need [python](colour)?", "Unknown entity"),
        ]:
            with pytest.raises(corrections.CorrectionError, match=problem):
                corrections.save_correction(
                    session,
                    sender_id="fallback",
                    event_id=event_id,
                    intent=intent,
                    markup=markup,
                    staff_email="a@b.org",
                )
        with pytest.raises(corrections.CorrectionError, match="No such"):
            corrections.save_correction(
                session,
                sender_id="someone-else",
                event_id=event_id,
                intent="ask_skills",
                markup=None,
                staff_email="a@b.org",
            )


def test_annotations_round_trip() -> None:
    text_ = "is  Scrum\tor Agile better"
    clean = corrections.clean(text_)
    assert clean == "is Scrum or Agile better"
    markup = "is [Scrum](skill) or [Agile](skill) better"
    entities = corrections.parse_annotations(
        markup, clean, corrections.domain_names().entities
    )
    assert corrections.annotate(clean, entities) == markup


def _held_out_message() -> str:
    data = yaml.safe_load((PROJECT_ROOT / "tests" / "nlu_holdout.yml").read_text())
    examples = data["nlu"][0]["examples"].splitlines()
    return examples[0].strip()[2:]


def _trained_message() -> tuple[str, str]:
    data = yaml.safe_load((PROJECT_ROOT / "data" / "nlu" / "role.yml").read_text())
    block = next(b for b in data["nlu"] if "intent" in b)
    example = block["examples"].splitlines()[0].strip()[2:]
    return example, block["intent"]


@pytest.fixture
def corrected(database_url: str, session_factory: sessionmaker) -> sessionmaker:
    """Corrections of every kind the export must keep or leave out."""
    trained, trained_intent = _trained_message()
    turns = [
        Turn("do I need to know scrum for this", "ask_role", 0.41),
        Turn("what would I earn in lyon", "ask_role", 0.38),
        Turn(_held_out_message(), "help", 0.3),
        Turn("/ask_skills", "ask_skills", 1.0),
        Turn(trained, "help", 0.5),
        Turn("wat about [brackets](skill)", "help", 0.2),
    ]
    save(database_url, "to-correct", events_of(turns, NOON))
    with session_factory.begin() as session:
        ids = list(
            session.scalars(
                text(
                    "SELECT id FROM events WHERE sender_id = 'to-correct'"
                    " AND type_name = 'user' ORDER BY id"
                )
            )
        )
        wanted = [
            ("ask_skills", "do I need to know [scrum](skill) for this"),
            ("ask_salary", "what would I earn in [lyon](location)"),
            ("ask_skills", None),
            ("ask_skills", None),
            ("ask_skills" if trained_intent != "ask_skills" else "help", None),
            ("ask_skills", None),
        ]
        for event_id, (intent, markup) in zip(ids, wanted, strict=True):
            corrections.save_correction(
                session,
                sender_id="to-correct",
                event_id=event_id,
                intent=intent,
                markup=markup,
                staff_email="a@b.org",
            )
    return session_factory


def test_the_export_writes_rasa_nlu_and_says_what_it_left_out(
    corrected: sessionmaker, tmp_path: Path
) -> None:
    out = tmp_path / "nlu" / "corrections.yml"
    result = corrections.export_corrections(corrected, out)
    data = yaml.safe_load(out.read_text())
    assert data["version"] == "3.1"
    examples = {
        block["intent"]: block["examples"].splitlines() for block in data["nlu"]
    }
    assert examples == {
        "ask_salary": ["- what would I earn in [lyon](location)"],
        "ask_skills": ["- do I need to know [scrum](skill) for this"],
    }
    reasons = " | ".join(reason for _, reason in result.skipped)
    assert result.examples == 2 and len(result.skipped) == 4
    assert "held-out" in reasons and "button payload" in reasons
    assert "data/nlu/role.yml" in reasons and "brackets" in reasons
    # Written again from the database: idempotent.
    before = out.read_text()
    corrections.export_corrections(corrected, out)
    assert out.read_text() == before


def test_the_exported_file_passes_rasa_data_validate(
    corrected: sessionmaker, tmp_path: Path
) -> None:
    """What `rasa data validate` runs, on the training data plus the export."""
    from rasa.cli.utils import validate_files
    from rasa.shared.importers.importer import TrainingDataImporter

    out = tmp_path / "corrections.yml"
    corrections.export_corrections(corrected, out)
    data = [str(PROJECT_ROOT / "data" / d) for d in ("nlu", "rules", "stories")]
    importer = TrainingDataImporter.load_from_config(
        str(PROJECT_ROOT / "config.yml"),
        str(PROJECT_ROOT / "domain.yml"),
        [*data, str(out)],
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        validate_files(fail_on_warnings=False, max_history=None, importer=importer)
    nlu = importer.get_nlu_data()
    assert "what would I earn in lyon" in {m.get("text") for m in nlu.training_examples}
    about_export = [
        str(w.message)
        for w in caught
        if "lyon" in str(w.message).lower() or "scrum for this" in str(w.message)
    ]
    assert about_export == []


# --- queues ----------------------------------------------------------------------


def test_queues_statuses_csv_and_erasing_one_person(
    conversations: sessionmaker,
) -> None:
    refresh(conversations)
    _apply(conversations, "old-skills", "=cmd|' /C calc'!A0@example.org")
    with conversations.begin() as session:
        entries = queues.queue(session, "applications")
        assert [e.conversation_id for e in entries] == ["old-skills", "applicant"]
        assert queues.set_status(session, "applications", entries[1].id, "contacted")
        assert not queues.set_status(session, "applications", 999, "closed")
        with pytest.raises(ValueError):
            queues.set_status(session, "applications", entries[1].id, "lost")
    with conversations() as session:
        contacted = queues.queue(session, "applications", "contacted")
        csv_text = queues.to_csv("applications", queues.queue(session, "applications"))
    assert [e.reference for e in contacted] == [entries[1].reference]
    assert csv_text.splitlines()[0].startswith("reference,status,created_at")
    assert "'=cmd" in csv_text  # a spreadsheet will not run it as a formula

    erased = queues.erase_person(conversations, email="grace@example.org")
    assert erased.applications == 1 and erased.events > 0
    with conversations() as session:
        assert session.get(ConversationSummary, "applicant") is None
        assert [a.conversation_id for a in session.scalars(select(Application))] == [
            "old-skills"
        ]
    assert "applicant" not in _senders(conversations)


# --- PostgreSQL --------------------------------------------------------------------

POSTGRES_URL = os.environ.get("ADVISOR_TEST_POSTGRES_URL")


@pytest.fixture
def postgres() -> Iterator[tuple[str, sessionmaker]]:
    if not POSTGRES_URL:
        pytest.skip("ADVISOR_TEST_POSTGRES_URL is not set (make test sets it)")
    engine = make_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    migrations.upgrade(POSTGRES_URL)
    yield POSTGRES_URL, make_session_factory(engine)
    engine.dispose()


def test_the_same_queries_on_postgresql(postgres: tuple[str, sessionmaker]) -> None:
    url, session_factory = postgres
    save(
        url,
        "pg-fallback",
        events_of([GREETING, fallback()], NOON - dt.timedelta(days=1)),
    )
    save(
        url, "pg-applicant", events_of([skills_question(), *application_turns()], NOON)
    )
    _apply(session_factory, "pg-applicant", "pg@example.org")
    assert refresh(session_factory).summarised == 2
    assert refresh(session_factory).summarised == 0
    assert _senders(session_factory) == ["pg-applicant", "pg-fallback"]
    assert _senders(session_factory, applied="yes") == ["pg-applicant"]
    assert _senders(session_factory, intent="nlu_fallback", q="WIZZLE") == [
        "pg-fallback"
    ]
    assert _senders(session_factory, below="0.4", fallback="yes") == ["pg-fallback"]
    with session_factory() as session:
        found = overview(session, days=3, today=NOON.date())
        lines = transcript(session, "pg-fallback").lines
    assert found.conversations[-2:] == [1, 1]
    assert dict(found.funnel)["Application stored"] == 1
    assert [line.intent for line in lines if line.kind == "visitor"] == [
        "greet",
        "nlu_fallback",
    ]
    erase(session_factory, conversation_id="pg-fallback")
    assert refresh(session_factory).purged == 1
    assert _senders(session_factory) == ["pg-applicant"]


def test_each_conversation_has_its_language_filtered_and_counted(
    conversations: sessionmaker, database_url: str
) -> None:
    """The bot's language slot at the conversation's last change (issue 19)."""
    french = Turn(
        "quelles compétences faut-il ?",
        "ask_skills",
        action="action_answer_skills",
        slots={"language": "fr"},
    )
    save(database_url, "en-francais", events_of([french], NOON + dt.timedelta(hours=2)))
    switched = Turn("what about in English?", "help", slots={"language": "en"})
    save(
        database_url,
        "switched",
        events_of([french, switched], NOON + dt.timedelta(hours=3)),
    )
    refresh(conversations)
    with conversations() as session:
        page = list_conversations(session, ConversationFilter.from_query({}))
        found = overview(session, days=7, today=NOON.date())
    languages = {row.sender_id: row.language for row in page.rows}
    assert languages["en-francais"] == "fr"
    assert languages["switched"] == languages["old-skills"] == "en"
    assert _senders(conversations, language="fr") == ["en-francais"]
    assert _senders(conversations, language="xx") == _senders(conversations)
    assert dict(found.languages) == {"en": 5, "fr": 1}


def test_french_corrections_go_to_french_training_data(
    database_url: str, session_factory: sessionmaker, tmp_path: Path
) -> None:
    """A French message, or a short one in a French conversation, is exported
    beside the French examples (data/nlu/fr/); an English one stays English."""
    turns = [
        Turn("combien on gagne comme chef de projet a geneve", "help", 0.3),
        Turn("et a lyon", "help", 0.3, slots={"language": "fr"}),
        Turn("and what would I earn in lyon", "help", 0.3),
    ]
    save(database_url, "bilingue", events_of(turns[:2], NOON))
    save(database_url, "english", events_of(turns[2:], NOON))
    refresh(session_factory)
    with session_factory.begin() as session:
        for sender in ("bilingue", "english"):
            for event_id in session.scalars(
                text(
                    "SELECT id FROM events WHERE sender_id = :s"
                    " AND type_name = 'user' ORDER BY id"
                ),
                {"s": sender},
            ):
                corrections.save_correction(
                    session,
                    sender_id=sender,
                    event_id=event_id,
                    intent="ask_salary",
                    markup=None,
                    staff_email="a@b.org",
                )
    out = tmp_path / "nlu" / "corrections.yml"
    result = corrections.export_corrections(session_factory, out)

    def examples(path: Path) -> set[str]:
        blocks = yaml.safe_load(path.read_text())["nlu"]
        return {line[2:] for b in blocks for line in b["examples"].splitlines()}

    assert result.paths["fr"] == tmp_path / "nlu" / "fr" / "corrections.yml"
    assert examples(result.paths["fr"]) == {
        "combien on gagne comme chef de projet a geneve",
        "et a lyon",
    }
    assert examples(out) == {"and what would I earn in lyon"}
    assert result.by_language == {"en": 1, "fr": 2} and result.examples == 3


def test_a_french_held_out_message_is_never_exported(
    database_url: str, session_factory: sessionmaker, tmp_path: Path
) -> None:
    data = yaml.safe_load((PROJECT_ROOT / "tests" / "nlu_holdout_fr.yml").read_text())
    held_out = data["nlu"][0]["examples"].splitlines()[0].strip()[2:]
    save(database_url, "tenu-a-part", events_of([Turn(held_out, "help", 0.3)], NOON))
    with session_factory.begin() as session:
        event_id = session.scalar(
            text(
                "SELECT id FROM events"
                " WHERE sender_id = 'tenu-a-part' AND type_name = 'user'"
            )
        )
        corrections.save_correction(
            session,
            sender_id="tenu-a-part",
            event_id=event_id,
            intent="ask_salary",
            markup=None,
            staff_email="a@b.org",
        )
    result = corrections.export_corrections(session_factory, tmp_path / "c.yml")
    assert result.examples == 0
    assert "held-out" in result.skipped[0][1]
