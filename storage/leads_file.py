"""A department's list of leads (CSV or XLSX, read as the roster is: storage/roster_files.py):
姓名, 身份证号, 村 (if known), 事由, 金额 and 日期 (optional). Every problem named by file and
row (`RosterError`, as the roster's), or the rows that pass: all or nothing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from monitoring.amounts import AmountError, parse_amount
from monitoring.household_facts import RISK_WORDS
from monitoring.i18n import N_
from monitoring.idcard import normalize_id_number
from monitoring.leads import WHAT_LONGEST
from monitoring.proposals import RISK_TYPES
from monitoring.shapes import mask_digits
from monitoring.weeks import parse_day
from storage.roster_files import Table, cell_text, read_csv, read_xlsx
from storage.roster_format import RosterError, RowError

COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "name"),
    "id_number": ("身份证号", "id_number"),
    "village": ("村", "village"),
    "what": ("事由", "what"),
    "amount": ("金额", "amount"),
    "date": ("日期", "date"),
}
OPTIONAL = frozenset({"village", "amount", "date"})
EARLIEST = date(2015, 1, 1)


@dataclass(frozen=True)
class LeadRow:
    file: str
    row: int
    name: str
    id_number: str  # normalised (upper-case X), in full
    village_id: int | None
    what: str
    risk_types: tuple[str, ...]
    amount: Decimal | None
    day: date | None


def risk_types_in(text: str) -> tuple[str, ...]:
    """The risk types a 事由 names (`住院治疗` -> none, `因病住院` -> illness), in policy order."""
    found = {code for word, code in RISK_WORDS.items() if len(word) >= 2 and word in text}
    if "病" in text:
        found.add("illness")
    return tuple(code for code, _ in RISK_TYPES if code in found)


def _key(cell: Any) -> str | None:
    text = cell_text(cell).lower()
    for key, aliases in COLUMNS.items():
        if text in (a.lower() for a in aliases):
            return key
    return None


def read_leads(path: Path, villages: Mapping[str, int], *, today: date) -> list[LeadRow]:
    """The rows of one list; RosterError naming every problem (nothing is to be written)."""
    errors: list[RowError] = []
    if not path.is_file():
        raise RosterError([RowError(path.name, None, N_("the file does not exist"))])
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise RosterError([RowError(path.name, None, N_("only .csv and .xlsx files are read"))])
    tables = list(read_csv(path) if suffix == ".csv" else read_xlsx(path))
    rows: list[LeadRow] = []
    seen: dict[str, int] = {}
    for table in tables:
        rows.extend(_table(table, villages, today, errors, seen))
    if not rows and not errors:
        errors.append(RowError(path.name, None, N_("the file has a header but no rows")))
    if errors:
        raise RosterError(errors)
    return rows


def _table(
    table: Table,
    villages: Mapping[str, int],
    today: date,
    errors: list[RowError],
    seen: dict[str, int],
) -> list[LeadRow]:
    def error(row: int | None, reason: str, **params: str) -> None:
        errors.append(RowError(table.source, row, reason, params))

    where: dict[str, int] = {}
    for index, cell in enumerate(table.header):
        key = _key(cell)
        if key is not None and key not in where:
            where[key] = index
    missing = [COLUMNS[k][0] for k in COLUMNS if k not in where and k not in OPTIONAL]
    if missing:
        error(1, N_("missing columns: {columns}"), columns=", ".join(missing))
        return []
    found: list[LeadRow] = []
    for number, raw in table.rows:
        values = {k: cell_text(raw[i]) if i < len(raw) else "" for k, i in where.items()}
        if not any(values.values()):
            continue
        before = len(errors)
        for key in ("name", "id_number", "what"):
            if not values[key]:
                error(number, N_("{column} is empty"), column=COLUMNS[key][0])
        name, what = values["name"], " ".join(values["what"].split())
        if name and any(ch.isdigit() for ch in name):
            error(
                number,
                N_("{column} has digits in it: a name, not a number, please"),
                column=COLUMNS["name"][0],
            )
        id_number = ""
        if values["id_number"]:
            try:
                id_number = normalize_id_number(values["id_number"])
            except ValueError:
                error(
                    number,
                    N_("{column} {value} is not a valid ID number"),
                    column=COLUMNS["id_number"][0],
                    value=mask_digits(values["id_number"]),
                )
        if id_number and id_number in seen:
            error(number, N_("the same ID number as row {first}"), first=str(seen[id_number]))
        village_id = None
        if values.get("village"):
            village_id = villages.get(values["village"])
            if village_id is None:
                error(number, N_("village {value} is not on the roster"), value=values["village"])
        amount = None
        if values.get("amount"):
            try:
                amount = parse_amount(values["amount"])
            except AmountError:
                error(
                    number,
                    N_("{column} {value} is not an amount in yuan"),
                    column=COLUMNS["amount"][0],
                    value=values["amount"],
                )
        day = None
        if values.get("date"):
            raw_day = raw[where["date"]] if where["date"] < len(raw) else None
            try:
                day = parse_day(raw_day, earliest=EARLIEST, today=today)
            except ValueError:
                error(
                    number,
                    N_("{column} {value} is not a date from 2015 to today"),
                    column=COLUMNS["date"][0],
                    value=values["date"],
                )
        if len(errors) > before:
            continue
        seen[id_number] = number
        found.append(
            LeadRow(
                table.source,
                number,
                name,
                id_number,
                village_id,
                what[:WHAT_LONGEST],
                risk_types_in(what),
                amount,
                day,
            )
        )
    return found
