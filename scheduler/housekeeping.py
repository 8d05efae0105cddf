"""housekeeping, daily: forget handled update ids after HANDLED_UPDATES_KEPT.

Telegram keeps an unconfirmed update for 24 hours, so an update id older than that can never
be delivered again; two weeks leaves room for a long outage and for looking into a problem."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from scheduler.base import Sender, Tx
from storage.updates import Updates

log = logging.getLogger(__name__)

HANDLED_UPDATES_KEPT = timedelta(days=14)
CRON = "30 3 * * *"  # daily at 03:30, when nobody is checking in


async def housekeeping(now: datetime, tx: Tx, sender: Sender) -> int:
    pruned = await tx(lambda s: Updates(s).prune_handled(before=now - HANDLED_UPDATES_KEPT))
    if pruned:
        log.info("forgot %s handled update ids older than %s", pruned, HANDLED_UPDATES_KEPT)
    return 0
