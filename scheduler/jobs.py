"""The scheduled jobs. Each is one async function of (now, tx, sender, ...): it queues its
messages in the outbox under keys that make a second run (or a second instance) send
nothing twice, then asks the sender to deliver them."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitoring.cadence import Cadence, is_last_week, period_of
from monitoring.people import mask_name
from monitoring.team import team_reminded
from monitoring.weeks import Week, week_of
from scheduler.base import Sender, Tx
from storage.leads import Leads
from storage.models import Village
from storage.outbox import Outbox
from storage.proposals import Proposals
from storage.schedule import HouseholdRow, Schedule, masked
from storage.summary import week_summary

log = logging.getLogger(__name__)


async def reminders(
    now: datetime, tx: Tx, sender: Sender, *, tz: ZoneInfo, cadence: Cadence = Cadence.WEEKLY
) -> int:
    """Each helper with households still due this week gets one private message listing
    them (once per day); a helper with nothing due gets nothing. With fortnightly or monthly
    visits, only in the visit period's last week (due: not visited in the whole period). On
    the period's last weekend the households' teams (帮扶小组) are reminded too."""
    week = week_of(now, tz)
    today = now.astimezone(tz).date()
    day = today.isoformat()
    if not is_last_week(week, cadence):
        log.info("reminders for %s: not the last week of a visit period", week)
        return 0
    period = period_payload(week, cadence)

    def work(session: Session) -> int:
        by_helper: dict[int, list[HouseholdRow]] = defaultdict(list)
        chats: dict[int, int] = {}
        schedule = Schedule(session)
        due = schedule.due(week, cadence)
        for row in due:
            if row.helper_id is None or row.helper_chat is None:
                continue  # not linked to Telegram yet: nowhere to send
            by_helper[row.helper_id].append(row)
            chats[row.helper_id] = row.helper_chat
        if team_reminded(today, period_of(week, cadence)[-1]):  # about to be missed
            due_by_id = {row.id: row for row in due}
            for household_id, person_id, chat in schedule.team_chats(list(due_by_id)):
                by_helper[person_id].append(due_by_id[household_id])
                chats[person_id] = chat
        return Outbox(session).enqueue_many(
            [
                {
                    "key": f"reminders:{day}:{helper_id}",
                    "kind": "reminder",
                    "chat_id": chats[helper_id],
                    "payload": {
                        "week": str(week),
                        "households": [[r.id, r.number, r.head_name] for r in rows],
                        **period,
                    },
                }
                for helper_id, rows in by_helper.items()
            ],
            now=now,
        )

    queued = await tx(work)
    log.info("reminders for %s: %s helper(s)", week, queued)
    await sender.flush()
    return queued


async def missed_visits(
    now: datetime,
    tx: Tx,
    sender: Sender,
    *,
    tz: ZoneInfo,
    escalate_after_weeks: int = 2,
    cadence: Cadence = Cadence.WEEKLY,
) -> int:
    """For the week just ended: record each monitored household without a check-in, tell
    each helper, tell each village group (by helper), and escalate households missed
    `escalate_after_weeks` weeks (visit periods) in a row, and unreachable helpers, to the
    township group. With fortnightly or monthly visits, only when the week ended a period."""
    week = week_of(now, tz).previous()
    if not is_last_week(week, cadence):
        log.info("missed visits for %s: the visit period has not ended", week)
        return 0
    period = period_payload(week, cadence)

    def work(session: Session) -> int:
        schedule, outbox = Schedule(session), Outbox(session)
        missed = schedule.record_missed(week, now=now, cadence=cadence)
        queued = 0
        by_helper: dict[int, list[HouseholdRow]] = defaultdict(list)
        by_village: dict[int, list[HouseholdRow]] = defaultdict(list)
        for row in missed:
            if row.helper_id is not None:
                by_helper[row.helper_id].append(row)
            by_village[row.village_id].append(row)
        queued += outbox.enqueue_many(
            [
                {
                    "key": f"missed:{week}:helper:{helper_id}",
                    "kind": "missed_helper",
                    "chat_id": rows[0].helper_chat,
                    "payload": {
                        "week": str(week),
                        "households": [[r.number, r.head_name] for r in rows],
                        **period,
                    },
                }
                for helper_id, rows in by_helper.items()
                if rows[0].helper_chat is not None
            ],
            now=now,
        )
        towns: dict[int, dict[str, list[list[str]]]] = defaultdict(
            lambda: {"households": [], "no_group": []}
        )
        groups = schedule.groups()  # one query, not one per village (a province has 2,000)
        to_villages: list[dict[str, Any]] = []
        for village_id, rows in by_village.items():
            township_id = rows[0].township_id
            group = groups.get((township_id, village_id))
            if group is None:
                towns[township_id]["no_group"].append([rows[0].village_name, str(len(rows))])
                continue
            to_villages.append(
                {
                    "key": f"missed:{week}:village:{village_id}",
                    "kind": "missed_village",
                    "chat_id": group,
                    "payload": {
                        "week": str(week),
                        "village": rows[0].village_name,
                        "by_helper": _by_helper(rows),
                        **period,
                    },
                }
            )
        queued += outbox.enqueue_many(to_villages, now=now)
        in_a_row = schedule.missed_weeks_in_a_row(
            [r.id for r in missed], week, escalate_after_weeks, cadence
        )
        unreachable: dict[int, set[str]] = defaultdict(set)
        for row in missed:
            if row.id in in_a_row:
                towns[row.township_id]["households"].append(
                    [row.village_name, *masked(row), row.helper_name or "—"]
                )
            if row.helper_unreachable and row.helper_name:
                unreachable[row.township_id].add(row.helper_name)
        for township_id in set(towns) | set(unreachable):
            town = towns[township_id]
            group = groups.get((township_id, None))
            if group is None or not (
                town["households"] or town["no_group"] or unreachable[township_id]
            ):
                continue
            queued += outbox.enqueue(
                key=f"missed:{week}:township:{township_id}",
                kind="missed_township",
                chat_id=group,
                now=now,
                payload={
                    "week": str(week),
                    "weeks": escalate_after_weeks,
                    **town,
                    "unreachable": sorted(unreachable[township_id]),
                    **period,
                },
            )
        return queued

    queued = await tx(work)
    log.info("missed visits for %s: %s message(s) queued", week, queued)
    await sender.flush()
    return queued


def period_payload(week: Week, cadence: Cadence) -> dict[str, object]:
    """What a job's message says of its visit period: nothing for weekly visits (the week
    says it); else the period's first and last week and how often visits are due."""
    if cadence is Cadence.WEEKLY:
        return {}
    weeks = period_of(week, cadence)
    return {"period": [str(weeks[0]), str(weeks[-1])], "cadence": cadence.value}


