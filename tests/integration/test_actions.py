"""Every answer action, run through rasa-sdk's executor against a seeded SQLite."""

from __future__ import annotations

import logging
import re

from rasa_sdk.executor import ActionExecutor

from bot.knowledge.queries import KnowledgeBase
from tests.conftest import clear_process_caches
from tests.support.actions_support import (
    entity,
    make_executor,
    rendered,
    run_action,
    slot_events,
)


def _buttons(result: dict) -> list[str]:
    return [b["payload"] for r in result["responses"] for b in r.get("buttons", [])]


async def test_skills_lists_the_five_areas_from_the_knowledge_base(
    executor: ActionExecutor, kb: KnowledgeBase
) -> None:
    result = await run_action(
        executor,
        "action_answer_skills",
        text="which skills do I need?",
        intent="ask_skills",
    )
    text = rendered(result)[0]
    for area in kb.skills():
        assert area.name in text and area.summary in text
    assert slot_events(result) == {"topic": "skills", "answered": ["skills"]}
    assert "/ask_beginner_route" in _buttons(result)


async def test_do_i_need_python_answers_about_python_and_why(
    executor: ActionExecutor, kb: KnowledgeBase
) -> None:
    result = await run_action(
        executor,
        "action_answer_skills",
        text="do I need python?",
        intent="ask_skills",
        entities=[entity("skill", "Python")],
    )
    python = kb.skill("python").item
    text = rendered(result)[0]
    assert text.startswith("Python belongs to")
    assert python.why in text and "R" in text


async def test_what_about_scrum_follows_up_on_agile_and_scrum(
    executor: ActionExecutor,
) -> None:
    result = await run_action(
        executor,
        "action_follow_up",
        text="and what about Scrum?",
        intent="follow_up",
        entities=[entity("skill", "Scrum")],
        slots={"topic": "salary"},
    )
    text = rendered(result)[0]
    assert text.startswith("Scrum belongs to Project management")
    assert slot_events(result)["topic"] == "skills"


async def test_salary_for_a_place_the_article_does_not_name(
    executor: ActionExecutor,
) -> None:
    result = await run_action(
        executor,
        "action_answer_salary",
        text="salary in Germany",
        intent="ask_salary",
        entities=[entity("location", "Germany")],
    )
    text = rendered(result)[0]
    assert result["responses"][0]["response"] == "utter_salary_unnamed_place"
    assert text.startswith(
        "The guide has nothing on Germany itself; for Europe it says"
    )
    assert not re.search(r"\d", text), "the bot must never give a figure"


async def test_and_in_canada_answers_on_the_last_topic(
    executor: ActionExecutor,
) -> None:
    first = await run_action(
        executor, "action_answer_salary", text="salary?", intent="ask_salary"
    )
    assert "Where are you based?" in rendered(first)[0]
    answered = slot_events(first)["answered"]
    result = await run_action(
        executor,
        "action_follow_up",
        text="and in Canada?",
        intent="follow_up",
        entities=[entity("location", "Canada")],
        slots={"topic": "salary", "answered": answered},
    )
    text = rendered(result)[0]
    assert text.startswith("Canada (North America):")
    assert "figures" not in text  # said once per conversation, in the first answer


async def test_dakar_answers_from_what_the_article_says_of_senegal(
    executor: ActionExecutor,
) -> None:
    result = await run_action(
        executor,
        "action_answer_salary",
        text="and Dakar",
        intent="ask_salary",
        entities=[entity("location", "Dakar")],
    )
    assert rendered(result)[0].startswith(
        "The guide doesn't mention Dakar itself, but about Senegal it says"
    )


async def test_a_place_outside_the_articles_regions(executor: ActionExecutor) -> None:
    result = await run_action(
        executor,
        "action_answer_salary",
        text="pay in Sydney",
        intent="ask_salary",
        entities=[entity("location", "Sydney")],
    )
    assert result["responses"][0]["response"] == "utter_salary_no_region"
    assert "nothing about pay in Sydney" in rendered(result)[0]


async def test_missions_follow_up_on_risk_and_budget(
    executor: ActionExecutor, kb: KnowledgeBase
) -> None:
    result = await run_action(
        executor,
        "action_answer_missions",
        text="what about managing risks and budgets?",
        intent="ask_missions",
    )
    mission = kb.mission("managing risks and budgets")
    assert rendered(result)[0] == (
        f"{mission.name}: {mission.detail}\n\n"
        f"(From the guide: “{mission.section.title}”.)"
    )


