"""measure-reminders, daily: each open help measure near its deadline is told privately to
those who carry it out, once when it is soon due (即将到期: within two days) and once more
when it is overdue (已逾期); and a household identified `plan_days` ago with no measure
recorded since is reminded to its helper and village head, once. The outbox's keys make
every message once only, whatever the runs."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from monitoring.measures import PLAN_WINDOW_DAYS, SOON_DAYS, Status, due_stage, plan_overdue
from scheduler.base import Sender, Tx
from storage.measures import Measures
from storage.outbox import Outbox

log = logging.getLogger(__name__)


async def measure_reminders(
    now: datetime, tx: Tx, sender: Sender, *, tz: ZoneInfo, plan_days: int = 3
) -> int:
    today = now.astimezone(tz).date()

    def work(session: Session) -> int:
        measures, outbox = Measures(session), Outbox(session)
        queued = 0
        for measure, household in measures.open_near_deadline(today + timedelta(days=SOON_DAYS)):
            stage = due_stage(Status(measure.status), measure.deadline, today)
            if stage is None or measure.deadline is None:
                continue
            for person in measures.carriers(measure, household):
                assert person.platform_user_id is not None
                queued += outbox.enqueue(
                    key=f"measure_due:{measure.id}:{stage.value}:{person.id}",
                    kind="measure_due",
                    chat_id=person.platform_user_id,
                    now=now,
                    payload={
                        "stage": stage.value,
                        "measure": measure.id,
                        "number": household.number,
                        "head": household.head_name,
                        "kind": measure.kind,
                        "unit": measure.responsible,
                        "deadline": measure.deadline.isoformat(),
                    },
                )
        first = today - timedelta(days=PLAN_WINDOW_DAYS)
        for household in measures.identified_between(first, today - timedelta(days=plan_days)):
            assert household.identified_on is not None
            since = measures.since_identified(household)
            if not plan_overdue(household.identified_on, since, today, plan_days):
                continue
            for person in measures.helper_and_heads(household):
                if person.platform_user_id is None:
                    continue  # not linked yet: nowhere to send
                queued += outbox.enqueue(
                    key=f"plan:{household.id}:{household.identified_on.isoformat()}"
                    f":remind:{person.id}",
                    kind="plan_reminder",
                    chat_id=person.platform_user_id,
                    now=now,
                    payload={
                        "household": household.id,
                        "number": household.number,
                        "head": household.head_name,
                        "days": (today - household.identified_on).days,
                    },
                )
        return queued

    queued = await tx(work)
    log.info("measure reminders for %s: %s message(s) queued", today.isoformat(), queued)
    await sender.flush()
    return queued
