"""income by source: a household's income statements by source with the date each is valid
from (roster or visit), and the figure a check-in was assessed with, with its parts

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "income_statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("checkin_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["household_id"], ["households.id"]),
        sa.ForeignKeyConstraint(["checkin_id"], ["checkins.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_income_statements_household",
        "income_statements",
        ["household_id", "valid_from"],
        unique=False,
    )
    # Plain ALTER TABLE: SQLite adds a nullable column in place (a batch would copy the
    # table, which the tables that reference check-ins forbid).
    op.add_column("checkins", sa.Column("income", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("checkins", "income")
    op.drop_index("ix_income_statements_household", table_name="income_statements")
    op.drop_table("income_statements")
