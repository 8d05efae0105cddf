"""A household's plan as an XLSX laid out to print on one A4 sheet: portrait, fitted to one
page wide, the title rows repeated on every page, even margins, centred. openpyxl is imported
here only: a process that never prints a plan does not pay for it."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from conversations.plan.texts import risk_line, status_word, visit_method
from conversations.reports.sheets import DATE_FORMAT, FORMULA_STARTS, MONEY_FORMAT
from conversations.texts import LEVEL_NAMES, week_label
from conversations.warnings.texts import MEASURE_NAMES, unit_name
from monitoring.i18n import N_, Translator
from monitoring.risk import Level
from storage.plan import HouseholdPlan

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

# 7 columns, about 100 characters: one A4 page wide in portrait at a readable size
WIDTHS = (14, 18, 30, 10, 12, 12, 12)
MARGINS = {"left": 0.5, "right": 0.5, "top": 0.6, "bottom": 0.6, "header": 0.3, "footer": 0.3}
TITLE_ROWS = "1:2"
MEASURE_HEADERS = (
    N_("Measure"),
    N_("Responsible"),
    N_("To do"),
    N_("Amount (yuan)"),
    N_("Deadline"),
    N_("Status"),
    N_("Delivered on"),
)


def filename(number: str) -> str:
    return f"plan-{number}.xlsx"


def build(plan: HouseholdPlan, t: Translator, tz: ZoneInfo, today: date) -> Workbook:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.page import PageMargins

    book = Workbook()
    sheet: Worksheet = book.active  # type: ignore[assignment]
    sheet.title = t._("Plan")[:31]
    bold = Font(bold=True)

    def row(*values: Any, font: Any = None, formats: dict[int, str] | None = None) -> None:
        sheet.append([None] * len(values))
        at = sheet.max_row
        for index, value in enumerate(values, start=1):
            cell = sheet.cell(at, index)
            cell.value = value
            if isinstance(value, str) and value.startswith(FORMULA_STARTS):
                cell.data_type = "s"  # typed by people: text, never a formula
                cell.quotePrefix = True
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if font is not None:
                cell.font = font
            if formats and index in formats and value is not None:
                cell.number_format = formats[index]

    title = t._("One plan per household: {number} {head} ({village})").format(
        number=plan.number, head=plan.head_name, village=plan.village
    )
    row(title, font=Font(bold=True, size=14))
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(WIDTHS))
    row(
        t._("{township}, printed {date}").format(township=plan.township, date=t.date(today)),
    )
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(WIDTHS))
    row(t._("Helper"), plan.helper or "—", t._("Members"), plan.members)
    sheet.append([])
    row(t._("Risks now"), t._("Covered"), font=bold)
    for cover in plan.risks:
        risk, how = risk_line(cover, t)
        row(risk, how)
    if not plan.risks:
        row(t._("No open risk now."))
    sheet.append([])
    row(*(t._(h) for h in MEASURE_HEADERS), font=bold)
    for m in plan.measures:
        row(
            t._(MEASURE_NAMES.get(m.kind, m.kind)),
            unit_name(m.unit, t),
            m.note or "",
            float(m.amount) if m.amount is not None else None,
            m.deadline,
            status_word(m, t, today),
            m.taken_on,
            formats={4: MONEY_FORMAT, 5: DATE_FORMAT, 7: DATE_FORMAT},
        )
    if not plan.measures:
        row(t._("No help measure yet."))
    sheet.append([])
    row(t._("Last visits"), t._("Level"), t._("Visit"), font=bold)
    for visit in plan.visits:
        row(
            week_label(visit.week, t),
            t._(LEVEL_NAMES[Level(visit.level)]),
            visit_method(visit.method, t),
        )
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width

    setup = sheet.page_setup
    setup.paperSize = sheet.PAPERSIZE_A4
    setup.orientation = sheet.ORIENTATION_PORTRAIT
    setup.fitToWidth = 1
    setup.fitToHeight = 0  # one page wide, as many pages tall as the measures need
    sheet.sheet_properties.pageSetUpPr.fitToPage = True  # type: ignore[union-attr]
    sheet.print_title_rows = TITLE_ROWS
    sheet.page_margins = PageMargins(**MARGINS)
    sheet.print_options.horizontalCentered = True
    footer = sheet.oddFooter
    if footer is not None:
        footer.center.text = "&P / &N"  # page numbers, when the measures need a second page
    return book
