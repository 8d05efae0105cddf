"""The adapter's metered DingTalk calls, written to the database every half minute and at
stop (`storage/api_usage.py`), so /summary can show the township staff the month's use
against DingTalk's monthly quota; and the quota used up (since when), or calls going through
again, logged once each time it changes: a message to the staff over DingTalk would itself
be refused, so the log and /summary tell them."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from platforms.dingtalk.openapi import OpenApi
from scheduler.worker import Worker
from storage.api_usage import ApiUsages

log = logging.getLogger(__name__)

PLATFORM = "dingtalk"


class UsageMeter(Worker):
    task_name = "dingtalk-usage"
    interval = 30.0

    def __init__(
        self,
        api: OpenApi,
        tx: Callable[[Callable[[Session], Any]], Awaitable[Any]],
        now: Callable[[], datetime],
        tz: ZoneInfo,
    ) -> None:
        super().__init__()
        self.api, self.tx, self.now, self.tz = api, tx, now, tz
        self.written = 0
        self.recorded: bool | None = None  # the quota's state last written

    async def drain(self) -> int:
        """Add the calls made since the last write to this month's count; record the quota
        used up, or available again."""
        calls = self.api.calls - self.written
        exhausted = self.api.quota_exhausted
        changed = exhausted is not None and exhausted != self.recorded
        if calls <= 0 and not changed:
            return 0
        now = self.now()
        month = now.astimezone(self.tz).strftime("%Y-%m")

        def write(session: Session) -> datetime | None:
            usage = ApiUsages(session)
            usage.add(PLATFORM, month, calls)
            if changed:
                usage.exhausted(PLATFORM, month, now if exhausted else None)
            return usage.exhausted_since(PLATFORM, month)

        since = await self.tx(write)
        self.written += calls
        if changed:
            if exhausted:
                log.warning(
                    "DingTalk refuses the bot's metered calls: the organisation's monthly API "
                    "quota is used up (since %s). Messages wait until it is raised or the month "
                    "ends; the township staff see it in /summary",
                    since.astimezone(self.tz).strftime("%Y-%m-%d %H:%M") if since else now,
                )
            elif self.recorded:
                log.warning("DingTalk takes the bot's metered calls again (monthly quota)")
            self.recorded = exhausted
        return calls

    async def stop(self) -> None:
        await super().stop()
        await self.drain()  # the last calls, before the process ends
