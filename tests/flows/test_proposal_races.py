"""Two people deciding the same proposal at the same moment (two township staff, two village
heads): two real transactions in two threads, the first holding its decision uncommitted
while the second tries. Only the first is recorded; the second is refused, told where the
proposal is now. A rejection is checked when its reason arrives, not only at the press."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from conversations.engine.replies import Edit, Say, Toast
from conversations.engine.services import Services
from conversations.proposals import steps
from conversations.proposals.decide import decision_pressed
from conversations.proposals.workflow import Workflow
from monitoring.proposals import NEXT, Decision, Refused, Status
from storage.models import Draft, Household, Person, Proposal, ProposalDecision
from storage.repositories import People
from storage.roster import import_roster
from storage.updates import Updates
from tests.flows.conftest import Runner
from tests.small_town import HEAD, STAFF, at

TUESDAY = at("2026-11-24T10:00")
LATER = TUESDAY + timedelta(days=6)  # the notice's period is over
HEAD2, STAFF2 = 608, 609  # a second village head of 青山村, a second township staff member
PHONES2 = {HEAD2: "13700000008", STAFF2: "18700000002"}
COUNTY_DECISION = (date(2026, 11, 30), "永农发〔2026〕12号")


@pytest.fixture
def crowd(town: sessionmaker[Session], tmp_path: Path) -> sessionmaker[Session]:
    """The small town, with a second village head and a second township staff member."""
    staff = tmp_path / "more_staff.csv"
    staff.write_text(
        "姓名,电话,角色,乡镇,村\n村长乙,13700000008,村干部,龙溪镇,青山村\n"
        "镇干部丁,18700000002,乡镇干部,龙溪镇,\n",
        encoding="utf-8",
    )
    with town() as s, s.begin():
        import_roster(s, [staff], now=TUESDAY, actor="test")
        for user_id, phone in PHONES2.items():
            person = People(s).by_phone("+86" + phone)
            assert person is not None
            People(s).link_account(person, user_id, now=TUESDAY, actor="test")
    return town


def person(s: Session, user_id: int) -> Person:
    found = People(s).by_user_id(user_id)
    assert found is not None
    return found


# How many of the walk's steps take a proposal to each step (the notice: posted).
WALKED = {
    Status.VILLAGE: 0,
    Status.NOTICE: 2,
    Status.TOWNSHIP: 3,
    Status.COUNTY: 4,
    Status.HELPER: 5,
}


def proposal_at(factory: sessionmaker[Session], step: Status) -> int:
    """A proposal for 青山村, taken by the real steps to `step`."""
    with factory() as s, s.begin():
        helper = s.scalars(select(Person).where(Person.name == "甲")).one()
        village_id = s.scalars(select(Household.village_id).where(Household.number == "H1")).one()
        answers: dict[str, Any] = {
            "village_id": village_id,
            "head_name": "刘大海",
            "number": "",
            "members": 4,
            "category": "sudden_hardship",
            "risk_types": ["illness"],
            "expected_income": 18000,
            "has_labour": True,
            "consent": True,
            "note": None,
            "photo": None,
        }
        pid = Workflow(s).submit(helper, answers, now=TUESDAY).id
        walk: list[Callable[[], object]] = [
            lambda: steps.approve(s, pid, person(s, HEAD), "village", TUESDAY),
            lambda: Workflow(s).post_notice(pid, person(s, HEAD), now=TUESDAY),
            lambda: steps.approve(s, pid, person(s, HEAD), "notice", LATER),
            lambda: steps.approve(s, pid, person(s, STAFF), "township", LATER),
            lambda: steps.approve(
                s, pid, person(s, STAFF), "county", LATER, county=COUNTY_DECISION
            ),
        ]
        for go_on in walk[: WALKED[step]]:
            go_on()
        proposal = s.get(Proposal, pid)
        assert proposal is not None and proposal.status == step.value
        return pid


UPDATE_IDS = iter(range(10_000, 20_000))


def race(
    factory: sessionmaker[Session],
    first: Callable[[Session], object],
    second: Callable[[Session], object],
) -> Refused | object:
    """`first` in a transaction left open while `second` runs in another thread; then the
    first commits. Each transaction begins as the bot's do (`tx_once`, the router): with
    the update's id. What `second` returned, or the Refused it raised."""
    outcome: list[object] = []
    held = factory()
    held.begin()
    Updates(held).record(next(UPDATE_IDS), now=LATER)
    first(held)  # decided, not committed yet

    def other() -> None:
        with factory() as s, s.begin():
            Updates(s).record(next(UPDATE_IDS), now=LATER)
            try:
                outcome.append(second(s))
            except Refused as refused:
                outcome.append(refused)  # the flow commits after a refusal: only its update id

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(0.5)
    assert thread.is_alive()  # it waits for the first decision
    held.commit()
    held.close()
    thread.join(10)
    assert not thread.is_alive()
    [result] = outcome
    return result


