"""Compulsory-school age and when the check-in asks about it (monitoring/schooling.py), and the
member changes of a check-in as answers (monitoring/checkin_members.py): pure."""

from __future__ import annotations

from datetime import date

import pytest

from monitoring.checkin import QUESTION_BY_ID, AnswerError, Facts, editable, next_step, record
from monitoring.checkin_members import (
    Member,
    changes_of,
    living_after,
    offered,
    parse_day,
    start_facts,
)
from monitoring.confirmed import confirmed
from monitoring.members import Presence
from monitoring.questions import Step
from monitoring.schooling import (
    SchoolBasis,
    age_on,
    asked_this_school_year,
    of_school_age,
    school_basis,
    school_child_among,
    school_year_start,
)


def test_the_school_year_starts_on_1_september() -> None:
    assert school_year_start(date(2026, 8, 31)) == date(2025, 9, 1)
    assert school_year_start(date(2026, 9, 1)) == date(2026, 9, 1)
    assert school_year_start(date(2027, 1, 10)) == date(2026, 9, 1)
    assert age_on(date(2020, 2, 29), date(2026, 2, 28)) == 5
    assert age_on(date(2020, 2, 29), date(2026, 3, 1)) == 6


@pytest.mark.parametrize(
    ("born", "on", "school_age"),
    [
        # 6 by 31 August: from that 1 September; born on 1 September: a year later
        (date(2020, 8, 31), date(2026, 8, 31), False),
        (date(2020, 8, 31), date(2026, 9, 1), True),
        (date(2020, 9, 1), date(2026, 9, 1), False),
        (date(2020, 9, 1), date(2027, 8, 31), False),
        (date(2020, 9, 1), date(2027, 9, 1), True),
        # the last school year: 14 on 31 August, 15 during it
        (date(2011, 9, 1), date(2026, 9, 1), True),
        (date(2011, 9, 1), date(2027, 6, 30), True),
        (date(2011, 9, 1), date(2027, 9, 1), False),
        (date(2011, 8, 31), date(2026, 9, 1), False),
        (date(2011, 8, 31), date(2026, 8, 31), True),
    ],
)
def test_compulsory_school_age_at_its_boundaries(born: date, on: date, school_age: bool) -> None:
    assert of_school_age(born, on) is school_age


def test_what_the_members_birth_dates_tell() -> None:
    on = date(2026, 11, 24)
    assert school_child_among([date(1980, 1, 1), date(2018, 3, 3)], on) is True
    assert school_child_among([date(1980, 1, 1), None, date(2018, 3, 3)], on) is True
    assert school_child_among([date(1980, 1, 1), date(2026, 10, 3)], on) is False
    assert school_child_among([date(1980, 1, 1), None], on) is None
    assert school_child_among([], on) is False


def test_asked_again_from_each_1_september() -> None:
    assert asked_this_school_year(date(2026, 11, 24), date(2027, 8, 31))
    assert not asked_this_school_year(date(2026, 11, 24), date(2027, 9, 1))
    assert not asked_this_school_year(date(2026, 8, 31), date(2026, 9, 1))
    assert not asked_this_school_year(None, date(2026, 9, 1))
    on = date(2027, 9, 1)
    assert school_basis(True, None, None, on) is SchoolBasis.MEMBERS
    assert school_basis(False, True, date(2027, 9, 1), on) is SchoolBasis.MEMBERS
    assert school_basis(None, None, None, on) is SchoolBasis.ASK
    assert school_basis(None, False, date(2026, 11, 24), on) is SchoolBasis.ASK
    assert school_basis(None, False, date(2027, 9, 1), on) is SchoolBasis.KNOWN
    assert school_basis(None, True, None, on) is SchoolBasis.ASK  # day not known: asked


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2026-10-03", date(2026, 10, 3)),
        ("2026.10.3", date(2026, 10, 3)),
        ("2026/10/03", date(2026, 10, 3)),
        ("2026年10月3日", date(2026, 10, 3)),
        ("２０２６年１０月３日", date(2026, 10, 3)),
        ("20261003", date(2026, 10, 3)),
    ],
)
def test_a_birth_date_as_people_type_it(text: str, day: date) -> None:
    assert parse_day(text) == day


