"""proposals: identification or elimination

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 16:40:00

Marking a household's risk eliminated goes the way identification goes (village review,
public notice, township, county): an elimination is a proposal of kind "eliminate".
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        'proposals',
        sa.Column('kind', sa.String(length=20), nullable=False, server_default='identify'),
    )


def downgrade() -> None:
    op.drop_column('proposals', 'kind')
