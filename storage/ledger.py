"""The ledger (台账) of one week: the rows behind the XLSX export, one query per sheet.

Each function returns plain tuples in sheet order for a township, one of its villages, or (no
township) the whole deployment. The latest check-in per household is found in the same query,
by an index probe per household in scope (a GROUP BY over every check-in grew with the
province, not with the township: 2 s of a township's export at 1,000,000 households). Full ID
numbers leave this module only masked (last 4 digits)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from monitoring.measures import OPEN
from monitoring.people import mask_id_number
from monitoring.weeks import Week
from storage.ledger_lines import (
    AlertLine,
    CheckInLine,
    EliminationLine,
    HouseholdLine,
    MeasureLine,
    MissedLine,
    ProposalLine,
    ReferralLine,
    Scope,
)
from storage.models import (
    Alert,
    CheckIn,
    Elimination,
    EliminationReferral,
    HelperAssignment,
    Household,
    MissedVisit,
    Person,
    Proposal,
    ProposalDecision,
    Township,
    Village,
)
from storage.models_leads import Lead
from storage.models_measures import Measure


def _rows(
    session: Session, query: Any, convert: dict[int, Callable[[Any], Any]]
) -> list[list[Any]]:
    """The query's rows as lists, with the columns named in `convert` converted."""
    rows = []
    for row in session.execute(query):
        values = list(row)
        for index, function in convert.items():
            values[index] = function(values[index])
        rows.append(values)
    return rows


def _masked(id_number: str | None) -> str:
    return mask_id_number(id_number) if id_number else ""