async def test_the_route_starts_from_the_visitors_background(
    executor: ActionExecutor, kb: KnowledgeBase
) -> None:
    result = await run_action(
        executor,
        "action_answer_beginner_route",
        text="can a beginner do it?",
        intent="ask_beginner_route",
        slots={"background": "teacher"},
    )
    text = rendered(result)[0]
    changer = kb.background("teacher")
    assert text.startswith("As a career changer:") and changer.start in text
    analyst = await run_action(
        executor,
        "action_answer_beginner_route",
        text="I'm a data analyst",
        intent="ask_beginner_route",
        entities=[entity("background", "data analyst")],
    )
    first_step = kb.route_for_background("data analyst").steps[0]
    assert f"{first_step.position}. {first_step.text}" in rendered(analyst)[0]
    assert "1. " not in rendered(analyst)[0]


async def test_the_honest_answer_for_a_beginner(
    executor: ActionExecutor, kb: KnowledgeBase
) -> None:
    result = await run_action(
        executor,
        "action_answer_beginner_route",
        text="can a beginner lead AI projects?",
        intent="ask_beginner_route",
    )
    assert rendered(result)[0].startswith(kb.snapshot().route.answer)


async def test_programmes_name_rncp_and_offer_to_apply(
    executor: ActionExecutor,
) -> None:
    result = await run_action(
        executor,
        "action_answer_programmes",
        text="what programmes do you have?",
        intent="ask_programs",
    )
    text = rendered(result)[0]
    assert "RNCP" in text and "machine learning" in text and "DevOps" in text
    assert _buttons(result)[0] == "/apply"


async def test_role_is_short_with_next_questions(executor: ActionExecutor) -> None:
    result = await run_action(
        executor, "action_answer_role", text="what is an AI PM?", intent="ask_role"
    )
    text = rendered(result)[0]
    assert "data scientists" in text
    assert len(text) < 600
    assert len(_buttons(result)) == 3


async def test_degrees_follow_up_on_cloud_certifications(
    executor: ActionExecutor, kb: KnowledgeBase
) -> None:
    result = await run_action(
        executor,
        "action_answer_degrees",
        text="what about cloud certifications",
        intent="ask_degrees",
    )
    assert rendered(result)[0].startswith(kb.pathway("cloud certifications").name)


async def test_a_question_asked_again_is_extended_not_repeated(
    executor: ActionExecutor,
) -> None:
    first = await run_action(
        executor, "action_answer_skills", text="skills?", intent="ask_skills"
    )
    again = await run_action(
        executor,
        "action_answer_skills",
        text="skills?",
        intent="ask_skills",
        slots={"answered": slot_events(first)["answered"]},
    )
    assert rendered(again)[0] != rendered(first)[0]
    assert rendered(again)[0].startswith("To recap")


async def test_where_does_this_come_from_names_sections_and_review_date(
    executor: ActionExecutor,
) -> None:
    result = await run_action(
        executor,
        "action_answer_source",
        text="source?",
        intent="ask_source",
        slots={"topic": "skills"},
    )
    text = rendered(result)[0]
    assert "“Skills for AI Project Management”" in text
    assert "25 November 2026" in text
    assert result["events"] == []


async def test_a_follow_up_without_topic_or_entity_asks_what_about(
    executor: ActionExecutor,
) -> None:
    result = await run_action(
        executor, "action_follow_up", text="tell me more", intent="follow_up"
    )
    assert result["responses"][0]["response"] == "utter_follow_up_no_topic"


async def test_the_database_down_gives_an_apology_and_a_person(
    tmp_path,
    monkeypatch,
    caplog,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setenv(
        "DATABASE_URL", f"sqlite:///{tmp_path / 'missing' / 'nothing.db'}"
    )
    clear_process_caches()
    caplog.set_level(logging.ERROR)
    result = await run_action(
        make_executor(),
        "action_answer_skills",
        text="skills",
        intent="ask_skills",
        sender_id="visitor-42",
    )
    assert result["responses"][0]["response"] == "utter_kb_unavailable"
    assert _buttons(result) == ["/request_human"]
    assert "visitor-42" in caplog.text
    clear_process_caches()


async def test_did_you_mean_offers_two_topics_in_words(
    executor: ActionExecutor,
) -> None:
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.5},
        {"name": "ask_salary", "confidence": 0.4},
        {"name": "out_of_scope", "confidence": 0.2},
        {"name": "ask_skills", "confidence": 0.1},
    ]
    result = await run_action(
        executor,
        "action_default_ask_affirmation",
        text="money?",
        intent="nlu_fallback",
        intent_ranking=ranking,
    )
    buttons = result["responses"][0]["buttons"]
    assert [b["title"] for b in buttons] == [
        "Salaries around the world",
        "The skills you need",
        "Something else",
    ]
    assert [b["payload"] for b in buttons] == [
        "/ask_salary",
        "/ask_skills",
        "/out_of_scope",
    ]


