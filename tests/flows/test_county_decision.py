"""The county's decision as township staff type it: a date before the proposal was reported,
or a document number holding a phone or ID number, is refused and asked again; nothing is
stored until it is right."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conversations.engine.replies import Say
from conversations.engine.services import Services
from conversations.proposals.decide import decision_pressed
from monitoring.proposals import Status
from storage.models import Draft, Proposal, ProposalDecision
from tests.flows.conftest import Runner
from tests.flows.test_proposal_races import LATER, proposal_at
from tests.small_town import STAFF


def county_step(town: sessionmaker[Session], pid: int) -> tuple[str, str | None, list[str]]:
    """The proposal's status, its document number, and the steps decided."""
    with town() as s:
        proposal = s.get(Proposal, pid)
        assert proposal is not None
        steps = [d.step for d in s.scalars(select(ProposalDecision))]
        return proposal.status, proposal.county_document, steps


async def test_a_county_decision_before_the_report_or_with_private_numbers_is_refused(
    run: Runner, services: Services, town: sessionmaker[Session]
) -> None:
    pid = proposal_at(town, Status.COUNTY)  # reported 2026-11-24, at the county since 11-30
    services.clock = lambda: LATER
    [ask] = await run.event(decision_pressed, STAFF, STAFF, button=f"pd:cty:{pid}")
    assert isinstance(ask, Say) and "文号" in ask.text
    before = county_step(town, pid)
    assert before[:2] == ("county", None)

    refusals = {
        # the hostile trial's text: a date years before the report, a formula, a phone, an ID
        "2015-01-02 =HYPERLINK(x) 13800138000 500118197511021743": (
            "县级审定日期不能早于申请上报日期（2026-11-24），请重新输入审定日期和文号。"
        ),
        "2026-11-23 永农发〔2026〕12号": (
            "县级审定日期不能早于申请上报日期（2026-11-24），请重新输入审定日期和文号。"
        ),
        "2026-11-30 永农发〔2026〕12号 13800138000": (
            "文号中不能含有电话号码或身份证号。请只输入审定日期和文号，"
            "例如 2026-12-01 永农发〔2026〕12号。"
        ),
        "2026-11-30 500118197511021743": (
            "文号中不能含有电话号码或身份证号。请只输入审定日期和文号，"
            "例如 2026-12-01 永农发〔2026〕12号。"
        ),
        "2026-12-31 永农发〔2026〕12号": "县级审定日期不能晚于今天，请重新输入审定日期和文号。",
    }
    for typed, said in refusals.items():
        [refused] = await run.answer(STAFF, text=typed)
        assert isinstance(refused, Say) and refused.text == said
        assert county_step(town, pid) == before  # nothing stored; asked again
        with town() as s:
            assert s.scalars(select(Draft.flow)).all() == ["reason"]

    [done] = await run.answer(STAFF, text="2026-11-24 永农发〔2026〕12号")  # the report's day
    assert isinstance(done, Say) and "县级审定结果已录入" in done.text
    status, document, steps = county_step(town, pid)
    assert (status, document, steps[-1]) == ("helper", "永农发〔2026〕12号", "county")
