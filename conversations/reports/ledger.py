"""The ledger (台账) as an XLSX workbook: /export and `fangfanpin export` write the same file.

Sheets: households, the week's check-ins with every answer, missed visits, red warnings with
their acknowledgements, and measures. Headers are in the reader's language, the header row is
frozen, columns have widths, amounts are numbers, dates are dates (local time, as Excel has no
time zones), and ID numbers are masked except the last 4 digits (done in `storage.ledger`).
openpyxl's write-only mode streams rows, so a 10,000-household township stays in little memory.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from conversations.leads.texts import source_name
from conversations.proposals import names
from conversations.reports.sheets import (
    DATE_FORMAT,
    DATETIME_FORMAT,
    MONEY_FORMAT,
    Cells,
    Column,
    money,
    write_sheet,
)
from conversations.tasks.work import STATUS_NAMES as TASK_STATUS_NAMES
from conversations.texts import LEVEL_NAMES
from conversations.warnings.texts import MEASURE_NAMES, RESPONSIBLE_NAMES
from monitoring.checkin import VISIT_OPTIONS
from monitoring.i18n import N_, Translator
from monitoring.leads import reported_at
from monitoring.people import Category, HouseholdStatus
from monitoring.proposals import RISK_TYPES, Status, chain_days
from monitoring.weeks import Week
from storage import ledger, ledger_members, natural_ends
from storage import ledger_lines as lines
from storage.ledger_lines import Scope
from storage.natural_ends import NaturalEndLine

# openpyxl is imported where a workbook is built: a process that never exports (a restart, a
# check-in) should not pay for it.
if TYPE_CHECKING:
    from openpyxl import Workbook

CATEGORY_NAMES = {
    Category.UNSTABLE.value: N_("unstable after leaving poverty"),
    Category.MARGINAL.value: N_("marginal, prone to poverty"),
    Category.SUDDEN_HARDSHIP.value: N_("sudden severe hardship"),
}
STATUS_NAMES = {
    HouseholdStatus.MONITORED.value: N_("monitored"),
    HouseholdStatus.ELIMINATED.value: N_("risk eliminated"),
    HouseholdStatus.ENDED.value: N_("natural end"),
}
CLOSE_NAMES = {
    "green": N_("two green check-ins"),
    "eliminated": N_("risk eliminated"),
    "ended": N_("natural end"),
}
CRITERION_NAMES = {
    "stable_income": N_("stable income above the watch line"),
    "latest_green": N_("latest check-in green"),
    "no_open_red": N_("no open red warning"),
    "measure_taken": N_("a measure delivered for each risk"),
    "half_year": N_("half a year since identification"),
    "labour": N_("someone able to work"),
}


def _consented(row: lines.ProposalLine) -> datetime | None:
    """When the household's consent (承诺授权书) was recorded on the proposal."""
    return next((at for _, decision, _, at, _ in row.decisions if decision == "consent"), None)


def _chain_days(row: lines.ProposalLine, week_end: datetime) -> int:
    """Days from the report to the last step (finished) or to the week's end (open)."""
    until = week_end if Status(row.status).open else row.updated_at
    assert week_end.tzinfo is not None
    reported = reported_at(row.created_at, row.lead_on, week_end.tzinfo)
    return chain_days(reported, min(until, week_end))


def lead_source(source: str | None, t: Translator) -> str:
    """A proposal's source: the lead's (self-report, a cadre, a department), else the cadre's
    own proposal."""
    return source_name(source, t) if source else t._("Cadre's visit")


PRESENCE_NAMES = {
    "living": N_("lives in it"),
    "away": N_("left the household"),
    "dead": N_("died"),
}
LABOUR_NAMES = {"yes": N_("someone can work"), "no": N_("no one can work")}


def _labour(value: bool | None) -> str | None:
    return None if value is None else ("yes" if value else "no")


ALERT_STATUS = {"open": N_("open"), "closed": N_("closed")}
INCOME_PART_COLUMNS = (
    ("wage", N_("Wage income (yuan)")),
    ("business", N_("Business income, net (yuan)")),
    ("property", N_("Property income (yuan)")),
    ("transfer", N_("Transfer income (yuan)")),
)


def _part(key: str) -> Callable[[lines.CheckInLine], float | None]:
    """A part of a check-in's income figure, as a number (blank where it was not counted)."""
    return lambda r: money(r.part(key))


