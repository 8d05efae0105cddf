"""The adapter's metered DingTalk calls, written to the database every half minute and at
stop (`storage/api_usage.py`), so /summary can show the township staff the month's use
against DingTalk's monthly quota."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from platforms.dingtalk.openapi import OpenApi
from scheduler.worker import Worker
from storage.api_usage import ApiUsages

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

    async def drain(self) -> int:
        """Add the calls made since the last write to this month's count."""
        calls = self.api.calls - self.written
        if calls > 0:
            month = self.now().astimezone(self.tz).strftime("%Y-%m")
            await self.tx(lambda s: ApiUsages(s).add(PLATFORM, month, calls))
            self.written += calls
        return calls

    async def stop(self) -> None:
        await super().stop()
        await self.drain()  # the last calls, before the process ends
