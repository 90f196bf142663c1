"""End to end over the REST channel: the real Rasa server, action server and database.

Starts both servers once for the module on test ports (so that a running
`make run` is not disturbed), against a temporary seeded SQLite database that
also holds the tracker store, exactly as `make run` configures them.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.support.actions_support import variation
from tests.support.figures import FIGURE
from tests.support.stack import Stack, module_stack, say, texts

pytestmark = pytest.mark.e2e


stack = module_stack("stack", rasa_port=5105, actions_port=5155)


def test_which_skills_do_i_need_answers_from_the_database(stack: Stack, kb) -> None:  # type: ignore[no-untyped-def]
    replies = say(stack, "e2e-skills", "which skills do I need?")
    for area in kb.skills():
        assert area.name in texts(replies)
    assert replies[-1]["buttons"], "next questions are offered as buttons"


def test_a_follow_up_resolves_against_the_conversation(stack: Stack) -> None:
    say(stack, "e2e-canada", "how much does an AI project manager earn?")
    assert texts(say(stack, "e2e-canada", "and in Canada?")).startswith(
        "Canada (North America)"
    )
    assert "Germany itself" in texts(say(stack, "e2e-canada", "what about Germany"))


def test_an_unsure_message_offers_the_likely_topics_in_words(stack: Stack) -> None:
    """The fallback action reads the topics' wording from the domain, which the
    Rasa server sends to it alone (enable_selective_domain, send_domain)."""
    buttons = say(stack, "e2e-unsure", "jobs")[-1]["buttons"]
    assert buttons[-1]["title"] == "Something else"
    assert len(buttons) == 3, buttons
    for button in buttons[:2]:
        assert button["payload"].startswith("/")
        assert " " in button["title"], "a topic in words, not an intent name"


@pytest.mark.parametrize(
    "message",
    [
        "",
        "   ",
        "🙂🙂🙂",
        "a" * 5000,
        "<script>alert(1)</script>",
        "¿Cuánto gana un jefe de proyecto IA?",
    ],
)
def test_bad_input_always_gets_a_reply(stack: Stack, message: str) -> None:
    replies = say(stack, f"e2e-bad-{abs(hash(message))}", message)
    assert replies and all(r.get("text") for r in replies)


def test_the_conversation_is_kept_in_the_tracker_store(stack: Stack) -> None:
    say(stack, "e2e-kept", "hello")
    engine = create_engine(stack.database_url)
    with engine.connect() as connection:
        rows = (
            connection.execute(
                text("SELECT type_name FROM events WHERE sender_id = 'e2e-kept'")
            )
            .scalars()
            .all()
        )
    engine.dispose()
    assert "user" in rows and "bot" in rows


APPLICATION_TURNS = [
    "I want to apply",
    "{name}",
    "{email}",
    '/inform{{"programme": "Specialised master\'s in DevOps"}}',
    "Master's degree",
    "Morocco",
    "no",
    "yes",
    "yes",
]


# Names as applicants write them: up to 100 distinct people.
FIRST_NAMES = [
    "Amina",
    "Lucas",
    "Sofia",
    "Kenji",
    "Fatou",
    "Omar",
    "Ines",
    "Mateo",
    "Leila",
    "Noah",
]
LAST_NAMES = [
    "Diallo",
    "Moreau",
    "Rossi",
    "Sato",
    "Haddad",
    "Silva",
    "Novak",
    "Mensah",
    "Dubois",
    "Kaya",
]


def _apply(stack: Stack, number: int) -> str:
    sender = f"e2e-apply-{number}"
    first, last = FIRST_NAMES[number % 10], LAST_NAMES[number // 10 % 10]
    values = {
        "name": f"{first} {last}",
        "email": f"{first.lower()}.{last.lower()}{number}@example.org",
    }
    replies: list[dict] = []
    for turn in APPLICATION_TURNS:
        replies = say(stack, sender, turn.format(**values))
    match = re.search(r"reference is (AP-[A-Z0-9]{6})", texts(replies))
    assert match, texts(replies)
    return match.group(1)


def test_fifty_parallel_applications_are_each_stored_once(
    stack: Stack,
) -> None:
    with ThreadPoolExecutor(max_workers=10) as pool:
        references = list(pool.map(lambda n: _apply(stack, n), range(50)))
    engine = create_engine(stack.database_url)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT reference, email, conversation_id FROM applications")
        ).all()
    engine.dispose()
    assert len(rows) == 50
    assert sorted(r.reference for r in rows) == sorted(references)
    assert len(set(references)) == 50
    number = re.compile(r"(\d+)@")
    assert all(
        r.conversation_id == "e2e-apply-" + number.search(r.email).group(1)
        for r in rows
    )


@pytest.mark.parametrize("message", ["can I talk to a real person?", "r u human"])
def test_asking_for_a_person_starts_the_hand_off_not_an_application(
    stack: Stack, message: str
) -> None:
    sender = f"e2e-person-{abs(hash(message))}"
    asked = texts(say(stack, sender, message))
    assert "admissions team" in asked and "What's your full name?" in asked
    assert "application" not in asked


def test_delete_my_data_erases_the_conversation(stack: Stack) -> None:
    reference = _apply(stack, 99)
    say(stack, "e2e-apply-99", "delete my data")
    assert "deleted" in texts(say(stack, "e2e-apply-99", "yes"))
    engine = create_engine(stack.database_url)
    with engine.connect() as connection:
        left = connection.execute(
            text("SELECT count(*) FROM events WHERE sender_id = 'e2e-apply-99'")
        ).scalar()
        applications = connection.execute(
            text("SELECT count(*) FROM applications WHERE reference = :r"),
            {"r": reference},
        ).scalar()
    engine.dispose()
    assert (left, applications) == (0, 0)


def test_a_cancelled_application_leaves_no_name_or_email_behind(
    stack: Stack,
) -> None:
    sender = "e2e-cancelled"
    for turn in ["I want to apply", "Grace Hopper", "grace@example.org"]:
        say(stack, sender, turn)
    assert "kept none" in texts(say(stack, sender, "cancel"))
    engine = create_engine(stack.database_url)
    with engine.connect() as connection:
        stored = " ".join(
            connection.execute(
                text("SELECT data FROM events WHERE sender_id = :s"), {"s": sender}
            ).scalars()
        )
    engine.dispose()
    assert "I want to apply" in stored
    assert "Grace Hopper" not in stored and "grace@example.org" not in stored
    # The conversation goes on, and the form starts empty if asked again.
    assert "name" in texts(say(stack, sender, "I want to apply")).lower()


def test_the_http_api_is_not_exposed(stack: Stack) -> None:
    assert requests.get(f"{stack.rasa_url}/status", timeout=5).status_code == 404
    assert (
        requests.get(f"{stack.rasa_url}/conversations/x/tracker", timeout=5).status_code
        == 404
    )


# Questions on what the guide does not cover, in words the NLU never saw.
NOT_COVERED = [
    "how much does the master cost?",
    "how long does it take?",
    "is it online or in Paris?",
    "what's the price of the deep learning programme",
    "how many years is the devops master",
    "when does the next session start?",
    "what do I need to get into the machine learning master?",
    "can I get a student visa through you",
    "do you guarantee a job afterwards?",
]


@pytest.mark.parametrize("question", NOT_COVERED)
def test_outside_the_guide_is_said_without_a_figure(
    stack: Stack, question: str
) -> None:
    replies = say(stack, f"e2e-outside-{abs(hash(question))}", question)
    said = texts(replies)
    assert "The guide doesn't cover" in said, said
    assert not FIGURE.search(said.replace("AI2", "")), said
    assert replies[-1]["buttons"][0]["payload"] == "/request_human"


def test_the_admissions_team_gets_the_question_the_guide_did_not_cover(
    stack: Stack,
) -> None:
    sender = "e2e-outside-handoff"
    say(stack, sender, "how much does the master cost?")
    assert "full name" in texts(say(stack, sender, "/request_human"))
    say(stack, sender, "Grace Hopper")
    say(stack, sender, "grace@example.org")
    assert "request" in texts(say(stack, sender, "/affirm"))
    engine = create_engine(stack.database_url)
    with engine.connect() as connection:
        question = connection.execute(
            text("SELECT question FROM handoff_requests WHERE conversation_id = :s"),
            {"s": sender},
        ).scalar_one()
    engine.dispose()
    assert question == "how much does the master cost?"


def test_a_salary_comparison_answers_both_places(stack: Stack) -> None:
    said = texts(
        say(stack, "e2e-compare", "what's the salary in Lyon compared to Montreal?")
    )
    assert "Lyon (in France, Europe)" in said and "(in Canada, North America)" in said
    assert "doesn't give any actual salary figures" in said


# --- in the visitor's language (issue 19) ---------------------------------------


def test_a_french_visitor_is_answered_in_french_throughout(stack: Stack, kb) -> None:  # type: ignore[no-untyped-def]
    sender = "e2e-fr"
    assert "Bonjour" in texts(say(stack, sender, "bonjour !"))
    skills = texts(
        say(stack, sender, "quelles compétences pour devenir chef de projet IA ?")
    )
    for area in kb.skills():
        assert area.fr["name"] in skills and area.name not in skills
    # Too short to tell: the conversation keeps its language.
    ok = say(stack, sender, "ok")
    assert texts(ok) == variation("utter_affirm_ack", "fr")["text"]
    geneva = texts(say(stack, sender, "et à Genève, on gagne bien sa vie ?"))
    assert "Genève" in geneva and not re.search(r"\d", geneva.replace("AI2", ""))
    fees = texts(say(stack, sender, "combien coûte le master ?"))
    assert "Le guide ne" in fees and not FIGURE.search(fees)


def test_the_language_follows_a_clear_message_in_the_other_one(
    stack: Stack, kb
) -> None:  # type: ignore[no-untyped-def]
    sender = "e2e-switch"
    role = kb.topic("role")
    assert role.intro in texts(
        say(stack, sender, "what does an AI project manager do?")
    )
    french = texts(say(stack, sender, "et c'est quoi ses missions au quotidien ?"))
    assert kb.topic("missions").fr["intro"] in french
    english = texts(say(stack, sender, "which degree should I get for that job?"))
    assert kb.topic("degrees").intro in english


def test_the_shell_greets_in_the_terminals_language(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    """What `make shell` runs before reading the keyboard, against the real server."""
    import asyncio

    from rasa.core.channels import console

    from bot.rasa_runtime import shell

    original = console.record_messages
    try:
        shell.greet_first(shell.terminal_language({"LANG": "fr_BE.UTF-8"}))
        asyncio.run(
            console.record_messages(
                "e2e-shell", server_url=stack.rasa_url, max_message_limit=0
            )
        )
    finally:
        console.record_messages = original
    printed = capsys.readouterr().out
    assert variation("utter_greet", "fr")["text"] in printed
    assert "Accessible aux débutants" in printed
