"""The weekly check-in end to end: the real bot, over HTTP, through the stand-in."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from platforms.telegram.context import AppType
from sandbox.client import SandboxClient
from storage.models import AuditEntry, CheckIn, Draft, Household
from tests.conftest import import_examples
from tests.driver import Chat, answer_checkin, register

HELPER = (501, "李建国", "+8613800138001")  # households LX01001, LX01004, LX01007, LX01010


@pytest.fixture
def roster(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    import_examples(session_factory)
    return session_factory


@pytest.fixture
async def helper(bot: AppType, client: SandboxClient, roster: sessionmaker[Session]) -> Chat:
    return await register(client, *HELPER)


def household(factory: sessionmaker[Session], number: str) -> Household:
    with factory() as s:
        found = s.scalar(select(Household).where(Household.number == number))
        assert found is not None
        return found


def checkins(factory: sessionmaker[Session], number: str) -> list[CheckIn]:
    with factory() as s:
        return list(
            s.scalars(
                select(CheckIn)
                .join(Household)
                .where(Household.number == number)
                .order_by(CheckIn.id)
            )
        )


def draft_answers(factory: sessionmaker[Session]) -> dict[str, Any] | None:
    with factory() as s:
        draft = s.scalars(select(Draft)).first()
        return dict(draft.answers) if draft else None


async def choose(chat: Chat, number: str) -> dict[str, Any]:
    listing = await chat.send("/checkin")
    assert "请选择要走访的农户" in listing["text"]
    return await chat.press(number)


async def answer_all_green(
    chat: Chat, *, members: str | None = None, school_asked: bool = True
) -> dict[str, Any]:
    """From the first question to the summary: a household with no problems."""
    await chat.press("入户")
    if members is None:
        await chat.press("仍为")
    else:
        await chat.send(members)
    await chat.press("没有变化")  # income unchanged
    await chat.press("否")  # no rigid expenditure
    await chat.press("有保障")  # food
    reply = await chat.press("有保障")  # clothing
    if school_asked:
        assert "义务教育阶段" in reply["text"]
        reply = await chat.press("否")  # no school-age child
    assert "基本医疗保险" in reply["text"]
    await chat.press("有保障")  # medical insurance
    await chat.press("有保障")  # treatment
    await chat.press("有保障")  # housing
    await chat.press("有保障")  # water
    await chat.press("跳过")
    return await chat.press("跳过")


async def test_full_checkin_with_amounts_in_every_form_ends_red(
    helper: Chat, roster: sessionmaker[Session]
) -> None:
    first = await choose(helper, "LX01001")
    assert "本次走访方式" in first["text"] and "LX01001" in first["text"]
    assert "名单上是 5 人" in (await helper.press("电话"))["text"]
    assert "上次走访以来，家庭收入有明显变化" in (await helper.send("３人"))["text"]
    # no income by source recorded yet: a change asks the four figures once
    assert "近12个月工资性收入" in (await helper.press("有变化"))["text"]
    assert "经营性净收入" in (await helper.send("2.4万元"))["text"]
    assert "财产性收入" in (await helper.send("0"))["text"]
    assert "转移性收入" in (await helper.send("0"))["text"]
    assert "大额刚性支出" in (await helper.send("0"))["text"]
    assert "什么原因" in (await helper.press("是"))["text"]
    expenses = [("因病", "4,500"), ("因学", "3千"), ("因灾", "１２００元"), ("其他", "4 500")]
    for index, (cause, amount) in enumerate(expenses):
        assert "家庭自己实际支付了多少元" in (await helper.press(cause))["text"]
        assert "还有其他大额支出" in (await helper.send(amount))["text"]
        last = index == len(expenses) - 1
        nxt = await helper.press("否" if last else "是")
        assert ("吃饭有保障" if last else f"第 {index + 2} 笔支出") in nxt["text"]
    await helper.press("有问题")  # food NOT secure
    await helper.press("有保障")  # clothing
    assert "失学辍学吗" in (await helper.press("是"))["text"]  # has a school-age child
    await helper.press("都在校")  # not out of school
    await helper.press("有保障")
    await helper.press("有保障")
    await helper.press("有保障")
    assert "备注" in (await helper.press("有保障"))["text"]
    assert "照片" in (await helper.send("老人住院，孩子上学开销大"))["text"]
    summary = await helper.send_other("photo", "jpeg-bytes")
    assert "请核对" in summary["text"]
    for words in (
        "电话",
        "共同生活人口：3",
        "工资性收入 24,000 元",
        "因病 4,500 元",
        "因学 3,000 元",
        "因灾 1,200 元",
        "⚠️ 有问题：不愁吃",
        "照片：已附",
    ):
        assert words in summary["text"], words

    result = await helper.press("确认提交")
    assert "已保存" in result["text"] and "🔴 红色预警" in result["text"]
    assert "吃饭没有保障" in result["text"]
    assert "人均纯收入 3,600 元，低于红色预警线 4,800 元" in result["text"]
    assert "近12个月人均纯收入：3,600 元" in result["text"]
    assert "（工资性 24,000 + 经营性 0 + 财产性 0 + 转移性 0 − 合规自付 13,200" in result["text"]

    [row] = checkins(roster, "LX01001")
    assert (row.visit_method, row.members, row.income_changed) == ("phone", 3, True)
    assert row.expected_income == Decimal("24000.00")
    assert row.expense_total == Decimal("13200.00")
    assert [e["cause"] for e in row.expenses] == ["illness", "schooling", "disaster", "other"]
    assert (row.food_ok, row.education_ok, row.water_ok) == (False, True, True)
    assert row.note == "老人住院，孩子上学开销大" and row.photo_file_id
    assert row.level == "red" and row.per_capita_income == Decimal("3600.00")
    assert {r["code"] for r in row.reasons} >= {"guarantee_food", "income_below_red_line"}
    assert row.income is not None and row.income["wage"] == "24000.00"
    hh = household(roster, "LX01001")
    assert (hh.members, hh.has_school_child) == (3, True)
    assert draft_answers(roster) is None
    with roster() as s:
        changes = {
            (a.field, a.old_value, a.new_value)
            for a in s.scalars(
                select(AuditEntry).where(
                    AuditEntry.entity_key == "LX01001", AuditEntry.actor.like("person:%")
                )
            )
        }
    assert ("members", "5", "3") in changes and ("income_wage", None, "24000") in changes
    assert ("income_transfer", None, "0") in changes


async def test_edit_from_the_summary_and_a_correction_in_the_same_week(
    helper: Chat, roster: sessionmaker[Session]
) -> None:
    await choose(helper, "LX01004")
    summary = await answer_all_green(helper)
    assert "共同生活人口：5" in summary["text"]
    await helper.press("修改", edits=True)  # the summary's buttons turn into the edit list
    _, labels = await helper.buttons()
    assert "共同生活人口" in labels and "返回核对" in " ".join(labels)
    assert labels.count("大额刚性支出") == 1
    assert "几口人" in (await helper.press("共同生活人口"))["text"]
    summary = await helper.send("4")
    assert "请核对" in summary["text"] and "共同生活人口：4" in summary["text"]
    await helper.press("修改", edits=True)
    assert "上次走访以来，家庭收入有明显变化" in (await helper.press("收入变化"))["text"]
    assert "近12个月工资性收入" in (await helper.press("有变化"))["text"]
    for figure in ("40000", "0", "0"):
        await helper.send(figure)
    summary = await helper.send("0")
    assert "工资性收入 40,000 元" in summary["text"] and "共同生活人口：4" in summary["text"]
    result = await helper.press("确认提交")
    assert "🟢 绿色正常" in result["text"]

    # The same week again: a correction.
    listing = await helper.send("/checkin")
    assert "✅ LX01004" in str(listing["reply_markup"])
    notice = await helper.press("LX01004")
    assert "更正" in notice["text"]
    summary = await answer_all_green(helper, members="2", school_asked=False)
    assert "义务教育阶段子女：无（此前已登记" in summary["text"]
    result = await helper.press("确认提交")
    assert "替换了本周较早的记录" in result["text"]
    first, second = checkins(roster, "LX01004")
    assert (first.is_current, second.is_current) == (False, True)
    assert second.supersedes_id == first.id and (first.members, second.members) == (4, 2)
    with roster() as s:
        actions = [
            a.action
            for a in s.scalars(
                select(AuditEntry).where(AuditEntry.entity == "checkin").order_by(AuditEntry.id)
            )
        ]
    assert actions == ["checkin", "correct"]
    mine = await helper.send("/mine")
    assert "还有 3 户未走访" in mine["text"] and "✅ LX01004" in mine["text"]


async def test_unexpected_input_at_every_question_is_refused_and_stores_nothing(
    helper: Chat, roster: sessionmaker[Session]
) -> None:
    await choose(helper, "LX01007")

    async def refuse(kind: str, value: str, hint: str, question: str) -> None:
        before = draft_answers(roster)
        if kind == "text":
            reply = await helper.send(value)
        else:
            reply = await helper.send_other(kind, value)
        assert hint in reply["text"] and question in reply["text"], reply["text"]
        assert draft_answers(roster) == before

    buttons_hint = "请点击下面的按钮"
    await refuse("sticker", "😀", buttons_hint, "本次走访方式")
    await refuse("text", "在家", buttons_hint, "本次走访方式")
    await refuse("text", "/start", "正在填写 LX01007", "本次走访方式")
    await helper.press("入户")
    for bad in ("0", "31", "2.5", "五十", "很多"):
        await refuse("text", bad, "1 到 30 之间的整数", "几口人")
    await refuse("photo", "x", "1 到 30 之间的整数", "几口人")
    await helper.send("4")
    await refuse("text", "也许", "输入“是”或“否”", "收入有明显变化")
    await refuse("sticker", "😀", "输入“是”或“否”", "收入有明显变化")
    await helper.send("是")  # typed yes works as well as the button
    await refuse("text", "-500", "金额不能为负数", "工资性收入")
    await refuse("text", "abc", "请输入金额", "工资性收入")
    await refuse("text", "20000000", "超过 10,000,000 元", "工资性收入")
    await refuse("text", "4 5 0 0", "请输入金额", "工资性收入")
    await refuse("photo", "x", "请输入金额", "工资性收入")
    await refuse("text", "/mine", "正在填写", "工资性收入")
    for figure in ("1万", "0", "0", "0"):
        await helper.send(figure)
    await helper.press("是")
    await refuse("text", "生病", buttons_hint, "什么原因")
    await helper.press("因病")
    await refuse("text", "负一千", "金额不能为负数", "家庭自己实际支付了多少元")
    await helper.send("800")
    await helper.press("否")
    for _ in range(2):  # food, clothing
        await refuse("sticker", "😀", "输入“是”或“否”", "")
        await helper.press("有保障")
    await helper.press("否")  # no school child
    for _ in range(4):  # medical insurance, treatment, housing, water
        await refuse("document", "file", "输入“是”或“否”", "")
        await helper.press("有保障")
    await refuse("photo", "x", "请用文字输入备注", "备注")
    await helper.press("跳过")
    await refuse("text", "这是照片", "请发送照片", "走访照片")
    await refuse("sticker", "😀", "请发送照片", "走访照片")
    await helper.press("跳过")
    await refuse("text", "好了", "请点“确认提交”保存", "请核对")
    answers = draft_answers(roster)
    assert answers is not None
    assert answers["members"] == 4 and answers["wage_income"] == "10000.00"
    assert answers["expense_amount"] == ["800.00"] and answers["note"] is None
    result = await helper.press("确认提交")
    assert "已保存" in result["text"]


async def test_cancel_asks_first_and_keeps_the_draft_until_confirmed(
    helper: Chat, roster: sessionmaker[Session]
) -> None:
    await choose(helper, "LX01010")
    await helper.press("入户")
    ask = await helper.send("/cancel")
    assert "放弃 LX01010" in ask["text"]
    back = await helper.press("继续填写")
    assert "几口人" in back["text"]
    assert draft_answers(roster) == {
        "income_basis": "first",
        "school_basis": "ask",
        "visit_method": "home",
    }
    await helper.send("/cancel")
    done = await helper.press("放弃")
    assert "已放弃" in done["text"]
    assert draft_answers(roster) is None
    assert "没有可取消" in (await helper.send("/cancel"))["text"]


async def test_checkin_resumes_where_it_stopped(
    helper: Chat, roster: sessionmaker[Session]
) -> None:
    await choose(helper, "LX01001")
    await helper.press("入户")
    again = await helper.send("/checkin")
    assert "继续您未完成的 LX01001" in again["text"] and "几口人" in again["text"]


async def test_stale_forged_and_foreign_buttons_get_a_polite_answer(
    helper: Chat, client: SandboxClient, roster: sessionmaker[Session]
) -> None:
    await choose(helper, "LX01001")
    # A "food" answer while the bot asks for the visit method: stale. The pressed message
    # says so and shows the question asked; no message is spent.
    pressed = await helper.press_data("ci:a:food:1")
    edit = await client.wait_event(after=pressed["seq"], kinds="edit", chat_id=helper.chat_id)
    shown = await client.message(helper.chat_id, edit["message_id"])
    assert shown["text"].startswith("该问题已回答过；当前进行到这里：")
    assert "本次走访方式" in shown["text"]
    assert draft_answers(roster) == {
        "income_basis": "first",
        "school_basis": "ask",
    }  # nothing answered yet
    assert not await client.events(after=pressed["seq"], chat_id=helper.chat_id, kinds="message")
    # Garbage after the prefix, and data of no flow at all.
    for data in ("ci:a:food:DROP TABLE", "zz:1"):
        pressed = await helper.press_data(data)
        answer = await client.wait_event(after=pressed["seq"], kinds="callback_answer")
        assert answer["text"] == "该按钮已失效。"
    # A household that is not the helper's.
    with roster() as s:
        other = s.scalar(select(Household.id).where(Household.number == "LX02001"))
    pressed = await helper.press_data(f"ci:hh:{other}")
    reply = await client.reply(helper.chat_id, after=pressed["seq"])
    assert "不是您负责的农户" in reply["text"]
    assert draft_answers(roster) == {
        "income_basis": "first",
        "school_basis": "ask",
    }  # nothing answered yet


async def test_a_single_household_is_chosen_automatically(
    bot: AppType, client: SandboxClient, session_factory: sessionmaker[Session], tmp_path: Any
) -> None:
    from datetime import UTC, datetime

    from storage.roster import import_roster

    path = tmp_path / "one.csv"
    path.write_text(
        "乡镇,村,户编号,户主姓名,身份证号,家庭人口,监测类型,上年人均纯收入,帮扶责任人,帮扶责任人电话\n"
        "龙溪镇,青山村,S1,钱多多,,2,边缘易致贫户,5000,孙一,13512345678\n",
        encoding="utf-8",
    )
    with session_factory() as s, s.begin():
        import_roster(s, [path], now=datetime.now(UTC), actor="test")
    chat = await register(client, 777, "孙一", "13512345678")
    first = await chat.send("/checkin")
    assert "S1 钱多多" in first["text"] and "本次走访方式" in first["text"]


async def test_people_without_households_or_registration_are_told(
    bot: AppType, client: SandboxClient, roster: sessionmaker[Session]
) -> None:
    stranger = Chat(client, 4242)
    assert "还未登记" in (await stranger.send("/checkin"))["text"]
    head = await register(client, 502, "张卫东", "13700137001")
    assert "您不在任何农户的帮扶小组中" in (await head.send("/checkin"))["text"]
    assert "没看懂" in (await head.send("你好"))["text"]


async def test_a_checkin_left_open_over_monday_is_recorded_for_the_new_week(
    bot: AppType, client: SandboxClient, roster: sessionmaker[Session], helper: Chat
) -> None:
    """Decided: answers given in a week that has ended move to the current week when the
    helper confirms, and the helper is asked to confirm again. The ended week's check-in
    is never replaced, and the new week is not left due."""
    from tests.small_town import at, green_checkin

    green_checkin(roster, "LX01001", at("2026-11-27T10:00"))  # Friday, week 48
    services = bot.bot_data.services
    services.clock = lambda: at("2026-11-29T20:00")  # Sunday evening, week 48
    first = await choose(helper, "LX01001")
    assert first
    summary = await answer_checkin(helper)
    assert "确认提交" in str(summary.get("reply_markup"))
    services.clock = lambda: at("2026-11-30T09:00")  # Monday: week 49
    moved = await helper.press("确认提交")
    assert "开始于第48周（11月23日—29日）" in moved["text"]
    assert "本周第49周（11月30日—12月6日）" in moved["text"]
    assert "确认提交" in str(moved.get("reply_markup"))  # the summary again, to confirm
    stored = checkins(roster, "LX01001")
    assert [(c.week, c.is_current) for c in stored] == [("2026-W48", True)]
    with roster() as s:
        assert s.scalars(select(Draft.week)).one() == "2026-W49"
    saved = await helper.press("确认提交")
    assert "已保存" in saved["text"]
    stored = checkins(roster, "LX01001")
    assert sorted((c.week, c.is_current) for c in stored) == [
        ("2026-W48", True),
        ("2026-W49", True),
    ]


def keyboard(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return [b["text"] for row in rows for b in row]


async def test_used_screens_lose_their_buttons_and_a_second_confirm_is_a_toast(
    helper: Chat, client: SandboxClient, roster: sessionmaker[Session]
) -> None:
    """The members question loses 仍为 N 人 once a number is typed; after Confirm the
    summary keeps its text without Confirm / Edit; a second tap on Confirm (before the
    buttons were gone) gets a toast under the button, and no message comes."""
    first = await choose(helper, "LX01001")
    screen = first["message_id"]  # the list became the check-in's first question
    members = await helper.press("入户")
    assert members["message_id"] == screen and any("仍为" in b for b in keyboard(members))
    await helper.send("5")  # typed, not pressed
    asked = await client.message(helper.chat_id, screen)
    assert "共同生活" in asked["text"] and keyboard(asked) == []
    labels = ("没有变化", "否", "有保障", "有保障", "否", "有保障", "有保障", "有保障", "有保障")
    for label in labels:
        await helper.press(label)  # income, expenditure, food, clothing, school, the rest
    await helper.press("跳过")  # no note
    summary = await helper.press("跳过")  # no photo
    assert "请核对" in summary["text"]

    seq = await client.last_seq()
    # Two taps on Confirm, the second before the first is answered.
    first_tap = await client.press(helper.user_id, summary["message_id"], text="✅ 确认提交")
    second_tap = await client.press(helper.user_id, summary["message_id"], text="✅ 确认提交")
    answers = {}
    for _ in range(2):
        event = await client.wait_event(after=seq, kinds="callback_answer")
        answers[event["callback_query_id"]] = event.get("text") or ""
        seq = event["seq"]
    assert "没有进行中的走访记录" in answers[second_tap["callback_query_id"]]
    assert first_tap["callback_query_id"] in answers
    # One chat's updates are handled in order: the first tap's replies are all out.
    after = await client.message(helper.chat_id, summary["message_id"])
    assert after["text"] == summary["text"] and keyboard(after) == []
    new = await client.events(after=first_tap["seq"] - 1, chat_id=helper.chat_id, kinds="message")
    saved = [await client.message(helper.chat_id, e["message_id"]) for e in new]
    assert [m["text"].splitlines()[0] for m in saved] == ["已保存：LX01001 户的走访记录。"]
    assert len(checkins(roster, "LX01001")) == 1
