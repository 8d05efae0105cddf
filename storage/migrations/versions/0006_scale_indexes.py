"""indexes for summaries at province scale

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 09:10:00

Measured on a generated year of 10,000 households (bench/README.md): the summary's
"checked in this week" test used ix_checkins_week (every check-in of the week, for each
household), 52 s for one township; with this index, 30 ms. The new index starts with
household_id, so the single-column one it replaces is redundant.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.create_index(
            'ix_checkins_household_week', ['household_id', 'week', 'is_current', 'level'], unique=False
        )
        batch_op.drop_index('ix_checkins_household_id')


def downgrade() -> None:
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.create_index('ix_checkins_household_id', ['household_id'], unique=False)
        batch_op.drop_index('ix_checkins_household_week')
