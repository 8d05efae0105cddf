"""The risk-elimination criteria at their edges, and the proposal's typed answers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from monitoring.elimination import EliminationFacts, IncomeRecord, elimination_criteria
from monitoring.people import Role
from monitoring.proposals import (
    BadAnswer,
    Decision,
    Place,
    Refused,
    Status,
    chain_days,
    check_notice,
    decide,
    is_late,
    next_field,
    parse_county_decision,
    parse_head_name,
    parse_household_number,
)
from monitoring.weeks import Week

THIS_WEEK = Week(2026, 49)
WATCH = Decimal(6000)


def weeks_back(n: int) -> Week:
    week = THIS_WEEK
    for _ in range(n):
        week = week.previous()
    return week


def facts(**changes: object) -> EliminationFacts:
    base = dict(
        today=date(2026, 12, 1),
        identified_on=date(2026, 12, 1) - timedelta(days=200),
        incomes=tuple(IncomeRecord(weeks_back(n), Decimal(7000), WATCH) for n in range(26)),
        first_checkin=weeks_back(40),
        latest_level="green",
        open_red=False,
        measures=1,
        has_labour=True,
    )
    base.update(changes)
    return EliminationFacts(**base)  # type: ignore[arg-type]


def holds(f: EliminationFacts) -> dict[str, bool]:
    return {c.code: c.holds for c in elimination_criteria(f, THIS_WEEK)}


def test_a_household_meeting_every_criterion() -> None:
    assert all(holds(facts()).values())


def test_income_must_be_observed_for_26_weeks_and_never_below_the_watch_line() -> None:
    assert holds(facts(first_checkin=weeks_back(25)))["stable_income"]
    assert not holds(facts(first_checkin=weeks_back(24)))["stable_income"]
    twenty = tuple(IncomeRecord(weeks_back(n), Decimal(7000), WATCH) for n in range(20))
    assert holds(facts(incomes=twenty))["stable_income"]
    assert not holds(facts(incomes=twenty[:19]))["stable_income"]
    one_low = (IncomeRecord(weeks_back(3), Decimal("5999.99"), WATCH), *facts().incomes[1:])
    assert not holds(facts(incomes=one_low))["stable_income"]
    at_line = (IncomeRecord(weeks_back(3), WATCH, WATCH), *facts().incomes[1:])
    assert holds(facts(incomes=at_line))["stable_income"]


def test_half_a_year_labour_measures_and_open_warnings() -> None:
    today = date(2026, 12, 1)
    assert holds(facts(identified_on=today - timedelta(days=182)))["half_year"]
    assert not holds(facts(identified_on=today - timedelta(days=181)))["half_year"]
    assert not holds(facts(has_labour=None))["labour"]
    assert not holds(facts(has_labour=False))["labour"]
    assert not holds(facts(measures=0))["measure_taken"]
    # one delivered measure is not enough when it covers none of the household's risks
    assert not holds(facts(risks=("food",), delivered=("employment",)))["measure_taken"]
    assert holds(facts(risks=("food",), delivered=("relief",)))["measure_taken"]
    assert not holds(facts(open_red=True))["no_open_red"]
    assert not holds(facts(latest_level="watch"))["latest_green"]


def test_typed_answers() -> None:
    assert parse_head_name(" 刘大海 ") == "刘大海"
    assert parse_head_name("Ａｌｉ Khan") == "Ali Khan"
    for bad in ("刘", "12", "刘大海1", "x" * 21):
        with pytest.raises(ValueError):
            parse_head_name(bad)
    assert parse_household_number(" lx01012 ") == "LX01012"
    for bad in ("", "LX 01", "-LX", "户01"):
        with pytest.raises(ValueError):
            parse_household_number(bad)


def test_the_questions_come_in_order_and_risks_need_done() -> None:
    assert next_field({}) == "village_id"
    answers: dict[str, object] = {"village_id": 1, "head_name": "刘大海", "number": ""}
    assert next_field(answers) == "members"
    answers.update(members=4, category="marginal", risk_types=["illness"])
    assert next_field(answers) == "risk_types"  # still choosing
    answers["risk_types_done"] = True
    assert next_field(answers) == "expected_income"


QINGSHAN, SHIQIAO = Place(1, 10), Place(1, 11)
STAFF_PLACE, OTHER_TOWNSHIP = Place(1, None), Place(2, None)


def test_the_proposal_steps_who_decides_and_where_it_leads() -> None:
    head, staff = Role.VILLAGE_HEAD, Role.TOWNSHIP_STAFF
    chain = [
        (Status.VILLAGE, Decision.APPROVE, head, QINGSHAN, Status.NOTICE),
        (Status.NOTICE, Decision.POST, head, QINGSHAN, Status.NOTICE),
        (Status.NOTICE, Decision.OBJECT, head, QINGSHAN, Status.NOTICE),
        (Status.NOTICE, Decision.APPROVE, head, QINGSHAN, Status.TOWNSHIP),
        (Status.NOTICE, Decision.REJECT, head, QINGSHAN, Status.REJECTED),
        (Status.TOWNSHIP, Decision.APPROVE, staff, STAFF_PLACE, Status.COUNTY),
        (Status.TOWNSHIP, Decision.REJECT, staff, STAFF_PLACE, Status.REJECTED),
        (Status.COUNTY, Decision.APPROVE, staff, STAFF_PLACE, Status.HELPER),
        (Status.COUNTY, Decision.REJECT, staff, STAFF_PLACE, Status.REJECTED),
        (Status.HELPER, Decision.ASSIGN, staff, STAFF_PLACE, Status.APPROVED),
    ]
    for status, decision, role, where, after in chain:
        assert decide(status, status.value, decision, role, where, QINGSHAN) is after
    refusals = [
        (Status.VILLAGE, "village", Decision.APPROVE, head, SHIQIAO),  # another village's head
        (Status.VILLAGE, "village", Decision.APPROVE, staff, STAFF_PLACE),  # staff: not yet
        (Status.NOTICE, "village", Decision.APPROVE, head, QINGSHAN),  # decided already
        (Status.NOTICE, "notice", Decision.APPROVE, staff, STAFF_PLACE),  # the village's step
        (Status.TOWNSHIP, "township", Decision.APPROVE, staff, OTHER_TOWNSHIP),
        (Status.COUNTY, "county", Decision.APPROVE, head, QINGSHAN),
        (Status.VILLAGE, "village", Decision.POST, head, QINGSHAN),  # no notice before review
        (Status.HELPER, "helper", Decision.REJECT, staff, STAFF_PLACE),  # registered by now
        (Status.REJECTED, "rejected", Decision.APPROVE, staff, STAFF_PLACE),
        (Status.TOWNSHIP, "township", Decision.APPROVE, Role.HELPER, QINGSHAN),
    ]
    for status, step, decision, role, where in refusals:
        with pytest.raises(Refused):
            decide(status, step, decision, role, where, QINGSHAN)


def test_county_staff_named_for_the_township_take_the_county_step_and_only_that() -> None:
    county, staff = Role.COUNTY_STAFF, Role.TOWNSHIP_STAFF
    after = decide(
        Status.COUNTY, "county", Decision.APPROVE, county, STAFF_PLACE, QINGSHAN, county_staff=True
    )
    assert after is Status.HELPER
    with pytest.raises(Refused) as refused:  # the township staff, once county staff are named
        decide(
            Status.COUNTY,
            "county",
            Decision.APPROVE,
            staff,
            STAFF_PLACE,
            QINGSHAN,
            county_staff=True,
        )
    assert "county staff" in refused.value.msgid
    for status, role, where, named in [
        (Status.COUNTY, county, STAFF_PLACE, False),  # none named: the township staff decide
        (Status.COUNTY, county, OTHER_TOWNSHIP, True),  # another township's county staff
        (Status.TOWNSHIP, county, STAFF_PLACE, True),  # the township's own review
        (Status.HELPER, county, STAFF_PLACE, True),  # the helper: the township chooses
    ]:
        with pytest.raises(Refused):
            decide(
                status, status.value, Decision.APPROVE, role, where, QINGSHAN, county_staff=named
            )


def test_the_notice_is_posted_once_and_its_period_runs_out_before_the_township() -> None:
    posted = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    check_notice(Decision.POST, None, posted, 5)
    for decision in (Decision.APPROVE, Decision.OBJECT):
        with pytest.raises(Refused):
            check_notice(decision, None, posted, 5)  # not posted yet
    with pytest.raises(Refused):
        check_notice(Decision.POST, posted, posted, 5)  # posted once
    check_notice(Decision.OBJECT, posted, posted + timedelta(days=1), 5)
    with pytest.raises(Refused) as early:
        check_notice(Decision.APPROVE, posted, posted + timedelta(days=4, hours=1), 5)
    assert early.value.params == {"days": 1}
    check_notice(Decision.APPROVE, posted, posted + timedelta(days=5), 5)


def test_deadlines_per_step_and_the_chain() -> None:
    since = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    assert not is_late(Status.VILLAGE, since, since + timedelta(days=3))
    assert is_late(Status.VILLAGE, since, since + timedelta(days=3, seconds=1))
    assert not is_late(Status.NOTICE, since, since + timedelta(days=7))  # 5 days and 2
    assert is_late(Status.NOTICE, since, since + timedelta(days=4), notice_days=1)
    assert not is_late(Status.APPROVED, since, since + timedelta(days=99))
    assert chain_days(since, since + timedelta(days=15, hours=3)) == 15


def test_the_county_decision_is_a_date_and_a_document_number() -> None:
    today, reported = date(2026, 12, 2), date(2026, 11, 20)
    assert parse_county_decision("2026-12-01 永农发〔2026〕12号", today, reported=reported) == (
        date(2026, 12, 1),
        "永农发〔2026〕12号",
    )
    # The day of the report itself is fine; a formula-like number is kept as typed (the
    # ledger writes it as text).
    assert parse_county_decision("2026-11-20 =HYPERLINK(x)", today, reported=reported) == (
        date(2026, 11, 20),
        "=HYPERLINK(x)",
    )
    for bad in ("下周", "2026-12-01", "永农发〔2026〕12号"):
        with pytest.raises(BadAnswer) as refused:
            parse_county_decision(bad, today, reported=reported)
        assert "e.g." in refused.value.msgid
    with pytest.raises(BadAnswer) as refused:
        parse_county_decision("2026-12-09 永农发12号", today, reported=reported)
    assert "future" in refused.value.msgid
    for early in ("2026-11-19 永农发〔2026〕12号", "2015-01-02 永农发〔2015〕1号"):
        with pytest.raises(BadAnswer) as refused:
            parse_county_decision(early, today, reported=reported)
        assert "reported" in refused.value.msgid and refused.value.params == {"day": "2026-11-20"}
    for private in (
        "2026-12-01 永农发〔2026〕12号 13800138000",
        "2026-12-01 500118197511021743",
        "2026-12-01 =HYPERLINK(x) 138-0013-8000",
    ):
        with pytest.raises(BadAnswer) as refused:
            parse_county_decision(private, today, reported=reported)
        assert "phone or ID number" in refused.value.msgid
