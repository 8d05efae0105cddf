"""Check-in storage: year-to-date expenditure, corrections, handled updates."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from conversations.checkin.confirm import confirm_draft
from monitoring.policy import DEFAULT_POLICY, Expenditure, Policy
from monitoring.weeks import Week
from storage.checkins import CheckIns
from storage.drafts import Drafts
from storage.models import CheckIn, Household, Person
from storage.models_runs import HandledUpdate
from storage.updates import Updates
from tests.conftest import import_examples

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


def answers(expense: str | None = None, **overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "visit_method": "home",
        "members": 2,
        "income_changed": True,
        "expected_income": "20000.00",
        "rigid_expense": expense is not None,
        "food": True,
        "clothing": True,
        "school_child": False,
        "medical": True,
        "treatment": True,
        "housing": True,
        "water": True,
        "note": None,
        "photo": None,
    }
    if expense is not None:
        base.update(expense_cause=["illness"], expense_amount=[expense], expense_more=[False])
    base.update(overrides)
    return base


def check_in(
    factory: sessionmaker[Session],
    week: Week,
    data: dict[str, Any],
    policy: Policy = DEFAULT_POLICY,
) -> Any:
    with factory() as s, s.begin():
        household = s.scalars(select(Household).where(Household.number == "LX01001")).one()
        helper = s.scalars(select(Person).where(Person.phone == "+8613800138001")).one()
        repo = CheckIns(s)
        draft = repo.start_draft(helper.id, household.id, week, now=NOW)
        Drafts(s).save(draft, answers=data, now=NOW)
        s.flush()
        return confirm_draft(s, draft, entered_by=helper.id, now=NOW, policy=policy)


@pytest.fixture
def roster(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    import_examples(session_factory)
    return session_factory


def test_expenditure_adds_up_over_the_year_and_a_correction_replaces_its_week(
    roster: sessionmaker[Session],
) -> None:
    first = check_in(roster, Week(2026, 40), answers("6000"))
    assert first.assessment.per_capita_income == Decimal(7000)  # (20000 - 6000) / 2
    second = check_in(roster, Week(2026, 41), answers("6000"))
    assert second.assessment.per_capita_income == Decimal(4000)  # 12000 spent this year
    assert second.assessment.level.value == "red"
    corrected = check_in(roster, Week(2026, 41), answers("1000"))
    assert corrected.correction is True
    assert corrected.assessment.per_capita_income == Decimal(6500)  # 7000 spent, not 13000
    other_year = check_in(roster, Week(2027, 1), answers(None))
    assert other_year.assessment.per_capita_income == Decimal(10000)
    with roster() as s:
        rows = s.scalars(select(CheckIn).order_by(CheckIn.id)).all()
        assert [(r.week, r.is_current) for r in rows] == [
            ("2026-W40", True),
            ("2026-W41", False),
            ("2026-W41", True),
            ("2027-W01", True),
        ]


def test_expenditure_of_the_last_twelve_months_when_the_policy_says_so(
    roster: sessionmaker[Session],
) -> None:
    twelve = replace(DEFAULT_POLICY, expenditure=Expenditure.LAST_12_MONTHS)
    check_in(roster, Week(2026, 40), answers("6000"), twelve)
    # 2027-W01: 2026-W40 is within the last 52 weeks: it still counts.
    later = check_in(roster, Week(2027, 1), answers(None), twelve)
    assert later.assessment.per_capita_income == Decimal(7000)  # (20000 - 6000) / 2
    # 2027-W40: 52 weeks on, it no longer does.
    year_on = check_in(roster, Week(2027, 40), answers(None), twelve)
    assert year_on.assessment.per_capita_income == Decimal(10000)
    # By calendar year (the default), 2027 starts afresh.
    assert check_in(roster, Week(2027, 2), answers(None)).assessment.per_capita_income == Decimal(
        10000
    )


def test_unchanged_income_uses_the_stored_or_the_roster_income(
    roster: sessionmaker[Session],
) -> None:
    # LX01001: 6800 per person last year, 5 people: 34,000 for the household.
    result = check_in(roster, Week(2026, 40), answers(None, income_changed=False, members=5))
    assert result.assessment.per_capita_income == Decimal(6800)
    check_in(roster, Week(2026, 41), answers(None, expected_income="25000.00", members=5))
    later = check_in(roster, Week(2026, 42), answers(None, income_changed=False, members=5))
    assert later.assessment.per_capita_income == Decimal(5000)  # the stored 25,000


def test_handled_updates_refuse_a_second_time_and_are_pruned(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as s, s.begin():
        Updates(s).record(1, now=NOW - timedelta(days=30))
        Updates(s).record(2, now=NOW)
    with pytest.raises(IntegrityError), session_factory() as s, s.begin():
        Updates(s).record(2, now=NOW)
    with session_factory() as s, s.begin():
        assert Updates(s).prune_handled(before=NOW - timedelta(days=14)) == 1
    with session_factory() as s:
        assert s.scalars(select(HandledUpdate.update_id)).all() == [2]


async def test_the_daily_housekeeping_job_forgets_old_update_ids_while_the_bot_runs(
    session_factory: sessionmaker[Session],
) -> None:
    from bot.schedule import job_specs
    from bot.settings import load_settings

    with session_factory() as s, s.begin():
        Updates(s).record(1, now=NOW - timedelta(days=15))
        Updates(s).record(2, now=NOW - timedelta(days=13))

    async def tx(work: Any) -> Any:
        with session_factory() as s, s.begin():
            return work(s)

    spec = job_specs(load_settings(_env_file=None))["housekeeping"]
    assert spec.crons == ["30 3 * * *"]  # daily
    await spec.run(NOW, tx, None)  # type: ignore[arg-type]
    with session_factory() as s:
        assert s.scalars(select(HandledUpdate.update_id)).all() == [2]
