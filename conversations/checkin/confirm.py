"""Confirming a check-in: the use case that assesses the answers (`monitoring.risk.assess`),
stores the week's check-in with its audit, updates the household's facts, and opens, widens
or closes its warning (queueing the group messages) — all in the caller's one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy.orm import Session

from conversations.checkin.income import count_income
from monitoring.checkin import Facts
from monitoring.confirmed import ConfirmedAnswers, confirmed
from monitoring.income import Basis, NetIncome
from monitoring.policy import DEFAULT_POLICY, Policy
from monitoring.risk import Assessment, Situation, assess
from monitoring.weeks import Week
from storage.alerts import NO_CHANGE, AlertChange, Alerts
from storage.checkins import CheckIns
from storage.income import Incomes
from storage.members import HouseholdMembers
from storage.models import CheckIn, Draft, Household
from storage.repositories import Audit, Households


@dataclass(frozen=True)
class ConfirmResult:
    check_in_id: int
    household_number: str
    assessment: Assessment
    correction: bool
    previous_level: str | None
    income: NetIncome
    alert: AlertChange = NO_CHANGE


def confirm_draft(
    session: Session,
    draft: Draft,
    *,
    entered_by: int,
    now: datetime,
    policy: Policy = DEFAULT_POLICY,
    close_after_green: int = 2,
    tz: tzinfo | None = None,
) -> ConfirmResult:
    """Assess the draft and store it as the week's check-in, in the caller's transaction.

    A second check-in in the same week is a correction: it becomes current, the earlier one
    stays in history, and the audit shows both. Household facts the check-in changed
    (members, expected income, school-age child; income by source as statements from the
    visit's day, `tz`'s date of `now`) are updated with audit rows. A change of
    the household's red state opens, widens or closes its alert and queues the group
    messages (outbox) in the same transaction."""
    repo, audit = CheckIns(session), Audit(session)
    household = session.get(Household, draft.subject_id)
    assert household is not None
    week = Week.parse(str(draft.week))
    facts = Facts(household.members, household.has_school_child)
    answers: ConfirmedAnswers = confirmed(dict(draft.answers or {}), facts)

    day = now.astimezone(tz).date() if tz is not None else now.date()
    actor = f"person:{entered_by}"
    previous = repo.current(household.id, week)
    previous_any = repo.last_levels([household.id]).get(household.id)
    if previous is not None:
        # A correction: the earlier check-in's income statements stop counting first.
        previous.is_current = False
        session.flush()  # the unique "current per week" index must see it first
    counted = count_income(session, household, answers, week=week, day=day, policy=policy)
    income = counted.income
    situation = Situation(
        members=answers.members,
        expected_income=income.gross,
        rigid_expenditure_this_year=income.deduction,
        last_year_income_per_capita=household.last_year_income_per_capita,
        last_year_members=household.members,
        guarantees=answers.guarantees,
    )
    township = Households(session).township_name(household)
    assessment = assess(situation, policy.lines_for(week.year, township))
    assert assessment.per_capita_income == income.per_capita  # one figure, one way

    guarantees = answers.guarantees
    row = CheckIn(
        household_id=household.id,
        week=str(week),
        helper_id=draft.person_id,
        entered_by=entered_by,
        entered_at=now,
        visit_method=answers.visit_method,
        members=answers.members,
        income_changed=answers.income_changed,
        expected_income=income.gross,
        expenses=[{"cause": e.cause, "amount": str(e.amount)} for e in answers.expenses],
        expense_total=answers.expense_total,
        food_ok=bool(guarantees["food"]),
        clothing_ok=bool(guarantees["clothing"]),
        education_ok=guarantees["education"],
        medical_ok=bool(guarantees["medical"]),
        housing_ok=bool(guarantees["housing"]),
        water_ok=bool(guarantees["water"]),
        note=answers.note,
        photo_file_id=answers.photo,
        level=assessment.level.value,
        reasons=[r.as_json() for r in assessment.reasons],
        per_capita_income=assessment.per_capita_income,
        income=income.as_json(),
        policy_year=assessment.year,
        is_current=True,
        supersedes_id=previous.id if previous else None,
    )
    session.add(row)
    session.flush()
    audit.record(
        now=now,
        actor=actor,
        action="correct" if previous else "checkin",
        entity="checkin",
        key=f"{household.number}/{week}",
        field="level",
        old=f"#{previous.id} {previous.level}" if previous else None,
        new=f"#{row.id} {row.level}",
    )
    if counted.changes:
        Incomes(session).record(
            household, counted.changes, valid_from=day, now=now, actor=actor, checkin_id=row.id
        )
    changes: dict[str, Any] = {"members": answers.members}
    if answers.member_changes:
        # Births, deaths, departures, returns (audited); the members living in the household
        # after them (answers.members, the divisor, counted the same way) are its count.
        living = HouseholdMembers(session).record(
            household, answers.member_changes, day=day, now=now, actor=actor
        )
        changes["members"] = max(living, 1)
    if answers.income_changed and answers.income_basis is Basis.SINGLE:
        changes["expected_income"] = income.gross
    if answers.school_child is not None:
        changes["has_school_child"] = answers.school_child
    if answers.asked_school_child:
        household.school_child_asked_on = day  # asked again from next 1 September
    audit.update_fields(
        household, changes, now=now, actor=actor, entity="household", key=household.number
    )
    session.delete(draft)
    # A household turning red queues its warnings in this same transaction.
    alert = Alerts(session).on_checkin(
        household, row, assessment, now=now, close_after_green=close_after_green
    )
    return ConfirmResult(
        row.id, household.number, assessment, previous is not None, previous_any, income, alert
    )
