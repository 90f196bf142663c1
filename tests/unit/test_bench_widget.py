"""The widget bench's arithmetic (scripts/bench_widget.py), without a browser:
bubble times after the send, median and worst, the targets and the report."""

from __future__ import annotations

from scripts.bench_widget import (
    FORM_LABELS,
    Answer,
    form_steps,
    markdown,
    summarise,
    summary,
    timing,
    within,
)


def answer(step: str, first: float | None, last: float | None, n: int = 1) -> Answer:
    return Answer(step, first, last, n if first is not None else 0, first is not None)


def test_timing_is_after_the_send_and_the_last_bubble_is_the_latest() -> None:
    assert timing(1000.0, [1420.4, 1830.0, 2260.26]) == (420.4, 1260.3, 3)
    assert timing(500.0, [900.0]) == (400.0, 400.0, 1)
    assert timing(500.0, []) == (None, None, 0)


def test_summary_gives_median_and_worst_and_counts_missing_answers() -> None:
    assert summary([300.0, 500.0, 1200.0, 400.0]) == {
        "median_ms": 450.0,
        "worst_ms": 1200.0,
        "runs": 4,
        "missing": 0,
    }
    assert summary([300.0, None]) == {
        "median_ms": 300.0,
        "worst_ms": 300.0,
        "runs": 1,
        "missing": 1,
    }
    assert summary([None]) == {
        "median_ms": None,
        "worst_ms": None,
        "runs": 0,
        "missing": 1,
    }


def test_targets_are_inclusive_and_a_missing_answer_misses_both() -> None:
    answers = [
        answer("a", 1000.0, 2000.0),
        answer("a", 1000.1, 2000.1),
        answer("a", None, None),
    ]
    assert within(answers) == {"first_within_1s": 1, "last_within_2s": 1, "sends": 3}


def test_summarise_per_step_in_order_overall_and_the_worst_step() -> None:
    runs = [
        [answer("greeting", 400.0, 400.0), answer("skills", 450.0, 1300.0, 3)],
        [answer("greeting", 420.0, 420.0), answer("skills", 430.0, 2100.0, 3)],
    ]
    figures = summarise(runs)
    assert list(figures["steps"]) == ["greeting", "skills"]
    skills = figures["steps"]["skills"]
    assert skills["last"]["median_ms"] == 1700.0
    assert skills["last"]["worst_ms"] == 2100.0
    assert skills["bubbles"] == [3]
    assert skills["last_within_2s"] == 1
    assert figures["overall"]["first"]["worst_ms"] == 450.0
    assert figures["overall"]["sends"] == 4
    assert figures["worst_step"] == "skills"


def test_each_run_applies_with_its_own_address() -> None:
    steps = form_steps(3)
    assert [s.label for s in steps] == [label for label, _ in FORM_LABELS]
    emails = [s.text for s in steps if "@" in s.text]
    assert emails == ["grace.console+bench3@example.org"]


def test_the_report_states_the_figures_and_the_machine() -> None:
    runs = [[answer("skills", 450.0, 1300.0, 3)], [answer("skills", 900.0, 2500.0)]]
    report = {
        "machine": "2 cores, Test CPU, Python 3.10",
        "runs": 2,
        "quiet_ms": 1500,
        "steps": [{"label": "skills", "text": "which skills do I need?"}],
        "figures": summarise(runs),
        "first_visitor": summarise(runs[:1]),
    }
    text = markdown(report)
    assert "2 cores, Test CPU, Python 3.10" in text
    row = "| skills | `which skills do I need?` | 1, 3 | 675 | 900 | 1,900 | 2,500 |"
    assert row in text
    assert "last bubble median 1,900 ms, worst 2,500 ms (skills)" in text
    assert "| 2/2, 1/2 |" in text


def test_the_first_visitor_after_a_start_has_a_section_of_its_own() -> None:
    later = [[answer("skills", 450.0, 1300.0, 3)], [answer("skills", 460.0, 1310.0)]]
    cold = [answer("skills", 4478.0, 4900.0, 3)]
    report = {
        "machine": "2 cores, Test CPU, Python 3.10",
        "runs": 2,
        "quiet_ms": 1500,
        "steps": [{"label": "skills", "text": "which skills do I need?"}],
        "ready_seconds": {"actions": 6.0, "rasa": 20.3},
        "figures": summarise(later),
        "first_visitor": summarise([cold]),
    }
    text = markdown(report)
    section = text[text.index("## The first visitor after a start") :]
    assert "start to ready: actions 6 s, rasa 20.3 s" in section
    row = "| skills | `which skills do I need?` | 3 | 4,478 | 4,900 | **no**, **no** |"
    assert row in section
    assert "within the targets 0/1, 0/1 (outside: skills 4,900 ms)." in section
    # The later visitors' figures leave the first one out.
    assert "first bubble median 455 ms, worst 460 ms" in text
