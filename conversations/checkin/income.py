"""A check-in's income figure (monitoring/income.py) from its answers and what is stored:
the household's income by source, the 合规自付 or rigid expenditure of earlier visits, its
single figure. The same count gives the summary's preview and the confirmed assessment."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, tzinfo
from decimal import Decimal

from sqlalchemy.orm import Session

from monitoring.confirmed import ConfirmedAnswers, confirmed
from monitoring.income import Basis, IncomeParts, Method, NetIncome, Source, figure
from monitoring.policy import Policy
from monitoring.weeks import Week
from storage.checkins import CheckIns, DraftView
from storage.income import Incomes
from storage.models import Household


@dataclass(frozen=True)
class Counted:
    income: NetIncome
    changes: dict[Source, Decimal]  # the sources whose figure the check-in states anew


def single_figure(household: Household) -> Decimal:
    """The household's one figure for the year: as last recorded, else last year's
    per-capita income times its members (the roster's)."""
    if household.expected_income is not None:
        return household.expected_income
    return household.last_year_income_per_capita * household.members


def count_income(
    session: Session,
    household: Household,
    answers: ConfirmedAnswers,
    *,
    week: Week,
    day: date,
    policy: Policy,
) -> Counted:
    """The figure the check-in is assessed with, and the income statements it makes."""
    basis = answers.income_basis
    earlier = CheckIns(session).expenditure_before(household.id, week, policy.deduction_for(basis))
    deduction = earlier + answers.expense_total
    if basis is Basis.SINGLE:
        expected = answers.expected_income if answers.income_changed else None
        single = expected if expected is not None else single_figure(household)
        income = figure(
            Method.SINGLE, parts=None, single=single, deduction=deduction, members=answers.members
        )
        return Counted(income, {})
    before = Incomes(session).parts_on(household.id, day)
    parts: IncomeParts | None = before
    changes: dict[Source, Decimal] = {}
    if answers.income_changes:
        parts = (before or IncomeParts()).changed(answers.income_changes)
        changes = parts.differences(before)
    income = figure(
        Method.SOURCES,
        parts=parts,
        single=single_figure(household),
        deduction=deduction,
        members=answers.members,
    )
    return Counted(income, changes)


def local_day(now: datetime, tz: tzinfo) -> date:
    return now.astimezone(tz).date()


def with_preview(
    session: Session, view: DraftView, *, now: datetime, tz: tzinfo, policy: Policy
) -> DraftView:
    """The draft with the figure its answers would give, when all is answered (the summary
    shows it); as it is otherwise."""
    try:
        answers = confirmed(view.answers, view.household.facts)
    except ValueError:
        return view  # questions still to answer
    household = session.get(Household, view.household.id)
    if household is None:
        return view
    counted = count_income(
        session,
        household,
        answers,
        week=Week.parse(view.week),
        day=local_day(now, tz),
        policy=policy,
    )
    return replace(view, income=counted.income)


def draft_view(
    session: Session, person_id: int, week: Week, *, now: datetime, tz: tzinfo, policy: Policy
) -> DraftView | None:
    """The person's check-in being answered, with the figure once all is answered."""
    view = CheckIns(session).draft_view(person_id, week)
    if view is None:
        return None
    return with_preview(session, view, now=now, tz=tz, policy=policy)