@dataclass(frozen=True)
class LedgerData:
    """Every row of the ledger, read from the database; the workbook is made from this alone
    (in another process for /export, so that the bot's database thread is never held)."""

    week: Week
    households: list[lines.HouseholdLine]
    checkins: list[lines.CheckInLine]
    missed: list[lines.MissedLine]
    alerts: list[lines.AlertLine]
    measures: list[lines.MeasureLine]
    proposals: list[lines.ProposalLine]
    eliminations: list[lines.EliminationLine]
    referrals: list[lines.ReferralLine]
    natural_ends: list[NaturalEndLine]
    members: list[lines.MemberLine]


def collect(session: Session, week: Week, scope: Scope, tz: ZoneInfo) -> LedgerData:
    """The ledger's rows in one transaction (the command line's export)."""
    return LedgerData(week, *(read(session, week, scope, tz) for read in READERS))


# One reader per sheet, in the order of LedgerData's fields: /export runs each in a
# transaction of its own, so that helpers' answers get the database in between.
READERS: tuple[Callable[[Session, Week, Scope, ZoneInfo], list[Any]], ...] = (
    lambda s, w, scope, tz: ledger.households(s, w, scope),
    lambda s, w, scope, tz: ledger.checkins(s, w, scope),
    lambda s, w, scope, tz: ledger.missed(s, w, scope),
    lambda s, w, scope, tz: ledger.alerts(s, w, scope, tz=tz),
    lambda s, w, scope, tz: ledger.measures(s, w, scope, tz=tz),
    lambda s, w, scope, tz: ledger.proposals(s, w, scope, tz=tz),
    lambda s, w, scope, tz: ledger.eliminations(s, w, scope, tz=tz),
    lambda s, w, scope, tz: ledger.referrals(s, w, scope, tz=tz),
    lambda s, w, scope, tz: natural_ends.ledger_lines(s, w, scope, tz=tz),
    lambda s, w, scope, tz: ledger_members.members(s, scope),
)