def _by_helper(rows: list[HouseholdRow]) -> list[list[object]]:
    grouped: dict[str, list[list[str]]] = defaultdict(list)
    for row in rows:
        grouped[row.helper_name or "—"].append(masked(row))
    return [[name, households] for name, households in sorted(grouped.items())]


async def weekly_summary(
    now: datetime,
    tx: Tx,
    sender: Sender,
    *,
    tz: ZoneInfo,
    notice_days: int = 5,
    cadence: Cadence = Cadence.WEEKLY,
) -> int:
    """Last week's summary (the numbers of /summary, red households masked) and its chart to
    each township group: two messages per township, each queued once per week."""
    week = week_of(now, tz).previous()

    today = now.astimezone(tz).date()

    def work(session: Session) -> int:
        schedule, outbox, proposals = Schedule(session), Outbox(session), Proposals(session)
        overdue = Leads(session).overdue(today)
        villages = {v.id: v.name for v in session.scalars(select(Village))} if overdue else {}
        queued = 0
        for township_id, name in schedule.townships():
            group = schedule.group_of(township_id, None)
            if group is None:
                continue
            summary = week_summary(
                session, week, now=now, tz=tz, township_id=township_id, cadence=cadence
            )
            late = [
                [p.id, p.head_name, p.status, p.step_since.astimezone(tz).isoformat()]
                for p in proposals.late(now, notice_days)
                if p.township_id == township_id
            ]
            payload = {
                "week": str(week),
                "township": name,
                "late_proposals": late,
                **({} if cadence is Cadence.WEEKLY else {"cadence": cadence.value}),
                "at": now.astimezone(tz).isoformat(),  # local: days open count local days
                "villages": [
                    [v.name, v.monitored, v.done, v.missed, v.red, v.watch]
                    for v in summary.villages
                ],
                "open_red": [
                    [
                        r.village,
                        r.number,
                        mask_name(r.head_name),
                        r.opened_at.astimezone(tz).isoformat(),
                        r.acknowledged,
                        r.measures,
                    ]
                    for r in summary.open_red
                ],
                "uncovered": summary.uncovered,  # counts and unit names: group-safe
                "late_by_unit": [list(item) for item in summary.late_by_unit],
                "overdue_leads": [  # source and village only: group-safe
                    [
                        lead.source,
                        villages.get(lead.village_id or 0, ""),
                        (today - lead.check_by).days,
                    ]
                    for lead in overdue
                    if lead.township_id == township_id
                ],
            }
            for kind in ("weekly_summary", "weekly_chart"):
                queued += outbox.enqueue(
                    key=f"{kind}:{week}:{township_id}",
                    kind=kind,
                    chat_id=group,
                    now=now,
                    payload=payload,
                )
        return queued

    queued = await tx(work)
    log.info("weekly summary for %s: %s message(s)", week, queued)
    await sender.flush()
    return queued