@pytest.mark.parametrize("text", ["十月三日", "2026-13-01", "2026-02-30", "10/3", ""])
def test_not_a_date(text: str) -> None:
    with pytest.raises(ValueError):
        parse_day(text)


FAMILY = [
    Member(1, "赵长生", "户主", Presence.LIVING, date(1980, 1, 1)),
    Member(2, "赵小明", "之子", Presence.LIVING, date(2018, 3, 3)),
    Member(3, "赵二", "之子", Presence.AWAY, date(2000, 5, 5)),
]
FACTS = Facts(members=2, has_school_child=None)


def started(members: list[Member] = FAMILY) -> dict[str, object]:
    facts = start_facts(members, day=date(2026, 11, 24), has_school_child=None, asked_on=None)
    return {"visit_method": "home", **facts}


def answer_all(answers: dict[str, object], *values: object) -> dict[str, object]:
    for value in values:
        step = next_step(answers, FACTS)
        assert step is not None
        answers = record(answers, step, value)
    return answers


def test_the_walker_asks_the_changes_instead_of_the_count() -> None:
    answers = started()
    step = next_step(answers, FACTS)
    assert step is not None and step.question.id == "member_changed"
    assert editable(answers, FACTS)[:2] == ("visit_method", "member_changed")
    assert "members" not in editable(answers, FACTS)
    assert "school_child" not in editable(answers, FACTS)  # the birth dates tell
    assert [v for v, _ in offered(answers, 0)] == ["born", "died", "left", "returned"]
    # a birth, then a return, each in its own round; the lists stay aligned by round
    answers = answer_all(answers, True, "born", "赵小宝", "son", "2026-10-03", True, "returned")
    step = next_step(answers, FACTS)
    assert step is not None and (step.question.id, step.round) == ("member_returned", 1)
    with pytest.raises(AnswerError):  # only someone away can come back
        QUESTION_BY_ID["member_returned"].check(answers, 1, "1", True)  # type: ignore[misc]
    who = QUESTION_BY_ID["member_returned"].check(answers, 1, "3", True)  # type: ignore[misc]
    answers = answer_all(answers, who, False)
    assert answers["member_name"] == ["赵小宝"] and answers["member_returned"] == [None, who]
    assert [(c.change.value, c.name, c.relation) for c in changes_of(answers)] == [
        ("born", "赵小宝", "之子"),
        ("returned", "赵二", "之子"),
    ]
    assert living_after(answers) == 4
    # no one away any more: a third round would not offer a return
    assert "returned" not in [v for v, _ in offered(answers, 2)]
    step = next_step(answers, FACTS)
    assert step is not None and step.question.id == "income_changed"


def test_the_last_one_living_can_not_leave_and_the_divisor_is_the_living() -> None:
    alone = [FAMILY[0], FAMILY[2]]
    answers = answer_all(started(alone), True, "left")
    check = QUESTION_BY_ID["member_left"].check
    assert check is not None
    with pytest.raises(AnswerError) as refused:
        check(answers, 0, "1", True)
    assert "natural end" in refused.value.hint
    two = answer_all(started(), True, "left")
    assert check(two, 0, "赵小明", False) == {"id": 2, "name": "赵小明"}  # a name typed
    with pytest.raises(AnswerError):
        check(two, 0, "赵二", False)  # away already: can not leave


def test_a_complete_check_in_with_members_counts_those_living() -> None:
    answers = answer_all(
        started(),
        False,  # no change in members
        False,  # income unchanged
        False,  # no rigid expenditure
        True,
        True,  # food, clothing
        False,  # no child out of school (赵小明, 8, is of school age)
        True,
        True,
        True,
        True,
        None,
        None,
    )
    done = confirmed(answers, FACTS)
    assert (done.members, done.school_child, done.member_changes) == (2, True, ())
    assert done.guarantees["education"] is True and not done.asked_school_child
    assert Step(QUESTION_BY_ID["members"]).question.applies(answers, FACTS, None) is False
