"""Passages, their ranking and "outside the guide", on a seeded SQLite database."""

from __future__ import annotations

import pytest

from bot.answers import Advisor
from bot.knowledge.content import MONEY
from bot.knowledge.queries import KnowledgeBase
from tests.support.figures import FIGURE


def test_every_fact_is_a_passage_with_its_section_and_review_date(
    kb: KnowledgeBase,
) -> None:
    passages = {p.id: p for p in kb.passages()}
    assert len(passages) == len(kb.passages())  # ids are unique
    python = passages["skills:python"]
    assert python.text == kb.skill("python").item.why
    assert python.section == "I. Technical AI Foundations"
    assert python.reviewed_on.isoformat() == "2026-11-25"
    assert "python programming" in python.terms
    # One passage per row of each kind: a view of the tables, not a copy.
    kinds = [p.kind for p in passages.values()]
    assert kinds.count("pathway") == len(kb.pathways()) == 5
    assert kinds.count("mission") == 5
    assert kinds.count("step") == len(kb.snapshot().route.steps)
    assert kinds.count("overview") == 7
    for subject in kb.not_covered():  # what "nearby" names exists
        assert set(subject.nearby) <= set(passages)


@pytest.mark.parametrize(
    ("question", "topic", "expected"),
    [
        ("does an ai pm have to code in python?", "skills", "skills:python"),
        (
            "how important is talking to stakeholders",
            "skills",
            "skills:stakeholder-management",
        ),
        ("what does the agile side of the job involve", "skills", "skills:agile"),
        (
            "is a cloud cert from a big provider worth it",
            "degrees",
            "degrees:industry-certifications",
        ),
        ("what do i get from an internship", "degrees", "degrees:internships"),
        (
            "how does the pm keep risks and the budget under control",
            "missions",
            "missions:managing-risks-and-budgets",
        ),
        (
            "how do they evaluate how well the deployed system performs",
            "missions",
            "missions:evaluating-system-performance",
        ),
        (
            "are your master's titles recognised by the state?",
            "programmes",
            "programmes:rncp-titles",
        ),
        ("tell me about the devops master", "programmes", "programmes:master-devops"),
        ("i'm a developer, where do i start?", "beginner", "beginner:developer"),
        (
            "when do i get to run small engineering sprints",
            "beginner",
            "beginner:step-4",
        ),
        (
            "how does the role pay off for the company, return on investment wise",
            "role",
            "role:roi",
        ),
        ("does the guide give actual salary numbers", "salary", "salary:no-figures"),
    ],
)
def test_a_specific_question_leads_with_its_passage(
    advisor: Advisor, question: str, topic: str, expected: str
) -> None:
    choice = advisor.chooser().choose(question, topic)
    assert choice.kind == "passage"
    assert choice.passage.id == expected


def test_the_passage_answer_cites_its_section_and_offers_the_overview(
    advisor: Advisor,
) -> None:
    answer = advisor.reply("what do i get from an internship", "degrees")
    lead = answer.messages[0]
    assert "V. Hands-on Professional Internships" in lead.values["source"]
    assert lead.buttons[0].payload == "/ask_degrees"
    assert answer.key == "degrees:internships"


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("which skills do I need?", "skills"),
        ("what degrees are useful for this job", "degrees"),
        ("what are the missions of an ai project manager", "missions"),
        ("/ask_skills", "skills"),  # the overview button: no words
    ],
)
def test_a_general_question_keeps_the_overview(
    advisor: Advisor, question: str, topic: str
) -> None:
    assert advisor.chooser().choose(question, topic).kind == "overview"


@pytest.mark.parametrize(
    ("question", "subjects"),
    [
        ("how much does the master cost?", ["fees"]),
        ("how long does it take?", ["duration"]),
        ("is it online or in Paris?", ["format", "campus"]),
        ("when is the next intake", ["intakes"]),
        (
            "what are the admission requirements for the deep learning master",
            ["admission"],
        ),
        ("do you help with the student visa and accommodation?", ["visa", "housing"]),
        ("what's your job placement rate", ["placement"]),
        ("are the classes taught in english", ["teaching-language"]),
    ],
)
def test_outside_the_guide_is_said_plainly_with_the_admissions_team(
    advisor: Advisor, question: str, subjects: list[str]
) -> None:
    answer = advisor.reply(question, "programmes")
    assert answer.key == "not_covered:" + ",".join(subjects)
    assert answer.slots == {
        "unanswered": ",".join(subjects),
        "handoff_question": question,
    }
    say = answer.messages[0]
    assert say.response == "utter_not_covered"
    assert say.buttons[0].payload == "/request_human"
    said = " ".join(str(v) for v in say.values.values())
    assert not FIGURE.search(said) and not MONEY.search(said)


def test_admission_gives_the_degrees_the_guide_recommends(advisor: Advisor) -> None:
    answer = advisor.reply("what do i need to be admitted?", None)
    assert "five building blocks" in answer.messages[0].values["nearby"]


