"""`fangfanpin leads import FILE --source 医保局` and `fangfanpin leads export --source 医保局
-o FILE.xlsx`: a department's list of leads in, its feedback sheet out (conversations/leads/
intake.py). Never prints an ID number: problems name the file and the row."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from bot.cli_output import print_row_errors, refuse_xlsx_target
from bot.settings import Settings
from monitoring.i18n import N_, Translator
from monitoring.leads import parse_source
from storage.db import make_session_factory
from storage.roster_format import RosterError


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    leads = sub.add_parser("leads", help="leads (线索): departments' lists in, feedback out")
    leads_sub = leads.add_subparsers(dest="leads_command", required=True)
    imp = leads_sub.add_parser("import", help="load a department's list (CSV or XLSX)")
    imp.add_argument("file", type=Path, metavar="FILE")
    exp = leads_sub.add_parser("export", help="write the feedback sheet of a source (XLSX)")
    exp.add_argument("-o", "--output", type=Path, required=True, metavar="FILE.xlsx")
    for command in (imp, exp):
        command.add_argument("--source", required=True, metavar="NAME", help="e.g. 医保局")
        command.add_argument(
            "--township", default=None, metavar="NAME", help="needed when there are several"
        )


def run(settings: Settings, args: argparse.Namespace, t: Translator) -> int:
    from bot.cli import open_database

    try:
        source = parse_source(args.source)
    except ValueError:
        print(t._("--source: a department's name, e.g. 医保局."), file=sys.stderr)
        return 2
    engine = open_database(settings)
    try:
        factory = make_session_factory(engine)
        if args.leads_command == "import":
            return _import(settings, factory, args.file, source, args.township, t)
        return _export(settings, factory, args.output, source, args.township, t)
    finally:
        engine.dispose()


def _import(
    settings: Settings,
    factory: sessionmaker[Session],
    file: Path,
    source: str,
    township: str | None,
    t: Translator,
) -> int:
    from conversations.leads.intake import import_list

    try:
        with factory() as session, session.begin():
            result = import_list(
                session,
                file,
                source=source,
                township=township,
                now=datetime.now(UTC),
                tz=settings.tz,
                check_days=settings.policy.lead_check_days,
            )
    except RosterError as exc:
        print(
            t.ngettext(
                "The list was not imported: {n} problem. Nothing was changed.",
                "The list was not imported: {n} problems. Nothing was changed.",
                len(exc.errors),
            ).format(n=len(exc.errors)),
            file=sys.stderr,
        )
        print_row_errors(exc.errors, t)
        return 1
    print(
        t._(
            "Leads from {source}: {added} new ({monitored} already monitored, their helpers "
            "told to visit; {villages} to village heads; {township} to the township staff to "
            "give a village), {known} imported before."
        ).format(
            source=source,
            added=result.added,
            monitored=result.monitored,
            villages=result.to_villages,
            township=result.to_township,
            known=result.known,
        )
    )
    return 0


def _export(
    settings: Settings,
    factory: sessionmaker[Session],
    output: Path,
    source: str,
    township: str | None,
    t: Translator,
) -> int:
    from conversations.leads.intake import township_for, write_feedback

    if refuse_xlsx_target(
        output, t, N_("The feedback sheet is written as XLSX: name the file *.xlsx.")
    ):
        return 2
    with factory() as session:
        township_id = None
        if township is not None:
            try:
                township_id = township_for(session, township, output.name).id
            except RosterError:
                print(
                    t._("There is no township named {name}.").format(name=township), file=sys.stderr
                )
                return 2
        n = write_feedback(session, source, township_id, output, t, settings.tz)
    print(
        t._("The feedback sheet for {source} ({n} leads) was written to {file}.").format(
            source=source, n=n, file=str(output)
        )
    )
    return 0
