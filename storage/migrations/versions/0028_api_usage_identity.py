"""the month's metered API calls per bot identity: two DingTalk apps (two counties) on one
database each have their own organisation's quota

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-03 12:00:00

Existing counts belong to the identity `default` (today's single bot).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_usage") as batch_op:
        batch_op.add_column(
            sa.Column(
                "identity",
                sa.String(length=40),
                nullable=False,
                server_default=sa.text("'default'"),
            )
        )
        batch_op.drop_constraint("pk_api_usage", type_="primary")
        batch_op.create_primary_key("pk_api_usage", ["platform", "identity", "month"])


def downgrade() -> None:
    op.execute("DELETE FROM api_usage WHERE identity <> 'default'")
    with op.batch_alter_table("api_usage") as batch_op:
        batch_op.drop_constraint("pk_api_usage", type_="primary")
        batch_op.create_primary_key("pk_api_usage", ["platform", "month"])
        batch_op.drop_column("identity")
