"""The month's metered API calls per platform and bot identity (`ApiUsage`: each identity is
its own app, with its organisation's quota; the session's identity, `storage/identities.py`),
and since when its quota is used up: written by the adapter, read by /summary. Race-safe:
concurrent additions each land (one UPDATE, or an INSERT that yields to a concurrent one)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from storage.identities import serving_of
from storage.models_platforms import ApiUsage


class ApiUsages:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.identity = serving_of(session).identity

    def _row(self, platform: str, month: str) -> None:
        """The month's row, made if missing (a concurrent maker wins quietly)."""
        postgres = self.session.get_bind().dialect.name == "postgresql"
        insert = pg_insert if postgres else sqlite_insert
        self.session.execute(
            insert(ApiUsage)
            .values(platform=platform, identity=self.identity, month=month, calls=0)
            .on_conflict_do_nothing(index_elements=["platform", "identity", "month"])
        )

    def _of(self, platform: str, month: str) -> tuple[ColumnElement[bool], ...]:
        return (
            ApiUsage.platform == platform,
            ApiUsage.identity == self.identity,
            ApiUsage.month == month,
        )

    def add(self, platform: str, month: str, calls: int) -> None:
        if calls <= 0:
            return
        self._row(platform, month)
        self.session.execute(
            update(ApiUsage).where(*self._of(platform, month)).values(calls=ApiUsage.calls + calls)
        )

    def of(self, platform: str, month: str) -> int:
        calls = self.session.scalar(select(ApiUsage.calls).where(*self._of(platform, month)))
        return int(calls or 0)

    def exhausted(self, platform: str, month: str, since: datetime | None) -> None:
        """The quota used up since `since` (an earlier time kept); None: calls go through."""
        self._row(platform, month)
        row = self.session.get(ApiUsage, (platform, self.identity, month), populate_existing=True)
        assert row is not None
        if since is None or row.exhausted_at is None:
            row.exhausted_at = since
        self.session.flush()

    def exhausted_since(self, platform: str, month: str) -> datetime | None:
        return self.session.scalar(select(ApiUsage.exhausted_at).where(*self._of(platform, month)))
