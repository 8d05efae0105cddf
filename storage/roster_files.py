"""Reading roster files into tables of cells: UTF-8 or GBK CSV, XLSX workbooks (every
non-empty sheet); a file that can not be read is one problem, never a traceback."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitoring.i18n import N_
from storage.roster_format import RosterError, RowError


@dataclass
class Table:
    source: str  # "file.csv" or "file.xlsx[Sheet1]"
    header: list[Any]
    rows: list[tuple[int, list[Any]]]


def read_csv(path: Path) -> Iterator[Table]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Spreadsheet programs in China often save CSV as GB18030 (GBK); accept it too.
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise RosterError(
                [RowError(path.name, None, N_("the file is neither UTF-8 nor GBK text"))]
            ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        lines = list(reader)
    except csv.Error as exc:  # a field over the size limit, a NUL byte...
        raise RosterError(
            [
                RowError(
                    path.name,
                    reader.line_num or None,
                    N_("the file is not a readable CSV file: {error}"),
                    {"error": str(exc)},
                )
            ]
        ) from None
    if not lines:
        yield Table(path.name, [], [])
        return
    yield Table(path.name, list(lines[0]), [(i, row) for i, row in enumerate(lines[1:], start=2)])


def read_xlsx(path: Path) -> Iterator[Table]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise RosterError(
            [
                RowError(
                    path.name,
                    None,
                    N_("the file is not a readable XLSX workbook: {error}"),
                    {"error": str(exc)},
                )
            ]
        ) from None
    try:
        for sheet in workbook.worksheets:
            # Read every row whatever the sheet's <dimension> tag claims: some tools write
            # one smaller than the sheet, and read-only mode would stop where it says.
            sheet.reset_dimensions()
            try:  # a sheet's XML is parsed only now: broken or hostile XML fails here
                rows = [list(r) for r in sheet.iter_rows(values_only=True)]
            except Exception as exc:
                raise RosterError(
                    [
                        RowError(
                            f"{path.name}[{sheet.title}]",
                            None,
                            N_("the sheet can not be read: {error}"),
                            {"error": f"{type(exc).__name__}: {exc}"[:200]},
                        )
                    ]
                ) from None
            if not any(any(cell_text(c) for c in r) for r in rows):
                continue
            yield Table(
                f"{path.name}[{sheet.title}]",
                rows[0],
                [(i, row) for i, row in enumerate(rows[1:], start=2)],
            )
    finally:
        workbook.close()


def cell_text(value: Any) -> str:
    """A cell as clean text: NFKC-folded (full-width digits), trimmed; 3.0 -> "3"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()
