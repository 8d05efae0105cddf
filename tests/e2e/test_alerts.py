"""Red warnings end to end: binding groups, delivery through the outbox (with failures and a
crash), acknowledgement, help measures, escalation and the all-clear."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from platforms.telegram.context import AppType
from sandbox.client import SandboxClient
from storage.models import Alert, AuditEntry, Draft, GroupBinding, OutboxMessage
from storage.models_measures import Measure
from tests.conftest import import_examples
from tests.driver import BotProcess, Chat, answer_checkin, register

VILLAGE_GROUP, TOWNSHIP_GROUP = -100111, -100222
HELPER = (501, "李建国", "+8613800138001")  # helper of LX01001 (徐德明), 青山村
HEAD = (502, "张卫东", "+8613700137001")  # village head of 青山村
STAFF = (503, "杨振华", "+8618700187001")  # township staff of 龙溪镇
ID_NUMBER, HELPER_PHONE = "500118197511021743", "13800138001"
TUESDAY = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, 2026-W48


@pytest.fixture
def roster(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    import_examples(session_factory)
    return session_factory


async def bind(client: SandboxClient, chat_id: int, title: str, target: str) -> None:
    await client.create_group(chat_id, title)
    seq = await client.last_seq()
    await client.bot_membership(chat_id, by_user_id=STAFF[0])
    await client.reply(chat_id, after=seq)  # the greeting
    staff = Chat(client, STAFF[0], chat_id)
    ask = await staff.send("/bind")
    assert "哪个单位的群" in ask["text"]
    done = await staff.press(target, edits=True)
    assert "本群已绑定" in done["text"]


@pytest.fixture
async def town(
    bot: AppType, client: SandboxClient, roster: sessionmaker[Session]
) -> dict[str, Chat]:
    bot.bot_data.services.clock = lambda: TUESDAY
    people = {
        "helper": await register(client, *HELPER),
        "head": await register(client, *HEAD),
        "staff": await register(client, *STAFF),
    }
    await bind(client, VILLAGE_GROUP, "青山村防返贫群", "青山村")
    await bind(client, TOWNSHIP_GROUP, "龙溪镇防返贫工作群", "乡镇工作群")
    return people


async def checkin(
    helper: Chat, number: str, *, food: bool, readers: tuple[int, ...] = (HEAD[0], STAFF[0])
) -> dict[str, Any]:
    """A check-in to the end. When it raises a red warning, also wait for the warning's
    details in the private chats of `readers` (the linked village head and staff), so that
    what a test sends them next is not answered by it."""
    listing = await helper.send("/checkin")
    first = await helper.press(number) if "请选择" in listing["text"] else listing
    if "更正" in first["text"]:
        first = await helper.last()
    await answer_checkin(helper, food=food)
    seq = await helper.client.last_seq()
    result = await helper.press("确认提交")
    if "红色预警正在推送" in result["text"]:
        for reader in readers:
            [detail] = await helper.client.wait_bot_messages(reader, after=seq)
            assert "仅发给您" in detail["text"]
    return result


async def red_warning_in_the_village(town: dict[str, Chat], client: SandboxClient) -> Any:
    """LX01001 checked in red (food); the warning as the village group received it."""
    seq = await client.last_seq()
    await checkin(town["helper"], "LX01001", food=False)
    [alert] = await client.wait_bot_messages(VILLAGE_GROUP, after=seq)
    return alert


def outbox(factory: sessionmaker[Session]) -> list[OutboxMessage]:
    """The rows for groups (the warnings' private copies with the details aside)."""
    with factory() as s:
        return list(
            s.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.kind != "alert_detail")
                .order_by(OutboxMessage.id)
            )
        )


async def alerts_in(
    client: SandboxClient, chat_id: int, words: str = "🔴 红色预警"
) -> list[dict[str, Any]]:
    return [m for m in await client.bot_messages(chat_id) if words in m.get("text", "")]


