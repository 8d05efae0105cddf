"""The problems of a file imported all or nothing (the roster, a department's list of leads),
one line each on standard error, named by file and row, in the reader's language."""

from __future__ import annotations

import sys
from collections.abc import Iterable

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
