"""Nothing the bot sends is dropped in silence: Telegram's refusals (400, 403, a chart that can
not be drawn) and Telegram's size limits (long texts, big keyboards)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings
from platforms.telegram.context import AppType
from sandbox.client import SandboxClient
from storage.models import GroupBinding, OutboxMessage
from storage.outbox import Outbox
from storage.roster import import_roster
from tests.driver import Chat, outbox_settled, until
from tests.e2e.test_schedule import run_job
from tests.small_town import HEAD, STAFF, TOWNSHIP_GROUP, VILLAGE_GROUP, A, at, green_checkin

TUESDAY = at("2026-11-24T10:00")


def rows(factory: sessionmaker[Session]) -> list[OutboxMessage]:
    with factory() as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def texts(client: SandboxClient, chat_id: int) -> list[str]:
    return [m.get("text") or m.get("caption") or "" for m in await client.bot_messages(chat_id)]


@pytest.fixture
async def clocked(bot: AppType, client: SandboxClient, chats: None) -> AppType:
    """The bot at Tuesday of week 48, once it has greeted both groups (so that a failure
    injected next is not spent on a greeting)."""
    bot.bot_data.services.clock = lambda: TUESDAY

    async def greeted() -> bool:
        return all([await texts(client, VILLAGE_GROUP), await texts(client, TOWNSHIP_GROUP)])

    await until(greeted)
    return bot


async def test_a_400_in_the_village_group_moves_the_warning_to_the_township_group(
    clocked: AppType, client: SandboxClient, town: sessionmaker[Session], chats: None
) -> None:
    await client.fail("400", method="sendMessage", chat_id=VILLAGE_GROUP, count=3)
    green_checkin(town, "H1", TUESDAY, food=False)
    clocked.bot_data.services.wake_outbox()

    async def both_in_township() -> bool:
        return len([t for t in await texts(client, TOWNSHIP_GROUP) if "🔴 红色预警" in t]) == 2

    await until(both_in_township)
    await outbox_settled(town)
    township = [t for t in await texts(client, TOWNSHIP_GROUP) if "🔴 红色预警" in t]
    assert sum("未能发到村工作群" in t for t in township) == 1
    assert all("H1" in t and "王**" in t for t in township)
    assert not [t for t in await texts(client, VILLAGE_GROUP) if "🔴" in t]
    failed = [r for r in rows(town) if r.status == "failed"]
    assert [(r.chat_id, r.kind) for r in failed] == [(VILLAGE_GROUP, "alert")]
    assert failed[0].last_error and failed[0].last_error.startswith("400")
    with town() as s:  # a plain 400 does not break the binding
        assert s.scalar(
            select(GroupBinding.status).where(
                GroupBinding.chat_id == VILLAGE_GROUP, GroupBinding.status != "ended"
            )
        ) == ("active")

    # /summary counts what could not be delivered this week.
    summary = await Chat(client, STAFF).send("/summary")
    assert "本周有 1 条消息未能送达" in summary["text"]


async def test_no_rights_in_the_village_group_breaks_the_binding_and_tells_the_staff(
    clocked: AppType, client: SandboxClient, town: sessionmaker[Session], chats: None
) -> None:
    await client.fail(
        "400",
        method="sendMessage",
        chat_id=VILLAGE_GROUP,
        description="Bad Request: not enough rights to send text messages to the chat",
    )
    green_checkin(town, "H1", TUESDAY, food=False)
    clocked.bot_data.services.wake_outbox()

    await until(lambda: _any_text(client, STAFF, "无法在群"))
    await outbox_settled(town)
    with town() as s:
        statuses = s.scalars(
            select(GroupBinding.status).where(GroupBinding.chat_id == VILLAGE_GROUP)
        ).all()
    assert "broken" in statuses
    township = [t for t in await texts(client, TOWNSHIP_GROUP) if "🔴 红色预警" in t]
    assert len(township) == 2 and sum("未能发到村工作群" in t for t in township) == 1


async def test_a_township_group_that_refuses_a_warning_leaves_it_with_the_staff_privately(
    clocked: AppType, client: SandboxClient, town: sessionmaker[Session], chats: None
) -> None:
    await client.fail("400", method="sendMessage", chat_id=TOWNSHIP_GROUP, count=1)
    green_checkin(town, "H1", TUESDAY, food=False)
    clocked.bot_data.services.wake_outbox()

    await until(lambda: _any_text(client, STAFF, "未能送达"))
    await outbox_settled(town)
    [notice] = [t for t in await texts(client, STAFF) if "未能送达" in t]
    assert "H1" in notice and "龙溪镇群" in notice and "injected failure" in notice.lower()
    assert [t for t in await texts(client, VILLAGE_GROUP) if "🔴 红色预警" in t]
    # told once per message, however often the worker runs
    clocked.bot_data.services.wake_outbox()
    await asyncio.sleep(0.5)
    assert len([t for t in await texts(client, STAFF) if "未能送达" in t]) == 1


async def test_a_chart_that_can_not_be_drawn_is_failed_with_its_reason_and_told(
    clocked: AppType, client: SandboxClient, town: sessionmaker[Session], chats: None
) -> None:
    with town() as s, s.begin():
        Outbox(s).enqueue(
            key="broken-chart",
            kind="weekly_chart",
            chat_id=TOWNSHIP_GROUP,
            # fits the kind (storage/payloads.py) but can not be drawn: its time is no time
            payload={
                "week": "2026-W48",
                "township": "龙溪镇",
                "at": "not a time",
                "late_proposals": [],
                "villages": [["青山村", 3, 1, 2, 0, 0]],
                "open_red": [],
            },
            now=TUESDAY,
        )
    clocked.bot_data.services.wake_outbox()
    await outbox_settled(town)
    [row] = [r for r in rows(town) if r.key == "broken-chart"]
    assert row.status == "failed" and row.last_error and row.last_error.startswith("chart:")
    await until(lambda: _any_text(client, STAFF, "周汇总图"))


async def _any_text(client: SandboxClient, chat_id: int, words: str) -> bool:
    return any(words in t for t in await texts(client, chat_id))


# ----------------------------------------------------------------------------- limits


@pytest.fixture
def big_village(town: sessionmaker[Session], tmp_path: Path) -> list[str]:
    """500 more households in 青山村, all with helper 甲 (A)."""
    households = tmp_path / "big.csv"
    lines = [
        "乡镇,村,户编号,户主姓名,身份证号,家庭人口,监测类型,上年人均纯收入,帮扶责任人,帮扶责任人电话"
    ]
    numbers = [f"QS{i:04d}" for i in range(500)]
    lines += [f"龙溪镇,青山村,{n},欧阳春花,,3,脱贫不稳定户,7000,甲,13800000001" for n in numbers]
    households.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with town() as s, s.begin():
        import_roster(s, [households], now=at("2026-11-01T08:00"), actor="test")
    return numbers


def _numbered(parts: list[str]) -> None:
    total = len(parts)
    assert total > 1
    for index, part in enumerate(parts, start=1):
        assert part.startswith(f"({index}/{total})\n"), part[:20]
        assert len(part) <= 4096


async def test_long_lists_are_split_and_big_keyboards_paged(
    clocked: AppType,
    settings: Settings,
    client: SandboxClient,
    town: sessionmaker[Session],
    chats: None,
    big_village: list[str],
) -> None:
    # Monday 00:30: last week's missed visits, one list for the village group (502 lines).
    await run_job(clocked, settings, "missed-visits", at("2026-11-30T00:30"))
    await outbox_settled(town, timeout=60)
    assert not [r for r in rows(town) if r.status == "failed"]
    village = [t for t in await texts(client, VILLAGE_GROUP) if re.match(r"\(\d+/\d+\)", t)]
    _numbered(village)
    joined = "\n".join(village)
    assert all(number in joined for number in big_village)

    # Reminders: 502 households due, one button each, at most 100 a message.
    await run_job(clocked, settings, "reminders", at("2026-11-30T09:00"))
    await outbox_settled(town, timeout=60)
    assert not [r for r in rows(town) if r.status == "failed"]
    with_buttons = [
        m
        for m in await client.bot_messages(A)
        if (m.get("reply_markup") or {}).get("inline_keyboard")
    ]
    counts = [sum(len(r) for r in m["reply_markup"]["inline_keyboard"]) for m in with_buttons]
    assert sum(counts) == 502 and max(counts) <= 100 and len(counts) == 6
    # A button of the last page works like any other.
    last = with_buttons[-1]
    button = last["reply_markup"]["inline_keyboard"][-1][0]
    seq = await client.last_seq()
    await client.press(A, last["message_id"], text=button["text"], chat_id=A)
    reply = await client.answer_to_press(
        A, last["message_id"], after=seq
    )  # it becomes the question
    number = re.search(r"QS\d{4}", button["text"])
    assert number and number.group() in reply["text"]

    # The village head's /summary lists who still has what due: split, nothing lost.
    chat = Chat(client, HEAD)
    seq = await client.last_seq()
    await client.send_text(HEAD, "/summary", chat_id=HEAD)
    await client.wait_bot_messages(HEAD, after=seq, count=3, timeout=30)
    parts = [t for t in await texts(client, HEAD) if re.match(r"\(\d+/\d+\)", t)]
    _numbered(parts)
    assert all(number in "\n".join(parts) for number in big_village)
    assert chat is not None


def test_split_text_keeps_lines_whole_and_numbers_the_parts() -> None:
    from platforms.telegram.limits import page_keyboard, split_text

    lines = [f"• 第 {i} 户 欧阳春花" for i in range(1000)]
    parts = split_text("\n".join(lines))
    _numbered(parts)
    body = [line for part in parts for line in part.split("\n")[1:]]
    assert body == lines
    assert split_text("短消息") == ["短消息"]
    long_line = "字" * 9000  # one line longer than a message is cut
    cut = split_text(long_line)
    assert "".join(p.split("\n", 1)[1] for p in cut) == long_line
    caption = split_text("\n".join(lines[:200]), 1024, 4096)
    assert len(caption[0]) <= 1024 and all(len(p) <= 4096 for p in caption)

    from telegram import InlineKeyboardButton, InlineKeyboardMarkup

    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton(str(i), callback_data=str(i))] for i in range(250)]
    )
    pages: list[Any] = page_keyboard(markup)
    assert [sum(len(r) for r in p.inline_keyboard) for p in pages] == [100, 100, 50]
    assert page_keyboard(None) == [None]
