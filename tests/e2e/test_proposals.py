"""Proposals through village review and township approval, rejection with a reason, refusals
for the wrong person, late reminders, and risk elimination and reinstatement."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.schedule import WakeSender, job_specs
from bot.settings import Settings
from platforms.telegram.context import AppType
from sandbox.client import SandboxClient
from storage.bindings import Bindings
from storage.models import (
    AuditEntry,
    HelperAssignment,
    Household,
    Person,
    Proposal,
    ProposalDecision,
)
from storage.models_measures import Measure
from tests.conftest import import_examples
from tests.driver import Chat, ledger_of, register
from tests.small_town import SHANGHAI, green_checkin

HELPER = (811, "李建国", "+8613800138001")  # helper, 青山村
OTHER_HELPER = (812, "王秀英", "+8613800138002")  # helper, 青山村
HEAD = (813, "张卫东", "+8613700137001")  # village head, 青山村
OTHER_HEAD = (814, "黄春燕", "+8613700137002")  # village head, 石桥村
STAFF = (815, "杨振华", "+8618700187001")  # township staff, 龙溪镇
TOWN_GROUP = -400222
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Shanghai


@pytest.fixture
def roster(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    import_examples(session_factory)
    return session_factory


@pytest.fixture
async def people(
    bot: AppType, client: SandboxClient, roster: sessionmaker[Session]
) -> dict[str, Chat]:
    bot.bot_data.services.clock = lambda: NOW
    return {
        name: await register(client, *who)
        for name, who in (
            ("helper", HELPER),
            ("other_helper", OTHER_HELPER),
            ("head", HEAD),
            ("other_head", OTHER_HEAD),
            ("staff", STAFF),
        )
    }


async def propose(helper: Chat, head_name: str = "刘大海") -> dict[str, object]:
    ask = await helper.send("/propose")
    assert "哪个村" in ask["text"]
    assert "户主姓名" in (await helper.press("青山村"))["text"]
    again = await helper.send("12")  # not a name
    assert "只能包含文字" in again["text"]
    assert "户编号" in (await helper.send(head_name))["text"]
    assert "家庭人口" in (await helper.press("暂无"))["text"]
    assert "1 到 30" in (await helper.send("五十"))["text"]
    assert "监测类型" in (await helper.send("4"))["text"]
    assert "风险" in (await helper.press("突发严重困难户"))["text"]
    toggled = await helper.press("因病", edits=True)
    assert "✅ 因病" in str(toggled["reply_markup"])
    await helper.press("因学", edits=True)
    assert "预计家庭纯收入" in (await helper.press("完成"))["text"]
    assert "金额" in (await helper.send("很多"))["text"]
    assert "劳动能力" in (await helper.send("1.8万"))["text"]
    assert "承诺授权书" in (await helper.press("是"))["text"]
    assert "说明" in (await helper.press("已签署"))["text"]
    assert "照片" in (await helper.send("突发重病，住院费用高"))["text"]
    review = await helper.press("跳过")
    assert "请核对申请" in review["text"] and "18,000 元" in review["text"]
    assert "因病、因学" in review["text"]
    return await helper.press("提交")


def decisions(roster: sessionmaker[Session]) -> list[tuple[str, str, str | None]]:
    with roster() as s:
        return [
            (d.step, d.decision, d.reason)
            for d in s.scalars(select(ProposalDecision).order_by(ProposalDecision.id))
        ]


async def test_a_proposal_is_approved_registered_and_assigned(
    bot: AppType, people: dict[str, Chat], client: SandboxClient, roster: sessionmaker[Session]
) -> None:
    helper, head, staff = people["helper"], people["head"], people["staff"]
    seq = await client.last_seq()
    sent = await propose(helper)
    assert "已提交村级审核" in str(sent["text"])

    [ask] = await client.wait_bot_messages(HEAD[0], after=seq)
    assert "纳入监测申请：青山村，刘大海" in ask["text"] and "同意" in str(ask["reply_markup"])

    # The wrong people can not decide: another village's head, a helper (forged buttons
    # pressed in a chat that is not theirs are refused before anything is looked up).
    for who in (OTHER_HEAD[0], HELPER[0]):
        seq = await client.last_seq()
        await client.press(
            who,
            ask["message_id"],
            data=ask["reply_markup"]["inline_keyboard"][0][0]["callback_data"],
            chat_id=HEAD[0],
            forge=True,
        )
        answer = await client.wait_event(after=seq, kinds="callback_answer")
        assert "不能在这里使用" in answer["text"]
    assert decisions(roster) == [("village", "consent", None)]  # the proposer saw it signed

    seq = await client.last_seq()
    approved = await head.press("同意", edits=True)
    assert "村级评议：张卫东已同意" in approved["text"] and "村内公示中" in approved["text"]
    assert "经村级民主评议" in approved["text"]  # the notice's text, to post in the village
    told = await client.wait_bot_messages(HELPER[0], after=seq)
    assert "已通过村级民主评议" in told[0]["text"]
    # The village head presses again: already decided.
    seq = await client.last_seq()
    await client.press(
        HEAD[0],
        ask["message_id"],
        data=f"pd:ok:{ask_id(roster)}:village",
        chat_id=HEAD[0],
        forge=True,
    )
    toast = await client.wait_event(after=seq, kinds="callback_answer")
    assert toast["text"] == "该申请在此环节已处理，当前状态：村内公示中。"

    # The public notice: posted, then (five days on) over; the township is asked.
    posted = await head.press("已张贴公示", edits=True)
    assert "公示张贴于" in posted["text"]
    bot.bot_data.services.clock = lambda: NOW + timedelta(days=5, hours=1)
    seq = await client.last_seq()
    over = await head.press("公示期满，报镇审核", edits=True)
    assert "待乡镇审核" in over["text"]
    [to_staff] = await client.wait_bot_messages(STAFF[0], after=seq)
    assert "刘大海" in to_staff["text"]

    # The township's review, then the county's decision with its document number.
    seq = await client.last_seq()
    to_county = await staff.press("同意", edits=True)
    assert "待县级审定" in to_county["text"]
    mark = await client.last_seq()
    await staff.press("县级审定同意，录入文号", wait=False)
    await staff.wait_last("请输入审定日期和文号", since=mark)  # (a step's notice may come first)
    mark = await client.last_seq()
    await staff.send("2026-12-05 永农发〔2026〕12号", wait=False)
    await staff.wait_last("县级审定结果已录入", since=mark)
    await Chat(client, HELPER[0]).wait_last("已纳入监测", since=seq)  # the proposer is told
    choose = await staff.send("/proposals")  # the helper is chosen on it
    labels = [b["text"] for row in choose["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["李建国", "王秀英", "赵志强"]  # the helpers of 青山村
    with roster() as s:
        household = s.scalars(select(Household).where(Household.head_name == "刘大海")).one()
        assert household.status == "monitored" and household.members == 4
        assert household.expected_income == Decimal("18000.00") and household.has_labour is True
        assert household.category == "sudden_hardship"
        number = household.number

    seq = await client.last_seq()
    done = await staff.press("王秀英", edits=True)
    assert "帮扶责任人：杨振华已指定，" in done["text"] and "→ 王秀英" in done["text"]
    assert done["text"].endswith("帮扶责任人：王秀英\n状态：已同意")
    assert not done.get("reply_markup")
    [to_helper] = await client.wait_bot_messages(OTHER_HELPER[0], after=seq)
    assert f"您已成为 {number}（刘大海）的帮扶责任人" in to_helper["text"]
    mine = await people["other_helper"].send("/mine")
    assert number in mine["text"] and "刘大海" in mine["text"]
    with roster() as s:
        proposal = s.scalars(select(Proposal)).one()
        assert proposal.status == "approved"
        helper_id = s.scalar(
            select(HelperAssignment.helper_id).where(
                HelperAssignment.household_id == proposal.household_id
            )
        )
        assert s.get(Person, helper_id).name == "王秀英"  # type: ignore[union-attr]
    assert [d[:2] for d in decisions(roster)] == [
        ("village", "consent"),
        ("village", "approve"),
        ("notice", "post"),
        ("notice", "approve"),
        ("township", "approve"),
        ("county", "approve"),
        ("helper", "assign"),
    ]
    with roster() as s:
        actions = s.scalars(
            select(AuditEntry.action).where(AuditEntry.entity == "proposal").order_by(AuditEntry.id)
        ).all()
        assert actions == [
            "propose",
            "consent",
            "approve",
            "post",
            "approve",
            "approve",
            "approve",
            "assign",
        ]
        assert s.scalar(
            select(AuditEntry.id).where(
                AuditEntry.entity == "household",
                AuditEntry.entity_key == number,
                AuditEntry.action == "create",
            )
        )


def ask_id(roster: sessionmaker[Session]) -> int:
    with roster() as s:
        return s.scalars(select(Proposal.id)).one()


async def test_a_rejection_reaches_the_proposer_with_its_reason(
    people: dict[str, Chat], client: SandboxClient, roster: sessionmaker[Session]
) -> None:
    await propose(people["helper"], "孙小梅")
    await people["head"].wait_last("孙小梅")
    ask_reason = await people["head"].press("驳回")
    assert "理由" in ask_reason["text"]
    seq = await client.last_seq()
    done = await people["head"].send("家庭收入稳定，不符合条件")
    assert "已驳回" in done["text"]
    [told] = await client.wait_bot_messages(HELPER[0], after=seq)
    assert "被 张卫东 驳回" in told["text"] and "家庭收入稳定，不符合条件" in told["text"]
    assert decisions(roster) == [
        ("village", "consent", None),
        ("village", "reject", "家庭收入稳定，不符合条件"),
    ]
    with roster() as s:
        assert s.scalars(select(Proposal.status)).one() == "rejected"
        assert not s.scalars(select(Household).where(Household.head_name == "孙小梅")).all()
    listing = await people["helper"].send("/proposals")
    assert "您最近的申请" in listing["text"]


async def test_late_proposals_are_reminded_and_listed(
    bot: AppType,
    settings: Settings,
    people: dict[str, Chat],
    client: SandboxClient,
    roster: sessionmaker[Session],
) -> None:
    await propose(people["helper"], "周末")
    await people["head"].wait_last("周末")
    services = bot.bot_data.services
    later = NOW + timedelta(days=6)
    seq = await client.last_seq()
    sender = WakeSender(services.wake_outbox)
    assert await job_specs(settings)["escalations"].run(later, services.tx, sender) == 1
    [late] = await client.wait_bot_messages(HEAD[0], after=seq)
    assert "本环节已超过办理时限" in late["text"]  # the village's review: 3 days
    # Once a day only.
    assert (
        await job_specs(settings)["escalations"].run(
            later + timedelta(hours=1), services.tx, sender
        )
        == 0
    )

    # The township's Monday summary lists it (name masked: it goes to a group).
    await client.create_group(TOWN_GROUP, "龙溪镇群")
    await client.bot_membership(TOWN_GROUP, by_user_id=STAFF[0])
    await Chat(client, STAFF[0], TOWN_GROUP).wait_last("/bind")
    with roster() as s, s.begin():
        staff = s.scalars(select(Person).where(Person.name == "杨振华")).one()
        Bindings(s).bind(
            chat_id=TOWN_GROUP,
            title="龙溪镇群",
            township_id=staff.township_id,
            village_id=None,
            by=staff,
            now=NOW,
        )
    seq = await client.last_seq()
    assert await job_specs(settings)["weekly-summary"].run(later, services.tx, sender) == 2
    [summary, _chart] = await client.wait_bot_messages(TOWN_GROUP, after=seq, count=2)
    assert "超过办理时限的纳入申请" in summary["text"]
    assert f"• 第 {ask_id(roster)} 号 周*：在村级评议环节已 6 天" in summary["text"]


def _green_weeks(roster: sessionmaker[Session], number: str, weeks: int, *, end: datetime) -> None:
    """`weeks` green weekly check-ins of a household ending the week of `end`."""
    for back in range(weeks):
        green_checkin(roster, number, (end - timedelta(weeks=back)).astimezone(SHANGHAI))


async def test_eliminate_names_the_failing_criteria_and_accepts_a_household_that_meets_all(
    bot: AppType, people: dict[str, Chat], client: SandboxClient, roster: sessionmaker[Session]
) -> None:
    staff = people["staff"]
    # LX01007: 8,500 yuan per person, green every week for 26 weeks, on the roster since May.
    with roster() as s, s.begin():
        household = s.scalars(select(Household).where(Household.number == "LX01007")).one()
        household.created_at = datetime(2026, 5, 1, tzinfo=UTC)
    _green_weeks(roster, "LX01007", 26, end=NOW - timedelta(hours=1))

    check = await staff.send("/eliminate LX01007")
    assert "❌ 每项风险都落实了帮扶措施（已落实 0 项）" in check["text"]
    assert "❌ 家中有劳动能力的成员（尚未登记）" in check["text"]
    assert "✅ 近 26 周收入稳定高于监测线（走访 26 次" in check["text"]
    assert "✅ 识别纳入已满半年" in check["text"] and "有 2 项条件不满足" in check["text"]
    labels = [b["text"] for row in check["reply_markup"]["inline_keyboard"] for b in row]
    assert "确认标注风险消除" not in labels and "说明理由移交县里" in labels

    # Record that someone can work, and a measure: every criterion holds.
    rechecked = await staff.press("登记：有劳动能力", edits=True)
    assert "✅ 家中有劳动能力的成员" in rechecked["text"]
    with roster() as s, s.begin():
        household = s.scalars(select(Household).where(Household.number == "LX01007")).one()
        staff_person = s.scalars(select(Person).where(Person.name == "杨振华")).one()
        s.add(
            Measure(
                household_id=household.id,
                alert_id=None,
                kind="employment",
                responsible="帮扶责任人",
                status="done",
                note=None,
                taken_on=NOW.date(),
                recorded_by=staff_person.id,
                recorded_at=NOW,
            )
        )
    check = await staff.send("/eliminate LX01007")
    assert "全部条件均已满足" in check["text"]
    seq = await client.last_seq()
    done = await staff.press("确认标注风险消除", edits=True)
    assert (
        "条件全部满足" in done["text"] and "村级评议、村内公示、乡镇审核和县级审定" in done["text"]
    )
    # Elimination goes the way identification goes: village review, public notice (its text
    # says what is proposed, in general words), township review, the county's decision.
    head = people["head"]
    [review] = await client.wait_bot_messages(HEAD[0], after=seq)
    assert "风险消除申请" in review["text"] and "王兰英" in review["text"]
    notice = await head.press("同意", edits=True, on=review["message_id"])
    assert "拟对下列防止返贫致贫对象标注风险消除" in notice["text"]
    assert "收入" not in notice["text"].split("\n公示\n", 1)[1]  # no figures in the notice
    await head.press("已张贴公示", edits=True)
    bot.bot_data.services.clock = lambda: NOW + timedelta(days=5, hours=1)
    seq = await client.last_seq()
    await head.press("公示期满，报镇审核", edits=True)
    # The township is asked (the staff member who started it is also told of each step).
    asked = await staff.wait_last("待乡镇审核", since=seq)
    assert "风险消除申请" in asked["text"] and asked.get("reply_markup")
    await staff.press("同意", edits=True, on=asked["message_id"])
    seq = await client.last_seq()
    await staff.press("县级审定同意，录入文号", wait=False)
    await staff.wait_last("请输入审定日期和文号", since=seq)  # (the step's notice may come first)
    with roster() as s:  # not yet: the county's decision is not recorded
        assert (
            s.scalars(select(Household.status).where(Household.number == "LX01007")).one()
            == "monitored"
        )
    seq = await client.last_seq()
    await staff.send("2026-12-04 永农发〔2026〕20号", wait=False)
    recorded = await staff.wait_last("已标注风险消除", since=seq)
    assert "已标注风险消除" in recorded["text"]
    with roster() as s:
        assert (
            s.scalars(select(Household.status).where(Household.number == "LX01007")).one()
            == "eliminated"
        )
        assert s.scalar(
            select(AuditEntry.id).where(
                AuditEntry.entity_key == "LX01007",
                AuditEntry.field == "status",
                AuditEntry.new_value == "eliminated",
            )
        )
    # No longer in the helper's households (so no reminders); the history stays. (The staff
    # are also told of the chain's steps: wait for each answer by its own words.)
    assert "LX01007" not in (await people["helper"].send("/mine"))["text"]
    seq = await client.last_seq()
    await staff.send("/history LX01007", wait=False)
    assert "LX01007" in (await staff.wait_last("走访记录", since=seq))["text"]

    # A household that fails: no override, only a referral to the county with a reason
    # (audited); it stays monitored.
    seq = await client.last_seq()
    await staff.send("/eliminate LX01001", wait=False)
    check = await staff.wait_last("不能标注风险消除", since=seq)
    assert "❌ 近 26 周收入稳定高于监测线（走访 0 次" in check["text"]
    assert "不能标注风险消除" in check["text"]
    ask = await staff.press("说明理由移交县里", edits=True)
    assert "理由" in ask["text"]
    done = await staff.send("已外出务工多年，请县里核实")
    assert "移交县里研究" in done["text"]
    with roster() as s:
        assert (
            s.scalar(
                select(AuditEntry.new_value).where(
                    AuditEntry.action == "refer", AuditEntry.entity_key == "LX01001"
                )
            )
            == "已外出务工多年，请县里核实"
        )
        assert (
            s.scalars(select(Household.status).where(Household.number == "LX01001")).one()
            == "monitored"
        )

    # Only township staff; only their township's households; only when monitored.
    assert "仅供乡镇干部" in (await people["head"].send("/eliminate LX01002"))["text"]
    assert "本镇没有户编号为 NOPE" in (await staff.send("/eliminate NOPE"))["text"]
    assert "不在监测中" in (await staff.send("/eliminate LX01007"))["text"]

    # Reinstate needs a reason, and an eliminated household; then it is monitored again.
    assert "理由" in (await staff.send("/reinstate LX01007"))["text"]
    assert "未被标注风险消除" in (await staff.send("/reinstate LX01001 收入下降"))["text"]
    back = await staff.send("/reinstate LX01007 收入再次下降")
    assert "已重新纳入监测" in back["text"]
    with roster() as s:
        assert (
            s.scalars(select(Household.status).where(Household.number == "LX01007")).one()
            == "monitored"
        )
        assert (
            s.scalar(select(AuditEntry.new_value).where(AuditEntry.action == "reinstate"))
            == "收入再次下降"
        )

    # The ledger has a sheet of eliminations, one of referrals (and one of proposals).
    document = await ledger_of(staff, "/export")
    book = openpyxl.load_workbook(io.BytesIO(await client.file(document["document"]["file_id"])))
    rows = [[c.value for c in row] for row in book["风险消除"].iter_rows(min_row=2)]
    assert [r[1] for r in rows] == ["LX01007"]
    assert rows[0][6] is None and rows[0][9] == "收入再次下降"
    referred = [[c.value for c in row] for row in book["移交县级"].iter_rows(min_row=2)]
    assert [r[1] for r in referred] == ["LX01001"]
    assert referred[0][6] == "已外出务工多年，请县里核实"
    assert "❌ 收入稳定高于监测线" in referred[0][5]
    sheet = book["农户"]
    header = [c.value for c in sheet[1]]
    households = {
        row["户编号"]: row
        for row in (
            dict(zip(header, (c.value for c in r), strict=True)) for r in sheet.iter_rows(min_row=2)
        )
    }
    assert households["LX01007"]["劳动能力"] == "有劳动能力"  # recorded with the button
    assert households["LX01007"]["风险消除日期"] is None  # reinstated since
    assert {"纳入日期", "风险类型", "村民小组"} <= set(header)
    assert "纳入申请" in book.sheetnames
