"""who claimed an outbox row

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 15:20:00

A row claimed by a bot process that was killed before sending waited for its claim to go
stale (2 minutes): a red warning held up by the flood limiter when the bot died was two
minutes late. The claimer is recorded now; a bot that starts takes back at once what an
earlier bot process had claimed (only one bot can poll Telegram with a token at a time).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('claimed_by')
