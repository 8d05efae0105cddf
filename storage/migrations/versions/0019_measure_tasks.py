"""measure tasks: units as people, a measure is a task given to a unit

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 19:50:00

The staff roster names unit staff (部门干部) and their unit (单位, e.g. 镇民政办): the person
keeps it, so the measures given to that unit reach them (`/tasks`).

A measure becomes a task (monitoring/measures.py): its kind is its category (the old kinds
are categories by the same words), `responsible` names the unit (the old codes become the
seed's names: village -> 各村, civil_affairs -> 镇民政办 …), with an amount, a deadline, a
status (pending, in_progress, done, refused), the refusal's reason, and who changed the
status when. Measures recorded before were records of help already given: they are `done`,
delivered on the day they were taken (`taken_on`, now empty until delivery).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

UTC_DATETIME = UTCDateTime(timezone=True)

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_UNITS = {  # monitoring.measures.OLD_UNITS, as it was when this migration was written
    "village": "各村",
    "helper": "帮扶责任人",
    "civil_affairs": "镇民政办",
    "social_security": "镇社保所",
    "township": "镇政府",
    "other": "其他",
}


def upgrade() -> None:
    # A plain ADD COLUMN: a batch copy of `persons` would drop a table others refer to.
    op.add_column("persons", sa.Column("unit", sa.String(length=40), nullable=True))
    with op.batch_alter_table("measures") as batch:  # nothing refers to measures
        batch.add_column(sa.Column("amount", sa.Numeric(12, 2), nullable=True))
        batch.add_column(sa.Column("deadline", sa.Date(), nullable=True))
        batch.add_column(sa.Column("status", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("status_by", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("status_at", UTC_DATETIME, nullable=True))
        batch.create_foreign_key("fk_measures_status_by_persons", "persons", ["status_by"], ["id"])
        batch.alter_column("taken_on", existing_type=sa.Date(), nullable=True)
        batch.create_index("ix_measures_responsible", ["responsible"])
    op.execute("UPDATE measures SET status = 'done'")
    for old, name in OLD_UNITS.items():
        op.execute(
            sa.text("UPDATE measures SET responsible = :name WHERE responsible = :old").bindparams(
                name=name, old=old
            )
        )
    with op.batch_alter_table("measures") as batch:
        batch.alter_column("status", existing_type=sa.String(length=20), nullable=False)


def downgrade() -> None:
    # Tasks never delivered were no measures before: kept with their deadline as the date,
    # or dropped when they have none.
    op.execute("UPDATE measures SET taken_on = deadline WHERE taken_on IS NULL")
    op.execute("DELETE FROM measures WHERE taken_on IS NULL")
    for old, name in OLD_UNITS.items():
        op.execute(
            sa.text("UPDATE measures SET responsible = :old WHERE responsible = :name").bindparams(
                name=name, old=old
            )
        )
    with op.batch_alter_table("measures") as batch:
        batch.drop_index("ix_measures_responsible")
        batch.alter_column("taken_on", existing_type=sa.Date(), nullable=False)
        batch.drop_constraint("fk_measures_status_by_persons", type_="foreignkey")
        for column in ("status_at", "status_by", "reason", "status", "deadline", "amount"):
            batch.drop_column(column)
    op.execute("ALTER TABLE persons DROP COLUMN unit")
