"""Issue 29: a help measure started from wherever the need is seen — `/measure <number>`,
the button under `/history`, the notice that a household just identified needs its plan
(and its reminder), an elimination check that failed for want of a delivered measure — each
through the one dispatch into the measure conversation a red warning starts, without a
warning; and those who may not record one refused with nothing changed."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conversations.engine.replies import Reply, Say, Toast
from conversations.engine.services import Services
from conversations.outbox.render import render
from monitoring.proposals import Status
from storage.models import Draft, Household, OutboxMessage, Person
from storage.models_measures import Measure
from storage.outbox import Queued
from storage.payloads import parse
from tests.flows.test_dispatch import send, text_of
from tests.flows.test_proposal_races import LATER, proposal_at
from tests.flows.test_tasks import CIVIL, notices, with_units
from tests.flows.test_warnings_and_measures import TUESDAY
from tests.small_town import HEAD, SHANGHAI, STAFF, VILLAGE_GROUP, A, B

ALL_FIRST = "产业帮扶"  # the categories in the seed's order when there is no warning


def household_id(town: sessionmaker[Session], number: str) -> int:
    with town() as s:
        return s.scalars(select(Household.id).where(Household.number == number)).one()


def state(town: sessionmaker[Session]) -> tuple[list[tuple[int, str]], int]:
    """The drafts open (person, flow) and the measures recorded."""
    with town() as s:
        drafts = [(d.person_id, d.flow) for d in s.scalars(select(Draft))]
        return drafts, len(s.scalars(select(Measure.id)).all())


def first_say(replies: list[Reply]) -> Say:
    return next(r for r in replies if isinstance(r, Say))


async def record_for_civil_affairs(services: Services, user: int) -> Say:
    """Answer the open measure conversation: temporary relief, 镇民政办, a note, no amount,
    in 7 days; the last reply."""
    units = first_say(await send(services, user, button="ms:k:relief"))
    civil = next(b.data for row in units.keyboard for b in row if b.label == "镇民政办")
    await send(services, user, button=civil)
    await send(services, user, text="申请临时救助")
    due = first_say(await send(services, user, button="ms:a:none"))
    return first_say(await send(services, user, button=due.keyboard[0][0].data))


async def test_measure_command_starts_the_conversation_without_a_warning(
    services: Services, town: sessionmaker[Session], tmp_path: Path
) -> None:
    with_units(town, tmp_path)
    services.clock = lambda: TUESDAY
    ask = first_say(await send(services, A, text="/measure h1"))  # the number as typed
    assert "H1 户（王大山）" in ask.text and "请选择类别" in ask.text
    assert ask.keyboard[0][0].label == ALL_FIRST  # no warning: the seed's order
    assert state(town)[0] == [(_person_id(town, A), "measure")]

    saved = await record_for_civil_affairs(services, A)
    assert "已交给 镇民政办" in saved.text
    with town() as s:
        measure = s.scalars(select(Measure)).one()
        assert (measure.household_id, measure.alert_id, measure.kind, measure.status) == (
            household_id(town, "H1"),
            None,
            "relief",
            "pending",
        )
        assert s.scalars(select(Draft)).all() == []
    assert set(notices(town, services, "given")) == {CIVIL}  # the unit is told, privately


async def test_who_may_not_record_is_refused_and_nothing_changes(
    services: Services, town: sessionmaker[Session], tmp_path: Path
) -> None:
    with_units(town, tmp_path)
    services.clock = lambda: TUESDAY
    with town() as s, s.begin():
        s.scalars(select(Household).where(Household.number == "H2")).one().status = "eliminated"
    refusals = {
        (B, "/measure H1"): "H1 户不由您帮扶",  # another helper's household
        (CIVIL, "/measure H1"): "只有农户的帮扶责任人、本村村干部或镇干部",  # a unit's staff
        (A, "/measure H9"): "本镇没有户编号为 H9 的农户",  # unknown
        (A, "/measure H2"): "H2 户已不在监测中",  # eliminated
        (A, "/measure"): "/measure LX01001",  # no number
        (HEAD, "/measure H4"): "H4 户不由您帮扶",  # another village's
    }
    for (user, text), said in refusals.items():
        assert said in text_of(await send(services, user, text=text)), text
    assert "私聊" in text_of(await send(services, A, VILLAGE_GROUP, text="/measure H1"))
    assert state(town) == ([], 0)
    # the village head and township staff may
    for user in (HEAD, STAFF):
        assert "请选择类别" in text_of(await send(services, user, text="/measure H1"))


async def test_the_history_screen_has_the_button_and_it_works_only_in_private(
    services: Services, town: sessionmaker[Session], tmp_path: Path
) -> None:
    with_units(town, tmp_path)
    services.clock = lambda: TUESDAY
    screen = first_say(await send(services, HEAD, text="/history H1"))
    [[button]] = screen.keyboard
    assert button.label == "📋 登记帮扶措施"
    assert button.data == f"hm:s:{household_id(town, 'H1')}"
    # pressed in a group (forged there): refused by the buttons' rules
    assert text_of(await send(services, HEAD, VILLAGE_GROUP, button=button.data)) == (
        "此按钮不能在这里使用。"
    )
    # another helper pressing forged data: refused, nothing open
    assert "H1 户不由您帮扶" in text_of(await send(services, B, button=button.data))
    assert state(town) == ([], 0)
    pressed = await send(services, HEAD, button=button.data, message_text=screen.text)
    assert isinstance(pressed[0], Toast)
    assert "H1 户（王大山）" in text_of(pressed) and "请选择类别" in text_of(pressed)
    assert "已交给 镇民政办" in (await record_for_civil_affairs(services, HEAD)).text
    assert state(town)[1] == 1
    # an eliminated household's screen has no button
    with town() as s, s.begin():
        s.scalars(select(Household).where(Household.number == "H2")).one().status = "eliminated"
    assert first_say(await send(services, A, text="/history H2")).keyboard == ()


def _person_id(town: sessionmaker[Session], user: int) -> int:
    with town() as s:
        return s.scalars(select(Person.id).where(Person.platform_user_id == user)).one()


def rendered(town: sessionmaker[Session], services: Services, row: OutboxMessage) -> Say:
    with town() as s:
        out = render(
            s,
            Queued(
                row.id, row.kind, row.chat_id, row.alert_id, parse(row.kind, row.payload), "zh_CN"
            ),
            services.translations,
            SHANGHAI,
            LATER,
            5,
        )
    assert out is not None
    return Say(out.text, out.keyboard)


async def test_a_household_just_identified_asks_for_its_plan_with_the_button(
    services: Services, town: sessionmaker[Session]
) -> None:
    pid = proposal_at(town, Status.HELPER)  # the county approved: registered, helper next
    with town() as s:
        asked = s.scalars(select(OutboxMessage).where(OutboxMessage.key.like("plan:%"))).all()
    assert [r.chat_id for r in asked] == [HEAD]  # the village head now; no helper yet
    notice = rendered(town, services, asked[0])
    assert "已纳入监测" in notice.text and "缺啥补啥" in notice.text
    [[button]] = notice.keyboard
    services.clock = lambda: LATER
    pressed = await send(services, HEAD, button=button.data, message_text=notice.text)
    assert "请选择类别" in text_of(pressed)

    # the helper chosen: asked too, with the same button
    assigned = await send(services, STAFF, button=f"pd:h:{pid}:{_person_id(town, A)}")
    assert assigned
    with town() as s:
        asked = s.scalars(select(OutboxMessage).where(OutboxMessage.key.like("plan:%"))).all()
    assert sorted(r.chat_id for r in asked) == sorted([HEAD, A])


async def test_a_failed_elimination_check_offers_to_record_a_measure(
    services: Services, town: sessionmaker[Session]
) -> None:
    services.clock = lambda: TUESDAY
    check = first_say(await send(services, STAFF, text="/eliminate H1"))
    buttons = [b.data for row in check.keyboard for b in row]
    assert f"hm:s:{household_id(town, 'H1')}" in buttons  # no measure delivered yet
    pressed = await send(
        services, STAFF, button=f"hm:s:{household_id(town, 'H1')}", message_text=check.text
    )
    assert "H1 户（王大山）" in text_of(pressed) and "请选择类别" in text_of(pressed)
