"""proposals: the public notice and the county's decision

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 16:20:00

Identification as national practice describes it: after the village's review the proposal is
posted for public notice in the village (when, recorded here; objections are decisions), then
the township reviews it and the county decides (its date and document number, recorded here
by township staff).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE (nullable columns): SQLite adds them in place.
def upgrade() -> None:
    op.add_column(
        'proposals',
        sa.Column('notice_posted_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    )
    op.add_column('proposals', sa.Column('county_decided_on', sa.Date(), nullable=True))
    op.add_column('proposals', sa.Column('county_document', sa.String(length=100), nullable=True))


def downgrade() -> None:
    op.drop_column('proposals', 'county_document')
    op.drop_column('proposals', 'county_decided_on')
    op.drop_column('proposals', 'notice_posted_at')
