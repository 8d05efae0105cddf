"""A household whose risk is marked eliminated while its check-in is being answered: the
elimination closes that check-in and tells its helper privately; and a Confirm that still
reaches an open one is refused (nothing stored, no warning to any group)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conversations.engine.replies import Edit, Say
from conversations.engine.services import Services
from conversations.proposals import steps
from conversations.proposals.decide import decision_pressed
from conversations.proposals.workflow import Workflow
from conversations.warnings.texts import notice_text
from storage.models import Alert, CheckIn, Draft, Household, OutboxMessage, Person
from storage.models_measures import Measure
from storage.payloads import Notice
from storage.repositories import People
from tests.flows.conftest import SHANGHAI, Runner
from tests.flows.test_checkin import household_id, start_h1
from tests.small_town import HEAD, STAFF, A, at, green_checkin

MONDAY = at("2026-11-30T09:00")  # the county decides; the helper is visiting H1 this week


async def answer_red_and_leave_it(run: Runner, first: Edit) -> Say:
    """Every question of H1's check-in answered (no secure food: red); the summary shown,
    not confirmed."""
    await run.answer(A, button="ci:a:visit_method:home", message_text=first.text)
    # members, income unchanged, no expenditure, food NOT secure, clothing, no school child,
    # insurance, treatment, housing, water
    for text in ("3", "否", "否", "否", "是", "否", "是", "是", "是", "是"):
        await run.answer(A, text=text)
    await run.answer(A, button="ci:a:note:skip")
    [summary] = await run.answer(A, photo="photo-file-1")
    assert isinstance(summary, Say) and "请核对" in summary.text
    return summary


def nothing_recorded(town: sessionmaker[Session]) -> None:
    with town() as s:
        assert s.scalars(select(CheckIn).where(CheckIn.week == "2026-W49")).all() == []
        assert s.scalars(select(Alert)).all() == []
        assert s.scalars(select(Draft)).all() == []
        groups = s.scalars(select(OutboxMessage).where(OutboxMessage.chat_id < 0)).all()
        assert groups == []  # no warning for a household no longer monitored


async def test_confirm_of_a_household_eliminated_meanwhile_saves_nothing(
    run: Runner, services: Services, town: sessionmaker[Session]
) -> None:
    services.clock = lambda: MONDAY
    summary = await answer_red_and_leave_it(run, await start_h1(run, town))
    with town() as s, s.begin():  # as a race with the elimination would leave it
        household = s.get(Household, household_id(town, "H1"))
        assert household is not None
        household.status = "eliminated"

    said, closed = await run.answer(A, button="ci:ok", message_text=summary.text)
    assert isinstance(said, Say)
    assert said.text == (
        "H1 王大山 已不再监测（已标注风险消除或自然消除），本次走访记录未保存，也无需再走访。"
    )
    assert isinstance(closed, Edit) and closed.keyboard == ()  # the summary loses its buttons
    nothing_recorded(town)


def eligible_h1(town: sessionmaker[Session]) -> None:
    """H1 meets every criterion of elimination: on the roster since May, 26 green weeks
    above the watch line, someone can work, a help measure recorded."""
    with town() as s, s.begin():
        h1 = s.scalars(select(Household).where(Household.number == "H1")).one()
        h1.created_at = datetime(2026, 5, 1, tzinfo=UTC)
        h1.has_labour = True
        staff = s.scalars(select(Person).where(Person.name == "杨镇长")).one()
        s.add(
            Measure(
                household_id=h1.id,
                alert_id=None,
                kind="employment",
                responsible="帮扶责任人",
                status="done",
                note=None,
                taken_on=date(2026, 10, 1),
                recorded_by=staff.id,
                recorded_at=at("2026-10-01T10:00"),
            )
        )
    for back in range(1, 27):
        green_checkin(town, "H1", (MONDAY - timedelta(weeks=back)).astimezone(SHANGHAI))


def test_a_measure_not_yet_delivered_does_not_meet_the_measure_criterion(
    services: Services, town: sessionmaker[Session]
) -> None:
    eligible_h1(town)
    with town() as s, s.begin():
        h1 = s.scalars(select(Household).where(Household.number == "H1")).one()
        measure = s.scalars(select(Measure)).one()
        measure.status, measure.taken_on = "in_progress", None
        criteria = {c.code: c.holds for c in steps.criteria_of(s, h1, services, MONDAY)}
    assert criteria["measure_taken"] is False
    assert all(holds for code, holds in criteria.items() if code != "measure_taken")


async def test_eliminating_closes_the_open_check_in_and_tells_its_helper(
    run: Runner, services: Services, town: sessionmaker[Session]
) -> None:
    eligible_h1(town)
    start, later = at("2026-11-23T09:00"), at("2026-11-28T10:00")
    with town() as s, s.begin():  # the elimination, up to the county's decision
        people = People(s)
        staff, head = people.by_user_id(STAFF), people.by_user_id(HEAD)
        assert staff is not None and head is not None
        h1 = s.scalars(select(Household).where(Household.number == "H1")).one()
        criteria = steps.criteria_of(s, h1, services, start)
        assert all(c.holds for c in criteria), criteria
        pid = Workflow(s).start_elimination(h1, staff, criteria, now=start).id
        steps.approve(s, pid, head, "village", start)
        Workflow(s).post_notice(pid, head, now=start)
        steps.approve(s, pid, head, "notice", later)
        steps.approve(s, pid, staff, "township", later)

    # The helper is answering H1's check-in this week, and leaves it at the summary.
    services.clock = lambda: MONDAY
    summary = await answer_red_and_leave_it(run, await start_h1(run, town))
    # The county's decision is recorded: the risk is marked eliminated.
    [asked] = await run.event(decision_pressed, STAFF, STAFF, button=f"pd:cty:{pid}")
    assert isinstance(asked, Say) and "文号" in asked.text
    [done] = await run.answer(STAFF, text="2026-11-30 永农发〔2026〕20号")
    assert isinstance(done, Say) and "已标注风险消除" in done.text

    with town() as s:
        h1 = s.scalars(select(Household).where(Household.number == "H1")).one()
        assert h1.status == "eliminated"
        [notice] = s.scalars(
            select(OutboxMessage).where(OutboxMessage.key.like(f"proposal:{pid}:checkin_closed:%"))
        ).all()
        assert notice.chat_id == A  # privately, to the helper
        assert notice_text(Notice.model_validate(notice.payload), services.translations.get()) == (
            "H1 户（王大山）已标注风险消除，不再监测。"
            "您未完成的该户走访记录已关闭，今后无需再走访。"
        )
    # The summary's Confirm, pressed afterwards, finds nothing open and stores nothing.
    await run.answer(A, button="ci:ok", message_text=summary.text)
    nothing_recorded(town)
