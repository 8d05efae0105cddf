"""Through the stand-in: a stranger self-reports (申报困难) → the village head is told and sees
the lead in /leads → records 纳入 days later → the proposal prefilled from the lead reaches
the village review, its 15-day clock counted from the report's day. Groups see none of it
(the sandbox fixture checks every group call for leaks)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitoring.leads import SELF_REPORT, Outcome, reported_at
from platforms.telegram.context import AppType
from sandbox.client import SandboxClient
from storage.models import Proposal
from storage.models_leads import Lead
from tests.conftest import import_examples
from tests.driver import Chat, register
from tests.small_town import SHANGHAI

HEAD = (813, "张卫东", "+8613700137001")  # village head, 青山村
STRANGER = 880
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Shanghai


@pytest.fixture
def roster(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    import_examples(session_factory)
    return session_factory


async def test_a_self_report_becomes_a_proposal_whose_clock_starts_at_the_report(
    bot: AppType, client: SandboxClient, roster: sessionmaker[Session]
) -> None:
    services = bot.bot_data.services
    services.clock = lambda: NOW
    head = await register(client, *HEAD)
    await client.user(STRANGER, "孙大娘")
    stranger = Chat(client, STRANGER)

    welcome = await stranger.send("/start")
    assert "/report" in welcome["text"]
    seq = await client.last_seq()
    await client.send_text(STRANGER, "/report")
    intro, village = await client.wait_bot_messages(STRANGER, after=seq, count=2)
    assert "五个简单问题" in intro["text"] and "哪个村" in village["text"]
    assert "姓名" in (await stranger.press("青山村"))["text"]
    assert "手机号" in (await stranger.send("孙秀兰"))["text"]
    seq = await client.last_seq()
    await client.send_contact(STRANGER, "+8613912345678", contact_user_id=STRANGER)
    thanks, risk = await client.wait_bot_messages(STRANGER, after=seq, count=2)
    assert "谢谢" in thanks["text"] and "什么困难" in risk["text"]
    assert "简单说说" in (await stranger.press("因病"))["text"]
    assert "农户承诺授权" in (await stranger.send("老伴住院，自付三万多"))["text"]
    seq = await client.last_seq()
    told = await stranger.press("同意并提交")
    assert "张卫东" in told["text"] and "2026年12月6日" in told["text"]

    # The village head is told privately, and finds it in /leads.
    [notice] = await client.wait_bot_messages(HEAD[0], after=seq)
    assert "新线索" in notice["text"] and "/leads" in notice["text"]
    assert "13912345678" not in notice["text"]
    with roster() as s:
        lead = s.scalars(select(Lead)).one()
        assert lead.source == SELF_REPORT and lead.consent

    # Three days later the head records 纳入: a proposal prefilled from the lead.
    services.clock = lambda: NOW + timedelta(days=3)
    listing = await head.send("/leads")
    assert "1 条线索" in listing["text"]
    shown = await head.press("孙秀兰")
    # privately, with the reporter's phone to call them
    assert "老伴住院" in shown["text"] and "+8613912345678" in shown["text"]
    ask = await head.press("纳入：发起申请")
    assert "村、姓名和风险类型已填好" in ask["text"] and "户编号" in ask["text"]
    assert "家庭人口" in (await head.press("暂无"))["text"]
    assert "监测类型" in (await head.send("2"))["text"]
    risks = await head.press("突发严重困难户")
    assert "✅ 因病" in str(risks["reply_markup"])  # chosen from the report
    assert "预计家庭纯收入" in (await head.press("完成"))["text"]
    assert "劳动能力" in (await head.send("8000"))["text"]
    assert "承诺授权书" in (await head.press("否"))["text"]
    assert "说明" in (await head.press("尚未签署"))["text"]  # signed later, on paper
    assert "照片" in (await head.send("本人申报，入户核实属实"))["text"]
    review = await head.press("跳过")
    assert "请核对申请" in review["text"]
    seq = await client.last_seq()
    await head.press("提交", wait=False)
    # told it is submitted, and (as the village step's holder) asked to review it: the two
    # arrive in either order
    sent = await head.wait_last("已提交村级审核", since=seq)
    assert "已提交村级审核" in sent["text"]

    # The village review (the head is its holder) names the origin; its day count runs from
    # the report's day (counted when the outbox renders it: tests/flows/test_leads.py checks
    # the days exactly).
    asked = await head.wait_last("纳入监测申请：青山村，孙秀兰", since=seq)
    assert "来自线索：农户自主申报，2026年12月1日" in asked["text"]
    assert "自报告起第" in asked["text"]
    # The review waits for the household's signed consent: the head records it, then reviews.
    assert "该户尚未签署《承诺授权书》" in asked["text"]
    assert "同意" not in str(asked["reply_markup"])
    signed = await head.press("承诺授权书已签署", edits=True)
    assert "已签署承诺授权书" in signed["text"] and "同意" in str(signed["reply_markup"])
    with roster() as s:
        proposal = s.scalars(select(Proposal)).one()
        lead = s.scalars(select(Lead)).one()
        assert lead.outcome == Outcome.INCLUDED.value and lead.proposal_id == proposal.id
        # the chain's clock: the report's day, three days before the proposal was written
        reported = reported_at(proposal.created_at, lead.received_on, SHANGHAI)
        assert reported.astimezone(SHANGHAI).date() == date(2026, 12, 1)
        assert proposal.created_at == NOW + timedelta(days=3)
    state = await stranger.send("/report")
    assert "已核实：纳入" in state["text"]
