"""Proposals and elimination on the neutral engine: /propose answered through the router,
the village head's Reject asking for a reason (a second conversation kind), the staff's
approval, and a referral to the county whose reason is typed."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from conversations.engine.replies import Edit, Say, Toast
from conversations.engine.services import Services
from conversations.interrupt import cancel
from conversations.proposals.decide import decision_pressed, proposals
from conversations.proposals.eliminate import eliminate, elimination_pressed
from conversations.proposals.propose import propose
from storage.models import (
    Draft,
    Elimination,
    EliminationReferral,
    Household,
    OutboxMessage,
    Proposal,
    ProposalDecision,
    Village,
)
from storage.repositories import People
from storage.roster import import_roster
from tests.flows.conftest import SHANGHAI, Runner
from tests.small_town import HEAD, STAFF, A, at

TUESDAY = at("2026-11-24T10:00")


def draft_flow(town: sessionmaker[Session], person: int) -> str | None:
    with town() as s:
        draft = s.scalars(select(Draft)).first()
        return draft.flow if draft else None


async def write_proposal(run: Runner, head: str = "刘大海", consent: bool = True) -> Say:
    [village] = await run.text(propose, A, "/propose")
    assert isinstance(village, Say) and "哪个村" in village.text
    assert village.keyboard[0][0].label == "青山村"  # the proposer's own village first
    steps: list[dict[str, str]] = [
        {"button": village.keyboard[0][0].data},
        {"text": head},
        {"button": "pp:n:-"},
        {"text": "4"},
        {"button": "pp:c:sudden_hardship"},
    ]
    for step in steps:
        pressed = "button" in step
        [reply] = await run.answer(A, **step, **({"message_text": "上一问"} if pressed else {}))
        # the next question, with Cancel: a pressed question becomes it (one message per
        # answer), a typed answer gets it as a new message
        assert isinstance(reply, Edit if pressed else Say) and reply.keyboard
    [toggled] = await run.answer(A, button="pp:r:illness", message_text="风险？")
    assert isinstance(toggled, Edit) and "✅" in toggled.keyboard[0][0].label
    [money] = await run.answer(A, button="pp:r:done")
    assert isinstance(money, Say) and "预计家庭纯收入" in money.text
    [bad] = await run.answer(A, text="很多")
    assert isinstance(bad, Say) and "金额" in bad.text
    for step in (
        {"text": "1.8万"},
        {"button": "pp:l:1"},
        {"button": f"pp:cs:{int(consent)}"},
        {"text": "突发重病"},
    ):
        [reply] = await run.answer(A, **step)
        assert isinstance(reply, Say) and "请核对" not in reply.text
    [review] = await run.answer(A, button="pp:s:photo")
    assert isinstance(review, Say) and "请核对申请" in review.text
    return review


async def test_a_head_of_household_already_monitored_in_the_village_is_flagged(
    run: Runner, services: Services, town: sessionmaker[Session]
) -> None:
    services.clock = lambda: TUESDAY
    review = await write_proposal(run, head="王大山")  # H1's head, 青山村
    await run.answer(A, button="pp:ok", message_text=review.text)
    [waiting, *_] = await run.text(proposals, HEAD, "/proposals")
    assert isinstance(waiting, Say)
    assert "本村已有同名户主的防止返贫致贫对象：H1" in waiting.text


async def test_the_village_review_waits_for_the_households_signed_consent(
    run: Runner, services: Services, town: sessionmaker[Session]
) -> None:
    services.clock = lambda: TUESDAY
    review = await write_proposal(run, consent=False)
    assert "已签署承诺授权书：尚未签署" in review.text
    await run.answer(A, button="pp:ok", message_text=review.text)
    with town() as s:
        pid = s.scalars(select(Proposal.id)).one()
    [waiting, *_] = await run.text(proposals, HEAD, "/proposals")
    assert isinstance(waiting, Say) and "该户尚未签署《承诺授权书》" in waiting.text
    assert [b.label for row in waiting.keyboard for b in row] == ["承诺授权书已签署", "驳回"]
    # Approving first (an old card's button) is refused, saying why; nothing is recorded.
    early = await press(run, HEAD, f"pd:ok:{pid}:village")
    assert isinstance(early, Toast) and "村级民主评议前必须签署" in early.text
    # A helper may not record it; the village head does, once.
    assert isinstance(await press(run, A, f"pd:cs:{pid}"), Toast)
    signed = await press(run, HEAD, f"pd:cs:{pid}")
    assert isinstance(signed, Edit) and "已签署承诺授权书" in signed.text
    assert [b.label for row in signed.keyboard for b in row] == ["同意", "驳回"]
    again = await press(run, HEAD, f"pd:cs:{pid}")
    assert isinstance(again, Toast) and "已登记" in again.text
    notice = await press(run, HEAD, f"pd:ok:{pid}:village")
    assert isinstance(notice, Edit) and "村内公示中" in notice.text
    with town() as s:
        assert [(d.step, d.decision) for d in s.scalars(select(ProposalDecision))] == [
            ("village", "consent"),
            ("village", "approve"),
        ]


async def test_propose_reject_with_a_reason_then_approve(
    run: Runner, services: Services, town: sessionmaker[Session]
) -> None:
    services.clock = lambda: TUESDAY
    review = await write_proposal(run)
    assert draft_flow(town, A) == "proposal"
    sent, *_ = await run.answer(A, button="pp:ok", message_text=review.text)
    assert isinstance(sent, Say) and "已提交村级审核" in sent.text
    assert draft_flow(town, A) is None
    with town() as s:
        proposal = s.scalars(select(Proposal)).one()
        proposal_id = proposal.id

    # The head presses Reject: a reason is asked for; a command first shows that again.
    [ask] = await run.event(decision_pressed, HEAD, HEAD, button=f"pd:no:{proposal_id}:village")
    assert isinstance(ask, Say) and "理由是什么" in ask.text
    [held] = await run.text(proposals, HEAD, "/proposals")
    assert isinstance(held, Say)  # /proposals is no conversation command: it answers
    [short] = await run.answer(HEAD, text="不")
    assert isinstance(short, Say) and "几个字" in short.text
    [rejected] = await run.answer(HEAD, text="收入高于监测线")
    assert isinstance(rejected, Say) and "已驳回" in rejected.text
    with town() as s:
        assert [(d.step, d.decision, d.reason) for d in s.scalars(select(ProposalDecision))] == [
            ("village", "consent", None),  # the proposer saw it signed
            ("village", "reject", "收入高于监测线"),
        ]

    # A second proposal goes the whole way, as national practice describes it.
    review = await write_proposal(run)
    await run.answer(A, button="pp:ok", message_text=review.text)
    with town() as s:
        second = s.scalars(select(Proposal.id).order_by(Proposal.id.desc())).first()
    assert second is not None
    services.policy = replace(services.policy, supervision_phone="023-49876543")
    await walk_the_chain(run, services, town, second)


async def press(run: Runner, user: int, data: str) -> Edit | Toast | Say:
    [reply] = await run.event(decision_pressed, user, user, button=data, message_text="…")
    assert isinstance(reply, Edit | Toast | Say)
    return reply


async def walk_the_chain(
    run: Runner, services: Services, town: sessionmaker[Session], pid: int
) -> None:
    """Village review → public notice (posted, an objection, its period) → township review
    → county decision (date and document number) → helper."""
    # 1. The village's democratic review: the notice's text comes with Posted.
    notice = await press(run, HEAD, f"pd:ok:{pid}:village")
    assert isinstance(notice, Edit) and "村内公示中" in notice.text
    assert "经村级民主评议" in notice.text and "风险：大额刚性支出" in notice.text
    public = notice.text.split("\n公示\n", 1)[1]  # the notice itself: no health, no income
    assert "因病" not in public and "元" not in public and "重病" not in public
    # Its period, from the day it is given out to the day the township may go on, and the
    # supervision telephone of the policy file.
    t, today = services.translations.get(), services.now().astimezone(SHANGHAI).date()
    ends = today + timedelta(days=services.policy.notice_days)
    assert f"公示时间：{t.date(today)} 至 {t.date(ends)}" in public.splitlines()
    assert f"监督电话：{services.policy.supervision_phone}" in public.splitlines()
    assert [b.label for row in notice.keyboard for b in row] == ["已张贴公示", "不予纳入"]
    # Going on before it is posted, or before its period is over, is refused.
    early = await press(run, HEAD, f"pd:ok:{pid}:notice")
    assert isinstance(early, Toast) and "请先张贴公示" in early.text
    posted = await press(run, HEAD, f"pd:post:{pid}")
    assert isinstance(posted, Edit) and "公示张贴于" in posted.text
    labels = [b.label for row in posted.keyboard for b in row]
    assert labels == ["记录异议", "公示期满，报镇审核", "不予纳入"]
    assert isinstance(await press(run, HEAD, f"pd:post:{pid}"), Toast)  # posted once
    too_soon = await press(run, HEAD, f"pd:ok:{pid}:notice")
    assert isinstance(too_soon, Toast) and "公示期未满，还有 5 天" in too_soon.text
    # An objection, typed; recorded as a decision with its words.
    ask = await press(run, HEAD, f"pd:obj:{pid}")
    assert isinstance(ask, Say) and "异议" in ask.text
    [noted] = await run.answer(HEAD, text="邻居反映其子女在外务工收入较高")
    assert isinstance(noted, Say) and "异议已记录" in noted.text
    # Staff can not act at the notice step; five days later the village goes on.
    assert isinstance(await press(run, STAFF, f"pd:ok:{pid}:notice"), Toast)
    services.clock = lambda: TUESDAY + timedelta(days=5, hours=1)
    township = await press(run, HEAD, f"pd:ok:{pid}:notice")
    assert isinstance(township, Edit) and "待乡镇审核" in township.text
    assert "自报告起第 6 天" in township.text
    # 2. The township's review, then the county's decision with its document number.
    county = await press(run, STAFF, f"pd:ok:{pid}:township")
    assert isinstance(county, Edit) and "待县级审定" in county.text
    ask = await press(run, STAFF, f"pd:cty:{pid}")
    assert isinstance(ask, Say) and "文号" in ask.text
    [bad] = await run.answer(STAFF, text="下周")
    assert isinstance(bad, Say) and "请输入审定日期和文号" in bad.text
    [done] = await run.answer(STAFF, text="2026-11-28 永农发〔2026〕12号")
    assert isinstance(done, Say) and "县级审定结果已录入" in done.text
    [waiting, *_] = await run.text(proposals, STAFF, "/proposals")
    assert isinstance(waiting, Say) and waiting.keyboard  # a button per helper of the village
    assigned = await press(run, STAFF, waiting.keyboard[0][0].data)
    assert isinstance(assigned, Edit) and "状态：已同意" in assigned.text
    with town() as s:
        proposal = s.get(Proposal, pid)
        assert proposal is not None and proposal.household_id is not None
        assert (str(proposal.county_decided_on), proposal.county_document) == (
            "2026-11-28",
            "永农发〔2026〕12号",
        )
        steps = [
            (d.step, d.decision)
            for d in s.scalars(
                select(ProposalDecision)
                .where(ProposalDecision.proposal_id == pid)
                .order_by(ProposalDecision.id)
            )
        ]
    assert steps == [
        ("village", "consent"),
        ("village", "approve"),
        ("notice", "post"),
        ("notice", "object"),
        ("notice", "approve"),
        ("township", "approve"),
        ("county", "approve"),
        ("helper", "assign"),
    ]


async def test_a_referral_reason_and_cancel_in_the_middle(
    run: Runner, services: Services, town: sessionmaker[Session]
) -> None:
    services.clock = lambda: TUESDAY
    [check] = await run.text(eliminate, STAFF, "/eliminate H1")
    assert isinstance(check, Say) and "❌" in check.text
    assert not [b for row in check.keyboard for b in row if b.data.startswith("el:ok")]
    refer = next(b.data for row in check.keyboard for b in row if b.data.startswith("el:rf"))
    [asked] = await run.event(elimination_pressed, STAFF, STAFF, button=refer)
    assert isinstance(asked, Edit) and "移交县里研究的理由" in asked.text
    assert draft_flow(town, STAFF) == "reason"
    [dropped] = await run.text(cancel, STAFF, "/cancel")
    assert isinstance(dropped, Say) and "已放弃" in dropped.text
    [understood] = await run.answer(STAFF, text="已脱贫")
    assert isinstance(understood, Say) and "没看懂" in understood.text

    await run.event(elimination_pressed, STAFF, STAFF, button=refer)
    [done] = await run.answer(STAFF, text="外出务工收入稳定")
    assert isinstance(done, Say) and "移交县里研究" in done.text and "继续监测" in done.text
    with town() as s:
        assert s.scalars(select(Elimination)).all() == []  # never marked eliminated
        [row] = s.scalars(select(EliminationReferral)).all()
        assert row.reason == "外出务工收入稳定" and row.criteria
        household = s.get(Household, row.household_id)
        assert household is not None and (household.number, household.status) == (
            "H1",
            "monitored",
        )
    # A forged "confirm" on the failing household is refused: no override, ever.
    [refused] = await run.event(
        elimination_pressed, STAFF, STAFF, button=f"el:ok:{row.household_id}"
    )
    assert isinstance(refused, Edit) and "不能标注风险消除" in refused.text
    with town() as s:
        assert s.scalars(select(Elimination)).all() == []


COUNTY = 607  # the county staff the roster names for 龙溪镇 (in the test below)


def name_county_staff(town: sessionmaker[Session], tmp_path: Path, *, link: bool = True) -> None:
    staff = tmp_path / "county.csv"
    staff.write_text("姓名,电话,角色,乡镇,村\n县扶贫办老周,18900000007,县级干部,龙溪镇,\n")
    with town() as s, s.begin():
        import_roster(s, [staff], now=TUESDAY, actor="test")
        person = People(s).by_phone("+8618900000007")
        assert person is not None and person.role == "county_staff"
        if link:
            People(s).link_account(person, COUNTY, now=TUESDAY, actor="test")


async def test_county_staff_named_by_the_roster_record_the_county_decision(
    run: Runner, services: Services, town: sessionmaker[Session], tmp_path: Path
) -> None:
    name_county_staff(town, tmp_path)
    services.clock = lambda: TUESDAY
    review = await write_proposal(run)
    await run.answer(A, button="pp:ok", message_text=review.text)
    with town() as s:
        pid = s.scalars(select(Proposal.id)).one()
    await press(run, HEAD, f"pd:ok:{pid}:village")
    await press(run, HEAD, f"pd:post:{pid}")
    services.clock = lambda: TUESDAY + timedelta(days=5, hours=1)
    await press(run, HEAD, f"pd:ok:{pid}:notice")
    # Before the township decides, the county staff have nothing waiting.
    [nothing] = await run.text(proposals, COUNTY, "/proposals")
    assert isinstance(nothing, Say) and "没有等待您处理的申请" in nothing.text
    county = await press(run, STAFF, f"pd:ok:{pid}:township")
    assert isinstance(county, Edit) and "待县级审定" in county.text
    with town() as s:
        asked = s.scalars(
            select(OutboxMessage.chat_id).where(OutboxMessage.key.like(f"proposal:{pid}:county:%"))
        ).all()
    assert asked == [COUNTY]  # the county step goes to the county staff, not the township's

    # The township staff may no longer record it; /proposals no longer lists it for them.
    refused = await press(run, STAFF, f"pd:cty:{pid}")
    assert isinstance(refused, Toast) and "县级干部" in refused.text
    [staff_list, *_] = await run.text(proposals, STAFF, "/proposals")
    assert isinstance(staff_list, Say) and "没有等待您处理的申请" in staff_list.text

    [waiting] = await run.text(proposals, COUNTY, "/proposals")
    assert isinstance(waiting, Say) and "待县级审定" in waiting.text
    labels = [b.label for row in waiting.keyboard for b in row]
    assert labels == ["县级审定同意，录入文号", "县级未通过"]
    ask = await press(run, COUNTY, f"pd:cty:{pid}")
    assert isinstance(ask, Say) and "文号" in ask.text
    [done] = await run.answer(COUNTY, text="2026-11-29 永农发〔2026〕31号")
    assert isinstance(done, Say) and "县级审定结果已录入" in done.text
    # Then the township staff choose the helper, as before.
    [choose, *_] = await run.text(proposals, STAFF, "/proposals")
    assert isinstance(choose, Say) and choose.keyboard
    with town() as s:
        proposal = s.get(Proposal, pid)
        assert proposal is not None and proposal.status == "helper"
        [decision] = s.scalars(
            select(ProposalDecision).where(ProposalDecision.step == "county")
        ).all()
        county_person = People(s).by_phone("+8618900000007")
        assert county_person is not None and decision.person_id == county_person.id
        # the helper step is the township's again: its staff are asked for it
        told = s.scalars(
            select(OutboxMessage.chat_id).where(OutboxMessage.key.like(f"proposal:{pid}:helper:%"))
        ).all()
    assert told == [STAFF]


async def test_an_id_or_mobile_number_is_no_household_number_nor_a_village(
    run: Runner, services: Services, town: sessionmaker[Session]
) -> None:
    """Groups read the household number and the village of a proposal's warnings: an ID- or
    mobile-shaped answer is refused with a clear message and not taken."""
    services.clock = lambda: TUESDAY
    [village] = await run.text(propose, A, "/propose")
    assert isinstance(village, Say)
    await run.answer(A, button=village.keyboard[0][0].data, message_text=village.text)
    await run.answer(A, text="刘大海")
    for typed in ("500118198507029464", "138 0013 8000", "h13800138000"):
        [refused] = await run.answer(A, text=typed)
        assert isinstance(refused, Say) and "身份证号或手机号" in refused.text, refused
        with town() as s:
            draft = s.scalars(select(Draft)).one()
            assert "number" not in draft.answers
    await run.answer(A, text="LX09001")
    with town() as s:
        assert s.scalars(select(Draft)).one().answers["number"] == "LX09001"

    # A village named so before the roster's rule can not be chosen either.
    with town() as s, s.begin():
        s.execute(delete(Draft))
        qingshan = s.scalars(select(Village).where(Village.name == "青山村")).one()
        qingshan.name = "青山村 13700137000"
    [village] = await run.text(propose, A, "/propose")
    assert isinstance(village, Say)
    [refused] = await run.answer(A, button=village.keyboard[0][0].data, message_text=village.text)
    assert isinstance(refused, Edit) and "花名册" in refused.text, refused
    with town() as s:
        assert "village_id" not in s.scalars(select(Draft)).one().answers
