"""Self-report (/report, 申报困难) by someone not on the roster: village, name, own phone,
what happened, consent; a lead for the village head; told who will contact them and by when;
the state of their reports; nothing else open to them."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conversations.checkin.start import checkin
from conversations.dispatch import dispatch
from conversations.engine.events import ChatKind, Event
from conversations.engine.replies import Edit, Reply, Say, Toast
from conversations.engine.services import Services
from conversations.interrupt import cancel
from conversations.leads.flow import lead_pressed, leads
from conversations.leads.selfreport import pressed, report
from conversations.people.registration import contact, start
from monitoring.leads import SELF_REPORT
from storage.models import OutboxMessage
from storage.models_leads import Lead, SelfReport
from tests.flows.conftest import Runner
from tests.small_town import HEAD, A

STRANGER = 777


def texts(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies if isinstance(r, Say))


async def test_a_stranger_reports_and_the_village_head_gets_the_lead(
    run: Runner, services: Services, town: sessionmaker[Session]
) -> None:
    welcome = await run.text(start, STRANGER, "/start")
    assert "/report" in texts(welcome)
    intro, village = await run.text(report, STRANGER, "/report")
    assert isinstance(intro, Say) and "五个简单问题" in intro.text
    assert isinstance(village, Say) and "哪个村" in village.text
    qingshan = next(b.data for row in village.keyboard for b in row if b.label == "青山村")
    _, name = await run.event(pressed, STRANGER, STRANGER, button=qingshan)
    assert isinstance(name, Edit) and "姓名" in name.text
    [bad] = await run.answer(STRANGER, text="12")
    assert isinstance(bad, Say) and "姓名" in bad.text
    [phone] = await run.answer(STRANGER, text="张小花")
    assert isinstance(phone, Say) and phone.ask_phone
    thanks, risk = await run.contact(contact, STRANGER, "13912345678", owner=STRANGER)
    assert isinstance(thanks, Say) and thanks.clear_ask_phone and not thanks.keyboard
    assert isinstance(risk, Say) and "什么困难" in risk.text and risk.keyboard
    _, what = await run.event(pressed, STRANGER, STRANGER, button="sr:r:illness")
    assert isinstance(what, Edit) and "简单说说" in what.text
    [consent] = await run.answer(STRANGER, text="丈夫住院，花了三万元")
    assert isinstance(consent, Say) and "农户承诺授权" in consent.text
    assert "张小花" in consent.text and "青山村" in consent.text
    _, told = await run.event(pressed, STRANGER, STRANGER, button="sr:ok")
    assert isinstance(told, Say)
    assert "村长甲" in told.text and "2026年11月30日" in told.text and "/report" in told.text
    with town() as s:
        lead = s.scalars(select(Lead)).one()
        assert lead.source == SELF_REPORT and lead.consent and lead.phone == "+8613912345678"
        assert lead.risk_types == ["illness"] and lead.received_on == date(2026, 11, 25)
        assert s.scalars(select(SelfReport)).first() is None
        told_head = s.scalars(select(OutboxMessage).where(OutboxMessage.chat_id == HEAD)).all()
        assert len(told_head) == 1 and "13912345678" not in str(told_head[0].payload)

    # The village head sees it in /leads; the reporter sees its state.
    [listing] = await run.text(leads, HEAD, "/leads")
    assert isinstance(listing, Say) and "张小花" in listing.keyboard[0][0].label
    [state] = await run.text(report, STRANGER, "/report")
    assert isinstance(state, Say) and "等待村里入户核实" in state.text
    await run.event(lead_pressed, HEAD, HEAD, button=f"ld:r:{lead.id}:not_found")
    [state] = await run.text(report, STRANGER, "/report")
    assert isinstance(state, Say) and "已核实：查无此人" in state.text


async def test_nothing_else_is_open_to_a_stranger_and_cadres_propose_instead(
    run: Runner, services: Services, town: sessionmaker[Session]
) -> None:
    [no] = await run.text(leads, STRANGER, "/leads")
    assert isinstance(no, Say) and "供村干部和乡镇干部使用" in no.text
    [no] = await run.text(checkin, STRANGER, "/checkin")
    assert isinstance(no, Say) and "还未登记" in no.text
    [no] = await run.answer(STRANGER, text="你好")
    assert isinstance(no, Say) and "还未登记" in no.text
    [no] = await run.event(pressed, STRANGER, STRANGER, button="sr:ok")
    assert isinstance(no, Toast)
    started = await run.answer(STRANGER, text="申报困难")  # the words start it as /report
    assert "哪个村" in texts(started)
    [cadre] = await run.text(report, A, "/report")
    assert isinstance(cadre, Say) and "/propose" in cadre.text
    # Through the one dispatch: a stranger's /report in private is answered.
    event = Event(900, STRANGER, ChatKind.PRIVATE, STRANGER, text="/report")
    replies = await dispatch(event, services)
    assert "哪个村" in texts(replies)
    event = Event(901, STRANGER, ChatKind.PRIVATE, STRANGER, button="sr:x")
    replies = await dispatch(event, services, on_message=frozenset({"sr"}))
    assert "已放弃" in texts(replies)


async def send_a_report(run: Runner, who: int = STRANGER) -> None:
    """A whole self-report from `who`, as the first test writes it."""
    replies = await run.text(report, who, "/report")
    if "sr:n" in str(replies):  # reports sent before: their state, and a new one
        replies = await run.event(pressed, who, who, button="sr:n")
    village = next(r for r in replies if isinstance(r, Say) and r.keyboard)
    qingshan = next(b.data for row in village.keyboard for b in row if b.label == "青山村")
    await run.event(pressed, who, who, button=qingshan)
    await run.answer(who, text="张小花")
    await run.contact(contact, who, "13912345678", owner=who)
    await run.event(pressed, who, who, button="sr:r:illness")
    await run.answer(who, text="丈夫住院")
    _, told = await run.event(pressed, who, who, button="sr:ok")
    assert isinstance(told, Say) and "已收到" in told.text


async def test_a_stranger_may_cancel_and_may_not_flood_the_village(
    run: Runner, services: Services, town: sessionmaker[Session]
) -> None:
    # /cancel discards the report being written (and the phone button); then nothing is open.
    await run.text(report, STRANGER, "/report")
    [dropped] = await run.text(cancel, STRANGER, "/cancel")
    assert isinstance(dropped, Say) and "已放弃" in dropped.text and dropped.clear_ask_phone
    [nothing] = await run.text(cancel, STRANGER, "/cancel")
    assert isinstance(nothing, Say) and "还未登记" in nothing.text
    with town() as s:
        assert s.scalars(select(SelfReport)).first() is None

    # Two reports waiting for the visit: a third is refused, saying why, and nothing starts.
    await send_a_report(run)
    await send_a_report(run)
    _, refused = await run.event(pressed, STRANGER, STRANGER, button="sr:n")
    assert isinstance(refused, Say) and "有 2 份申报正在等待村里入户核实" in refused.text
    assert "等待村里入户核实" in refused.text.split("\n", 1)[1]  # and the state of both
    with town() as s:
        assert s.scalars(select(SelfReport)).first() is None
        ids = s.scalars(select(Lead.id)).all()
    # Once checked, another may be sent; three in one day, then not before tomorrow.
    for lead_id in ids:
        await run.event(lead_pressed, HEAD, HEAD, button=f"ld:r:{lead_id}:not_found")
    await send_a_report(run)
    with town() as s:
        third = s.scalars(select(Lead.id).order_by(Lead.id.desc())).first()
    await run.event(lead_pressed, HEAD, HEAD, button=f"ld:r:{third}:not_found")
    _, refused = await run.event(pressed, STRANGER, STRANGER, button="sr:n")
    assert isinstance(refused, Say) and "今天已提交 3 份申报" in refused.text
    with town() as s:
        assert len(s.scalars(select(Lead)).all()) == 3
    tomorrow = services.now() + timedelta(days=1)
    services.clock = lambda: tomorrow
    *_, village = await run.event(pressed, STRANGER, STRANGER, button="sr:n")
    assert isinstance(village, Say) and "哪个村" in village.text
