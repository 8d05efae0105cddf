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
        helper = s.scalars(select(Person.id).where(Person.platform_user_id == A)).one()
        staff = s.scalars(select(Person.id).where(Person.platform_user_id == STAFF)).one()
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


def test_accounts_carry_over_and_dingtalk_audit_rows_say_dingtalk(db: Engine) -> None:
    """0016: `telegram_user_id` becomes (platform, platform_user_id); audit rows that said
    `telegram:<number>` for a DingTalk user's action say `dingtalk:<DingTalk's user id>`."""
    from alembic import command
    from sqlalchemy import text

    from storage.migrate import alembic_config

    config = alembic_config()
    with db.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0015")
    ding = 2**53 + 7
    with db.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO townships (id, name, created_at, updated_at) "
                "VALUES (1, '龙溪镇', '2026-11-01', '2026-11-01')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO platform_ids (id, platform, kind, external_id, created_at) "
                "VALUES (7, 'dingtalk', 'user', 'manager0001', '2026-11-01')"
            )
        )
        for pid, phone, account in ((1, "+8613800000001", 604), (2, "+8613800000002", ding)):
            conn.execute(
                text(
                    "INSERT INTO persons (id, name, phone, role, township_id, telegram_user_id,"
                    " created_at, updated_at) VALUES (:id, '甲', :phone, 'helper', 1, :account,"
                    " '2026-11-01', '2026-11-01')"
                ),
                {"id": pid, "phone": phone, "account": account},
            )
        for actor in (f"telegram:{ding}", "telegram:604"):
            conn.execute(
                text(
                    "INSERT INTO audit_log (at, actor, action, entity, entity_key, field,"
                    " new_value) VALUES ('2026-11-01', :actor, 'update', 'person', 'k',"
                    " 'telegram_user_id', '1')"
                ),
                {"actor": actor},
            )
    upgrade(db)
    with db.connect() as conn:
        people = conn.execute(
            text("SELECT id, platform, platform_user_id FROM persons ORDER BY id")
        ).all()
        audit = conn.execute(text("SELECT actor, field FROM audit_log ORDER BY id")).all()
    assert [tuple(p) for p in people] == [(1, "telegram", 604), (2, "dingtalk", ding)]
    assert [tuple(a) for a in audit] == [
        ("dingtalk:manager0001", "platform_user_id"),
        ("telegram:604", "platform_user_id"),
    ]


def test_measures_recorded_before_become_delivered_tasks_of_named_units(
    db: Engine, town: sessionmaker[Session]
) -> None:
    """0018: a measure recorded before measures were tasks is delivered (已落实) on the day
    it was taken, its kind its category, its unit code the seed's unit name."""
    from alembic import command
    from sqlalchemy import select, text

    from storage.migrate import alembic_config
    from storage.models import Household, Person

    with town() as s:
        household = s.scalars(select(Household).where(Household.number == "H1")).one().id
        person = s.scalars(select(Person)).first()
        assert person is not None
    config = alembic_config()
    with db.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0018")
    with db.begin() as conn:
        for kind, unit in (
            ("relief", "civil_affairs"),
            ("industry", "village"),
            ("other", "合作社"),
        ):
            conn.execute(
                text(
                    "INSERT INTO measures (household_id, kind, responsible, taken_on,"
                    " recorded_by, recorded_at) VALUES (:h, :kind, :unit, '2026-11-20', :p,"
                    " '2026-11-20 10:00:00')"
                ),
                {"h": household, "kind": kind, "unit": unit, "p": person.id},
            )
    upgrade(db)
    with db.connect() as conn:
        rows = conn.execute(
            text("SELECT kind, responsible, status, taken_on, deadline FROM measures ORDER BY id")
        ).all()
    assert [(r[0], r[1], r[2], str(r[3]), r[4]) for r in rows] == [
        ("relief", "镇民政办", "done", "2026-11-20", None),
        ("industry", "各村", "done", "2026-11-20", None),
        ("other", "合作社", "done", "2026-11-20", None),
    ]


def test_the_platform_id_constraint_is_renamed_and_still_holds(
    db: Engine, town: sessionmaker[Session]
) -> None:
    """0020: `uq_persons_telegram_user_id` is `uq_persons_platform_user_id`, with the people
    kept and the rule still enforced; down and up again (on SQLite the stored definition is
    edited in place: no copy of a table others refer to)."""
    from alembic import command
    from sqlalchemy import exc, text

    from storage.migrate import alembic_config

    def names() -> set[str | None]:
        return {c["name"] for c in inspect(db).get_unique_constraints("persons")}

    with db.connect() as conn:
        people = conn.execute(text("SELECT count(*) FROM persons")).scalar_one()
        linked = (
            conn.execute(
                text("SELECT platform_user_id FROM persons WHERE platform_user_id IS NOT NULL")
            )
            .scalars()
            .first()
        )
    assert people > 0 and linked is not None
    assert "uq_persons_platform_user_id" in names()
    config = alembic_config()
    with db.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0019")
    assert "uq_persons_telegram_user_id" in names()
    assert "uq_persons_platform_user_id" not in names()
    upgrade(db)
    assert "uq_persons_platform_user_id" in names()
    assert "uq_persons_telegram_user_id" not in names()
    with db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM persons")).scalar_one() == people
        with pytest.raises(exc.IntegrityError):
            conn.execute(
                text(
                    "INSERT INTO persons (name, phone, role, township_id, platform,"
                    " platform_user_id) SELECT 'x', '+8613900000000', role, township_id,"
                    " platform, platform_user_id FROM persons WHERE platform_user_id = :id"
                ),
                {"id": linked},
            )


def test_earlier_school_age_answers_get_the_day_they_were_recorded(
    db: Engine, town: sessionmaker[Session]
) -> None:
    """0029: `school_child_asked_on` is filled from the audit row that recorded the answer (the
    check-in then asks again from the next 1 September, not at once)."""
    from alembic import command
    from sqlalchemy import select

    from storage.migrate import alembic_config
    from storage.models import Household
    from storage.repositories import Audit
    from tests.small_town import at

    with town() as s, s.begin():
        h1 = s.scalars(select(Household).where(Household.number == "H1")).one()
        Audit(s).update_fields(
            h1,
            {"has_school_child": True},
            now=at("2026-11-24T10:00"),
            actor="person:1",
            entity="household",
            key="H1",
        )
    config = alembic_config()
    with db.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0028")
    upgrade(db)
    with town() as s:
        rows = s.execute(select(Household.number, Household.school_child_asked_on)).all()
        asked = {number: str(day) if day else None for number, day in rows}
    assert asked["H1"] == "2026-11-24" and asked["H2"] is None
