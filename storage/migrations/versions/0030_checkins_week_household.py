"""a week's check-ins by household, from the index alone

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-03 01:20:00

The missed-visits job asks which households have no current check-in in the week just
ended (the reminders ask it of this week). PostgreSQL answered from ix_checkins_week (week,
is_current) and then read each of the week's rows from the table, where check-ins lie in the
order they were written: a generated year of 10,000 households (written household by
household) had one week's 9,471 rows on 8,035 of the table's 8,367 pages; at 100,000 the
planner probed an index per household instead (303,000 buffers, 157-192 ms). The query's
cost followed the table's pages and what of them the cache held, not the households, and the
job grew faster than them (x12 from 10k to 100k in the issue's run). With household_id in the index the
week's entries are read in household order from the index alone (an index-only scan and an
anti-join): 6 ms at 10k, 52-61 ms and 3,400 buffers at 100k. The index it replaces is its
prefix, so every query that used that one can use this one.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.create_index(
            "ix_checkins_week_household", ["week", "is_current", "household_id"], unique=False
        )
        batch_op.drop_index("ix_checkins_week")


def downgrade() -> None:
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.create_index("ix_checkins_week", ["week", "is_current"], unique=False)
        batch_op.drop_index("ix_checkins_week_household")
