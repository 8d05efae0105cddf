"""elimination referrals

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 15:45:00

Elimination is no longer overridden: a household whose criteria fail can only be referred
to the county with a reason, recorded here (never as eliminated). Overrides recorded before
stay in `eliminations.override_reason`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'elimination_referrals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('household_id', sa.Integer(), nullable=False),
        sa.Column('referred_by', sa.Integer(), nullable=False),
        sa.Column('referred_at', storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('criteria', sa.JSON(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['household_id'], ['households.id']),
        sa.ForeignKeyConstraint(['referred_by'], ['persons.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('elimination_referrals', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_elimination_referrals_household_id'), ['household_id'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('elimination_referrals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_elimination_referrals_household_id'))
    op.drop_table('elimination_referrals')
