"""policy-check, daily and at start-up: a year without a line in the policy file.

Check-ins of such a year are assessed with the latest earlier year's lines (each check-in
records the year it used). The township staff are told privately, once a day, until the
county adds the year's line to the policy file; `/summary` says so too."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitoring.policy import Policy
from monitoring.weeks import week_of
from scheduler.base import Sender, Tx
from storage.bindings import Bindings
from storage.identities import serving_of
from storage.models import Township
from storage.outbox import Outbox

log = logging.getLogger(__name__)

CRON = "0 8 * * *"  # daily at 08:00, before the day's work


async def policy_check(
    now: datetime, tx: Tx, sender: Sender, *, policy: Policy, tz: ZoneInfo
) -> int:
    year = week_of(now, tz).year  # the year assessments of this week use
    day = now.astimezone(tz).date().isoformat()

    def queue(session: Session) -> int:
        queued = 0
        outbox = Outbox(session)
        for township_id, name in session.execute(
            select(Township.id, Township.name).where(serving_of(session).where(Township.id))
        ).all():
            choice = policy.choose(year, name)
            if choice.exact:
                continue
            log.warning(
                "policy file %s has no lines for %s (township %s): using those of %s",
                policy.source,
                year,
                name,
                choice.lines.year,
            )
            for person in Bindings(session).township_staff(township_id):
                assert person.platform_user_id is not None
                queued += outbox.enqueue(
                    key=f"policy-gap:{year}:{day}:{person.id}",
                    kind="policy_gap",
                    chat_id=person.platform_user_id,
                    payload={"year": year, "used": choice.lines.year, "township": name},
                    now=now,
                )
        return queued

    queued = await tx(queue)
    if queued:
        await sender.flush()
    return queued
