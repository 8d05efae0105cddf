"""api usage: since when a platform's monthly quota is used up

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 10:00:00

DingTalk refuses an organisation's metered calls once its monthly quota is used up (403
`Forbidden.AccessDenied.ApiCountLimitForOrg`): the bot then keeps its messages waiting and
the township staff's /summary says since when.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        'api_usage',
        sa.Column('exhausted_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    with op.batch_alter_table('api_usage') as batch:
        batch.drop_column('exhausted_at')
