"""Engine and session factories, and the SQLite pragmas, in one place."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_DATABASE_URL = "sqlite:///data/fangfanpin.db"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; for a SQLite file, create its folder and turn on WAL and foreign keys."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            _create_private(Path(database))
        kwargs.setdefault("connect_args", {}).setdefault("timeout", SQLITE_BUSY_TIMEOUT)
    elif parsed.get_backend_name() == "postgresql" and "options" not in parsed.query:
        # No JIT compilation: the summaries' plans (an index probe per household) are costed
        # past jit_above_cost, and compiling them took 0.3-0.5 s of each of a county's two
        # main /summary queries (bench/README.md, part 7). Short queries gain nothing from it.
        kwargs.setdefault("connect_args", {}).setdefault("options", POSTGRESQL_OPTIONS)
    if parsed.get_backend_name() != "sqlite":
        # A connection for each transaction thread and a few for the outbox and the jobs,
        # kept: with the pool's default of 5, three of the 8 threads opened and closed a
        # connection per transaction (a server process each, its prepared statements lost).
        kwargs.setdefault("pool_size", SERVER_THREADS + 4)
    # A connection a server dropped (a restart, a failover) is not pinged before every use
    # (a round trip per transaction): the transaction that meets it runs again on a new one
    # (`Services.tx`), and SQLAlchemy lets go of every pooled connection older than it.
    # Statement parameters (names, phone and ID numbers) never appear in errors or logs.
    kwargs.setdefault("hide_parameters", True)
    engine = create_engine(parsed, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


POSTGRESQL_OPTIONS = "-c jit=off"  # a URL's own ?options=... replaces this
SERVER_THREADS = 8  # transactions at once against a database server (bot/core.py)
SQLITE_BUSY_TIMEOUT = 5.0  # seconds a write waits for another writer before "database is locked"


def is_transient(error: BaseException | None) -> bool:
    """A database fault that passes: SQLite busy/locked, a server connection lost or
    restarted, the pool exhausted. Retrying the same work later is right."""
    if isinstance(error, exc.TimeoutError):
        return True
    if isinstance(error, exc.DBAPIError):
        if error.connection_invalidated:
            return True
        if isinstance(error, exc.OperationalError):
            return True
    return False


def _create_private(path: Path) -> None:
    """The database holds personal data: a new file is readable by its owner only (SQLite
    gives the -wal and -shm files the same permissions)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def backup_sqlite(url: str, target: Path) -> int:
    """Copy a live SQLite database to `target` with SQLite's online backup (consistent while
    the bot writes); return the size in bytes. The copy is readable by its owner only."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        raise ValueError("not a SQLite database")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    _create_private(partial)
    source = sqlite3.connect(parsed.database)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
        finally:
            copy.close()
    finally:
        source.close()
    partial.replace(target)
    return target.stat().st_size


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_session_factory(
    engine: Engine, info: dict[str, Any] | None = None
) -> sessionmaker[Session]:
    """Sessions on `engine`; `info` is put in each session's `info` (a bot identity's process
    says there which identity it works for: `storage/identities.py`)."""
    return sessionmaker(engine, expire_on_commit=False, info=info)