async def wait_until(
    check: Callable[[], Awaitable[bool]], client: SandboxClient, timeout: float = 60
) -> None:
    deadline = datetime.now(UTC) + timedelta(seconds=timeout)
    seq = await client.last_seq()
    while not await check():
        if datetime.now(UTC) > deadline:
            raise AssertionError("condition not reached in time")
        await client.events(after=seq, timeout=1.0)
        seq = await client.last_seq()


async def test_red_checkin_posts_one_alert_per_group_masked_and_with_reasons(
    town: dict[str, Chat], client: SandboxClient, roster: sessionmaker[Session]
) -> None:
    seq = await client.last_seq()
    result = await checkin(town["helper"], "LX01001", food=False)
    assert "红色预警正在推送到村和乡镇工作群" in result["text"]
    [village] = await client.wait_bot_messages(VILLAGE_GROUP, after=seq)
    [township] = await client.wait_bot_messages(TOWNSHIP_GROUP, after=seq)
    for message in (village, township):
        text = message["text"]
        assert "🔴 红色预警" in text and "徐**" in text and "LX01001" in text
        assert "两不愁三保障有问题：吃饭" in text and "帮扶责任人：李建国" in text
        assert "青山村" in text and "吃饭没有保障" not in text  # the area, not the detail
        assert "徐德明" not in text and ID_NUMBER not in text and ID_NUMBER[-4:] not in text
        assert HELPER_PHONE not in text and "138" not in text
        labels = [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]
        assert labels == ["✅ 确认收到", "📝 记录帮扶措施"]
    expected = [("alert", VILLAGE_GROUP, "sent"), ("alert", TOWNSHIP_GROUP, "sent")]

    async def both_sent() -> bool:  # the group sees it a moment before "sent" is committed
        return [(r.kind, r.chat_id, r.status) for r in outbox(roster)] == expected

    await wait_until(both_sent, client)

    # Red again the same week, same reason: a change of state only, so nothing new.
    again = await checkin(town["helper"], "LX01001", food=False)
    assert "已在红色预警中" in again["text"]
    assert len(outbox(roster)) == 2
    assert len(await alerts_in(client, VILLAGE_GROUP)) == 1


async def test_the_reasons_in_full_go_privately_with_the_same_buttons(
    town: dict[str, Chat], client: SandboxClient, roster: sessionmaker[Session]
) -> None:
    await checkin(town["helper"], "LX01001", food=False)  # waits for the private copies

    async def detail_of(user_id: int) -> dict[str, Any]:
        [detail] = [m for m in await client.bot_messages(user_id) if "仅发给您" in m["text"]]
        return detail

    details = {user: await detail_of(user) for user in (HEAD[0], STAFF[0])}
    for detail in details.values():
        assert "吃饭没有保障" in detail["text"] and "徐**" in detail["text"]
        labels = [b["text"] for row in detail["reply_markup"]["inline_keyboard"] for b in row]
        assert labels == ["✅ 确认收到", "📝 记录帮扶措施"]
    assert not [m for m in await client.bot_messages(HELPER[0]) if "仅发给您" in m["text"]]

    # The village head acknowledges in the private chat: every copy shows it, each in its
    # own words (the groups still the area only).
    seq = await client.last_seq()
    await client.press(HEAD[0], details[HEAD[0]]["message_id"], text="✅ 确认收到")
    for chat in (VILLAGE_GROUP, TOWNSHIP_GROUP, STAFF[0]):
        await client.wait_event(after=seq, kinds="edit", chat_id=chat)
    for chat in (VILLAGE_GROUP, TOWNSHIP_GROUP):
        [edited] = await alerts_in(client, chat)
        assert "✅ 已确认：张卫东" in edited["text"] and "吃饭没有保障" not in edited["text"]
    staff_copy = await detail_of(STAFF[0])
    assert "✅ 已确认：张卫东" in staff_copy["text"] and "吃饭没有保障" in staff_copy["text"]
    with roster() as s:
        assert s.scalars(select(Alert.acknowledged_by)).one() is not None


