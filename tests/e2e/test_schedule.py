"""Scheduled jobs with clock times, delivered by the real bot through the stand-in."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.schedule import JobScheduler, WakeSender, job_specs, latest_occurrence
from bot.settings import Settings
from platforms.telegram.context import AppType
from platforms.telegram.embedded import running_bot
from sandbox.client import SandboxClient
from storage.models import Household, MissedVisit, OutboxMessage, Person
from storage.models_runs import JobRun
from tests.driver import Chat
from tests.small_town import SHANGHAI, TOWNSHIP_GROUP, VILLAGE_GROUP, A, B, C, at, green_checkin


async def run_job(app: AppType, settings: Settings, name: str, when: datetime) -> int:
    """The same function `fangfanpin jobs run NAME --at WHEN` runs, in the running bot."""
    services = app.bot_data.services
    return await job_specs(settings)[name].run(when, services.tx, WakeSender(services.wake_outbox))


def rows(factory: sessionmaker[Session], kind: str) -> list[OutboxMessage]:
    with factory() as s:
        return list(
            s.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
            )
        )


async def delivered(
    client: SandboxClient, factory: sessionmaker[Session], kind: str, count: int
) -> list[OutboxMessage]:
    """Wait until `count` rows of `kind` are sent."""
    seq = 0
    for _ in range(60):
        found = rows(factory, kind)
        if len([r for r in found if r.status == "sent"]) >= count:
            return found
        seq = await client.last_seq()
        await client.events(after=seq, timeout=0.5)
    raise AssertionError(f"{kind}: {[(r.chat_id, r.status) for r in rows(factory, kind)]}")


async def await_rows(factory: sessionmaker[Session], kind: str) -> list[OutboxMessage]:
    """Rows of `kind` once none is waiting or being sent any more (at most 30 s)."""
    deadline = time.monotonic() + 30
    while True:
        found = rows(factory, kind)
        if all(r.status in ("sent", "failed") for r in found) or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.1)


async def messages_with(client: SandboxClient, chat: int, words: str) -> list[dict[str, Any]]:
    return [m for m in await client.bot_messages(chat) if words in m.get("text", "")]


def buttons(message: dict[str, Any]) -> list[str]:
    return [
        b["text"]
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
        for b in row
    ]


async def test_reminders_reach_helpers_with_due_households_once_a_day(
    bot: AppType,
    settings: Settings,
    client: SandboxClient,
    town: sessionmaker[Session],
    chats: None,
) -> None:
    green_checkin(town, "H3", at("2026-11-30T08:00"))  # B is done for week 49
    assert await run_job(bot, settings, "reminders", at("2026-11-30T09:00")) == 2
    sent = await delivered(client, town, "reminder", 2)
    assert sorted(r.chat_id for r in sent) == [A, C]
    [to_a] = await client.bot_messages(A)
    assert "还有 2 户待走访" in to_a["text"]
    assert buttons(to_a) == ["开始走访：H1 王大山", "开始走访：H2 李春花"]
    assert await client.bot_messages(B) == []
    # The same day again: nothing new.
    assert await run_job(bot, settings, "reminders", at("2026-11-30T15:00")) == 0
    assert len(rows(town, "reminder")) == 2

    # A visits H1 on Tuesday: Thursday's reminder lists only H2, and its button starts it.
    green_checkin(town, "H1", at("2026-12-01T10:00"))
    assert await run_job(bot, settings, "reminders", at("2026-12-03T09:00")) == 2
    await delivered(client, town, "reminder", 4)
    thursday = (await client.bot_messages(A))[-1]
    assert buttons(thursday) == ["开始走访：H2 李春花"]
    bot.bot_data.services.clock = lambda: at("2026-12-03T09:05")
    started = await Chat(client, A).press("开始走访：H2 李春花")
    assert "H2 李春花" in started["text"] and "本次走访方式" in started["text"]


async def test_a_person_who_chose_english_gets_private_messages_in_english(
    bot: AppType,
    settings: Settings,
    client: SandboxClient,
    town: sessionmaker[Session],
    chats: None,
) -> None:
    """/language is kept on the person: the outbox's private messages to them (here a
    reminder) are in their language, while others and the groups keep the township's."""
    bot.bot_data.services.clock = lambda: at("2026-11-30T08:00")
    chosen = await Chat(client, A).send("/language en")
    assert chosen["text"].startswith("The bot now speaks English with you")
    await run_job(bot, settings, "reminders", at("2026-11-30T09:00"))
    await delivered(client, town, "reminder", 3)
    [to_a] = [m for m in await client.bot_messages(A) if m["message_id"] > chosen["message_id"]]
    assert to_a["text"].startswith("Weekly check-in, Week 49 (Nov 30")
    assert buttons(to_a) == ["Start check-in: H1 王大山", "Start check-in: H2 李春花"]
    [to_b] = await client.bot_messages(B)
    assert "还有 1 户待走访" in to_b["text"]