def test_a_salary_question_about_one_place_is_not_outside_the_guide(
    advisor: Advisor,
) -> None:
    choice = advisor.chooser().choose(
        "salary in Paris?", "salary", {"location": ["Paris"]}
    )
    assert choice.kind == "places"


def test_two_places_are_compared_in_one_reply_without_figures(advisor: Advisor) -> None:
    answer = advisor.reply(
        "what's the salary in Lyon compared to Montreal?",
        "salary",
        {"location": ["Lyon", "Montreal"]},
    )
    (say,) = answer.messages
    assert say.response == "utter_salary_compare"
    lines = say.values["lines"].splitlines()
    assert lines[0].startswith("- Lyon (in France, Europe)")
    assert lines[1].startswith("- Montréal (in Canada, North America)")
    assert "doesn't give any actual salary figures" in say.values["no_figures"]


def test_across_topics_a_clear_passage_answers_before_did_you_mean(
    advisor: Advisor,
) -> None:
    choice = advisor.chooser().choose("is scrum something i should know", None)
    assert (choice.kind, choice.passage.id) == ("passage", "skills:scrum")


def test_a_nonsense_question_is_left_to_did_you_mean(advisor: Advisor) -> None:
    assert advisor.reply("blorp fizzle wug", None) is None
    assert advisor.chooser().choose("blorp fizzle wug", "skills").kind == "overview"


@pytest.mark.parametrize(
    ("question", "topic", "expected"),
    [
        ("do i have to know pyhton?", "skills", "skills:python"),  # letters swapped
        (
            "is stakholder management important",
            "skills",
            "skills:stakeholder-management",
        ),
        ("what's the pay like in switzerlnd", None, "salary:switzerland"),
    ],
)
def test_a_misspelt_name_is_read_as_the_guides_word(
    advisor: Advisor, question: str, topic: str | None, expected: str
) -> None:
    choice = advisor.chooser().choose(question, topic)
    assert choice.passage is not None and choice.passage.id == expected


def test_an_english_word_is_never_respelt_as_a_name() -> None:
    from bot.answers.ranking import Speller

    speller = Speller(["paris", "python", "scrum"], is_word=lambda w: w in {"parts"})
    assert speller("which parts of the job") == "which parts of the job"
    assert speller("pyhton or scrun") == "python or scrum"
    assert speller("the guide") == "the guide"  # short words are left alone


def test_a_role_point_answers_when_the_nlu_says_missions(advisor: Advisor) -> None:
    # The role and the missions overlap in the article: a role point competes
    # in full when the NLU files a role question under missions.
    choice = advisor.chooser().choose(
        "is the pm the one who keeps everyone on the same page?", "missions"
    )
    assert choice.passage is not None and choice.passage.id == "role:bridge"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("what's the very first step?", "beginner:step-1"),
        ("and the final step?", "beginner:step-5"),
    ],
)
def test_a_route_step_is_found_by_its_order(
    advisor: Advisor, question: str, expected: str
) -> None:
    choice = advisor.chooser().choose(question, "beginner")
    assert choice.passage is not None and choice.passage.id == expected


def test_every_passage_has_the_words_visitors_use_for_it(kb: KnowledgeBase) -> None:
    missing = [p.id for p in kb.passages() if not p.keywords]
    assert missing == []


def test_a_pipeline_without_the_word_list_respells_nothing(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import spacy

    from bot.answers.ranking import SpacyLemmas
    from bot.nlp.build import KNOWN_WORDS_TABLE
    from bot.settings import get_settings

    nlp = spacy.load(get_settings().spacy_model_dir)
    nlp.get_pipe("lemmatizer").lookups.remove_table(KNOWN_WORDS_TABLE)
    nlp.to_disk(tmp_path / "older")
    older = SpacyLemmas(tmp_path / "older")
    current = SpacyLemmas(get_settings().spacy_model_dir)
    assert older.is_word("pyhton") and older.is_word("parts")
    assert current.is_word("parts") and not current.is_word("pyhton")


def test_without_ranking_the_topic_answers_about_its_entity(kb: KnowledgeBase) -> None:
    """ADVISOR_PASSAGE_RANKING=0, make bench's "before": no passage, no limits."""
    from bot.answers import Advisor
    from bot.answers.ranking import spacy_lemmas
    from bot.settings import get_settings

    unranked = Advisor(kb, spacy_lemmas(get_settings().spacy_model_dir), ranking=False)
    fees = unranked.reply("how much does the master cost?", "programmes")
    assert fees.key == unranked.answer("programmes").key
    python = unranked.reply("do I need python?", "skills", {"skill": ["Python"]})
    assert python.key == unranked.answer("skills", "Python").key
    assert unranked.reply("what is this?", None) is None


def test_a_keyword_phrase_said_whole_points_at_its_passage(advisor: Advisor) -> None:
    """ "first job" is the third step's, though "first" also names the first step."""
    choice = advisor.chooser().choose(
        "what kind of first job should i look for?", "beginner"
    )
    assert choice.passage is not None and choice.passage.id == "beginner:step-3"
    words = advisor.chooser().index.query_tokens("what kind of first job?")
    assert "~>beginner:step-3" in words
