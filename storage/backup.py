"""The whole database copied to one file and back: PostgreSQL with pg_dump's custom format and
pg_restore, a SQLite file with SQLite's online backup (consistent while the bot writes). Reads
and writes only: which files make a backup, and where they go, is `bot/backup_set.py`'s."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import URL, make_url

from storage.db import backup_sqlite, make_engine

# A dump of a county's database takes seconds; a province's, minutes.
TIMEOUT = 6 * 3600


class BackupError(Exception):
    """One line for the operator: what failed and what to do."""


def kind(url: str) -> str:
    """`postgresql` or `sqlite`."""
    return make_url(url).get_backend_name()


def dump(url: str, target: Path) -> None:
    """The database at `url` into `target` (created readable by its owner only)."""
    if kind(url) == "sqlite":
        backup_sqlite(url, target)
        return
    _private(target)
    _run("pg_dump", ["--format=custom", f"--file={target}"], url)


def restore(url: str, source: Path) -> None:
    """`source` (made by `dump`) into the empty database at `url`; all or nothing."""
    if kind(url) == "sqlite":
        database = sqlite_file(url)
        for leftover in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
            leftover.unlink(missing_ok=True)  # an empty database (tables() said so)
        backup_sqlite(f"sqlite:///{source}", database)
        return
    _run(
        "pg_restore",
        ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", str(source)],
        url,
    )


def tables(url: str) -> list[str]:
    """The tables the database at `url` holds (none: it is empty, or a SQLite file that does
    not exist yet, which is left uncreated)."""
    if kind(url) == "sqlite":
        database = sqlite_file(url)
        if not database.exists():
            return []
        reader = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        try:
            rows = reader.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            ).fetchall()
        finally:
            reader.close()
        return sorted(name for (name,) in rows)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return sorted(inspect(connection).get_table_names())
    finally:
        engine.dispose()


def sqlite_file(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError(f"{url}: name a SQLite file, e.g. sqlite:///data/fangfanpin.db")
    return Path(database)


def _private(path: Path) -> None:
    path.unlink(missing_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600))


def _run(tool: str, arguments: list[str], url: str) -> None:
    """pg_dump or pg_restore against `url`; the password goes in the environment (PGPASSWORD),
    never on the command line, where `ps` would show it."""
    program = shutil.which(tool)
    if program is None:
        raise BackupError(
            f"{tool} is not installed: apt install postgresql-client (of the server's "
            "major version or newer)"
        )
    conninfo, password = libpq(make_url(url))
    env = dict(os.environ)
    if password is not None:
        env["PGPASSWORD"] = password
    done = subprocess.run(
        [program, *arguments, f"--dbname={conninfo}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        said = " ".join(done.stderr.split()) or f"exit code {done.returncode}"
        raise BackupError(f"{tool} failed: {said}")


def libpq(url: URL) -> tuple[str, str | None]:
    """The SQLAlchemy URL as a libpq connection URI without its password, and the password."""
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), url.password
