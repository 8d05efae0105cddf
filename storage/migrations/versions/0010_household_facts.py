"""households: the roster's risk types and villager group

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 16:00:00

The roster may give a household's 纳入日期 (stored in identified_on, which existed), 风险类型,
劳动能力 (has_labour, which existed) and 村民小组; the two new ones are columns here.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE, not a batch: SQLite adds a nullable column in place, while a batch
# would copy the table, which the tables that reference households forbid.
def upgrade() -> None:
    op.add_column('households', sa.Column('risk_types', sa.JSON(), nullable=True))
    op.add_column('households', sa.Column('villager_group', sa.String(length=50), nullable=True))


def downgrade() -> None:
    op.drop_column('households', 'villager_group')
    op.drop_column('households', 'risk_types')
