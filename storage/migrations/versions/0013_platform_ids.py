"""platform ids: integers for DingTalk's people, groups and cards

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 18:30:00

A platform whose ids are strings (DingTalk) gets integers for them outside Telegram's range,
so persons, bindings, the outbox and the engine keep one integer per chat.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'platform_ids',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('platform', sa.String(length=20), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('external_id', sa.String(length=200), nullable=False),
        sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_platform_ids')),
        sa.UniqueConstraint('platform', 'kind', 'external_id', name='uq_platform_ids_external'),
    )


def downgrade() -> None:
    op.drop_table('platform_ids')