def decision(step: Status, what: str, user: int) -> Callable[[Session], object]:
    """`what` ("approve", "reject", "assign") taken at `step` by `user`, as the flows take it
    (a rejection: when its reason arrives)."""

    def run(s: Session) -> object:
        pid = s.scalars(select(Proposal.id)).one()
        me = person(s, user)
        if what == "reject":
            return steps.reject(s, pid, me, step.value, "收入高于监测线", LATER)
        if what == "assign":
            helper = s.scalars(
                select(Person).where(Person.name == ("甲" if user == STAFF else "乙"))
            )
            return steps.assign(s, pid, me, helper.one().id, LATER)
        county = COUNTY_DECISION if step is Status.COUNTY else None
        return steps.approve(s, pid, me, step.value, LATER, county=county)

    return run


DECIDERS = {
    Status.VILLAGE: (HEAD, HEAD2),
    Status.NOTICE: (HEAD, HEAD2),
    Status.TOWNSHIP: (STAFF, STAFF2),
    Status.COUNTY: (STAFF, STAFF2),
    Status.HELPER: (STAFF, STAFF2),
}
RACES = [
    (step, first, second)
    for step in (Status.VILLAGE, Status.NOTICE, Status.TOWNSHIP, Status.COUNTY)
    for first, second in (("approve", "approve"), ("approve", "reject"), ("reject", "approve"))
] + [(Status.HELPER, "assign", "assign")]


@pytest.mark.parametrize(("step", "first", "second"), RACES)
def test_two_decisions_at_once_record_only_the_first(
    crowd: sessionmaker[Session], step: Status, first: str, second: str
) -> None:
    pid = proposal_at(crowd, step)
    one, other = DECIDERS[step]
    refused = race(crowd, decision(step, first, one), decision(step, second, other))

    assert isinstance(refused, Refused)
    assert "already been decided" in refused.msgid and refused.params["status"] is not step
    with crowd() as s:
        proposal = s.get(Proposal, pid)
        assert proposal is not None
        recorded = s.scalars(
            select(ProposalDecision).where(
                ProposalDecision.step == step.value,
                ProposalDecision.decision.not_in(("post", "consent")),
            )
        ).all()
        assert [(d.decision, d.person_id) for d in recorded] == [(first, person(s, one).id)]
        assert refused.params["status"] == proposal.status
        assert proposal.status == NEXT[(step, Decision(first))]
        # The county's approval registered the household once.
        registered = s.scalar(select(func.count()).select_from(Household)) or 0
        assert registered == 4 + (
            step is Status.HELPER or (step, first) == (Status.COUNTY, "approve")
        )


async def test_a_reason_typed_after_another_decided_is_refused_saying_where_it_is(
    run: Runner, services: Services, crowd: sessionmaker[Session]
) -> None:
    """One staff member presses Reject and types the reason while the other approves: the
    reason arrives after the step has moved on, and is refused."""
    pid = proposal_at(crowd, Status.TOWNSHIP)
    services.clock = lambda: LATER
    [ask] = await run.event(decision_pressed, STAFF, STAFF, button=f"pd:no:{pid}:township")
    assert isinstance(ask, Say) and "理由" in ask.text
    [approved] = await run.event(
        decision_pressed, STAFF2, STAFF2, button=f"pd:ok:{pid}:township", message_text="…"
    )
    assert isinstance(approved, Edit) and "待县级审定" in approved.text
    [refused] = await run.answer(STAFF, text="收入高于监测线")
    assert isinstance(refused, Say)
    assert refused.text == "该申请在此环节已处理，当前状态：待县级审定。"
    # Pressed again on the old message: refused at the press, in the same words.
    [toast] = await run.event(decision_pressed, STAFF, STAFF, button=f"pd:no:{pid}:township")
    assert isinstance(toast, Toast) and toast.text == refused.text
    with crowd() as s:
        assert [(d.step, d.decision) for d in s.scalars(select(ProposalDecision))] == [
            ("village", "consent"),
            ("village", "approve"),
            ("notice", "post"),
            ("notice", "approve"),
            ("township", "approve"),
        ]
        proposal = s.get(Proposal, pid)
        assert proposal is not None and proposal.status == "county"
        assert s.scalars(select(Draft)).all() == []  # the reason's conversation is over


def test_two_staff_starting_one_elimination_at_once_start_one(
    crowd: sessionmaker[Session],
) -> None:
    """Two township staff start the elimination of the same household at the same moment:
    one proposal; the second is told it is already under way."""
    from monitoring.elimination import Criterion

    def start(user: int) -> Callable[[Session], object]:
        def run(s: Session) -> object:
            household = s.scalars(select(Household).where(Household.number == "H1")).one()
            criteria = [Criterion("latest_green", True), Criterion("no_open_red", True)]
            return Workflow(s).start_elimination(household, person(s, user), criteria, now=LATER)

        return run

    second = race(crowd, start(STAFF), start(STAFF2))
    assert isinstance(second, Refused) and "already" in second.msgid
    with crowd() as s:
        assert s.scalar(select(func.count()).select_from(Proposal)) == 1
