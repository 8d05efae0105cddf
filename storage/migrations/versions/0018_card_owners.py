"""card owners: the chat each card was delivered to, and the prefixes of its buttons

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 10:00:00

A DingTalk card callback names its card (`outTrackId`) and the presser; what it says of the
chat (`spaceType`, `spaceId`) may be empty, and nothing in it can be trusted to say which
buttons the card shows. Each card's row in `platform_ids` now keeps the chat it was delivered
to (a person's or a group's integer) and the prefixes of its buttons, written when the card is
sent and when its buttons change. Cards sent before this have neither: a press on one is
refused as no longer valid.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('platform_ids', sa.Column('chat_id', sa.BigInteger(), nullable=True))
    op.add_column('platform_ids', sa.Column('buttons', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('platform_ids') as batch:
        batch.drop_column('buttons')
        batch.drop_column('chat_id')
