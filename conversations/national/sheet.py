"""The national system's list as an XLSX (`fangfanpin national-list`, and from the chat): one
row per change, by village and household, in the order of the system's screens; the same words
as the chat screen. ID numbers masked (last 4 digits), as in the ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from conversations.national.texts import KIND_NAMES, SCREEN_NAMES, basics_text, item_text
from conversations.reports.sheets import (
    DATETIME_FORMAT,
    MONEY_FORMAT,
    Cells,
    Column,
    money,
    write_sheet,
)
from monitoring.i18n import N_, Translator
from monitoring.national import Kind
from storage.national import HouseholdToEnter, Item

if TYPE_CHECKING:
    from openpyxl import Workbook


@dataclass(frozen=True)
class Row:
    household: HouseholdToEnter
    item: Item
    what: str


def rows_of(households: list[HouseholdToEnter], t: Translator, tz: ZoneInfo) -> list[Row]:
    rows = []
    for household in households:
        for item in household.items:
            what = item_text(item, household, t, tz)
            if item.kind is Kind.TAKEN_IN:
                what += ("；" if t.locale.startswith("zh") else "; ") + basics_text(household, t)
            rows.append(Row(household, item, what))
    return rows


def build(households: list[HouseholdToEnter], t: Translator, tz: ZoneInfo) -> Workbook:
    from openpyxl import Workbook

    c = Cells(t, tz)
    book = Workbook(write_only=True)
    columns = [
        Column(N_("Township"), 10, lambda r: r.household.township),
        Column(N_("Village"), 12, lambda r: r.household.village),
        Column(N_("Household no."), 14, lambda r: r.household.number),
        Column(N_("National system code"), 18, lambda r: r.household.national_code or ""),
        Column(N_("Head of household"), 12, lambda r: r.household.head_name),
        Column(N_("ID number (masked)"), 20, lambda r: r.household.id_masked),
        Column(N_("Screen in the national system"), 16, lambda r: t._(SCREEN_NAMES[r.item.screen])),
        Column(N_("Change"), 14, lambda r: t._(KIND_NAMES[r.item.kind])),
        Column(N_("What to enter"), 60, lambda r: r.what),
        Column(
            N_("Amount (yuan)"),
            12,
            lambda r: money(r.item.measure.amount) if r.item.measure else None,
            MONEY_FORMAT,
        ),
        Column(N_("Changed at"), 17, lambda r: c.when(r.item.at), DATETIME_FORMAT),
        Column(N_("Recorded by"), 12, lambda r: r.item.by),
    ]
    write_sheet(book, t._("To enter"), columns, rows_of(households, t, tz), t)
    return book


def filename(title: str, day: date) -> str:
    return f"national-{title}-{day.isoformat()}.xlsx"
