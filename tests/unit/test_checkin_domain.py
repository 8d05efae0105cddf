"""Answer parsing and the question walker."""

from __future__ import annotations

from decimal import Decimal

import pytest

from monitoring.amounts import AmountError, parse_amount, parse_count
from monitoring.checkin import (
    EDITABLE,
    QUESTIONS,
    AnswerError,
    Facts,
    Question,
    clear_for_edit,
    next_step,
    parse_text_answer,
    record,
)
from monitoring.confirmed import confirmed

FACTS = Facts(members=4, has_school_child=None)


@pytest.mark.parametrize(
    ("text", "yuan"),
    [
        ("4500", "4500"),
        ("4,500", "4500"),
        ("4 500", "4500"),
        ("1.2万", "12000"),
        ("3千", "3000"),
        ("４５００", "4500"),
        ("4500元", "4500"),
        ("１.２万元", "12000"),
        ("三千", "3000"),
        ("一万二", "12000"),
        ("12,345.5", "12345.5"),
        ("0", "0"),
        ("10000000", "10000000"),
        (" 800 元 ", "800"),
        ("4，500", "4500"),
    ],
)
def test_amounts_in_the_forms_people_type(text: str, yuan: str) -> None:
    assert parse_amount(text) == Decimal(yuan).quantize(Decimal("0.01"))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("-500", "negative"),
        ("负五百", "negative"),
        ("abc", "not_a_number"),
        ("", "empty"),
        ("10000000.01", "too_large"),
        ("2000万", "too_large"),
        ("4 5 0 0", "not_a_number"),
        ("45,00", "not_a_number"),
        ("1.2.3", "not_a_number"),
    ],
)
def test_bad_amounts_are_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(AmountError) as info:
        parse_amount(text)
    assert info.value.reason == reason


@pytest.mark.parametrize(
    ("text", "count"), [("3", 3), ("３", 3), ("三", 3), ("5人", 5), ("30", 30), ("1", 1)]
)
def test_member_counts(text: str, count: int) -> None:
    assert parse_count(text) == count


@pytest.mark.parametrize("text", ["0", "31", "2.5", "many", "-1", ""])
def test_bad_member_counts(text: str) -> None:
    with pytest.raises(ValueError):
        parse_count(text)


def walk(answers: dict[str, object], facts: Facts = FACTS) -> list[str]:
    """The ids the walker asks, answering each with the given value (or 'yes')."""
    asked: list[str] = []
    state: dict[str, object] = {}
    while (step := next_step(state, facts)) is not None:
        asked.append(step.question.id)
        state = record(state, step, answers.get(step.question.id, True))
        assert len(asked) < 100
    return asked


def test_questions_follow_from_answers() -> None:
    short = walk(
        {
            "income_changed": False,
            "rigid_expense": False,
            "school_child": False,
            "note": None,
            "photo": None,
        }
    )
    assert short == [
        "visit_method",
        "members",
        "income_changed",
        "rigid_expense",
        "food",
        "clothing",
        "school_child",
        "medical",
        "treatment",
        "housing",
        "water",
        "note",
        "photo",
    ]
    remembered = walk(
        {"income_changed": False, "rigid_expense": False}, Facts(members=4, has_school_child=False)
    )
    assert "school_child" not in remembered and "out_of_school" not in remembered


def test_expenditures_repeat_while_another_is_added() -> None:
    more = iter([True, True, False])
    state: dict[str, object] = {
        "visit_method": "home",
        "members": 3,
        "income_changed": False,
        "rigid_expense": True,
    }
    asked = []
    while (step := next_step(state, FACTS)) is not None and step.question.id.startswith("expense"):
        asked.append((step.question.id, step.round))
        if step.question.id == "expense_more":
            value: object = next(more)
        else:
            value = {"expense_cause": "illness", "expense_amount": "100.00"}[step.question.id]
        state = record(state, step, value)
    assert [a for a in asked if a[0] == "expense_more"] == [
        ("expense_more", 0),
        ("expense_more", 1),
        ("expense_more", 2),
    ]
    assert state["expense_amount"] == ["100.00", "100.00", "100.00"]


def test_editing_clears_the_question_and_what_follows_from_it() -> None:
    answers = {
        "income_changed": True,
        "expected_income": "1000.00",
        "rigid_expense": True,
        "expense_cause": ["illness"],
        "expense_amount": ["5.00"],
        "expense_more": [False],
        "food": True,
    }
    assert clear_for_edit(answers, "income_changed") == {
        k: v for k, v in answers.items() if k not in ("income_changed", "expected_income")
    }
    cleared = clear_for_edit(answers, "rigid_expense")
    assert not any(k.startswith("expense") for k in cleared) and "rigid_expense" not in cleared
    assert "expected_income" not in EDITABLE and "expense_cause" not in EDITABLE
    assert len(EDITABLE) == len(set(EDITABLE))


def test_confirmed_answers_map_questions_to_guarantees() -> None:
    answers = {
        "visit_method": "home",
        "members": 3,
        "income_changed": True,
        "expected_income": "9000.00",
        "rigid_expense": True,
        "expense_cause": ["illness", "other"],
        "expense_amount": ["100.00", "50.50"],
        "expense_more": [True, False],
        "food": True,
        "clothing": False,
        "school_child": True,
        "out_of_school": True,
        "medical": True,
        "treatment": False,
        "housing": True,
        "water": True,
        "note": None,
        "photo": None,
    }
    result = confirmed(answers, FACTS)
    assert result.expense_total == Decimal("150.50")
    assert result.guarantees == {  # insured, treatment not affordable: medical fails
        "food": True,
        "clothing": False,
        "education": False,
        "medical": False,
        "housing": True,
        "water": True,
    }
    with pytest.raises(ValueError):
        confirmed({"visit_method": "home"}, FACTS)


def test_typed_answers_are_validated_by_kind() -> None:
    by_id = {q.id: q for q in QUESTIONS if isinstance(q, Question)}
    assert parse_text_answer(by_id["income_changed"], "是") is True
    assert parse_text_answer(by_id["income_changed"], "没有") is False
    assert parse_text_answer(by_id["expected_income"], "2.4万") == "24000.00"
    assert parse_text_answer(by_id["members"], "６") == 6
    for question, text in [
        (by_id["income_changed"], "maybe"),
        (by_id["members"], "0"),
        (by_id["expected_income"], "-1"),
        (by_id["visit_method"], "家"),
    ]:
        with pytest.raises(AnswerError):
            parse_text_answer(question, text)
