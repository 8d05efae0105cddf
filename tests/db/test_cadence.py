"""Fortnightly and monthly visits against the real database: reminders only in a period's
last week and only for households not visited in the whole period, missed visits recorded
once the period has ended, escalation after periods (not weeks) in a row, and /summary's
counts for the period."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.i18n import load_translations
from bot.schedule import WakeSender
from conversations.reports.job_texts import render_job
from monitoring.cadence import Cadence, period_of
from monitoring.weeks import Week
from scheduler.jobs import missed_visits, reminders
from storage.models import MissedVisit, OutboxMessage
from storage.payloads import parse
from storage.summary import week_summary
from tests.small_town import SHANGHAI, TOWNSHIP_GROUP, A, B, C, green_checkin

T = TypeVar("T")
NOTHING_TO_WAKE = WakeSender(lambda: None)  # no bot running: the rows stay in the outbox


def tx_of(factory: sessionmaker[Session]) -> Callable[[Callable[[Session], T]], Any]:
    async def tx(work: Callable[[Session], T]) -> T:
        with factory() as session, session.begin():
            return work(session)

    return tx


def on(week: Week, weekday: int, hour: int = 10) -> datetime:
    """Monday is 0."""
    day = week.monday + timedelta(days=weekday)
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI)


def outbox(factory: sessionmaker[Session], kind: str) -> list[OutboxMessage]:
    with factory() as s:
        return list(
            s.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
            )
        )


def missed(factory: sessionmaker[Session]) -> list[tuple[str, int]]:
    with factory() as s:
        return sorted((m.week, m.household_id) for m in s.scalars(select(MissedVisit)))


async def test_fortnightly_visits_remind_and_record_missed_visits_per_fortnight(
    town: sessionmaker[Session],
) -> None:
    tx, fortnight = tx_of(town), Cadence.FORTNIGHTLY
    first, last = period_of(Week(2026, 49), fortnight)
    green_checkin(town, "H1", on(first, 1))  # H1 visited in the fortnight's first week

    # The first week: no reminder yet; the Monday after it, nothing is missed yet.
    assert await reminders(on(first, 3), tx, NOTHING_TO_WAKE, tz=SHANGHAI, cadence=fortnight) == 0
    assert outbox(town, "reminder") == []
    assert (
        await missed_visits(on(last, 0), tx, NOTHING_TO_WAKE, tz=SHANGHAI, cadence=fortnight) == 0
    )
    assert missed(town) == []

    # The last week: each helper with a household not visited in the fortnight is reminded.
    await reminders(on(last, 3), tx, NOTHING_TO_WAKE, tz=SHANGHAI, cadence=fortnight)
    sent = {row.chat_id: row.payload for row in outbox(town, "reminder")}
    assert set(sent) == {A, B, C}
    assert [number for _, number, _ in sent[A]["households"]] == ["H2"]  # H1 was visited
    assert sent[A]["period"] == [str(first), str(last)]
    text, buttons = render_job(
        "reminder", parse("reminder", sent[A]), load_translations("zh_CN").get(None)
    )
    assert text == "走访期（11月30日—12月13日）还有 1 户未走访，本周日截止。"
    assert len(buttons) == 1

    # /summary in the last week counts H1 as visited in the period.
    with town() as s:
        summary = week_summary(s, last, now=on(last, 3), tz=SHANGHAI, cadence=fortnight)
        weekly = week_summary(s, last, now=on(last, 3), tz=SHANGHAI)
    assert (summary.total.monitored, summary.total.done) == (4, 1)
    assert weekly.total.done == 0  # weekly visits would count only this week

    # After the fortnight: the three not visited are missed, under its last week, once.
    after = on(last.next(), 0, 9)
    await missed_visits(after, tx, NOTHING_TO_WAKE, tz=SHANGHAI, cadence=fortnight)
    await missed_visits(after, tx, NOTHING_TO_WAKE, tz=SHANGHAI, cadence=fortnight)
    with town() as s:
        numbers = dict(s.execute(select(MissedVisit.household_id, MissedVisit.week)).all())
    assert sorted(numbers.values()) == [str(last)] * 3
    assert len(outbox(town, "missed_helper")) == 3
    [first_notice] = outbox(town, "missed_township")  # 石桥村 has no group: said there
    assert first_notice.payload["households"] == []  # one period missed: no escalation yet

    # A second fortnight missed in a row: escalated to the township, in periods.
    next_first, next_last = period_of(last.next(), fortnight)
    await missed_visits(
        on(next_last.next(), 0, 9), tx, NOTHING_TO_WAKE, tz=SHANGHAI, cadence=fortnight
    )
    [_, township] = outbox(town, "missed_township")
    assert township.chat_id == TOWNSHIP_GROUP
    assert township.payload["period"] == [str(next_first), str(next_last)]
    assert len(township.payload["households"]) == 3


async def test_monthly_visits_wait_for_the_month_to_end(town: sessionmaker[Session]) -> None:
    tx, monthly = tx_of(town), Cadence.MONTHLY
    december = period_of(Week(2026, 50), monthly)  # W49 to W53
    for week in december[:-1]:
        assert await reminders(on(week, 3), tx, NOTHING_TO_WAKE, tz=SHANGHAI, cadence=monthly) == 0
        await missed_visits(
            on(week.next(), 0, 9), tx, NOTHING_TO_WAKE, tz=SHANGHAI, cadence=monthly
        )
    assert missed(town) == []
    green_checkin(town, "H4", on(december[2], 2))
    assert (
        await reminders(on(december[-1], 3), tx, NOTHING_TO_WAKE, tz=SHANGHAI, cadence=monthly) == 2
    )
    await missed_visits(
        on(december[-1].next(), 0, 9), tx, NOTHING_TO_WAKE, tz=SHANGHAI, cadence=monthly
    )
    assert [week for week, _ in missed(town)] == [str(december[-1])] * 3  # H4 was visited