def build(data: LedgerData, t: Translator, tz: ZoneInfo) -> Workbook:
    """The workbook of the ledger: no database, no network; pure work on the rows."""
    week = data.week
    c = Cells(t, tz)
    levels = {level.value: name for level, name in LEVEL_NAMES.items()}
    visits = dict(VISIT_OPTIONS)
    risks = dict(RISK_TYPES)
    week_end = week.ends_at(tz)
    from openpyxl import Workbook

    book = Workbook(write_only=True)

    household_columns = [
        Column(N_("Township"), 12, lambda r: r.township),
        Column(N_("Village"), 12, lambda r: r.village),
        Column(N_("Household no."), 14, lambda r: r.number),
        Column(N_("Head of household"), 12, lambda r: r.head_name),
        Column(N_("ID number"), 22, lambda r: r.id_masked),
        Column(N_("Members"), 8, lambda r: r.members, "0"),
        Column(N_("Category"), 18, lambda r: c.word(CATEGORY_NAMES, r.category)),
        Column(N_("Status"), 10, lambda r: c.word(STATUS_NAMES, r.status)),
        Column(
            N_("Last year's income per person (yuan)"),
            16,
            lambda r: money(r.last_year_income_per_capita),
            MONEY_FORMAT,
        ),
        Column(
            N_("Expected income this year (yuan)"),
            16,
            lambda r: money(r.expected_income),
            MONEY_FORMAT,
        ),
        Column(N_("Helper"), 12, lambda r: r.helper or ""),
        Column(N_("Last visit week"), 12, lambda r: r.last_week or ""),
        Column(N_("Last visit"), 17, lambda r: c.when(r.last_visit_at), DATETIME_FORMAT),
        Column(N_("Current level"), 10, lambda r: c.word(levels, r.level)),
        Column(N_("Open red warning"), 10, lambda r: c.yes_no(r.open_alert)),
        Column(N_("Identified on"), 11, lambda r: r.identified_on, DATE_FORMAT),
        Column(N_("Risks"), 24, lambda r: "、".join(c.word(risks, k) for k in r.risk_types)),
        Column(N_("Labour"), 12, lambda r: c.word(LABOUR_NAMES, _labour(r.has_labour))),
        Column(N_("Villager group"), 10, lambda r: r.villager_group or ""),
        Column(N_("Risk eliminated on"), 17, lambda r: c.when(r.eliminated_at), DATETIME_FORMAT),
        Column(N_("National system code"), 18, lambda r: r.national_code or ""),
    ]
    checkin_columns = [
        Column(N_("Village"), 12, lambda r: r.village),
        Column(N_("Household no."), 14, lambda r: r.number),
        Column(N_("Head of household"), 12, lambda r: r.head_name),
        Column(N_("Visited by"), 12, lambda r: r.helper),  # the helper or a team member
        Column(N_("Entered by"), 12, lambda r: r.entered_by),
        Column(N_("Entered at"), 17, lambda r: c.when(r.entered_at), DATETIME_FORMAT),
        Column(N_("Visit"), 10, lambda r: c.word(visits, r.visit_method)),
        Column(N_("Members"), 8, lambda r: r.members, "0"),
        Column(N_("Income changed"), 10, lambda r: c.yes_no(r.income_changed)),
        # the figure with its parts (monitoring/income.py): by source, when counted so
        *(Column(name, 12, _part(key), MONEY_FORMAT) for key, name in INCOME_PART_COLUMNS),
        Column(
            N_("Household income counted (yuan)"),
            16,
            lambda r: money(r.expected_income),
            MONEY_FORMAT,
        ),
        Column(
            N_("Deducted: paid by the household (yuan)"),
            14,
            lambda r: money(r.part("deduction")),
            MONEY_FORMAT,
        ),
        Column(
            N_("Income per person (yuan)"), 14, lambda r: money(r.per_capita_income), MONEY_FORMAT
        ),
        Column(N_("Rigid expenditure (yuan)"), 14, lambda r: money(r.expense_total), MONEY_FORMAT),
        Column(N_("Expenditures"), 24, lambda r: c.expenses(r.expenses)),
        Column(N_("Food secure"), 8, lambda r: c.yes_no(r.food_ok)),
        Column(N_("Clothing and bedding"), 8, lambda r: c.yes_no(r.clothing_ok)),
        Column(N_("Schooling secure"), 8, lambda r: c.yes_no(r.education_ok)),
        Column(N_("Medical insurance and treatment"), 8, lambda r: c.yes_no(r.medical_ok)),
        Column(N_("Dwelling safe"), 8, lambda r: c.yes_no(r.housing_ok)),
        Column(N_("Drinking water"), 8, lambda r: c.yes_no(r.water_ok)),
        Column(N_("Level"), 10, lambda r: c.word(levels, r.level)),
        Column(N_("Reasons"), 40, lambda r: c.reasons(r.reasons)),
        Column(N_("Lines of year"), 8, lambda r: r.policy_year, "0"),
        Column(N_("Note"), 30, lambda r: r.note or ""),
        Column(N_("Photo"), 6, lambda r: c.yes_no(r.has_photo)),
        Column(N_("Corrected"), 6, lambda r: c.yes_no(r.corrected)),
    ]
    missed_columns = [
        Column(N_("Village"), 12, lambda r: r.village),
        Column(N_("Household no."), 14, lambda r: r.number),
        Column(N_("Head of household"), 12, lambda r: r.head_name),
        Column(N_("Helper"), 12, lambda r: r.helper or ""),
        Column(N_("Recorded at"), 17, lambda r: c.when(r.recorded_at), DATETIME_FORMAT),
    ]
    alert_columns = [
        Column(N_("Warning no."), 8, lambda r: r.alert_id, "0"),
        Column(N_("Village"), 12, lambda r: r.village),
        Column(N_("Household no."), 14, lambda r: r.number),
        Column(N_("Head of household"), 12, lambda r: r.head_name),
        Column(N_("Opened at"), 17, lambda r: c.when(r.opened_at), DATETIME_FORMAT),
        Column(N_("Reasons"), 40, lambda r: c.reasons(r.reasons)),
        Column(N_("Status"), 8, lambda r: c.word(ALERT_STATUS, r.status)),
        Column(N_("Acknowledged by"), 12, lambda r: r.acknowledged_by or ""),
        Column(N_("Acknowledged at"), 17, lambda r: c.when(r.acknowledged_at), DATETIME_FORMAT),
        Column(N_("Closed at"), 17, lambda r: c.when(r.closed_at), DATETIME_FORMAT),
        Column(N_("Closed because"), 14, lambda r: c.word(CLOSE_NAMES, r.close_reason)),
        Column(N_("Measures"), 8, lambda r: r.measures, "0"),
    ]
    measure_statuses = {status.value: name for status, name in TASK_STATUS_NAMES.items()}
    measure_columns = [
        Column(N_("Warning no."), 8, lambda r: r.alert_id, "0"),
        Column(N_("Village"), 12, lambda r: r.village),
        Column(N_("Household no."), 14, lambda r: r.number),
        Column(N_("Head of household"), 12, lambda r: r.head_name),
        Column(N_("Measure"), 16, lambda r: c.word(MEASURE_NAMES, r.kind)),
        Column(N_("Responsible"), 16, lambda r: c.word(RESPONSIBLE_NAMES, r.responsible)),
        Column(N_("To do"), 30, lambda r: r.note or ""),
        Column(N_("Amount (yuan)"), 12, lambda r: money(r.amount), MONEY_FORMAT),
        Column(N_("Deadline"), 12, lambda r: r.deadline, DATE_FORMAT),
        Column(N_("Status"), 10, lambda r: c.word(measure_statuses, r.status)),
        Column(N_("Reason"), 24, lambda r: r.reason or ""),
        Column(N_("Recorded by"), 12, lambda r: r.recorded_by),
        Column(N_("Recorded at"), 17, lambda r: c.when(r.recorded_at), DATETIME_FORMAT),
        Column(N_("Last changed by"), 12, lambda r: r.status_by or ""),
        Column(N_("Last changed at"), 17, lambda r: c.when(r.status_at), DATETIME_FORMAT),
        Column(N_("Delivered on"), 12, lambda r: r.taken_on, DATE_FORMAT),
    ]
    steps, decisions = names.STEP_NAMES, names.DECISION_NAMES
    statuses = {status.value: name for status, name in names.STATUS_NAMES.items()}

    def decided(row: lines.ProposalLine) -> str:
        return "；".join(
            f"{c.word(steps, step)} {c.word(decisions, decision)} {who} "
            f"{c.when(at):%Y-%m-%d %H:%M}" + (f"（{why}）" if why else "")
            for step, decision, who, at, why in row.decisions
        )

    def held(row: lines.EliminationLine) -> str:
        return "；".join(
            ("✅ " if item.get("holds") else "❌ ") + c.word(CRITERION_NAMES, item.get("code"))
            for item in row.criteria
        )

    proposal_columns = [
        Column(N_("Proposal no."), 8, lambda r: r.proposal_id, "0"),
        Column(N_("Village"), 12, lambda r: r.village),
        Column(N_("Head of household"), 12, lambda r: r.head_name),
        Column(N_("Household no."), 14, lambda r: r.number or ""),
        Column(N_("Members"), 8, lambda r: r.members, "0"),
        Column(N_("Category"), 18, lambda r: c.word(CATEGORY_NAMES, r.category)),
        Column(N_("Risks"), 24, lambda r: "、".join(c.word(risks, k) for k in r.risk_types)),
        Column(
            N_("Expected income this year (yuan)"),
            16,
            lambda r: money(r.expected_income),
            MONEY_FORMAT,
        ),
        Column(N_("Proposed by"), 12, lambda r: r.proposer),
        Column(N_("Proposed at"), 17, lambda r: c.when(r.created_at), DATETIME_FORMAT),
        Column(N_("Source"), 12, lambda r: lead_source(r.lead_source, t)),
        Column(N_("Lead received"), 11, lambda r: r.lead_on, DATE_FORMAT),
        Column(N_("Consent signed at"), 17, lambda r: c.when(_consented(r)), DATETIME_FORMAT),
        Column(N_("Status"), 18, lambda r: c.word(statuses, r.status)),
        Column(N_("For"), 10, lambda r: c.word(names.KIND_NAMES, r.kind)),
        Column(N_("Notice posted"), 17, lambda r: c.when(r.notice_posted_at), DATETIME_FORMAT),
        Column(N_("County decision"), 11, lambda r: r.county_decided_on, DATE_FORMAT),
        Column(N_("Document no."), 20, lambda r: r.county_document or ""),
        Column(N_("Days since the report"), 8, lambda r: _chain_days(r, week_end), "0"),
        Column(N_("Decisions"), 60, decided),
    ]
    elimination_columns = [
        Column(N_("Village"), 12, lambda r: r.village),
        Column(N_("Household no."), 14, lambda r: r.number),
        Column(N_("Head of household"), 12, lambda r: r.head_name),
        Column(N_("Eliminated by"), 12, lambda r: r.eliminated_by),
        Column(N_("Eliminated at"), 17, lambda r: c.when(r.eliminated_at), DATETIME_FORMAT),
        Column(N_("Criteria"), 60, held),
        # overrides were possible before elimination went by the rules alone: kept as history
        Column(N_("Override reason"), 30, lambda r: r.override_reason or ""),
        Column(N_("Reinstated by"), 12, lambda r: r.reinstated_by or ""),
        Column(N_("Reinstated at"), 17, lambda r: c.when(r.reinstated_at), DATETIME_FORMAT),
        Column(N_("Reinstated because"), 30, lambda r: r.reinstate_reason or ""),
    ]
    write_sheet(book, t._("Households"), household_columns, data.households, t)
    # A sheet's name has at most 31 characters: the week's number only (the file has it all).
    checkins_title = t._("Check-ins, week {number}").format(number=week.number)
    write_sheet(book, checkins_title, checkin_columns, data.checkins, t)
    write_sheet(book, t._("Missed visits"), missed_columns, data.missed, t)
    write_sheet(book, t._("Red warnings"), alert_columns, data.alerts, t)
    write_sheet(book, t._("Measures"), measure_columns, data.measures, t)
    write_sheet(book, t._("Proposals"), proposal_columns, data.proposals, t)
    write_sheet(book, t._("Eliminations"), elimination_columns, data.eliminations, t)
    referral_columns = [
        Column(N_("Village"), 12, lambda r: r.village),
        Column(N_("Household no."), 14, lambda r: r.number),
        Column(N_("Head of household"), 12, lambda r: r.head_name),
        Column(N_("Referred by"), 12, lambda r: r.referred_by),
        Column(N_("Referred at"), 17, lambda r: c.when(r.referred_at), DATETIME_FORMAT),
        Column(N_("Criteria"), 60, held),
        Column(N_("Reason"), 40, lambda r: r.reason),
    ]
    write_sheet(book, t._("Referred to the county"), referral_columns, data.referrals, t)
    natural_end_columns = [
        Column(N_("Village"), 12, lambda r: r.village),
        Column(N_("Household no."), 14, lambda r: r.number),
        Column(N_("Head of household"), 12, lambda r: r.head_name),
        Column(N_("Ended on"), 11, lambda r: r.ended_on, DATE_FORMAT),
        Column(N_("Cause"), 16, lambda r: c.word(names.CAUSE_NAMES, r.cause)),
        Column(N_("Note"), 30, lambda r: r.note),
        Column(N_("Recorded by"), 12, lambda r: r.recorded_by),
        Column(N_("Recorded at"), 17, lambda r: c.when(r.recorded_at), DATETIME_FORMAT),
        Column(N_("Reinstated by"), 12, lambda r: r.reinstated_by or ""),
        Column(N_("Reinstated at"), 17, lambda r: c.when(r.reinstated_at), DATETIME_FORMAT),
    ]
    write_sheet(book, t._("Natural ends"), natural_end_columns, data.natural_ends, t)
    member_columns = [
        Column(N_("Village"), 12, lambda r: r.village),
        Column(N_("Household no."), 14, lambda r: r.number),
        Column(N_("Head of household"), 12, lambda r: r.head_name),
        Column(N_("Name"), 12, lambda r: r.name),
        Column(N_("Relation to the head"), 10, lambda r: r.relation),
        Column(N_("ID number"), 22, lambda r: r.id_masked),
        Column(N_("Born on"), 11, lambda r: r.born_on, DATE_FORMAT),
        Column(N_("Labour"), 12, lambda r: r.labour or ""),
        Column(N_("Health"), 12, lambda r: r.health or ""),
        Column(N_("In school"), 10, lambda r: r.schooling or ""),
        Column(N_("Insurance"), 16, lambda r: r.insurance or ""),
        Column(N_("Lives in the household"), 10, lambda r: c.word(PRESENCE_NAMES, r.presence)),
    ]
    write_sheet(book, t._("Household members"), member_columns, data.members, t)
    return book


def to_bytes(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write(book: Workbook, path: Path) -> None:
    """Save next to `path` first, then move into place: a crash never leaves half a file.
    The file is readable by its owner only, as backups are: the ledger names households."""
    partial = path.with_name(path.name + ".partial")
    with contextlib.suppress(FileNotFoundError):
        partial.unlink()
    os.close(os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    os.chmod(partial, 0o600)  # whatever the umask
    book.save(partial)
    partial.replace(path)


def filename(title: str, week: Week) -> str:
    return f"{title}-{week}.xlsx"
