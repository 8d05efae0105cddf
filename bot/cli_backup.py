"""`fangfanpin backup -o DIR` and `fangfanpin restore FOLDER`: the database, the policy file and
the settings in one folder (bot/backup_set.py), and the database back into an empty one.
Neither migrates the database (a backup copies it as it is; a restore puts back what was):
the next command that opens it, or `run`, does."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from bot import backup_set
from bot.settings import Settings
from monitoring.i18n import Translator
from storage import backup as database
from storage.migrate import head_revision, known_revision

KEEP = 14


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    backup = sub.add_parser(
        "backup", help="back up the database, the policy file and the settings into DIR"
    )
    backup.add_argument("-o", "--output", type=Path, required=True, metavar="DIR")
    backup.add_argument(
        "--settings",
        type=Path,
        action="append",
        default=None,
        metavar="FILE|FOLDER",
        help="settings files to keep (a folder: its *.env files); default: ./.env if present",
    )
    backup.add_argument(
        "--keep",
        type=int,
        default=KEEP,
        metavar="N",
        help=f"keep the newest N backups in DIR, remove older ones (default {KEEP}; 0: all)",
    )
    restore = sub.add_parser("restore", help="restore a backup's database into an empty database")
    restore.add_argument("folder", type=Path, metavar="FOLDER")


def run(settings: Settings, args: argparse.Namespace, t: Translator) -> int:
    try:
        if args.command == "backup":
            return _backup(settings, args.output, args.settings, args.keep, t)
        return _restore(settings, args.folder, t)
    except (backup_set.BackupSetError, database.BackupError) as exc:
        print(t._("Nothing was changed: {reason}").format(reason=str(exc)), file=sys.stderr)
        return 1


def _backup(
    settings: Settings, into: Path, named: list[Path] | None, keep: int, t: Translator
) -> int:
    if keep < 0:
        print(t._("--keep: a number of backups, 0 or more."), file=sys.stderr)
        return 2
    if named is None:
        named = [Path(".env")] if Path(".env").is_file() else []
    files = backup_set.settings_files(named)
    from storage.db import make_engine
    from storage.migrate import current_revision

    engine = make_engine(settings.database_url)
    try:
        revision = current_revision(engine)
    finally:
        engine.dispose()
    now = datetime.now(UTC).astimezone(settings.tz)
    made = backup_set.make(
        into,
        url=settings.database_url,
        revision=revision,
        policy=Path(settings.policy_file) if settings.policy_file else None,
        settings=files,
        now=now,
    )
    print(
        t.ngettext(
            "Backed up to {folder}: the database and {n} other file.",
            "Backed up to {folder}: the database and {n} other files.",
            len(made.saved),
        ).format(folder=str(made.folder), n=len(made.saved))
    )
    if not files:
        print(
            t._(
                "No settings file was backed up: name them with --settings (e.g. "
                "--settings /etc/fangfanpin)."
            )
        )
    removed = backup_set.prune(into, keep, now)
    if removed:
        print(
            t.ngettext(
                "Removed {n} older backup (the newest {keep} are kept).",
                "Removed {n} older backups (the newest {keep} are kept).",
                len(removed),
            ).format(n=len(removed), keep=keep)
        )
    return 0


def _restore(settings: Settings, folder: Path, t: Translator) -> int:
    found = backup_set.read(folder)
    url = settings.database_url
    if found.database_kind != database.kind(url):
        print(
            t._(
                "This backup holds a {backup} database and FANGFANPIN_DATABASE_URL names a "
                "{target} one: restore it into the same kind. Nothing was changed."
            ).format(backup=found.database_kind, target=database.kind(url)),
            file=sys.stderr,
        )
        return 2
    if found.revision is not None and not known_revision(found.revision):
        print(
            t._(
                "This backup was made by a newer version (database revision {backup}; this "
                "installation knows up to {head}): install that version, then restore. "
                "Nothing was changed."
            ).format(backup=found.revision, head=head_revision()),
            file=sys.stderr,
        )
        return 2
    present = database.tables(url)
    if present:
        print(
            t._(
                "The database {database} is not empty ({n} tables): a backup is restored only "
                "into an empty database (README: Restoring). Nothing was changed."
            ).format(database=_shown(url), n=len(present)),
            file=sys.stderr,
        )
        return 2
    database.restore(url, folder / found.database_file)
    print(
        t._("Restored the database of {made_at} (revision {revision}) into {database}.").format(
            made_at=found.made_at, revision=found.revision or "-", database=_shown(url)
        )
    )
    if found.saved:
        print(t._("The backup also holds these files; on a new machine, copy them back:"))
        for saved in found.saved:
            print(f"  {folder / saved.name}  ->  {saved.origin}")
    print(
        t._("The next start (or `fangfanpin db upgrade`) brings it to revision {head}.").format(
            head=head_revision()
        )
    )
    return 0


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def backup_sqlite_file(settings: Settings, target: Path, t: Translator) -> int:
    """`fangfanpin db backup FILE`: one SQLite file, copied while the bot runs."""
    from storage.db import backup_sqlite

    if not settings.database_url.startswith("sqlite"):
        print(
            t._(
                "This database is not SQLite: back it up with fangfanpin backup -o DIR (which "
                "runs pg_dump)."
            ),
            file=sys.stderr,
        )
        return 2
    if not target.parent.is_dir():
        print(
            t._("The folder {folder} does not exist.").format(folder=str(target.parent)),
            file=sys.stderr,
        )
        return 2
    from bot.cli import open_database

    open_database(settings).dispose()  # the newest migration, as every command
    size = backup_sqlite(settings.database_url, target)
    print(t._("Backed up to {file} ({size} bytes).").format(file=str(target), size=size))
    return 0