async def test_429_then_502_still_delivers_exactly_once(
    town: dict[str, Chat], client: SandboxClient, roster: sessionmaker[Session]
) -> None:
    for chat in (VILLAGE_GROUP, TOWNSHIP_GROUP):
        await client.fail("429", method="sendMessage", chat_id=chat, retry_after=2)
        await client.fail("502", method="sendMessage", chat_id=chat, count=2)
    await checkin(town["helper"], "LX01001", food=False)

    async def delivered() -> bool:
        return all(r.status == "sent" for r in outbox(roster)) and len(outbox(roster)) == 2

    await wait_until(delivered, client, timeout=90)
    assert len(await alerts_in(client, VILLAGE_GROUP)) == 1
    assert len(await alerts_in(client, TOWNSHIP_GROUP)) == 1
    failures = [e for e in await client.events(after=0, kinds="failed")]
    assert {e["mode"] for e in failures} == {"429", "502"} and len(failures) == 6
    assert all(r.attempts == 3 for r in outbox(roster))


async def test_acknowledge_is_for_the_village_head_and_measures_are_recorded(
    town: dict[str, Chat], client: SandboxClient, roster: sessionmaker[Session]
) -> None:
    alert = await red_warning_in_the_village(town, client)

    seq = await client.last_seq()
    refused = await client.press(
        HELPER[0], alert["message_id"], text="✅ 确认收到", chat_id=VILLAGE_GROUP
    )
    answer = await client.wait_event(after=seq, kinds="callback_answer")
    assert "无权操作" in answer["text"]
    assert (await client.callback_answer(refused["callback_query_id"]))["answered"]
    with roster() as s:
        assert s.scalars(select(Alert.acknowledged_by)).one() is None

    seq = await client.last_seq()
    await client.press(HEAD[0], alert["message_id"], text="✅ 确认收到", chat_id=VILLAGE_GROUP)
    for chat in (VILLAGE_GROUP, TOWNSHIP_GROUP):  # both are edited, in either order
        await client.wait_event(after=seq, kinds="edit", chat_id=chat)
    for chat in (VILLAGE_GROUP, TOWNSHIP_GROUP):
        [edited] = await alerts_in(client, chat)
        assert "✅ 已确认：张卫东" in edited["text"]
        labels = [b["text"] for row in edited["reply_markup"]["inline_keyboard"] for b in row]
        assert labels == ["📝 记录帮扶措施"]

    # Record a measure: the conversation moves to the village head's private chat.
    head = town["head"]
    seq = await client.last_seq()
    await client.press(HEAD[0], alert["message_id"], text="📝 记录帮扶措施", chat_id=VILLAGE_GROUP)
    ask = await client.reply(HEAD[0], after=seq)
    assert "哪项帮扶措施" in ask["text"]
    _, kinds = await head.buttons()
    assert kinds[0] == "临时救助"  # food fails: temporary relief first
    units = await head.press("临时救助")
    assert "哪个单位" in units["text"]
    assert "需要办理什么" in (await head.send("镇民政办"))["text"]  # a typed unit
    assert "金额" in (await head.send("发放临时救助金 2000 元"))["text"]
    assert "何时前完成" in (await head.send("2000"))["text"]
    assert "日期" in (await head.send("2099-01-01"))["text"]  # more than a year ahead
    done = await head.press("7 天内")
    assert "已交给 镇民政办" in done["text"]
    with roster() as s:
        measure = s.scalars(select(Measure)).one()
        assert (measure.kind, measure.responsible, measure.status, measure.amount) == (
            "relief",
            "镇民政办",
            "pending",
            2000,
        )
        assert measure.deadline is not None
        assert s.scalar(select(AuditEntry).where(AuditEntry.action == "measure")) is not None
    await wait_until(lambda: _has(client, VILLAGE_GROUP, "已记录 1 项帮扶措施"), client)
    history = await head.send("/history LX01001")
    assert "临时救助 — 镇民政办：发放临时救助金 2000 元" in history["text"]
    assert "已确认" in history["text"]
    assert "没有您可以查看" in (await town["helper"].send("/history LX02001"))["text"]


