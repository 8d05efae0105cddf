"""leads: possible households at risk from self-reports, cadres and departments' lists

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 22:30:00

A lead (线索, monitoring/leads.py) is one possible household at risk: who (name, ID number,
village), what happened, where it came from (self, cadre, a department's name), the day it
was received and the day it should be checked by, and what checking it found (its outcome,
the reason for 不纳入, the proposal it started). `self_reports`: a self-report being written
by someone not on the roster (their account and answers). New tables; nothing else changes.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

UTC_DATETIME = UTCDateTime(timezone=True)

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "leads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("township_id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=True),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("id_number", sa.String(length=32), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("risk_types", sa.JSON(), nullable=False),
        sa.Column("what", sa.Text(), nullable=True),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("source_file", sa.String(length=200), nullable=True),
        sa.Column("source_row", sa.Integer(), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("check_by", sa.Date(), nullable=False),
        sa.Column("reported_by", sa.Integer(), nullable=True),
        sa.Column("reporter_user_id", sa.BigInteger(), nullable=True),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("checked_on", sa.Date(), nullable=True),
        sa.Column("checked_by", sa.Integer(), nullable=True),
        sa.Column("proposal_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["township_id"], ["townships.id"], name=op.f("fk_leads_township_id_townships")
        ),
        sa.ForeignKeyConstraint(
            ["village_id"], ["villages.id"], name=op.f("fk_leads_village_id_villages")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name=op.f("fk_leads_household_id_households")
        ),
        sa.ForeignKeyConstraint(
            ["reported_by"], ["persons.id"], name=op.f("fk_leads_reported_by_persons")
        ),
        sa.ForeignKeyConstraint(
            ["checked_by"], ["persons.id"], name=op.f("fk_leads_checked_by_persons")
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposals.id"], name=op.f("fk_leads_proposal_id_proposals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leads")),
    )
    with op.batch_alter_table("leads") as batch:
        batch.create_index("ix_leads_open", ["township_id", "outcome", "received_on"])
        batch.create_index("ix_leads_source", ["source", "received_on"])
        batch.create_index(batch.f("ix_leads_village_id"), ["village_id"])
        batch.create_index(batch.f("ix_leads_household_id"), ["household_id"])
        batch.create_index(batch.f("ix_leads_id_number"), ["id_number"])
        batch.create_index(batch.f("ix_leads_proposal_id"), ["proposal_id"])
    op.create_table(
        "self_reports",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("started_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_self_reports")),
    )


def downgrade() -> None:
    op.drop_table("self_reports")
    op.drop_table("leads")
