"""What the commands print about files: the problems of a file imported all or nothing (the
roster, a department's list of leads), one line each, named by file and row; and a
spreadsheet's target refused (not *.xlsx, or its folder missing). On standard error, in the
reader's language."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from monitoring.i18n import Translator
from storage.roster_format import RowError


def print_row_errors(errors: Iterable[RowError], t: Translator) -> None:
    for error in errors:
        where = (
            error.file
            if error.row is None
            else t._("{file} row {row}").format(file=error.file, row=error.row)
        )
        print(f"  {where}: {t._(error.reason).format(**error.params)}", file=sys.stderr)


def refuse_xlsx_target(output: Path, t: Translator, wrong_suffix: str) -> bool:
    """Whether a spreadsheet can not be written to `output`, said on standard error: its name
    does not end in .xlsx (`wrong_suffix`, a msgid), or its folder does not exist."""
    if output.suffix.lower() != ".xlsx":
        print(t._(wrong_suffix), file=sys.stderr)
        return True
    if not output.parent.is_dir():
        print(
            t._("The folder {folder} does not exist.").format(folder=str(output.parent)),
            file=sys.stderr,
        )
        return True
    return False