async def _has(client: SandboxClient, chat: int, words: str) -> bool:
    return bool(await alerts_in(client, chat, words))


async def test_two_green_checkins_close_the_alert_and_post_the_all_clear(
    bot: AppType, town: dict[str, Chat], client: SandboxClient, roster: sessionmaker[Session]
) -> None:
    await checkin(town["helper"], "LX01001", food=False)
    services = bot.bot_data.services
    services.clock = lambda: TUESDAY + timedelta(days=7)
    await checkin(town["helper"], "LX01001", food=True)
    with roster() as s:
        assert s.scalars(select(Alert.status)).one() == "open"
    services.clock = lambda: TUESDAY + timedelta(days=14)
    seq = await client.last_seq()
    await checkin(town["helper"], "LX01001", food=True)
    for chat in (VILLAGE_GROUP, TOWNSHIP_GROUP):
        [clear] = await client.wait_bot_messages(chat, after=seq)
        assert "🟢 预警解除" in clear["text"] and "连续两次走访情况正常" in clear["text"]
        assert "徐**" in clear["text"]
    with roster() as s:
        alert = s.scalars(select(Alert)).one()
        assert (alert.status, alert.close_reason) == ("closed", "green")


async def test_resolve_by_township_staff_closes_the_alert(
    town: dict[str, Chat], client: SandboxClient, roster: sessionmaker[Session]
) -> None:
    await red_warning_in_the_village(town, client)  # delivered before what follows
    assert "只有乡镇干部" in (await town["head"].send("/resolve LX01001"))["text"]
    seq = await client.last_seq()
    done = await town["staff"].send("/resolve LX01001")
    assert "已解除" in done["text"]
    [clear] = await client.wait_bot_messages(VILLAGE_GROUP, after=seq)
    assert "乡镇已关闭预警" in clear["text"]
    assert "没有未解除" in (await town["staff"].send("/resolve LX01001"))["text"]


async def test_no_village_group_sends_to_the_township_with_a_line_saying_so(
    bot: AppType, client: SandboxClient, roster: sessionmaker[Session]
) -> None:
    bot.bot_data.services.clock = lambda: TUESDAY
    await register(client, *STAFF)
    await bind(client, TOWNSHIP_GROUP, "龙溪镇防返贫工作群", "乡镇工作群")
    helper = await register(client, 511, "陈红梅", "+8613900139001")  # 石桥村
    seq = await client.last_seq()
    await checkin(helper, "LX02001", food=False, readers=(STAFF[0],))
    [message] = await client.wait_bot_messages(TOWNSHIP_GROUP, after=seq)
    assert "本村尚未绑定村工作群" in message["text"] and "石桥村" in message["text"]


