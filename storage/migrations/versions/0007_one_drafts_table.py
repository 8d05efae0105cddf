"""one drafts table for every conversation in progress

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 12:40:00

The check-in, measure and proposal/reason drafts lived in three tables with three shapes
(checkin_drafts, measure_drafts, person_drafts keyed by person and kind). They move to one
table, one open conversation per person. Existing drafts are carried over; a person who had
more than one open keeps the first of: check-in, measure, proposal, reason. The others (at
most a half-typed measure, proposal or reason) are dropped, and the number dropped is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    op.create_table('drafts',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('flow', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('week', sa.String(length=8), nullable=True),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('editing', sa.String(length=40), nullable=True),
    sa.Column('started_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_drafts_person_id_persons')),
    sa.PrimaryKeyConstraint('person_id', name=op.f('pk_drafts'))
    )
    bind = op.get_bind()
    rows: dict[int, dict[str, object]] = {}
    dropped = 0

    def keep(person_id: int, row: dict[str, object]) -> None:
        nonlocal dropped
        if person_id in rows:
            dropped += 1
        else:
            rows[person_id] = {"person_id": person_id, **row}

    when = storage.types.UTCDateTime(timezone=True)
    checkin = sa.table(
        'checkin_drafts', sa.column('helper_id', sa.Integer()),
        sa.column('household_id', sa.Integer()), sa.column('week', sa.String()),
        sa.column('answers', sa.JSON()), sa.column('editing', sa.String()),
        sa.column('started_at', when), sa.column('updated_at', when),
    )
    measure = sa.table(
        'measure_drafts', sa.column('person_id', sa.Integer()),
        sa.column('alert_id', sa.Integer()), sa.column('answers', sa.JSON()),
        sa.column('started_at', when),
    )
    person = sa.table(
        'person_drafts', sa.column('person_id', sa.Integer()), sa.column('kind', sa.String()),
        sa.column('data', sa.JSON()), sa.column('started_at', when),
        sa.column('updated_at', when),
    )
    for r in bind.execute(sa.select(checkin)).mappings():
        keep(r["helper_id"], {
            "flow": "checkin", "subject_id": r["household_id"], "week": r["week"],
            "answers": r["answers"], "editing": r["editing"],
            "started_at": r["started_at"], "updated_at": r["updated_at"],
        })
    for r in bind.execute(sa.select(measure)).mappings():
        keep(r["person_id"], {
            "flow": "measure", "subject_id": r["alert_id"], "week": None,
            "answers": r["answers"], "editing": None,
            "started_at": r["started_at"], "updated_at": r["started_at"],
        })
    for kind in ("proposal", "reason"):
        for r in bind.execute(sa.select(person).where(person.c.kind == kind)).mappings():
            keep(r["person_id"], {
                "flow": kind, "subject_id": None, "week": None,
                "answers": r["data"], "editing": None,
                "started_at": r["started_at"], "updated_at": r["updated_at"],
            })
    if rows:
        drafts = sa.table(
            'drafts',
            sa.column('person_id', sa.Integer()), sa.column('flow', sa.String()),
            sa.column('subject_id', sa.Integer()), sa.column('week', sa.String()),
            sa.column('answers', sa.JSON()), sa.column('editing', sa.String()),
            sa.column('started_at', when), sa.column('updated_at', when),
        )
        op.bulk_insert(drafts, list(rows.values()))
    if dropped:
        log.warning("drafts: %d second open conversation(s) dropped (one per person now)", dropped)

    with op.batch_alter_table('checkin_drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkin_drafts_household_id'))
    op.drop_table('checkin_drafts')
    op.drop_table('measure_drafts')
    op.drop_table('person_drafts')


def downgrade() -> None:
    # Drafts in progress are not carried back: they are dropped with the table.
    op.create_table('person_drafts',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('started_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_person_drafts_person_id_persons')),
    sa.PrimaryKeyConstraint('person_id', 'kind', name=op.f('pk_person_drafts'))
    )
    op.create_table('measure_drafts',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('started_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], name=op.f('fk_measure_drafts_alert_id_alerts')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_measure_drafts_person_id_persons')),
    sa.PrimaryKeyConstraint('person_id', name=op.f('pk_measure_drafts'))
    )
    op.create_table('checkin_drafts',
    sa.Column('helper_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('week', sa.String(length=8), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('editing', sa.String(length=40), nullable=True),
    sa.Column('cancel_requested', sa.Boolean(), nullable=False),
    sa.Column('started_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['helper_id'], ['persons.id'], name=op.f('fk_checkin_drafts_helper_id_persons')),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_checkin_drafts_household_id_households')),
    sa.PrimaryKeyConstraint('helper_id', name=op.f('pk_checkin_drafts'))
    )
    with op.batch_alter_table('checkin_drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkin_drafts_household_id'), ['household_id'], unique=False)
    op.drop_table('drafts')
