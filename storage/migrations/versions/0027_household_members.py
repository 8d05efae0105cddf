"""household members: one row per person of a household (roster's members file), whether
they live in it now

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "household_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("relation", sa.String(length=40), nullable=False),
        sa.Column("id_number", sa.String(length=32), nullable=True),
        sa.Column("born_on", sa.Date(), nullable=True),
        sa.Column("labour", sa.String(length=40), nullable=True),
        sa.Column("health", sa.String(length=40), nullable=True),
        sa.Column("schooling", sa.String(length=40), nullable=True),
        sa.Column("insurance", sa.String(length=40), nullable=True),
        sa.Column("presence", sa.String(length=10), nullable=False),
        sa.Column("presence_since", sa.Date(), nullable=True),
        sa.Column("changed_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["household_id"], ["households.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_household_members_household",
        "household_members",
        ["household_id", "presence"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_household_members_household", table_name="household_members")
    op.drop_table("household_members")