async def test_a_pathway_asked_after_the_overview_is_that_pathway(
    executor: ActionExecutor, kb: KnowledgeBase
) -> None:
    """Not a recap and "one we haven't covered yet": the one asked about."""
    result = await run_action(
        executor,
        "action_answer_degrees",
        text="and is an internship really worth doing?",
        intent="ask_degrees",
        slots={"answered": ["degrees"]},
    )
    (text,) = rendered(result)
    assert text.startswith(kb.pathway("internships").name)
    assert _buttons(result)[0] == "/ask_degrees"  # the overview, next
    assert slot_events(result)["answered"] == ["degrees", "degrees:internships"]


async def test_a_question_outside_the_guide_keeps_it_for_the_admissions_team(
    executor: ActionExecutor,
) -> None:
    result = await run_action(
        executor,
        "action_answer_programmes",
        text="how much does the master cost?",
        intent="ask_programs",
    )
    (text,) = rendered(result)
    assert text.startswith("The guide doesn't cover fees and funding")
    assert _buttons(result)[0] == "/request_human"
    slots = slot_events(result)
    assert slots["unanswered"] == "fees"
    assert slots["handoff_question"] == "how much does the master cost?"
    assert slots["topic"] == "programmes"  # a follow-up still continues it


async def test_the_not_covered_intent_without_a_known_subject(
    executor: ActionExecutor,
) -> None:
    result = await run_action(
        executor,
        "action_answer_not_covered",
        text="do you organise parties for students?",
        intent="ask_not_covered",
    )
    assert rendered(result)[0].startswith("The guide doesn't cover that")
    assert slot_events(result)["unanswered"] == "other"


async def test_unsure_answers_from_another_topic_before_did_you_mean(
    executor: ActionExecutor,
) -> None:
    answered = await run_action(
        executor,
        "action_answer_unsure",
        text="scrum, is that a thing for me?",
        intent="nlu_fallback",
    )
    assert rendered(answered)[0].startswith("Scrum belongs to")
    assert slot_events(answered)["unsure_answered"] is True
    unsure = await run_action(
        executor, "action_answer_unsure", text="blorp wug", intent="nlu_fallback"
    )
    assert unsure["responses"] == []
    assert slot_events(unsure) == {"unsure_answered": False, "unanswered": "fallback"}


# --- in French (the language slot says fr) --------------------------------------

FR = {"language": "fr"}


async def test_a_french_question_is_answered_from_the_french_knowledge_base(
    executor: ActionExecutor, kb: KnowledgeBase
) -> None:
    result = await run_action(
        executor,
        "action_answer_skills",
        text="faut-il savoir coder en python ?",
        intent="ask_skills",
        entities=[entity("skill", "Python")],
        slots=FR,
    )
    text = rendered(result, "fr")[0]
    python = kb.skill("Python").item
    assert python.fr["why"] in text and python.why not in text
    assert "D'après le guide" in text
    titles = [b["title"] for r in result["responses"] for b in r.get("buttons", [])]
    assert "Les cinq domaines de compétences" in titles  # the overview, in French
    assert slot_events(result)["answered"] == ["skills:python"]  # same key as English


async def test_a_french_salary_question_names_the_place_in_french(
    executor: ActionExecutor,
) -> None:
    result = await run_action(
        executor,
        "action_answer_salary",
        text="combien gagne un chef de projet IA à Genève ?",
        intent="ask_salary",
        entities=[entity("location", "Geneva")],
        slots=FR,
    )
    text = rendered(result, "fr")[0]
    assert "Genève" in text and "Geneva" not in text
    assert not re.search(r"\d", text.replace("AI2", ""))  # still no figure


async def test_a_french_question_outside_the_guide_says_so_in_french(
    executor: ActionExecutor,
) -> None:
    result = await run_action(
        executor,
        "action_answer_not_covered",
        text="combien coûtent les frais de scolarité ?",
        intent="ask_not_covered",
        slots=FR,
    )
    text = rendered(result, "fr")[0]
    assert "Le guide" in text and "frais de scolarité" in text
    assert "doesn't cover" not in text
    buttons = result["responses"][0]["buttons"]
    assert buttons[0] == {
        "title": "Contacter l'équipe des admissions",
        "payload": "/request_human",
    }


async def test_the_source_date_is_written_in_french(executor: ActionExecutor) -> None:
    result = await run_action(
        executor,
        "action_answer_source",
        text="d'où ça vient ?",
        intent="ask_source",
        slots={"topic": "skills", **FR},
    )
    assert "25 novembre 2026" in rendered(result, "fr")[0]


async def test_programme_buttons_are_titled_in_french_with_english_payloads(
    executor: ActionExecutor, kb: KnowledgeBase
) -> None:
    result = await run_action(
        executor,
        "action_ask_applicant_programme",
        text="Marie",
        intent="inform",
        active_loop="application_form",
        slots=FR,
    )
    buttons = result["responses"][0]["buttons"]
    programmes = kb.programmes()
    assert [b["title"] for b in buttons] == [p.fr["name"] for p in programmes]
    assert [b["payload"] for b in buttons] == [
        f'/inform{{"programme": "{p.name}"}}' for p in programmes
    ]
