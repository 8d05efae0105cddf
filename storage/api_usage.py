"""The month's metered API calls per platform (`ApiUsage`): added to by the adapter, read by
/summary. Race-safe: concurrent additions each land (one UPDATE, or an INSERT that yields to
a concurrent one)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from storage.models_platforms import ApiUsage


class ApiUsages:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, platform: str, month: str, calls: int) -> None:
        if calls <= 0:
            return
        postgres = self.session.get_bind().dialect.name == "postgresql"
        insert = pg_insert if postgres else sqlite_insert
        self.session.execute(
            insert(ApiUsage)
            .values(platform=platform, month=month, calls=0)
            .on_conflict_do_nothing(index_elements=["platform", "month"])
        )
        self.session.execute(
            update(ApiUsage)
            .where(ApiUsage.platform == platform, ApiUsage.month == month)
            .values(calls=ApiUsage.calls + calls)
        )

    def of(self, platform: str, month: str) -> int:
        calls = self.session.scalar(
            select(ApiUsage.calls).where(ApiUsage.platform == platform, ApiUsage.month == month)
        )
        return int(calls or 0)
