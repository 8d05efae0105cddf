"""Proposals and elimination on the neutral engine: /propose answered through the router,
the village head's Reject asking for a reason (a second conversation kind), the staff's
approval, and a referral to the county whose reason is typed."""

from __future__ import annotations

from sqlalchemy import select
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
    Proposal,
    ProposalDecision,
)
from tests.flows.conftest import Runner
from tests.small_town import HEAD, STAFF, A, at

TUESDAY = at("2026-11-24T10:00")


def draft_flow(town: sessionmaker[Session], person: int) -> str | None:
    with town() as s:
        draft = s.scalars(select(Draft)).first()
        return draft.flow if draft else None


async def write_proposal(run: Runner, head: str = "刘大海") -> Say:
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
    for step in ({"text": "1.8万"}, {"button": "pp:l:1"}, {"text": "突发重病"}):
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
    assert "本村已有同名户主的监测户：H1" in waiting.text


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
            ("village", "reject", "收入高于监测线")
        ]

    # A second proposal: the head approves, the staff approve and choose the helper.
    review = await write_proposal(run)
    await run.answer(A, button="pp:ok", message_text=review.text)
    with town() as s:
        second = s.scalars(select(Proposal.id).order_by(Proposal.id.desc())).first()
    [approved] = await run.event(
        decision_pressed, HEAD, HEAD, button=f"pd:ok:{second}:village", message_text="…"
    )
    assert isinstance(approved, Edit) and "等待镇级审批" in approved.text
    [again] = await run.event(decision_pressed, HEAD, HEAD, button=f"pd:ok:{second}:village")
    assert isinstance(again, Toast) and again.text
    [helpers] = await run.event(decision_pressed, STAFF, STAFF, button=f"pd:ok:{second}:township")
    assert isinstance(helpers, Edit) and "帮扶责任人" in helpers.text
    [assigned] = await run.event(decision_pressed, STAFF, STAFF, button=helpers.keyboard[0][0].data)
    assert isinstance(assigned, Edit) and "状态：已同意" in assigned.text
    with town() as s:
        assert s.get(Proposal, second).household_id is not None  # type: ignore[union-attr]


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
