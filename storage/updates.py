"""Platform updates whose effects are committed: an update delivered again after a restart is
not applied twice (updates are confirmed to the platform only after they are handled).
Never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from storage.identities import serving_of
from storage.models_runs import HandledUpdate


class Updates:
    def __init__(self, session: Session) -> None:
        self.session = session

    def record(self, update_id: int, *, now: datetime) -> None:
        """Record that this update's effects are in this transaction, without looking first
        (one statement fewer on the busiest path): if an earlier transaction recorded it,
        this one fails with an IntegrityError on the primary key (`conversations.engine.once`
        tells that apart)."""
        identity = serving_of(self.session).identity  # each bot numbers its own updates
        self.session.add(HandledUpdate(identity=identity, update_id=update_id, handled_at=now))

    def in_the_first_statement(self) -> bool:
        """Whether an answer's update is recorded by the statement that reads the person
        (`recorded_if`): on PostgreSQL, a data-modifying WITH, one round trip fewer per
        answer. SQLite has no DML in WITH (and no round trips): `record` there."""
        return self.session.get_bind().dialect.name == "postgresql"

    def recorded_if(self, condition: Any, update_id: int, *, now: datetime) -> Any:
        """A scalar subquery for the reading statement: 1 when this statement recorded the
        update (`condition` holds: the person has a conversation open), 0 when it was
        recorded before (a redelivery: nothing more is done) or `condition` does not hold.
        A concurrent recording of the same update waits for the other's commit first."""
        table = HandledUpdate.__table__
        values = select(
            bindparam(
                "hu_identity", serving_of(self.session).identity, type_=table.c.identity.type
            ),
            bindparam("hu_update_id", update_id, type_=table.c.update_id.type),
            bindparam("hu_handled_at", now, type_=table.c.handled_at.type),
        ).where(condition)
        recorded = (
            pg_insert(HandledUpdate)
            .from_select(["identity", "update_id", "handled_at"], values)
            .on_conflict_do_nothing()
            .returning(HandledUpdate.update_id)
            .cte("recorded")
        )
        return select(func.count()).select_from(recorded).scalar_subquery()

    def was_handled(self, update_id: int) -> bool:
        key = (serving_of(self.session).identity, update_id)
        return self.session.get(HandledUpdate, key) is not None

    def prune_handled(self, *, before: datetime) -> int:
        """Forget handled updates older than `before` (Telegram keeps an update 24 hours)."""
        result = self.session.execute(
            delete(HandledUpdate).where(HandledUpdate.handled_at < before)
        )
        return int(getattr(result, "rowcount", 0) or 0)