async def test_missed_visits_recorded_told_and_escalated_once(
    bot: AppType,
    settings: Settings,
    client: SandboxClient,
    town: sessionmaker[Session],
    chats: None,
) -> None:
    await client._post("/sandbox/block", {"user_id": C})  # C blocked the bot
    green_checkin(town, "H3", at("2026-11-20T10:00"))  # week 47: only H3 visited
    assert await run_job(bot, settings, "missed-visits", at("2026-11-23T00:30")) > 0
    await delivered(client, town, "missed_village", 1)
    # The outbox sends to several chats at once: wait for C's refusal too, not only the
    # village group's message, before the next week (a week apart in real life).
    failed = [r for r in await await_rows(town, "missed_helper") if r.status == "failed"]
    assert [r.chat_id for r in failed] == [C]
    green_checkin(town, "H3", at("2026-11-27T10:00"))  # week 48: only H3 visited
    await run_job(bot, settings, "missed-visits", at("2026-11-30T00:30"))
    # Different chats are sent to side by side: wait for each kind of this week's messages.
    await delivered(client, town, "missed_township", 2)
    await delivered(client, town, "missed_village", 2)
    await Chat(client, A).wait_last("第48周（11月23日—29日）已结束")

    with town() as s:
        missed = sorted(
            (w, n) for w, n in s.execute(select(MissedVisit.week, Household.number).join(Household))
        )
        unreachable = s.scalar(select(Person.unreachable_since).where(Person.platform_user_id == C))
    assert missed == [
        ("2026-W47", "H1"),
        ("2026-W47", "H2"),
        ("2026-W47", "H4"),
        ("2026-W48", "H1"),
        ("2026-W48", "H2"),
        ("2026-W48", "H4"),
    ]
    assert unreachable is not None

    to_a = (await client.bot_messages(A))[-1]
    assert "第48周（11月23日—29日）已结束" in to_a["text"] and "H1 王大山" in to_a["text"]
    [village] = await messages_with(client, VILLAGE_GROUP, "第48周（11月23日—29日）未走访")
    assert (
        "青山村第48周（11月23日—29日）未走访" in village["text"]
        and "甲：H1 王**、H2 李**" in village["text"]
    )
    assert "H4" not in village["text"] and "13800000001" not in village["text"]
    [township] = await messages_with(client, TOWNSHIP_GROUP, "第48周（11月23日—29日）未走访情况")
    assert "连续 2 周未走访" in township["text"]
    for words in (
        "青山村 H1 王**（甲）",
        "青山村 H2 李**（甲）",
        "石桥村 H4 刘**（丙）",
        "石桥村未绑定村工作群：1 户",
        "联系不上的帮扶责任人（已屏蔽或从未启动）：丙",
    ):
        assert words in township["text"], words
    assert "王大山" not in township["text"]

    before = (len(rows(town, "missed_township")), len(rows(town, "missed_helper")))
    assert await run_job(bot, settings, "missed-visits", at("2026-11-30T09:00")) == 0
    assert (len(rows(town, "missed_township")), len(rows(town, "missed_helper"))) == before
    with town() as s:
        assert len(s.scalars(select(MissedVisit.id)).all()) == 6


async def test_weekly_summary_to_the_township_group(
    bot: AppType,
    settings: Settings,
    client: SandboxClient,
    town: sessionmaker[Session],
    chats: None,
) -> None:
    green_checkin(town, "H1", at("2026-11-24T10:00"))
    green_checkin(town, "H3", at("2026-11-25T10:00"), food=False)
    assert await run_job(bot, settings, "weekly-summary", at("2026-11-30T08:00")) == 2
    await delivered(client, town, "weekly_summary", 1)
    await delivered(client, town, "weekly_chart", 1)
    [summary] = await messages_with(client, TOWNSHIP_GROUP, "全镇合计")
    text = summary["text"]
    assert text.startswith("龙溪镇 第48周（11月23日—29日）")
    # Last week has ended: what was not visited (counted once, not as due and missed).
    assert "青山村：监测 3 户，已走访 2（67%），未走访 1，红色 1" in text
    assert "石桥村：监测 1 户，已走访 0（0%），未走访 1" in text and "待走访" not in text
    assert "青山村 H3 赵**：已 5 天，未确认" in text and "赵长生" not in text
    [chart] = [m for m in await client.bot_messages(TOWNSHIP_GROUP) if "photo" in m]
    assert chart["caption"] == "龙溪镇 第48周（11月23日—29日）"
    assert (await client.file(chart["photo"][-1]["file_id"])).startswith(b"\x89PNG")
    # A second run the same week queues nothing.
    assert await run_job(bot, settings, "weekly-summary", at("2026-11-30T09:00")) == 0


def test_every_scheduled_job_can_be_run_from_the_command_line() -> None:
    from bot.cli import JOBS
    from bot.schedule import job_specs
    from bot.settings import load_settings

    assert sorted(JOBS) == sorted(job_specs(load_settings(_env_file=None)))


