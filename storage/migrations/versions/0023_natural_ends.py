"""natural ends: households that left monitoring by 自然消除 (death of the last member,
moving away), with the date, the cause and who recorded it

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02 23:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "natural_ends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=False),
        sa.Column("cause", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("reinstated_by", sa.Integer(), nullable=True),
        sa.Column("reinstated_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["household_id"], ["households.id"]),
        sa.ForeignKeyConstraint(["recorded_by"], ["persons.id"]),
        sa.ForeignKeyConstraint(["reinstated_by"], ["persons.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_natural_ends_household_id"), "natural_ends", ["household_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_natural_ends_household_id"), table_name="natural_ends")
    op.drop_table("natural_ends")
