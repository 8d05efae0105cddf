"""Writing a sheet of the ledger: columns with headers in the reader's language, widths, number
formats, and values turned into cells (local naive datetimes, Decimal as float, words
translated, text that could pass for a formula kept as text). openpyxl is imported where a sheet
is written: a process that never exports (a restart, a check-in) should not pay for it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from conversations.texts import REASON_TEXTS, reason_text
from monitoring.checkin import EXPENSE_CAUSES
from monitoring.i18n import Translator
from monitoring.risk import Reason

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
MONEY_FORMAT = "#,##0.00"
HEADER_FILL = "DDEBF7"


@dataclass(frozen=True)
class Column:
    header: str  # msgid
    width: float
    value: Callable[[Any], Any]
    number_format: str | None = None


class Cells:
    """Turns values into cells: local naive datetimes, Decimal as float, words translated."""

    def __init__(self, t: Translator, tz: ZoneInfo) -> None:
        self.t, self.tz = t, tz

    def word(self, names: dict[str, str], key: str | None) -> str:
        if key is None:
            return ""
        return self.t._(names[key]) if key in names else key

    def yes_no(self, value: bool | None) -> str:
        if value is None:
            return "—"
        return self.t._("yes") if value else self.t._("no")

    def when(self, value: datetime | None) -> datetime | None:
        return value.astimezone(self.tz).replace(tzinfo=None) if value is not None else None

    def reasons(self, reasons: list[dict[str, Any]]) -> str:
        return "；".join(
            reason_text(Reason.from_json(r), self.t) if r.get("code") in REASON_TEXTS else r["code"]
            for r in reasons
        )

    def expenses(self, expenses: list[dict[str, str]]) -> str:
        causes = dict(EXPENSE_CAUSES)
        return "；".join(
            f"{self.word(causes, e.get('cause'))} {self.t.number(Decimal(e['amount']))}"
            for e in expenses
        )


def money(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def write_sheet(
    book: Workbook, title: str, columns: Sequence[Column], rows: Sequence[Any], t: Translator
) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    sheet: WriteOnlyWorksheet = book.create_sheet(title)
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width  # type: ignore[attr-defined]
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=t._(column.header))
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        header.append(cell)
    sheet.append(header)
    formats = [column.number_format for column in columns]
    for row in rows:
        cells: list[Any] = []
        for column, number_format in zip(columns, formats, strict=True):
            value = column.value(row)
            if isinstance(value, str) and value.startswith(FORMULA_STARTS):
                cells.append(as_text(sheet, value))
            elif number_format is None or value is None:
                cells.append(value)
            else:
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = number_format
                cells.append(cell)
        sheet.append(cells)


# A text that a spreadsheet could take for a formula (or for a DDE call): names and notes are
# typed by people, so they are always written as text, never evaluated.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_text(sheet: WriteOnlyWorksheet, value: str) -> Any:
    """A cell that holds `value` as a string (openpyxl would store "=..." as a formula), with
    Excel's quote prefix so that editing the cell keeps it text."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell
