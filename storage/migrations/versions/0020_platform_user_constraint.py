"""the unique constraint on a person's platform id named for what it is

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 22:00:00

0016 renamed `persons.telegram_user_id` to `platform_user_id` (a person is linked to a
platform and its id) but left its unique constraint named `uq_persons_telegram_user_id`:
renaming a constraint on SQLite needs the table copied, and `persons` is referred to by most
tables. The constraint's name is only text, so on SQLite the table's stored definition is
edited in place, by the procedure SQLite documents for changes that leave the stored data as
it is (https://www.sqlite.org/lang_altertable.html, "Making Other Kinds Of Table Schema
Changes": writable_schema, a new schema_version, an integrity check, in one transaction).
PostgreSQL renames it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = "uq_persons_telegram_user_id"
NEW = "uq_persons_platform_user_id"


def _rename(old: str, new: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.execute(f"ALTER TABLE persons RENAME CONSTRAINT {old} TO {new}")
        return
    version = int(bind.execute(sa.text("PRAGMA schema_version")).scalar_one())
    bind.execute(sa.text("PRAGMA writable_schema=ON"))
    try:
        bind.execute(
            sa.text(
                "UPDATE sqlite_master SET sql = replace(sql, :old, :new) "
                "WHERE type = 'table' AND name = 'persons'"
            ),
            {"old": old, "new": new},
        )
        bind.execute(sa.text(f"PRAGMA schema_version={version + 1}"))
    finally:
        bind.execute(sa.text("PRAGMA writable_schema=OFF"))
    problems = bind.execute(sa.text("PRAGMA integrity_check")).scalars().all()
    if problems != ["ok"]:
        raise RuntimeError(f"persons after renaming its constraint: {problems[:3]}")


def upgrade() -> None:
    _rename(OLD, NEW)


def downgrade() -> None:
    _rename(NEW, OLD)
