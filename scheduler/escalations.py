"""escalations: a red alert not acknowledged in time is re-posted to the township group,
once a day until someone acknowledges it."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from scheduler.base import Sender, Tx
from storage.alerts import Alerts

log = logging.getLogger(__name__)


async def escalations(
    now: datetime, tx: Tx, sender: Sender, *, after: timedelta, tz: ZoneInfo
) -> int:
    day = now.astimezone(tz).date()
    queued = await tx(lambda s: Alerts(s).escalate(now=now, after=after, day=day))
    log.info("escalations at %s: %s reminder(s) queued", now.isoformat(), queued)
    await sender.flush()
    return queued
