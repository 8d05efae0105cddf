"""lead-reminders, daily: every lead not checked by its day is reminded to who must check it
(its village's heads, or the township's staff while it has no village), once per lead, person
and day (the outbox's unique key): a second run the same day queues nothing."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from scheduler.base import Sender, Tx
from storage.leads_notices import remind_overdue

log = logging.getLogger(__name__)

CRON = "0 9 * * *"  # daily at 09:00, before the day's visits


async def lead_reminders(now: datetime, tx: Tx, sender: Sender, *, tz: ZoneInfo) -> int:
    today = now.astimezone(tz).date()
    queued = await tx(lambda s: remind_overdue(s, today, now))
    log.info("lead reminders at %s: %s queued", now.isoformat(), queued)
    await sender.flush()
    return queued
