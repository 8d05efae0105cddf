"""Platform updates whose effects are committed: an update delivered again after a restart is
not applied twice (updates are confirmed to the platform only after they are handled).
Never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
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

    def was_handled(self, update_id: int) -> bool:
        key = (serving_of(self.session).identity, update_id)
        return self.session.get(HandledUpdate, key) is not None

    def prune_handled(self, *, before: datetime) -> int:
        """Forget handled updates older than `before` (Telegram keeps an update 24 hours)."""
        result = self.session.execute(
            delete(HandledUpdate).where(HandledUpdate.handled_at < before)
        )
        return int(getattr(result, "rowcount", 0) or 0)
