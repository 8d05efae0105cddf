"""`fangfanpin national-list -o FILE.xlsx [--township NAME]`: what is to be entered in the
national monitoring system (全国防止返贫监测信息系统), per household, since each household's
last tick (已录入, given in the chat's /national). Reads only; the file is readable by its
owner only (it has amounts, and ID numbers masked)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.cli_output import refuse_xlsx_target
from bot.settings import Settings
from monitoring.i18n import N_, Translator
from storage.db import make_session_factory


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = sub.add_parser(
        "national-list",
        help="write what is to be entered in the national monitoring system (XLSX)",
    )
    command.add_argument("-o", "--output", type=Path, required=True, metavar="FILE.xlsx")
    command.add_argument(
        "--township", default=None, metavar="NAME", help="one township (default: all of them)"
    )


def run(settings: Settings, args: argparse.Namespace, t: Translator) -> int:
    from bot.cli import open_database
    from conversations.national import sheet
    from conversations.reports import ledger
    from storage.national import to_enter_list
    from storage.repositories import Places

    output: Path = args.output
    if refuse_xlsx_target(
        output, t, N_("The national system's list is written as XLSX: name the file *.xlsx.")
    ):
        return 2
    engine = open_database(settings)
    try:
        with make_session_factory(engine)() as session:
            township_id = None
            if args.township is not None:
                found = Places(session).township(args.township.strip())
                if found is None:
                    print(
                        t._("There is no township named {name}.").format(name=args.township),
                        file=sys.stderr,
                    )
                    return 2
                township_id = found.id
            households = to_enter_list(session, township_id)
        ledger.write(sheet.build(households, t, settings.tz), output)
        changes = sum(len(h.items) for h in households)
        print(
            t._(
                "To enter in the national system: {changes} changes of {households} "
                "households, written to {file}."
            ).format(changes=changes, households=len(households), file=str(output))
        )
        return 0
    finally:
        engine.dispose()
