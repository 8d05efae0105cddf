"""A measure as a task: its states, who carries it out, the units it may go to."""

from __future__ import annotations

import pytest

from monitoring.measures import (
    CIVIL_AFFAIRS,
    HELPER,
    SOCIAL_SECURITY,
    VILLAGE,
    BadMove,
    Doer,
    Status,
    carries_out,
    move,
    tells_household,
    units_for,
)
from monitoring.people import Role


def test_a_task_goes_pending_in_progress_delivered() -> None:
    status, _ = move(Status.PENDING, Status.IN_PROGRESS)
    assert status is Status.IN_PROGRESS
    assert move(status, Status.DONE) == (Status.DONE, None)
    assert move(Status.PENDING, Status.DONE) == (Status.DONE, None)


def test_a_refusal_needs_a_reason_and_keeps_it_tidy() -> None:
    assert move(Status.IN_PROGRESS, Status.REFUSED, "  不符合  条件 ") == (
        Status.REFUSED,
        "不符合 条件",
    )
    for reason in (None, "", "   "):
        with pytest.raises(BadMove):
            move(Status.PENDING, Status.REFUSED, reason)
    with pytest.raises(BadMove):
        move(Status.PENDING, Status.DONE, "a reason for nothing")


@pytest.mark.parametrize("final", [Status.DONE, Status.REFUSED])
@pytest.mark.parametrize("to", list(Status))
def test_delivered_and_refused_are_final(final: Status, to: Status) -> None:
    with pytest.raises(BadMove):
        move(final, to, "x")


def test_no_step_back_and_no_step_in_place() -> None:
    with pytest.raises(BadMove):
        move(Status.IN_PROGRESS, Status.PENDING)
    with pytest.raises(BadMove):
        move(Status.IN_PROGRESS, Status.IN_PROGRESS)


def test_the_household_hears_only_of_delivery_and_refusal() -> None:
    assert [s for s in Status if tells_household(s)] == [Status.DONE, Status.REFUSED]


def test_each_unit_is_carried_out_by_its_own_people() -> None:
    head = Doer(1, Role.VILLAGE_HEAD, None, village_id=7)
    other_head = Doer(2, Role.VILLAGE_HEAD, None, village_id=8)
    helper = Doer(3, Role.HELPER, None, village_id=7)
    civil = Doer(4, Role.UNIT_STAFF, CIVIL_AFFAIRS, village_id=None)
    social = Doer(5, Role.UNIT_STAFF, SOCIAL_SECURITY, village_id=None)
    staff = Doer(6, Role.TOWNSHIP_STAFF, None, village_id=None)

    def who(unit: str) -> list[int]:
        everyone = (head, other_head, helper, civil, social, staff)
        return [d.person_id for d in everyone if carries_out(d, unit, village_id=7, helper_id=3)]

    assert who(VILLAGE) == [1]
    assert who(HELPER) == [3]
    assert who(CIVIL_AFFAIRS) == [4]
    assert who(SOCIAL_SECURITY) == [5]
    assert who("镇农业服务中心") == []


def test_the_seeds_units_for_a_category_come_first_then_the_others_once() -> None:
    assert units_for("relief", ["镇农业服务中心", CIVIL_AFFAIRS]) == [
        CIVIL_AFFAIRS,
        VILLAGE,
        HELPER,
        SOCIAL_SECURITY,
        "镇农业服务中心",
    ]
    assert units_for("employment")[:2] == [SOCIAL_SECURITY, HELPER]
    assert units_for("industry")[:2] == [VILLAGE, HELPER]


def test_a_deadline_reminder_is_owed_when_soon_due_or_overdue_and_only_while_open() -> None:
    from datetime import date

    from monitoring.measures import Due, due_stage, plan_overdue

    today = date(2026, 11, 25)
    assert due_stage(Status.PENDING, date(2026, 11, 28), today) is None  # three days ahead
    assert due_stage(Status.PENDING, date(2026, 11, 27), today) is Due.SOON
    assert due_stage(Status.IN_PROGRESS, today, today) is Due.SOON  # due today: not overdue
    assert due_stage(Status.PENDING, date(2026, 11, 24), today) is Due.OVERDUE
    assert due_stage(Status.DONE, date(2026, 11, 24), today) is None
    assert due_stage(Status.REFUSED, date(2026, 11, 26), today) is None
    assert due_stage(Status.PENDING, None, today) is None
    assert not plan_overdue(date(2026, 11, 23), 0, today, 3)
    assert plan_overdue(date(2026, 11, 22), 0, today, 3)
    assert not plan_overdue(date(2026, 11, 1), 1, today, 3)
