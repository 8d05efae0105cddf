"""The rows of the ledger (台账), as the queries return them and the workbook writes them, and
the scope of a ledger (a township, or one of its villages)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from storage.models import (
    Household,
    Village,
)


@dataclass(frozen=True)
class Scope:
    """Which households: a township, one of its villages, or everything (both None)."""

    township_id: int | None = None
    village_id: int | None = None

    def apply(self, query: Any) -> Any:
        return in_place(query, self.township_id, self.village_id)


def in_place(
    query: Any,
    township_id: int | None,
    village_id: int | None,
    townships: Sequence[int] | None = None,
) -> Any:
    """`query` (joined to households and their villages) kept to a township, a set of
    townships (a county) and/or a village; None: no limit of that kind."""
    if township_id is not None:
        query = query.where(Village.township_id == township_id)
    if townships is not None:
        query = query.where(Village.township_id.in_(list(townships)))
    if village_id is not None:
        query = query.where(Household.village_id == village_id)
    return query


@dataclass(frozen=True)
class HouseholdLine:
    township: str
    village: str
    number: str
    head_name: str
    id_masked: str
    members: int
    category: str
    status: str
    last_year_income_per_capita: Decimal
    expected_income: Decimal | None
    helper: str | None
    last_week: str | None
    last_visit_at: datetime | None
    level: str | None
    open_alert: bool
    identified_on: date | None
    risk_types: list[str]
    has_labour: bool | None
    villager_group: str | None
    eliminated_at: datetime | None  # the risk marked eliminated (and not reinstated)
    national_code: str | None = None  # 系统户编号, the household's code in the national system


@dataclass(frozen=True)
class CheckInLine:
    village: str
    number: str
    head_name: str
    helper: str
    entered_by: str
    entered_at: datetime
    visit_method: str
    members: int
    income_changed: bool
    expected_income: Decimal
    per_capita_income: Decimal
    expense_total: Decimal
    expenses: list[dict[str, str]]
    food_ok: bool
    clothing_ok: bool
    education_ok: bool | None
    medical_ok: bool
    housing_ok: bool
    water_ok: bool
    level: str
    reasons: list[dict[str, Any]]
    policy_year: int  # the year of the lines it was assessed with
    note: str | None
    has_photo: bool
    corrected: bool
    # The figure with its parts (monitoring.income.NetIncome.as_json); None before 0024.
    income: dict[str, Any] | None = None

    def part(self, key: str) -> Decimal | None:
        """One part of the figure: a source, `gross` or `deduction` (None: not kept)."""
        value = (self.income or {}).get(key)
        return None if value is None else Decimal(str(value))


@dataclass(frozen=True)
class MemberLine:
    village: str
    number: str
    head_name: str
    name: str
    relation: str
    id_masked: str
    born_on: date | None
    labour: str | None
    health: str | None
    schooling: str | None
    insurance: str | None
    presence: str  # living, away, dead
    presence_since: date | None


@dataclass(frozen=True)
class MissedLine:
    village: str
    number: str
    head_name: str
    helper: str | None
    recorded_at: datetime


@dataclass(frozen=True)
class AlertLine:
    alert_id: int
    village: str
    number: str
    head_name: str
    opened_at: datetime
    reasons: list[dict[str, Any]]  # the red reasons of the check-in that opened it
    status: str
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    closed_at: datetime | None
    close_reason: str | None
    measures: int


@dataclass(frozen=True)
class MeasureLine:
    alert_id: int | None
    village: str
    number: str
    head_name: str
    kind: str  # category
    responsible: str  # the unit
    note: str | None  # what is to be done
    amount: Decimal | None
    deadline: date | None
    status: str
    reason: str | None  # why it was refused
    recorded_by: str
    recorded_at: datetime
    status_by: str | None  # the last change of status
    status_at: datetime | None
    taken_on: date | None  # delivered on


@dataclass(frozen=True)
class ProposalLine:
    proposal_id: int
    village: str
    head_name: str
    number: str | None
    members: int
    category: str
    risk_types: list[str]
    expected_income: Decimal
    proposer: str
    created_at: datetime
    status: str
    notice_posted_at: datetime | None
    county_decided_on: date | None
    county_document: str | None
    updated_at: datetime  # the last step's time: the chain's days for a finished proposal
    kind: str  # identify, eliminate
    lead_source: str | None  # the lead it came from (self, cadre, a department), if any
    lead_on: date | None  # that lead's day: the chain's clock starts there
    decisions: list[tuple[str, str, str, datetime, str | None]]  # step, decision, who, at, why


@dataclass(frozen=True)
class EliminationLine:
    village: str
    number: str
    head_name: str
    eliminated_by: str
    eliminated_at: datetime
    criteria: list[dict[str, Any]]
    override_reason: str | None
    reinstated_by: str | None
    reinstated_at: datetime | None
    reinstate_reason: str | None


@dataclass(frozen=True)
class ReferralLine:
    village: str
    number: str
    head_name: str
    referred_by: str
    referred_at: datetime
    criteria: list[dict[str, Any]]
    reason: str
