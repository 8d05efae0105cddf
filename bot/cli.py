"""`fangfanpin …` (same as `python -m bot …`): run the bot, migrate, import the roster."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from bot import cli_backup, cli_identities, cli_jobs, cli_leads, cli_national, env_files
from bot.cli_output import print_row_errors, refuse_xlsx_target
from bot.i18n import load_translations
from bot.logs import setup_logging
from bot.plugins import own_settings
from bot.settings import Settings, SettingsError, load_settings
from monitoring.i18n import N_, Translator
from monitoring.weeks import Week, week_of
from storage.db import make_engine, make_session_factory
from storage.migrate import current_revision, head_revision, upgrade
from storage.roster import import_roster
from storage.roster_format import ImportResult, RosterError

log = logging.getLogger("fangfanpin")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fangfanpin", description="防返贫: weekly poverty-relapse monitoring bot"
    )
    parser.add_argument(
        "--env-file",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        help="read settings from FILE, as the systemd unit does (repeatable; later wins)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="migrate the database, then start the bot (long polling)")
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply Alembic migrations")
    db_sub.add_parser("current", help="show the applied and the newest migration")
    backup = db_sub.add_parser("backup", help="copy the SQLite database while the bot runs")
    backup.add_argument("file", type=Path, metavar="FILE")
    roster = sub.add_parser("roster", help="the roster of households and staff")
    roster_sub = roster.add_subparsers(dest="roster_command", required=True)
    imp = roster_sub.add_parser("import", help="load households and staff from CSV or XLSX")
    imp.add_argument("files", nargs="+", type=Path, metavar="FILE")
    jobs = sub.add_parser("jobs", help="scheduled jobs")
    jobs_sub = jobs.add_subparsers(dest="jobs_command", required=True)
    run_job = jobs_sub.add_parser("run", help="run one job now, as if the clock said --at")
    run_job.add_argument("name", choices=sorted(JOBS))
    run_job.add_argument(
        "--at",
        type=_moment,
        default=None,
        metavar="ISO-DATETIME",
        help="the clock time (default: now); without a zone, in FANGFANPIN_TIMEZONE",
    )
    export = sub.add_parser("export", help="write the ledger (台账) of one week as XLSX")
    export.add_argument("-o", "--output", type=Path, required=True, metavar="FILE.xlsx")
    export.add_argument(
        "--week",
        type=_week,
        default=None,
        metavar="YYYY-Www",
        help="the ISO week (default: the current week in FANGFANPIN_TIMEZONE)",
    )
    export.add_argument(
        "--township", default=None, metavar="NAME", help="one township (default: all of them)"
    )
    plan = sub.add_parser("plan", help="write a household's plan (一户一策) as XLSX, for A4")
    plan.add_argument("number", metavar="HOUSEHOLD", help="the household number (户编号)")
    plan.add_argument("-o", "--output", type=Path, required=True, metavar="FILE.xlsx")
    cli_leads.add_parser(sub)
    cli_identities.add_parser(sub)
    cli_national.add_parser(sub)
    cli_backup.add_parser(sub)
    sandbox = sub.add_parser("sandbox", help="the local Bot API stand-in with a demo township")
    sandbox.add_argument(
        "--port", type=int, default=None, help="port (default FANGFANPIN_SANDBOX_PORT, 8081)"
    )
    sandbox.add_argument(
        "--platform",
        choices=("telegram", "dingtalk"),
        default="telegram",
        help="which platform's stand-in the page drives (default telegram)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        env_files.apply(args.env_file, os.environ)
        settings = load_settings()
        # The platform's own variables, checked now: all of them when it is to run.
        own = own_settings(settings.platform, complete=args.command == "run")
    except SettingsError as exc:
        print(f"fangfanpin: configuration error: {exc}", file=sys.stderr)
        return 2
    token = settings.telegram_token.get_secret_value() if settings.telegram_token else None
    setup_logging(
        settings.log_level,
        token or (own.secret() if own else None),
        settings.debug_logger_names,
    )
    t = load_translations(settings.locale, settings.policy.terms).get()

    if args.command == "run":
        if settings.platform == "telegram" and token is None:
            print(
                t._(
                    "FANGFANPIN_TELEGRAM_TOKEN is not set: starting the local sandbox "
                    "instead of Telegram."
                ),
                flush=True,
            )
            from bot.sandbox_run import run_sandbox

            return run_sandbox(settings, port=settings.sandbox_port)
        return run_bot(settings, t)
    if args.command == "sandbox" and args.platform == "dingtalk":
        from bot.sandbox_run import run_dingtalk_sandbox

        return run_dingtalk_sandbox(settings, port=args.port or settings.sandbox_port)
    if args.command == "sandbox":
        from bot.sandbox_run import run_sandbox

        return run_sandbox(settings, port=args.port or settings.sandbox_port)
    if args.command == "db" and args.db_command == "backup":
        return cli_backup.backup_sqlite_file(settings, args.file, t)
    if args.command == "db":
        engine = make_engine(settings.database_url)
        try:
            if args.db_command == "upgrade":
                upgrade(engine)
            print(
                t._("database at revision {current} (newest: {head})").format(
                    current=current_revision(engine), head=head_revision()
                )
            )
        finally:
            engine.dispose()
        return 0
    if args.command == "roster":
        return roster_import(settings, args.files, t)
    if args.command == "leads":
        return cli_leads.run(settings, args, t)
    if args.command == "identities":
        return cli_identities.run(settings, args, t)
    if args.command == "national-list":
        return cli_national.run(settings, args, t)
    if args.command in ("backup", "restore"):
        return cli_backup.run(settings, args, t)
    if args.command == "export":
        return export_ledger(settings, args.output, args.week, args.township, t)
    if args.command == "plan":
        return export_plan(settings, args.number, args.output, t)
    if args.command == "jobs":
        return asyncio.run(cli_jobs.run_job(settings, args.name, args.at, t))
    return 2


JOBS = (
    "reminders",
    "missed-visits",
    "escalations",
    "weekly-summary",
    "measure-reminders",
    "housekeeping",
    "lead-reminders",
    "policy-check",
)


def _week(text: str) -> Week:
    try:
        return Week.parse(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO week: {text!r} (e.g. 2026-W49)") from None


def _moment(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO date-time: {text!r} (e.g. 2026-11-30T09:00)"
        ) from None


def export_ledger(
    settings: Settings, output: Path, week: Week | None, township: str | None, t: Translator
) -> int:
    from conversations.reports import ledger
    from storage.ledger_lines import Scope
    from storage.repositories import Places

    if refuse_xlsx_target(
        output, t, N_("The ledger is written as XLSX: please name the file *.xlsx.")
    ):
        return 2
    week = week or week_of(datetime.now(UTC), settings.tz)
    engine = open_database(settings)
    try:
        with make_session_factory(engine)() as session:
            scope = Scope()
            if township is not None:
                found = Places(session).township(township.strip())
                if found is None:
                    print(
                        t._("There is no township named {name}.").format(name=township),
                        file=sys.stderr,
                    )
                    return 2
                scope = Scope(township_id=found.id)
            book = ledger.build(ledger.collect(session, week, scope, settings.tz), t, settings.tz)
            ledger.write(book, output)
        print(
            t._("The ledger of week {week} was written to {file}.").format(
                week=str(week), file=str(output)
            )
        )
        return 0
    finally:
        engine.dispose()


def export_plan(settings: Settings, number: str, output: Path, t: Translator) -> int:
    """A household's plan as XLSX, readable by its owner only (it has amounts)."""
    from conversations.plan import sheet
    from conversations.reports import ledger
    from storage.plan import find_household, household_plan

    if output.suffix.lower() != ".xlsx" or not output.parent.is_dir():
        print(
            t._("Please name an .xlsx file in a folder that exists: {file}").format(
                file=str(output)
            ),
            file=sys.stderr,
        )
        return 2
    engine = open_database(settings)
    try:
        with make_session_factory(engine)() as session:
            household = find_household(session, None, number=number)
            if household is None:
                print(t._("There is no household {number}.").format(number=number), file=sys.stderr)
                return 2
            plan = household_plan(session, household)
        today = datetime.now(UTC).astimezone(settings.tz).date()
        ledger.write(sheet.build(plan, t, settings.tz, today), output)
        print(
            t._("The plan of household {number} was written to {file}.").format(
                number=plan.number, file=str(output)
            )
        )
        return 0
    finally:
        engine.dispose()


