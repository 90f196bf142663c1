"""The Unanswered page's data: the summary fills it from the ``unanswered`` slot,
the grouping by wording, the staff's marks, the CSV, erasure, and the routes
(Starlette's TestClient). Real SQLite; events written by Rasa's own tracker
store (tests/support/console_support.py).
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from sqlalchemy import func, select, text
from sqlalchemy.orm import sessionmaker
from starlette.testclient import TestClient

from bot.applications.service import erase
from bot.settings import PROJECT_ROOT
from bot.web.app import SiteConfig, create_app
from bot.web.console import auth, unanswered, wording
from bot.web.console.config import ConsoleConfig
from bot.web.console.models import UnansweredMessage, UnansweredStatus
from bot.web.console.summary import refresh
from tests.support.console_support import (
    events_of,
    not_covered,
    save,
    unanswered_conversations,
)

NOON = dt.datetime.now(dt.timezone.utc).replace(
    tzinfo=None, hour=12, minute=0, second=0, microsecond=0
)
REVIEWER = ("content@ai2.example.org", "a reviewer's passphrase")
ADMIN = ("lead@ai2.example.org", "an admin's passphrase")


@pytest.fixture
def conversations(database_url: str, session_factory: sessionmaker) -> sessionmaker:
    unanswered_conversations(database_url, NOON)
    refresh(session_factory)
    return session_factory


def _stored(session_factory: sessionmaker, sender: str) -> list[tuple[str, str]]:
    with session_factory() as session:
        return [
            (row.text, row.subject)
            for row in session.scalars(
                select(UnansweredMessage)
                .where(UnansweredMessage.sender_id == sender)
                .order_by(UnansweredMessage.at)
            )
        ]


def _count(session_factory: sessionmaker, model: type, sender: str) -> int:
    with session_factory() as session:
        return session.scalar(
            select(func.count()).select_from(model).where(model.sender_id == sender)
        )


# --- grouping ----------------------------------------------------------------------


def test_normalise_drops_case_accents_and_punctuation() -> None:
    assert wording.normalise("  Combien COÛTE-t-il ?! ") == "combien coute t il"


def test_similar_wordings_are_one_group_and_other_questions_are_not() -> None:
    texts = [
        "how long does the master last",
        "how much does it cost",
        "what are the fees",
        "How much does the master cost?",
        "what are the tuition fees",
        "HOW MUCH DOES IT COST?!",
        "is there student housing",
        "how much does the bachelor cost",
    ]
    grouped = wording.group_texts(texts, background=wording.background_questions())
    found = [[texts[i] for i in group] for group in grouped]
    assert found == [
        [
            "how much does it cost",
            "How much does the master cost?",
            "HOW MUCH DOES IT COST?!",
            "how much does the bachelor cost",
        ],
        ["what are the fees", "what are the tuition fees"],
        ["how long does the master last"],
        ["is there student housing"],
    ]


def test_two_messages_are_grouped_as_surely_as_many() -> None:
    """The training examples weigh the words: alone, the two messages would
    share "how", "much" and "does" as heavily as "cost"."""
    texts = ["how much does it cost", "how much does the master cost?"]
    questions = wording.background_questions()
    assert len(questions) > 1000
    assert wording.group_texts(texts, background=questions) == [[0, 1]]
    assert wording.group_texts(texts, threshold=0.95, background=questions) == [
        [0],
        [1],
    ]


def test_the_evaluation_sets_outside_questions_group_by_subject_only() -> None:
    """Measured: at the default threshold, no group mixes two subjects, and
    some questions are grouped (at 0.4, some groups mix two subjects)."""
    eval_set = yaml.safe_load((PROJECT_ROOT / "tests" / "answers_eval.yml").read_text())
    outside = [q for q in eval_set["questions"] if q.get("not_covered")]
    grouped = wording.group_texts(
        [q["text"] for q in outside], background=wording.background_questions()
    )
    assert {len({outside[i]["not_covered"] for i in g}) for g in grouped} == {1}
    assert len(grouped) < len(outside) - 10


def test_messages_without_words_are_grouped_only_when_identical() -> None:
    assert wording.group_texts([]) == []
    # No unanswered message yet, with the page's background: no group, no error.
    assert wording.group_texts([], background=wording.background_questions()) == []
    assert wording.group_texts(["?", "🙂", "?"]) == [[0, 1, 2]]
    assert wording.group_texts(["?", "what are the fees", "?!"]) == [[0, 2], [1]]


# --- the summary fills the table -------------------------------------------------


def test_the_summary_stores_each_marked_message_with_its_subject(
    conversations: sessionmaker,
) -> None:
    # The skills question of "fees-1" was answered: not listed.
    assert _stored(conversations, "fees-1") == [("how much does it cost", "fees")]
    assert _stored(conversations, "fees-2") == [
        ("How much does the master cost?", "fees"),
        ("is it online or on campus", "format,campus"),
    ]
    assert _stored(conversations, "fallback") == [("blorp the wizzle", "fallback")]
    with conversations() as session:
        row = session.scalar(
            select(UnansweredMessage).where(UnansweredMessage.sender_id == "fees-3")
        )
        event = session.execute(
            text(
                "SELECT id, timestamp FROM events WHERE sender_id = 'fees-3'"
                " AND type_name = 'user'"
            )
        ).one()
    assert (row.event_id, row.at) == (event.id, event.timestamp)


def test_a_mark_belongs_to_the_message_of_its_turn(
    database_url: str, session_factory: sessionmaker
) -> None:
    """The action sets the slot after its reply; a reset does not undo it."""
    clock = (NOON.replace(tzinfo=dt.timezone.utc)).timestamp()
    long_question = "is there a scholarship " + "please " * 100
    events = [
        SlotSet("unanswered", "other", timestamp=clock),  # before any message
        UserUttered("hello", {"name": "greet", "confidence": 1.0}, timestamp=clock + 1),
        ActionExecuted("utter_greet", timestamp=clock + 2),
        SlotSet("topic", "unanswered", timestamp=clock + 3),  # another slot
        UserUttered(long_question, {"name": "ask_not_covered"}, timestamp=clock + 4),
        ActionExecuted("action_answer_not_covered", timestamp=clock + 5),
        BotUttered("The guide doesn't say.", timestamp=clock + 6),
        SlotSet("unanswered", "fees", timestamp=clock + 7),
        SlotSet("unanswered", None, timestamp=clock + 7.5),  # the mark stays
        UserUttered("which skills?", {"name": "ask_skills"}, timestamp=clock + 8),
        SlotSet("unanswered", None, timestamp=clock + 9),  # reset: no mark
        ActionExecuted("action_answer_skills", timestamp=clock + 10),
    ]
    save(database_url, "turns", events)
    refresh(session_factory)
    stored = _stored(session_factory, "turns")
    assert stored == [(long_question[: unanswered.TEXT_CHARS], "fees")]
    assert len(stored[0][0]) == 500


def test_a_re_summary_keeps_the_staffs_marks(
    conversations: sessionmaker, database_url: str
) -> None:
    with conversations.begin() as session:
        assert unanswered.set_handled(
            session, _keys(session, "fees-1"), True, REVIEWER[0]
        )
    save(
        database_url, "fees-1", events_of([not_covered("where is it", "campus")], NOON)
    )
    assert refresh(conversations).summarised == 1
    assert _stored(conversations, "fees-1") == [
        ("how much does it cost", "fees"),
        ("where is it", "campus"),
    ]
    with conversations() as session:
        handled = {
            m.text: (m.handled, m.handled_by)
            for m in unanswered.messages(session)
            if m.sender_id == "fees-1"
        }
    assert handled == {
        "how much does it cost": (True, REVIEWER[0]),
        "where is it": (False, None),
    }


def test_an_erased_conversation_leaves_no_unanswered_message_or_mark(
    conversations: sessionmaker,
) -> None:
    with conversations.begin() as session:
        unanswered.set_handled(session, _keys(session, "fees-2"), True, REVIEWER[0])
    assert _count(conversations, UnansweredStatus, "fees-2") == 2
    erase(conversations, conversation_id="fees-2")  # the visitor's "delete my data"
    assert refresh(conversations).purged == 1
    for model in (UnansweredMessage, UnansweredStatus):
        assert _count(conversations, model, "fees-2") == 0
    assert _stored(conversations, "fees-3") == [("how much does it cost?", "fees")]


def _keys(session, sender: str) -> list[tuple[str, float]]:  # type: ignore[no-untyped-def]
    return [
        (m.sender_id, m.at)
        for m in unanswered.messages(session)
        if m.sender_id == sender
    ]


# --- groups, marks, CSV ----------------------------------------------------------


def test_groups_count_date_and_link_their_messages(
    conversations: sessionmaker,
) -> None:
    with conversations() as session:
        found = unanswered.groups(session, "all")
    assert [(g.number, g.text, g.count) for g in found] == [
        (1, "how much does it cost", 3),
        (2, "is it online or on campus", 1),
        (3, "blorp the wizzle", 1),
    ]
    price = found[0]
    assert [w for w, _ in price.wordings] == [
        "how much does it cost",
        "How much does the master cost?",
        "how much does it cost?",
    ]
    assert price.first_seen.date() == (NOON - dt.timedelta(days=2)).date()
    assert price.last_seen.date() == NOON.date()
    assert [m.sender_id for m in price.conversations] == ["fees-1", "fees-2", "fees-3"]
    assert price.subjects == ["fees"]
    assert found[1].subjects == ["format", "campus"]
    assert found[2].subjects == ["fallback"]
    assert not price.handled


def test_a_group_is_handled_when_all_its_messages_are(
    conversations: sessionmaker,
) -> None:
    with conversations.begin() as session:
        price = unanswered.groups(session)[0]
        keys = unanswered.parse_keys(price.keys_json)
        assert unanswered.set_handled(session, keys[:1], True, REVIEWER[0]) == 1
    with conversations() as session:
        price = unanswered.groups(session)[0]
        assert (price.handled, price.handled_count) == (False, 1)
    with conversations.begin() as session:
        # A message that is not (or no longer) there is left out.
        ghost = [("nobody", 1.0), *unanswered.parse_keys(price.keys_json)]
        assert unanswered.set_handled(session, ghost, True, ADMIN[0]) == 3
    with conversations() as session:
        assert [g.text for g in unanswered.groups(session, "open")] == [
            "is it online or on campus",
            "blorp the wizzle",
        ]
        price = unanswered.groups(session, "all")[0]
        assert price.handled and price.number == 1
        assert price.last_change.handled_by == ADMIN[0]
        assert session.scalar(select(func.count()).select_from(UnansweredStatus)) == 3


def test_the_page_weighs_words_by_the_training_examples(
    conversations: sessionmaker, database_url: str
) -> None:
    """Among few messages, "what are the" would weigh as much as "fees"."""
    save(
        database_url,
        "asks-twice",
        events_of(
            [
                not_covered("what are the fees", "fees"),
                not_covered("what are the admission requirements", "admission"),
            ],
            NOON,
        ),
    )
    refresh(conversations)
    with conversations() as session:
        found = {g.text: g.count for g in unanswered.groups(session)}
    assert found["what are the fees"] == 1
    assert found["what are the admission requirements"] == 1


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "not json",
        "[]",
        '{"a": 1}',
        '[["fees-1"]]',
        "[[1, 2.0]]",
        '[["a", true]]',
    ],
)
def test_malformed_status_forms_name_no_message(value: str | None) -> None:
    assert unanswered.parse_keys(value) is None


def test_the_csv_has_a_row_per_message_and_quotes_formulas(
    conversations: sessionmaker, database_url: str
) -> None:
    save(
        database_url,
        "formula",
        events_of([not_covered('=HYPERLINK("http://evil")', "other")], NOON),
    )
    refresh(conversations)
    with conversations() as session:
        rows = list(
            csv.reader(io.StringIO(unanswered.to_csv(unanswered.groups(session))))
        )
    assert tuple(rows[0]) == unanswered.CSV_COLUMNS
    by_text = {row[2]: row for row in rows[1:]}
    assert len(rows) == 1 + 6
    seen = by_text["How much does the master cost?"][4]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", seen)
    assert by_text["How much does the master cost?"] == [
        "1",
        "how much does it cost",
        "How much does the master cost?",
        "fees",
        seen,
        "fees-2",
        "no",
    ]
    assert by_text["is it online or on campus"][:4] == [
        "2",
        "is it online or on campus",
        "is it online or on campus",
        "format,campus",
    ]
    formula = by_text['\'=HYPERLINK("http://evil")']  # a spreadsheet shows it as text
    assert (formula[3], formula[5]) == ("other", "formula")


# --- the routes ----------------------------------------------------------------------


@pytest.fixture
def client(
    conversations: sessionmaker, database_url: str, tmp_path: Path
) -> Iterator[TestClient]:
    with conversations.begin() as session:
        auth.add_staff(session, *REVIEWER, "reviewer")
        auth.add_staff(session, *ADMIN, "admin")
    config = ConsoleConfig(
        database_url=database_url,
        secret_key="test-key-" + "u" * 40,
        corrections_file=tmp_path / "corrections.yml",
    )
    app = create_app(SiteConfig(socket_url="http://localhost:5005"), config)
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


def _csrf(client: TestClient, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found, path
    return found.group(1)


def _log_in(client: TestClient, who: tuple[str, str]) -> None:
    response = client.post(
        "/console/login",
        data={
            "email": who[0],
            "password": who[1],
            "csrf_token": _csrf(client, "/console/login"),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303


@pytest.mark.parametrize("who", [REVIEWER, ADMIN])
def test_reviewers_and_admins_see_the_groups(
    client: TestClient, who: tuple[str, str]
) -> None:
    assert client.get("/console/unanswered", follow_redirects=False).status_code == 303
    assert client.get("/console/unanswered.csv").status_code == 401
    _log_in(client, who)
    page = client.get("/console/unanswered")
    assert page.status_code == 200
    assert (
        '<a href="/console/unanswered" aria-current="page">Unanswered</a>' in page.text
    )
    row = re.search(r'<tr id="group-1">(.*?)</tr>', page.text, re.S).group(1)
    assert "how much does it cost" in row and "3 wordings" in row
    assert re.search(r'class="num asked">3<', row)
    assert "/console/conversation?id=fees-2#m" in row
    assert "Mark handled" in row


def test_marking_a_group_needs_the_csrf_token_and_changes_the_lists(
    client: TestClient,
) -> None:
    _log_in(client, REVIEWER)
    page = client.get("/console/unanswered").text
    keys = re.search(r'name="messages" value="([^"]+)"', page).group(1)
    form = {"messages": html.unescape(keys), "handled": "yes", "show": "open"}
    refused = client.post("/console/unanswered/status", data=form)
    assert refused.status_code == 403
    token = _csrf(client, "/console/unanswered")
    bad = client.post(
        "/console/unanswered/status",
        data={**form, "messages": "x", "csrf_token": token},
    )
    assert bad.status_code == 400
    done = client.post(
        "/console/unanswered/status",
        data={**form, "csrf_token": token},
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (303, "/console/unanswered")
    after = client.get("/console/unanswered").text
    assert "3 message(s) marked handled." in after
    assert "how much does it cost" not in after
    every = client.get("/console/unanswered?show=all").text
    assert "how much does it cost" in every and "Mark not handled" in every
    exported = client.get("/console/unanswered.csv?show=all")
    assert exported.headers["content-disposition"] == (
        'attachment; filename="unanswered.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert sorted(r["handled"] for r in rows if r["group"] == "1") == ["yes"] * 3
    open_rows = list(
        csv.DictReader(io.StringIO(client.get("/console/unanswered.csv").text))
    )
    assert {r["group"] for r in open_rows} == {"2", "3"}
