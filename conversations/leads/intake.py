"""A department's list imported (`fangfanpin leads import FILE --source 医保局`) and the
feedback sheet it expects back (`fangfanpin leads export`), inside the caller's transaction.

Each row is matched by ID number to the households on the roster: a monitored one makes the
lead 已是监测对象 at once and a visit for its helper; any other takes the household's village.
A row naming its village goes to that village's head; the rest to the township's staff, to
give it a village. A list imported twice adds nothing (same source, ID number and day)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from conversations.reports.sheets import DATE_FORMAT, MONEY_FORMAT, Cells, Column, money
from monitoring.i18n import N_, Translator
from monitoring.leads import OUTCOME_NAMES, Outcome, check_deadline
from monitoring.people import HouseholdStatus
from storage.leads import Leads
from storage.leads_file import read_leads
from storage.leads_notices import tell_checkers, tell_helper
from storage.models import Township, Village
from storage.models_leads import Lead
from storage.repositories import Households, Places
from storage.roster_format import RosterError, RowError


@dataclass
class Imported:
    added: int = 0
    monitored: int = 0  # already monitored: their helpers told to visit
    to_villages: int = 0
    to_township: int = 0  # no village known: the township's staff give one
    known: int = 0  # imported before
    villages: dict[str, int] = field(default_factory=dict)


def township_for(session: Session, name: str | None, file: str) -> Township:
    """The named township, or the only one; RosterError otherwise."""
    if name is not None:
        found = Places(session).township(name.strip())
        if found is None:
            raise RosterError(
                [RowError(file, None, N_("there is no township named {name}"), {"name": name})]
            )
        return found
    townships = session.scalars(select(Township).order_by(Township.id)).all()
    if len(townships) != 1:
        raise RosterError(
            [
                RowError(
                    file,
                    None,
                    N_("name the township with --township (there are {n})"),
                    {"n": str(len(townships))},
                )
            ]
        )
    return townships[0]


def import_list(
    session: Session,
    path: Path,
    *,
    source: str,
    township: str | None,
    now: datetime,
    tz: ZoneInfo,
    check_days: int,
) -> Imported:
    """All or nothing: RosterError names every bad row and nothing is written."""
    today = now.astimezone(tz).date()
    place = township_for(session, township, path.name)
    villages = {v.name: v.id for v in Places(session).villages_of(place.id)}
    rows = read_leads(path, villages, today=today)
    leads, households = Leads(session), Households(session)
    result, fresh = Imported(), []
    actor = f"leads:{source}:{path.name}"
    for row in rows:
        received = row.day or today
        if leads.known(source, row.id_number, day=row.day, source_file=path.name):
            result.known += 1
            continue
        household = households.by_id_number(row.id_number)
        if household is not None:
            village = session.get(Village, household.village_id)
            if village is None or village.township_id != place.id:
                household = None  # another township's: not this list's to match
        village_id = household.village_id if household is not None else row.village_id
        lead = leads.add(
            township_id=place.id,
            village_id=village_id,
            household_id=household.id if household is not None else None,
            name=row.name,
            id_number=row.id_number,
            risk_types=row.risk_types,
            what=row.what,
            amount=row.amount,
            source=source,
            source_file=path.name,
            source_row=row.row,
            received_on=received,
            check_by=check_deadline(received, check_days),
            now=now,
            actor=actor,
        )
        result.added += 1
        if household is not None and household.status == HouseholdStatus.MONITORED.value:
            leads.record_outcome(lead, Outcome.MONITORED, None, today=today, now=now, actor=actor)
            tell_helper(session, lead, household, now)
            result.monitored += 1
            continue
        fresh.append(lead)
        if village_id is None:
            result.to_township += 1
        else:
            result.to_villages += 1
    tell_checkers(session, fresh, now)
    return result


def feedback_rows(session: Session, source: str, township_id: int | None) -> Sequence[Lead]:
    return Leads(session).of_source(source, township_id)


def feedback_columns(session: Session, t: Translator, tz: ZoneInfo) -> list[Column]:
    """The sheet a department expects back: each lead as it sent it (full ID number), with
    its outcome and the day it was checked."""
    c = Cells(t, tz)
    village_names = {v.id: v.name for v in session.scalars(select(Village))}
    outcomes = {o.value: n for o, n in OUTCOME_NAMES.items()}

    def outcome(lead: Lead) -> str:
        return c.word(outcomes, lead.outcome) if lead.outcome else t._("Not checked yet")

    return [
        Column(N_("Name"), 12, lambda r: r.name),
        Column(N_("ID number"), 22, lambda r: r.id_number or ""),
        Column(N_("Village"), 12, lambda r: village_names.get(r.village_id, "")),
        Column(N_("What happened"), 30, lambda r: r.what or ""),
        Column(N_("Amount (yuan)"), 12, lambda r: money(r.amount), MONEY_FORMAT),
        Column(N_("Received"), 12, lambda r: r.received_on, DATE_FORMAT),
        Column(N_("Check by"), 12, lambda r: r.check_by, DATE_FORMAT),
        Column(N_("Outcome"), 14, outcome),
        Column(N_("Reason"), 30, lambda r: r.reason or ""),
        Column(N_("Checked on"), 12, lambda r: r.checked_on, DATE_FORMAT),
    ]


def write_feedback(
    session: Session,
    source: str,
    township_id: int | None,
    path: Path,
    t: Translator,
    tz: ZoneInfo,
) -> int:
    """The feedback sheet as XLSX, readable by its owner only (it holds ID numbers). Returns
    the number of leads in it."""
    from openpyxl import Workbook

    from conversations.reports.ledger import write
    from conversations.reports.sheets import write_sheet

    rows = feedback_rows(session, source, township_id)
    book = Workbook(write_only=True)
    write_sheet(book, t._("Leads"), feedback_columns(session, t, tz), rows, t)
    write(book, path)
    return len(rows)