def open_database(settings: Settings) -> Engine:
    """Every command that opens the database brings it to the newest migration first."""
    engine = make_engine(settings.database_url)
    upgrade(engine)
    return engine


def roster_import(settings: Settings, files: Sequence[Path], t: Translator) -> int:
    engine = open_database(settings)
    session_factory = make_session_factory(engine)
    actor = "roster:" + ",".join(f.name for f in files)
    try:
        with session_factory() as session, session.begin():
            result = import_roster(session, files, now=datetime.now(UTC), actor=actor)
    except RosterError as exc:
        print(
            t.ngettext(
                "The roster was not imported: {n} problem. Nothing was changed.",
                "The roster was not imported: {n} problems. Nothing was changed.",
                len(exc.errors),
            ).format(n=len(exc.errors)),
            file=sys.stderr,
        )
        print_row_errors(exc.errors, t)
        return 1
    finally:
        engine.dispose()
    print(import_summary(result, t))
    return 0


def import_summary(result: ImportResult, t: Translator) -> str:
    lines = [
        t._("Households: {created} new, {updated} updated, {unchanged} unchanged.").format(
            created=result.households_created,
            updated=result.households_updated,
            unchanged=result.households_unchanged,
        ),
        t._("People: {created} new, {updated} updated, {unchanged} unchanged.").format(
            created=result.people_created,
            updated=result.people_updated,
            unchanged=result.people_unchanged,
        ),
        t._("Helper assignments changed: {n}.").format(n=result.assignments_changed),
    ]
    if result.households_not_in_files:
        lines.append(
            t._(
                "Households in the database but not in these files (left as they are): {numbers}"
            ).format(numbers=", ".join(result.households_not_in_files))
        )
    return "\n".join(lines)


def run_bot(settings: Settings, t: Translator | None = None) -> int:
    """`run`: the configured platform's bot (this identity's), until SIGTERM or SIGINT."""
    from bot.plugins import plugin

    t = t or load_translations(settings.locale, settings.policy.terms).get()

    engine = open_database(settings)
    try:
        if not cli_identities.claim_or_refuse(settings, engine, t):
            return 2
        log.info(
            "%s bot %s starting (database %s)",
            settings.platform,
            settings.identity,
            engine.url.render_as_string(hide_password=True),
        )
        return asyncio.run(plugin(settings.platform).serve(settings, engine))
    finally:
        engine.dispose()
