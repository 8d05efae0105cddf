"""measure tasks: units as people

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-02 19:50:00

The staff roster names unit staff (部门干部) and their unit (单位, e.g. 镇民政办): the person
keeps it, so the measures given to that unit reach them (`/tasks`).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN: a batch copy of `persons` would drop a table others refer to.
    op.add_column('persons', sa.Column('unit', sa.String(length=40), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE persons DROP COLUMN unit")
