"""neutral identity: a person is linked to (platform, user id), audit actors say which platform

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 19:20:00

`persons.telegram_user_id` held the account of either platform (DingTalk's users numbered
above Telegram's ids, storage/platform_ids.py), under Telegram's name. It becomes
`platform_user_id`, with `platform` beside it (telegram or dingtalk, from the number). Audit
rows that said `telegram:<number>` for a DingTalk user's action now say `dingtalk:<DingTalk's
user id>`; the audit rows that named the column say `platform_user_id`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIMIT = 2**53  # Telegram's ids lie strictly between -LIMIT and LIMIT


def upgrade() -> None:
    # Plain ALTERs (SQLite 3.25+ and PostgreSQL): a batch copy of `persons` would have to drop
    # a table that others refer to.
    op.execute("ALTER TABLE persons RENAME COLUMN telegram_user_id TO platform_user_id")
    # (its unique constraint keeps its name: renaming it on SQLite would need that copy too)
    op.add_column('persons', sa.Column('platform', sa.String(length=16), nullable=True))
    op.execute(
        sa.text(
            "UPDATE persons SET platform = CASE WHEN platform_user_id > :low AND "
            "platform_user_id < :high THEN 'telegram' ELSE 'dingtalk' END "
            "WHERE platform_user_id IS NOT NULL"
        ).bindparams(low=-LIMIT, high=LIMIT)
    )
    bind = op.get_bind()
    users = bind.execute(
        sa.text(
            "SELECT id, external_id FROM platform_ids WHERE platform = 'dingtalk' AND kind = 'user'"
        )
    ).all()
    for row_id, external in users:
        bind.execute(
            sa.text("UPDATE audit_log SET actor = :new WHERE actor = :old"),
            {"new": f"dingtalk:{external}", "old": f"telegram:{LIMIT + int(row_id)}"},
        )
    op.execute(
        "UPDATE audit_log SET field = 'platform_user_id' WHERE field = 'telegram_user_id'"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE audit_log SET field = 'telegram_user_id' WHERE field = 'platform_user_id'"
    )
    op.drop_column('persons', 'platform')
    op.execute("ALTER TABLE persons RENAME COLUMN platform_user_id TO telegram_user_id")
