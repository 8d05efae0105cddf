"""household team: the people besides the first helper who may visit a household

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02 22:20:00

The roster's optional 帮扶小组 column names, for a household, people of the roster (by name or
mobile number) who may check in for it besides its first helper (the "1+4+1" team).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "household_team",
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("added_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["household_id"], ["households.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"]),
        sa.PrimaryKeyConstraint("household_id", "person_id"),
    )
    op.create_index(
        op.f("ix_household_team_person_id"), "household_team", ["person_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_household_team_person_id"), table_name="household_team")
    op.drop_table("household_team")