def _red(reasons: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    return [r for r in reasons or [] if r.get("level") == "red"]


def households(session: Session, week: Week, scope: Scope) -> list[HouseholdLine]:
    """Every household in scope (monitored or not) with its latest check-in up to `week`."""
    last = aliased(CheckIn)
    latest = (  # (household, week) is unique among current check-ins
        select(CheckIn.id)
        .where(CheckIn.household_id == Household.id, CheckIn.is_current, CheckIn.week <= str(week))
        .order_by(CheckIn.week.desc())
        .limit(1)
        .correlate(Household)
        .scalar_subquery()
    )
    helper = aliased(Person)
    open_alert = (
        select(func.count(Alert.id))
        .where(Alert.household_id == Household.id, Alert.status == "open")
        .correlate(Household)
        .scalar_subquery()
    )
    eliminated = (
        select(func.max(Elimination.eliminated_at))
        .where(Elimination.household_id == Household.id, Elimination.reinstated_at.is_(None))
        .correlate(Household)
        .scalar_subquery()
    )
    query = scope.apply(
        select(
            Township.name,
            Village.name,
            Household.number,
            Household.head_name,
            Household.id_number,
            Household.members,
            Household.category,
            Household.status,
            Household.last_year_income_per_capita,
            Household.expected_income,
            helper.name,
            last.week,
            last.entered_at,
            last.level,
            open_alert,
            Household.identified_on,
            Household.risk_types,
            Household.has_labour,
            Household.villager_group,
            eliminated,
            Household.national_code,
        )
        .select_from(Household)
        .join(Village, Village.id == Household.village_id)
        .join(Township, Township.id == Village.township_id)
        .outerjoin(HelperAssignment, HelperAssignment.household_id == Household.id)
        .outerjoin(helper, helper.id == HelperAssignment.helper_id)
        .outerjoin(last, last.id == latest)
        .order_by(Township.name, Village.name, Household.number)
    )
    lists: dict[int, Callable[[Any], Any]] = {4: _masked, 14: bool, 16: lambda v: list(v or [])}
    return [HouseholdLine(*row) for row in _rows(session, query, lists)]


def checkins(session: Session, week: Week, scope: Scope) -> list[CheckInLine]:
    """The week's current check-ins with every answer."""
    helper, enterer = aliased(Person), aliased(Person)
    query = scope.apply(
        select(
            Village.name,
            Household.number,
            Household.head_name,
            helper.name,
            enterer.name,
            CheckIn.entered_at,
            CheckIn.visit_method,
            CheckIn.members,
            CheckIn.income_changed,
            CheckIn.expected_income,
            CheckIn.per_capita_income,
            CheckIn.expense_total,
            CheckIn.expenses,
            CheckIn.food_ok,
            CheckIn.clothing_ok,
            CheckIn.education_ok,
            CheckIn.medical_ok,
            CheckIn.housing_ok,
            CheckIn.water_ok,
            CheckIn.level,
            CheckIn.reasons,
            CheckIn.policy_year,
            CheckIn.note,
            CheckIn.photo_file_id.is_not(None),
            CheckIn.supersedes_id.is_not(None),
            CheckIn.income,
        )
        .select_from(CheckIn)
        .join(Household, Household.id == CheckIn.household_id)
        .join(Village, Village.id == Household.village_id)
        .join(helper, helper.id == CheckIn.helper_id)
        .join(enterer, enterer.id == CheckIn.entered_by)
        .where(CheckIn.week == str(week), CheckIn.is_current)
        .order_by(Village.name, Household.number)
    )
    lists: dict[int, Callable[[Any], Any]] = {
        12: lambda v: list(v or []),
        20: lambda v: list(v or []),
        25: lambda v: dict(v) if v else None,
    }
    return [CheckInLine(*row) for row in _rows(session, query, lists)]


def missed(session: Session, week: Week, scope: Scope) -> list[MissedLine]:
    query = scope.apply(
        select(
            Village.name,
            Household.number,
            Household.head_name,
            Person.name,
            MissedVisit.recorded_at,
        )
        .select_from(MissedVisit)
        .join(Household, Household.id == MissedVisit.household_id)
        .join(Village, Village.id == Household.village_id)
        .outerjoin(Person, Person.id == MissedVisit.helper_id)
        .where(MissedVisit.week == str(week))
        .order_by(Village.name, Household.number)
    )
    return [MissedLine(*row) for row in session.execute(query)]


def _overlapping(week: Week, tz: Any) -> Any:
    start, end = week.starts_at(tz), week.ends_at(tz)
    return and_(Alert.opened_at < end, or_(Alert.closed_at.is_(None), Alert.closed_at >= start))


def alerts(session: Session, week: Week, scope: Scope, *, tz: Any) -> list[AlertLine]:
    """Red warnings open at any moment of the week, with who acknowledged them."""
    acknowledger = aliased(Person)
    measures = (
        select(func.count(Measure.id))
        .where(Measure.alert_id == Alert.id)
        .correlate(Alert)
        .scalar_subquery()
    )
    query = scope.apply(
        select(
            Alert.id,
            Village.name,
            Household.number,
            Household.head_name,
            Alert.opened_at,
            CheckIn.reasons,
            Alert.status,
            acknowledger.name,
            Alert.acknowledged_at,
            Alert.closed_at,
            Alert.close_reason,
            measures,
        )
        .select_from(Alert)
        .join(Household, Household.id == Alert.household_id)
        .join(Village, Village.id == Household.village_id)
        .join(CheckIn, CheckIn.id == Alert.checkin_id)
        .outerjoin(acknowledger, acknowledger.id == Alert.acknowledged_by)
        .where(_overlapping(week, tz))
        .order_by(Alert.opened_at, Alert.id)
    )
    convert: dict[int, Callable[[Any], Any]] = {5: _red, 11: lambda n: int(n or 0)}
    return [AlertLine(*row) for row in _rows(session, query, convert)]


def measures(session: Session, week: Week, scope: Scope, *, tz: Any) -> list[MeasureLine]:
    """Measures for the week's red warnings, those recorded, moved on or delivered during the
    week, and those still open at its end: every field, with who recorded and last changed
    each."""
    recorder, changer = aliased(Person), aliased(Person)
    week_alerts = select(Alert.id).where(_overlapping(week, tz))
    start, end = week.starts_at(tz), week.ends_at(tz)
    query = scope.apply(
        select(
            Measure.alert_id,
            Village.name,
            Household.number,
            Household.head_name,
            Measure.kind,
            Measure.responsible,
            Measure.note,
            Measure.amount,
            Measure.deadline,
            Measure.status,
            Measure.reason,
            recorder.name,
            Measure.recorded_at,
            changer.name,
            Measure.status_at,
            Measure.taken_on,
        )
        .select_from(Measure)
        .join(Household, Household.id == Measure.household_id)
        .join(Village, Village.id == Household.village_id)
        .join(recorder, recorder.id == Measure.recorded_by)
        .outerjoin(changer, changer.id == Measure.status_by)
        .where(
            or_(
                Measure.alert_id.in_(week_alerts),
                Measure.taken_on.between(week.monday, week.sunday),
                and_(Measure.recorded_at >= start, Measure.recorded_at < end),
                and_(Measure.status_at >= start, Measure.status_at < end),
                and_(
                    Measure.status.in_([s.value for s in OPEN]),
                    Measure.recorded_at < end,
                ),
            )
        )
        .order_by(Measure.recorded_at, Measure.id)
    )
    return [MeasureLine(*row) for row in session.execute(query)]


def proposals(session: Session, week: Week, scope: Scope, *, tz: Any) -> list[ProposalLine]:
    """Every proposal made before the week's end, with its decisions (two queries)."""
    end = week.ends_at(tz)
    household = aliased(Household)
    query = (
        select(
            Proposal.id,
            Village.name,
            Proposal.head_name,
            func.coalesce(household.number, Proposal.number),
            Proposal.members,
            Proposal.category,
            Proposal.risk_types,
            Proposal.expected_income,
            Person.name,
            Proposal.created_at,
            Proposal.status,
            Proposal.notice_posted_at,
            Proposal.county_decided_on,
            Proposal.county_document,
            Proposal.updated_at,
            Proposal.kind,
            Lead.source,
            Lead.received_on,
        )
        .select_from(Proposal)
        .join(Village, Village.id == Proposal.village_id)
        .join(Person, Person.id == Proposal.proposer_id)
        .outerjoin(household, household.id == Proposal.household_id)
        .outerjoin(Lead, Lead.proposal_id == Proposal.id)
        .where(Proposal.created_at < end)
        .order_by(Proposal.id)
    )
    if scope.township_id is not None:
        query = query.where(Proposal.township_id == scope.township_id)
    if scope.village_id is not None:
        query = query.where(Proposal.village_id == scope.village_id)
    rows = _rows(session, query, {6: lambda v: list(v or [])})
    ids = [row[0] for row in rows]
    decisions: dict[int, list[tuple[str, str, str, datetime, str | None]]] = {}
    if ids:
        for pid, step, decision, who, at, why in session.execute(
            select(
                ProposalDecision.proposal_id,
                ProposalDecision.step,
                ProposalDecision.decision,
                Person.name,
                ProposalDecision.at,
                ProposalDecision.reason,
            )
            .join(Person, Person.id == ProposalDecision.person_id)
            .where(ProposalDecision.proposal_id.in_(ids))
            .order_by(ProposalDecision.id)
        ):
            decisions.setdefault(pid, []).append((step, decision, who, at, why))
    return [ProposalLine(*[*row, decisions.get(row[0], [])]) for row in rows]


def eliminations(session: Session, week: Week, scope: Scope, *, tz: Any) -> list[EliminationLine]:
    end = week.ends_at(tz)
    by, back = aliased(Person), aliased(Person)
    query = scope.apply(
        select(
            Village.name,
            Household.number,
            Household.head_name,
            by.name,
            Elimination.eliminated_at,
            Elimination.criteria,
            Elimination.override_reason,
            back.name,
            Elimination.reinstated_at,
            Elimination.reinstate_reason,
        )
        .select_from(Elimination)
        .join(Household, Household.id == Elimination.household_id)
        .join(Village, Village.id == Household.village_id)
        .join(by, by.id == Elimination.eliminated_by)
        .outerjoin(back, back.id == Elimination.reinstated_by)
        .where(Elimination.eliminated_at < end)
        .order_by(Elimination.eliminated_at, Elimination.id)
    )
    return [EliminationLine(*row) for row in _rows(session, query, {5: lambda v: list(v or [])})]


def referrals(session: Session, week: Week, scope: Scope, *, tz: Any) -> list[ReferralLine]:
    """Eliminations referred to the county (criteria not all holding), up to the week."""
    end = week.ends_at(tz)
    query = scope.apply(
        select(
            Village.name,
            Household.number,
            Household.head_name,
            Person.name,
            EliminationReferral.referred_at,
            EliminationReferral.criteria,
            EliminationReferral.reason,
        )
        .select_from(EliminationReferral)
        .join(Household, Household.id == EliminationReferral.household_id)
        .join(Village, Village.id == Household.village_id)
        .join(Person, Person.id == EliminationReferral.referred_by)
        .where(EliminationReferral.referred_at < end)
        .order_by(EliminationReferral.referred_at, EliminationReferral.id)
    )
    return [ReferralLine(*row) for row in _rows(session, query, {5: lambda v: list(v or [])})]
