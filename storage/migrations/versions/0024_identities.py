"""bot identities: the deployment's bots and the townships each serves; which identity a
person's link, a group binding, an outbox row, a handled update and a job run belong to

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03 10:00:00

Every existing row belongs to the identity `default` (today's single bot): a database
upgraded and run as before serves every township as before.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT = sa.text("'default'")


def _identity(nullable: bool = False) -> sa.Column[str]:
    return sa.Column(
        "identity",
        sa.String(length=40),
        nullable=nullable,
        server_default=None if nullable else DEFAULT,
    )


def upgrade() -> None:
    op.create_table(
        "identities",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("every_township", sa.Boolean(), nullable=False),
        sa.Column("handle", sa.String(length=100), nullable=True),
        sa.Column("claimed_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_identities")),
    )
    op.create_table(
        "identity_townships",
        sa.Column("township_id", sa.Integer(), nullable=False),
        sa.Column("identity", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["identity"],
            ["identities.name"],
            name=op.f("fk_identity_townships_identity_identities"),
        ),
        sa.ForeignKeyConstraint(
            ["township_id"],
            ["townships.id"],
            name=op.f("fk_identity_townships_township_id_townships"),
        ),
        sa.PrimaryKeyConstraint("township_id", name=op.f("pk_identity_townships")),
    )
    op.create_index(
        op.f("ix_identity_townships_identity"), "identity_townships", ["identity"], unique=False
    )
    op.add_column("persons", _identity(nullable=True))
    op.execute("UPDATE persons SET identity = 'default' WHERE platform_user_id IS NOT NULL")
    op.add_column("group_bindings", _identity())
    op.add_column("outbox", _identity())
    op.create_index(
        "ix_outbox_identity_due", "outbox", ["identity", "status", "next_attempt_at"], unique=False
    )
    with op.batch_alter_table("job_runs") as batch_op:
        batch_op.add_column(_identity())
        batch_op.drop_constraint("uq_job_runs_job_occurrence", type_="unique")
        batch_op.create_unique_constraint(
            "uq_job_runs_job_identity_occurrence", ["job", "identity", "occurrence"]
        )
    with op.batch_alter_table("handled_updates") as batch_op:
        batch_op.add_column(_identity())
        batch_op.drop_constraint("pk_handled_updates", type_="primary")
        batch_op.create_primary_key("pk_handled_updates", ["identity", "update_id"])


def downgrade() -> None:
    op.execute("DELETE FROM handled_updates WHERE identity <> 'default'")
    with op.batch_alter_table("handled_updates") as batch_op:
        batch_op.drop_constraint("pk_handled_updates", type_="primary")
        batch_op.create_primary_key("pk_handled_updates", ["update_id"])
        batch_op.drop_column("identity")
    op.execute("DELETE FROM job_runs WHERE identity <> 'default'")
    with op.batch_alter_table("job_runs") as batch_op:
        batch_op.drop_constraint("uq_job_runs_job_identity_occurrence", type_="unique")
        batch_op.create_unique_constraint("uq_job_runs_job_occurrence", ["job", "occurrence"])
        batch_op.drop_column("identity")
    op.drop_index("ix_outbox_identity_due", table_name="outbox")
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+): a copy of `persons` would fail its references
    for table in ("outbox", "group_bindings", "persons"):
        op.execute(f"ALTER TABLE {table} DROP COLUMN identity")
    op.drop_index(op.f("ix_identity_townships_identity"), table_name="identity_townships")
    op.drop_table("identity_townships")
    op.drop_table("identities")
