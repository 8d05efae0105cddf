"""A second, empty database beside the test database (a backup restored into it, a release's
database upgraded in it): a SQLite file, or a database of its own on the PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import make_url, text

from storage.db import make_engine


@contextmanager
def scratch_database(database_url: str, suffix: str, folder: Path) -> Iterator[str]:
    given = make_url(database_url)
    if given.get_backend_name() == "sqlite":
        yield f"sqlite:///{folder / (suffix + '.db')}"
        return
    name = f"{given.database}_{suffix}"
    server = make_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield given.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()