async def test_binding_rules_removal_and_supergroup_upgrade(
    town: dict[str, Chat], client: SandboxClient, roster: sessionmaker[Session]
) -> None:
    helper_in_group = Chat(client, HELPER[0], VILLAGE_GROUP)
    assert "只有乡镇干部可以绑定" in (await helper_in_group.send("/bind"))["text"]

    # The village group becomes a supergroup: the binding follows it.
    await client.migrate_group(VILLAGE_GROUP, -1009990001, by_user_id=STAFF[0])

    async def migrated() -> bool:
        with roster() as s:
            return (
                s.scalar(
                    select(GroupBinding).where(
                        GroupBinding.chat_id == -1009990001, GroupBinding.status == "active"
                    )
                )
                is not None
            )

    await wait_until(migrated, client)
    seq = await client.last_seq()
    await checkin(town["helper"], "LX01001", food=False)
    [alert] = await client.wait_bot_messages(-1009990001, after=seq)
    assert "红色预警" in alert["text"]

    # The bot is removed from the township group: binding broken, staff told privately.
    seq = await client.last_seq()
    await client.bot_membership(TOWNSHIP_GROUP, by_user_id=HEAD[0], action="remove")
    notice = await client.reply(STAFF[0], after=seq)
    assert "已无法在群“龙溪镇防返贫工作群”" in notice["text"]
    with roster() as s:
        statuses = {b.chat_id: b.status for b in s.scalars(select(GroupBinding))}
        audit = [
            (a.action, a.entity_key)
            for a in s.scalars(
                select(AuditEntry).where(AuditEntry.entity == "group").order_by(AuditEntry.id)
            )
        ]
    assert statuses[TOWNSHIP_GROUP] == "broken" and statuses[-1009990001] == "active"
    assert ("bind", str(VILLAGE_GROUP)) in audit and ("broken", str(TOWNSHIP_GROUP)) in audit

    # Rebinding the village to another group ends the earlier binding, audited.
    await bind(client, -100333, "青山村新群", "青山村")
    with roster() as s:
        statuses = {b.chat_id: b.status for b in s.scalars(select(GroupBinding))}
    assert statuses[-1009990001] == "ended" and statuses[-100333] == "active"


@pytest.mark.timeout(300)
async def test_killed_before_delivery_delivers_once_after_restart_and_escalates(
    bot_process: BotProcess,
    client: SandboxClient,
    roster: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    await register(client, *STAFF)
    await bind(client, VILLAGE_GROUP, "青山村防返贫群", "青山村")
    await bind(client, TOWNSHIP_GROUP, "龙溪镇防返贫工作群", "乡镇工作群")
    helper = await register(client, *HELPER)
    for chat in (VILLAGE_GROUP, TOWNSHIP_GROUP):
        await client.fail("500", method="sendMessage", chat_id=chat, count=10_000)
    await checkin(helper, "LX01001", food=False, readers=(STAFF[0],))

    async def tried_and_waiting() -> bool:
        rows = outbox(roster)
        return len(rows) == 2 and all(r.status == "pending" and r.attempts >= 1 for r in rows)

    await wait_until(tried_and_waiting, client)
    bot_process.kill()
    await client.fail("clear")
    bot_process.start()

    async def delivered() -> bool:
        return all(r.status == "sent" for r in outbox(roster))

    await wait_until(delivered, client, timeout=120)
    assert len(await alerts_in(client, VILLAGE_GROUP)) == 1
    assert len(await alerts_in(client, TOWNSHIP_GROUP)) == 1

    # Nobody acknowledges: a day later the escalation job reminds the township group, once.
    env = dict(bot_process.env)
    at = (datetime.now(UTC) + timedelta(hours=25)).isoformat()
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-m", "bot", "jobs", "run", "escalations", "--at", at],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
    reminders = await alerts_in(client, TOWNSHIP_GROUP, "尚未确认，再次提醒")
    assert len(reminders) == 1
    assert not await alerts_in(client, VILLAGE_GROUP, "尚未确认")


async def test_a_measure_left_half_done_is_ended_by_cancel(
    town: dict[str, Chat], client: SandboxClient, roster: sessionmaker[Session]
) -> None:
    """Press Record measure and walk away: the person is not trapped in it."""
    alert = await red_warning_in_the_village(town, client)
    seq = await client.last_seq()
    await client.press(HEAD[0], alert["message_id"], text="📝 记录帮扶措施", chat_id=VILLAGE_GROUP)
    assert "哪项帮扶措施" in (await client.reply(HEAD[0], after=seq))["text"]
    head = town["head"]
    stuck = await head.send("送了米")  # typed where a button is wanted
    assert "/cancel" in stuck["text"]
    assert "已放弃正在填写的内容" in (await head.send("/cancel"))["text"]
    assert "没看懂" in (await head.send("你好"))["text"]  # free again
    assert "没有可取消的内容" in (await head.send("/cancel"))["text"]
    with roster() as s:
        assert not s.scalars(select(Draft)).all()
        assert not s.scalars(select(Measure)).all()
