"""Migrations: they build the schema the models describe, and go down and up again."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session, sessionmaker

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


def test_drafts_of_three_tables_are_carried_into_one(
    db: Engine, town: sessionmaker[Session]
) -> None:
    """0007: check-in, measure, proposal and reason drafts move to the one drafts table; a
    person with two open keeps the check-in."""
    from alembic import command
    from sqlalchemy import select, text

    from storage.migrate import alembic_config
    from storage.models import Alert, Draft, Household, Person
    from tests.small_town import STAFF, A, at, green_checkin

    green_checkin(town, "H3", at("2026-11-24T10:00"), food=False)  # a warning to measure
    with town() as s:
        helper = s.scalars(select(Person.id).where(Person.telegram_user_id == A)).one()
        staff = s.scalars(select(Person.id).where(Person.telegram_user_id == STAFF)).one()
        household = s.scalars(select(Household.id).where(Household.number == "H1")).one()
        alert = s.scalars(select(Alert.id)).one()
    config = alembic_config()
    with db.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0006")
    when = "2026-11-24 02:00:00"
    with db.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO checkin_drafts (helper_id, household_id, week, answers, editing, "
                "cancel_requested, started_at, updated_at) VALUES (:p, :h, '2026-W48', "
                "'{\"members\": 3}', NULL, false, :t, :t)"
            ),
            {"p": helper, "h": household, "t": when},
        )
        conn.execute(
            text(
                "INSERT INTO person_drafts (person_id, kind, data, started_at, updated_at) "
                "VALUES (:p, 'proposal', '{}', :t, :t), (:s, 'reason', :r, :t, :t)"
            ),
            {"p": helper, "s": staff, "t": when, "r": '{"action": "eliminate"}'},
        )
        conn.execute(
            text(
                "INSERT INTO measure_drafts (person_id, alert_id, answers, started_at) "
                'VALUES (:p, :a, \'{"kind": "relief"}\', :t)'
            ),
            {"p": helper, "a": alert, "t": when},
        )
    upgrade(db)
    with town() as s:
        drafts = {d.person_id: d for d in s.scalars(select(Draft))}
    assert set(drafts) == {helper, staff}
    kept = drafts[helper]
    assert (kept.flow, kept.subject_id, kept.week, kept.answers) == (
        "checkin",
        household,
        "2026-W48",
        {"members": 3},
    )
    assert (drafts[staff].flow, drafts[staff].answers) == ("reason", {"action": "eliminate"})
    assert kept.started_at.tzinfo is not None