def test_latest_occurrence_of_the_default_schedules() -> None:
    crons = ["0 9 * * mon", "0 9 * * thu", "0 18 * * sat"]
    assert latest_occurrence(crons, SHANGHAI, at("2026-11-30T10:00"), timedelta(days=1)) == at(
        "2026-11-30T09:00"
    )
    assert latest_occurrence(crons, SHANGHAI, at("2026-11-30T08:59"), timedelta(days=1)) is None
    assert latest_occurrence(crons, SHANGHAI, at("2026-11-30T08:59"), timedelta(days=2)) == at(
        "2026-11-28T18:00"
    )


async def test_a_reminder_missed_while_the_bot_was_down_is_sent_once_after_start(
    settings: Settings,
    db: Engine,
    client: SandboxClient,
    town: sessionmaker[Session],
    chats: None,
) -> None:
    # First start on Sunday evening: nothing is owed yet (only recorded).
    async with running_bot(
        settings, engine=db, poll_timeout=1.0, clock=lambda: at("2026-11-29T20:00")
    ) as (app, _):
        await _caught_up(app)
    assert rows(town, "reminder") == []
    # Down across Monday 09:00; started at 10:00: the reminder is owed and sent once.
    async with running_bot(
        settings, engine=db, poll_timeout=1.0, clock=lambda: at("2026-11-30T10:00")
    ) as (app, _):
        await _caught_up(app)
        await delivered(client, town, "reminder", 3)
    # Restarted again the same morning: nothing more.
    async with running_bot(
        settings, engine=db, poll_timeout=1.0, clock=lambda: at("2026-11-30T10:30")
    ) as (app, _):
        await _caught_up(app)
    assert len(rows(town, "reminder")) == 3
    assert [len(await messages_with(client, u, "待走访")) for u in (A, B, C)] == [1, 1, 1]
    # Monday 00:30's missed-visits run was owed as well, and ran once.
    assert len(rows(town, "missed_helper")) == 3
    with town() as s:
        runs = [
            (j, o.astimezone(SHANGHAI).isoformat(), out)
            for j, o, out in s.execute(
                select(JobRun.job, JobRun.occurrence, JobRun.outcome)
                .where(JobRun.job == "reminders")
                .order_by(JobRun.id)
            )
        ]
    assert runs == [
        ("reminders", "2026-11-29T20:00:00+08:00", "first start: nothing owed before"),
        ("reminders", "2026-11-30T09:00:00+08:00", "ok: 3 queued"),
    ]


async def _caught_up(app: AppType) -> None:
    """Wait for the start-up catch-up of the scheduled jobs to finish."""
    scheduler = _scheduler(app)
    assert scheduler is not None and scheduler.catching_up is not None
    await scheduler.catching_up


def _scheduler(app: AppType) -> JobScheduler | None:
    for callback in (app.post_init, app.post_stop):
        owner = getattr(callback, "__self__", None)
        if owner is not None and hasattr(owner, "jobs"):
            jobs: JobScheduler | None = owner.jobs
            return jobs
    return None


def test_utc_is_not_the_township_clock() -> None:
    monday_local = at("2026-11-30T00:30")
    assert monday_local.astimezone(UTC).day == 29  # still Sunday in UTC


async def test_a_bot_that_starts_sends_at_once_what_a_killed_bot_had_claimed(
    settings: Settings,
    db: Engine,
    client: SandboxClient,
    town: sessionmaker[Session],
    chats: None,
) -> None:
    async def tx(work: Any) -> Any:
        with town() as s, s.begin():
            return work(s)

    monday = at("2026-11-30T09:00")
    assert await job_specs(settings)["reminders"].run(monday, tx, WakeSender(lambda: None)) == 3
    # A bot process claimed A's and B's reminders and was killed before marking them sent
    # (waiting for the flood limit, say); a command's drain is sending C's right now.
    # A minute ago by the worker's clock (the real one): not stale yet, that takes two.
    claims = {
        A: "bot:telegram:default:killed",
        B: "bot:telegram:default:killed",
        C: "cli:telegram:default:running",
    }
    claimed = datetime.now(UTC) - timedelta(minutes=1)
    with town() as s, s.begin():
        for row in s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reminder")):
            row.status, row.claimed_at, row.claimed_by = "sending", claimed, claims[row.chat_id]
            row.attempts = 1
    async with running_bot(
        settings, engine=db, poll_timeout=1.0, clock=lambda: at("2026-11-30T09:01")
    ) as (app, _):
        await _caught_up(app)
        sent = await delivered(client, town, "reminder", 2)
    assert {r.chat_id: r.status for r in sent} == {A: "sent", B: "sent", C: "sending"}
    assert [len(await messages_with(client, u, "待走访")) for u in (A, B, C)] == [1, 1, 0]
