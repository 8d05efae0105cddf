"""escalations: a red alert not acknowledged in time is re-posted to the township group,
once a day until someone acknowledges it; a proposal waiting more than 5 days at one step is
reminded to the people holding it, once a day until they decide."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from scheduler.base import Sender, Tx
from storage.alerts import Alerts
from storage.proposals import Proposals

log = logging.getLogger(__name__)


async def escalations(
    now: datetime,
    tx: Tx,
    sender: Sender,
    *,
    after: timedelta,
    tz: ZoneInfo,
    notice_days: int = 5,
) -> int:
    day = now.astimezone(tz).date()

    def work(session: Session) -> int:
        alerts = Alerts(session).escalate(now=now, after=after, day=day)
        proposals = Proposals(session)
        late = sum(
            proposals.ask_holders(proposal, now, late_on=day)
            for proposal in proposals.late(now, notice_days)
        )
        return alerts + late

    queued = await tx(work)
    log.info("escalations at %s: %s reminder(s) queued", now.isoformat(), queued)
    await sender.flush()
    return queued
