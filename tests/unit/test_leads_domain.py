"""Leads (monitoring/leads.py): the check deadline, overdue, who must check, outcomes."""

from __future__ import annotations

from datetime import date

import pytest

from monitoring.leads import (
    BadOutcome,
    Checker,
    Outcome,
    check_deadline,
    in_time,
    is_overdue,
    may_work,
    must_check,
    order_key,
    parse_source,
    record,
)
from monitoring.people import Role

MON = date(2026, 11, 23)


def test_a_lead_is_due_five_days_after_it_was_received_and_overdue_after() -> None:
    assert check_deadline(MON) == date(2026, 11, 28)
    assert check_deadline(MON, 3) == date(2026, 11, 26)
    assert not is_overdue(MON, None, date(2026, 11, 28), 5)
    assert is_overdue(MON, None, date(2026, 11, 29), 5)
    assert not is_overdue(MON, Outcome.NOT_FOUND, date(2026, 12, 29), 5)
    assert in_time(MON, date(2026, 11, 28), 5) and not in_time(MON, date(2026, 11, 29), 5)
    assert not in_time(MON, None, 5)


def test_overdue_leads_come_first_then_the_oldest() -> None:
    today = date(2026, 12, 1)
    received = [date(2026, 11, 30), date(2026, 11, 20), date(2026, 11, 29), date(2026, 11, 25)]
    ordered = sorted(received, key=lambda d: order_key(d, None, today, 5))
    assert ordered == [
        date(2026, 11, 20),
        date(2026, 11, 25),
        date(2026, 11, 29),
        date(2026, 11, 30),
    ]


def test_the_village_head_checks_their_village_and_the_staff_what_has_no_village() -> None:
    head = Checker(Role.VILLAGE_HEAD, 1, 10)
    staff = Checker(Role.TOWNSHIP_STAFF, 1, None)
    helper = Checker(Role.HELPER, 1, 10)
    assert must_check(head, township_id=1, village_id=10)
    assert not must_check(head, township_id=1, village_id=11)
    assert not must_check(head, township_id=1, village_id=None)
    assert must_check(staff, township_id=1, village_id=None)
    assert not must_check(staff, township_id=1, village_id=10)
    # a village whose head does not use the bot: the township's staff (found in review: such
    # a lead reached no one)
    assert must_check(staff, township_id=1, village_id=10, village_has_head=False)
    assert not must_check(head, township_id=1, village_id=10, village_has_head=False)
    assert may_work(staff, township_id=1, village_id=10)  # the staff oversee every village
    assert not may_work(staff, township_id=2, village_id=None)
    assert not may_work(helper, township_id=1, village_id=10)


def test_an_outcome_is_recorded_once_and_not_included_needs_a_reason() -> None:
    assert record(None, Outcome.NOT_FOUND, None) is None
    assert record(None, Outcome.EXCLUDED, "  收入  稳定 ") == "收入 稳定"
    with pytest.raises(BadOutcome):
        record(None, Outcome.EXCLUDED, "")
    with pytest.raises(BadOutcome):
        record(Outcome.MONITORED, Outcome.NOT_FOUND, None)


def test_a_source_is_a_department_name_never_a_number() -> None:
    assert parse_source(" 医保局 ") == "医保局"
    for bad in ("", "x" * 41, "13800000001", "self"):
        with pytest.raises(ValueError):
            parse_source(bad)
