"""Migrations: they build the schema the models describe, and go down and up again."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from storage.migrate import current_revision, head_revision, upgrade
from storage.models import Base


def test_models_and_migrations_agree(db: Engine) -> None:
    with db.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
    assert diff == []
    assert current_revision(db) == head_revision()


def test_downgrade_to_base_and_upgrade_again(db: Engine) -> None:
    from alembic import command

    from storage.migrate import alembic_config

    config = alembic_config()
    with db.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    assert set(inspect(db).get_table_names()) <= {"alembic_version"}
    upgrade(db)
    assert {"households", "persons", "audit_log"} <= set(inspect(db).get_table_names())
    assert current_revision(db) == head_revision()


def test_sqlite_runs_with_wal_and_foreign_keys(db: Engine) -> None:
    if db.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas only")
    with db.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
