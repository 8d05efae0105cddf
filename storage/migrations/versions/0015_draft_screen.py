"""draft screen: the message showing a conversation's question with its buttons

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 18:45:00

A check-in question answered by typing (a number, a note, a photo) left its buttons live on
the message that asked it. The draft now keeps which message shows its question, so that
the message that takes over from it removes them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('drafts') as batch:
        batch.add_column(sa.Column('screen_id', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('drafts') as batch:
        batch.drop_column('screen_id')
