"""api usage: metered calls per platform and month

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 19:30:00

DingTalk meters an organisation's API calls against a monthly quota (10,000 on its standard
plan): the adapter counts its calls here so the staff see the month's use in /summary.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'api_usage',
        sa.Column('platform', sa.String(length=20), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('calls', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('platform', 'month', name=op.f('pk_api_usage')),
    )


def downgrade() -> None:
    op.drop_table('api_usage')
