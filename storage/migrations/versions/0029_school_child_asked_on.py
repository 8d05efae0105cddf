"""the day a household was last asked whether it has a child of compulsory-school age: the
check-in asks again at the first visit on or after 1 September each year

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-04 12:00:00

Existing answers get the day of the audit row that recorded them (the last change of
`has_school_child`; the same answer given again later was not audited, so the day may be
earlier than the last asking: the question then comes once more, never once less).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _day(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str) and len(value) >= 10:
        return date.fromisoformat(value[:10])
    return None


def upgrade() -> None:
    # A plain ADD COLUMN: a batch copy of `households` would drop a table others refer to.
    op.add_column("households", sa.Column("school_child_asked_on", sa.Date(), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT entity_key, MAX(at) FROM audit_log WHERE entity = 'household' "
            "AND field = 'has_school_child' GROUP BY entity_key"
        )
    ).all()
    households = sa.table(
        "households", sa.column("number", sa.String), sa.column("school_child_asked_on", sa.Date)
    )
    for number, at in rows:
        day = _day(at)
        if day is not None:
            bind.execute(
                households.update()
                .where(households.c.number == number)
                .values(school_child_asked_on=day)
            )


def downgrade() -> None:
    op.drop_column("households", "school_child_asked_on")
