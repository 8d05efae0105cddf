"""Working the leads: /leads for the village head (their village's) and the township staff
(those without a village), the overdue and the oldest first; opening one; 查无此人 and
已是监测对象 at once, 不纳入 with a typed reason, 纳入 as a proposal prefilled from the lead
and linked to it once submitted; a village given by the staff; refusals; the daily reminder."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conversations.engine.replies import Edit, Say, Toast
from conversations.engine.services import Services
from conversations.leads.flow import lead_pressed, leads
from conversations.leads.texts import notice_text
from conversations.proposals.texts import proposal_text
from conversations.reports import ledger
from monitoring.leads import Outcome, check_deadline
from monitoring.weeks import Week
from storage.leads import Leads
from storage.leads_notices import remind_overdue
from storage.ledger_lines import Scope
from storage.models import AuditEntry, OutboxMessage, Proposal, Village
from storage.models_leads import Lead
from storage.payloads import LeadNotice
from storage.proposal_views import ProposalQueries
from storage.repositories import People
from tests.flows.conftest import Runner
from tests.small_town import HEAD, SHANGHAI, STAFF, A, at

TODAY = at("2026-11-25T10:00")  # the services' clock (Wednesday)
ID = "500118198507029464"


def add_lead(
    town: sessionmaker[Session],
    name: str,
    received: date,
    village: str | None = "青山村",
    what: str = "因病住院",
) -> int:
    with town() as s, s.begin():
        village_id = (
            s.scalar(select(Village.id).where(Village.name == village)) if village else None
        )
        person = People(s).by_user_id(STAFF)
        assert person is not None
        lead = Leads(s).add(
            township_id=person.township_id,
            village_id=village_id,
            name=name,
            id_number=ID,
            risk_types=["illness"],
            what=what,
            source="医保局",
            received_on=received,
            check_by=check_deadline(received, 5),
            now=TODAY,
            actor="test",
        )
        return lead.id


def lead_row(town: sessionmaker[Session], lead_id: int) -> Lead:
    with town() as s:
        lead = s.get(Lead, lead_id)
        assert lead is not None
        s.expunge(lead)
        return lead


async def test_the_village_head_lists_opens_and_records_not_found(
    run: Runner, services: Services, town: sessionmaker[Session]
) -> None:
    recent = add_lead(town, "张三", date(2026, 11, 24))
    late = add_lead(town, "李四", date(2026, 11, 10))  # overdue since 11-15
    add_lead(town, "王五", date(2026, 11, 23), village="石桥村")  # another village's
    [listing] = await run.text(leads, HEAD, "/leads")
    assert isinstance(listing, Say) and "2 条线索" in listing.text
    labels = [row[0].label for row in listing.keyboard]
    assert labels[0].startswith("⏰ 李四") and labels[1].startswith("张三")
    assert [row[0].data for row in listing.keyboard] == [f"ld:o:{late}", f"ld:o:{recent}"]

    toast, shown = await run.event(lead_pressed, HEAD, HEAD, button=f"ld:o:{late}")
    assert isinstance(toast, Toast) and isinstance(shown, Say)
    assert "李四" in shown.text and "因病住院" in shown.text and "已逾期" in shown.text
    assert ID not in shown.text and "500***********9464" in shown.text  # masked even here
    buttons = [b.data for row in shown.keyboard for b in row]
    assert buttons == [
        f"ld:r:{late}:monitored",
        f"ld:p:{late}",
        f"ld:r:{late}:excluded",
        f"ld:r:{late}:not_found",
    ]
    saved, edited = await run.event(
        lead_pressed, HEAD, HEAD, button=f"ld:r:{late}:not_found", message_id=9
    )
    assert isinstance(saved, Toast) and saved.text == "已保存。"
    assert isinstance(edited, Edit) and "查无此人" in edited.text and edited.keyboard == ()
    row = lead_row(town, late)
    assert row.outcome == Outcome.NOT_FOUND.value and row.checked_on == date(2026, 11, 25)
    with town() as s:
        audited = s.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == "lead", AuditEntry.entity_key == str(late))
            .order_by(AuditEntry.id)
        ).all()
        assert [a.action for a in audited] == ["lead", "lead_outcome"]
        assert all(ID not in (a.new_value or "") for a in audited)
    # Recorded once: a second press is refused, the lead is off the list.
    [again] = await run.event(lead_pressed, HEAD, HEAD, button=f"ld:r:{late}:monitored")
    assert isinstance(again, Toast) and "已有核实结果" in again.text
    [listing] = await run.text(leads, HEAD, "/leads")
    assert isinstance(listing, Say) and "1 条线索" in listing.text


async def test_not_included_asks_for_the_reason_and_keeps_it(
    run: Runner, town: sessionmaker[Session]
) -> None:
    lead = add_lead(town, "张三", date(2026, 11, 24))
    _, ask = await run.event(lead_pressed, HEAD, HEAD, button=f"ld:r:{lead}:excluded")
    assert isinstance(ask, Say) and "为什么不纳入" in ask.text
    [short] = await run.answer(HEAD, text="无")
    assert isinstance(short, Say) and "理由" in short.text
    [done] = await run.answer(HEAD, text="家庭收入稳定，医保已报销大部分")
    assert isinstance(done, Say) and "不纳入" in done.text
    row = lead_row(town, lead)
    assert row.outcome == Outcome.EXCLUDED.value and row.reason == "家庭收入稳定，医保已报销大部分"


async def test_refusals_others_leads_and_other_roles(
    run: Runner, town: sessionmaker[Session]
) -> None:
    other = add_lead(town, "王五", date(2026, 11, 23), village="石桥村")
    [helper] = await run.text(leads, A, "/leads")
    assert isinstance(helper, Say) and "供村干部和乡镇干部使用" in helper.text
    [no] = await run.event(lead_pressed, HEAD, HEAD, button=f"ld:o:{other}")
    assert isinstance(no, Toast) and "不由您核实" in no.text
    [no] = await run.event(lead_pressed, HEAD, HEAD, button=f"ld:r:{other}:not_found")
    assert isinstance(no, Toast) and "不由您核实" in no.text
    [no] = await run.event(lead_pressed, A, A, button=f"ld:r:{other}:not_found")
    assert isinstance(no, Toast)
    [forged] = await run.event(lead_pressed, HEAD, HEAD, button="ld:r:x:not_found")
    assert isinstance(forged, Toast)
    assert lead_row(town, other).outcome is None


async def test_the_staff_give_a_lead_without_a_village_its_village(
    run: Runner, services: Services, town: sessionmaker[Session]
) -> None:
    lead = add_lead(town, "赵六", date(2026, 11, 24), village=None)
    [empty] = await run.text(leads, HEAD, "/leads")
    assert isinstance(empty, Say) and "没有待核实" in empty.text
    [listing] = await run.text(leads, STAFF, "/leads")
    assert isinstance(listing, Say) and "赵六 · 村不明" in listing.keyboard[0][0].label
    _, shown = await run.event(lead_pressed, STAFF, STAFF, button=f"ld:o:{lead}")
    assert isinstance(shown, Say)
    labels = [b.label for row in shown.keyboard for b in row]
    assert "青山村" in labels and "石桥村" in labels and labels[-1] == "查无此人"
    qingshan = next(b.data for row in shown.keyboard for b in row if b.label == "青山村")
    saved, edited = await run.event(lead_pressed, STAFF, STAFF, button=qingshan)
    assert isinstance(saved, Toast) and saved.text == "已保存。"
    assert isinstance(edited, Edit) and "青山村" in edited.text
    with town() as s:
        told = s.scalars(select(OutboxMessage).where(OutboxMessage.chat_id == HEAD)).all()
        assert [m.key for m in told] == [f"lead:{lead}:new:" + str(_id(s, HEAD))]
        assert ID not in str(told[0].payload)
    [listing] = await run.text(leads, HEAD, "/leads")
    assert isinstance(listing, Say) and "赵六" in listing.keyboard[0][0].label


def _id(s: Session, user: int) -> int:
    person = People(s).by_user_id(user)
    assert person is not None
    return person.id


async def test_a_lead_closed_while_its_proposal_is_written_is_not_its_inclusion(
    run: Runner, services: Services, town: sessionmaker[Session]
) -> None:
    lead = add_lead(town, "张三", date(2026, 11, 20))
    await run.event(lead_pressed, HEAD, HEAD, button=f"ld:p:{lead}")
    for step in (
        {"button": "pp:n:-"},
        {"text": "3"},
        {"button": "pp:c:sudden_hardship"},
        {"button": "pp:r:done"},
        {"text": "9000"},
        {"button": "pp:l:1"},
        {"button": "pp:cs:1"},
        {"button": "pp:s:note"},
        {"button": "pp:s:photo"},
    ):
        await run.answer(HEAD, **step, message_text="上一问")
    # Meanwhile the township staff find nobody there.
    await run.event(lead_pressed, STAFF, STAFF, button=f"ld:r:{lead}:not_found")
    [again] = await run.answer(HEAD, button="pp:ok", message_text="请核对")
    assert isinstance(again, Say | Edit) and f"第 {lead} 号线索已由他人登记核实结果" in again.text
    assert "请核对申请" in again.text and "pp:ok" in str(again.keyboard)
    with town() as s:
        assert s.scalars(select(Proposal)).first() is None
    assert lead_row(town, lead).outcome == Outcome.NOT_FOUND.value
    # Sent anyway, it is a proposal of its own: the lead keeps its outcome, no link.
    [sent, *_] = await run.answer(HEAD, button="pp:ok", message_text="请核对")
    assert isinstance(sent, Say) and "已提交村级审核" in sent.text
    row = lead_row(town, lead)
    assert row.outcome == Outcome.NOT_FOUND.value and row.proposal_id is None


async def test_included_starts_a_prefilled_proposal_linked_to_the_lead(
    run: Runner, services: Services, town: sessionmaker[Session], tmp_path: Path
) -> None:
    lead = add_lead(town, "张三", date(2026, 11, 20))
    _, *where = await run.event(lead_pressed, HEAD, HEAD, button=f"ld:p:{lead}")
    [ask] = where
    assert isinstance(ask, Say) and "根据线索发起纳入监测申请" in ask.text
    steps: list[dict[str, str]] = [
        {"button": "pp:n:-"},
        {"text": "3"},
        {"button": "pp:c:sudden_hardship"},
        {"button": "pp:r:done"},  # illness chosen from the lead
        {"text": "9000"},
        {"button": "pp:l:1"},
        {"button": "pp:cs:1"},
        {"text": "住院"},
        {"button": "pp:s:photo"},
    ]
    for step in steps:
        await run.answer(HEAD, **step, message_text="上一问")
    [sent, *_] = await run.answer(HEAD, button="pp:ok", message_text="请核对")
    assert isinstance(sent, Say) and "已提交村级审核" in sent.text
    with town() as s:
        proposal = s.scalars(select(Proposal)).one()
        assert proposal.head_name == "张三" and proposal.risk_types == ["illness"]
    row = lead_row(town, lead)
    assert row.outcome == Outcome.INCLUDED.value and row.proposal_id == proposal.id

    # The proposal carries its origin: the 15-day clock runs from the lead's day (11-20),
    # not from the proposal (11-25); the ledger's proposals sheet shows the source and day.
    with town() as s:
        view = ProposalQueries(s).view(proposal.id)
        assert view is not None and view.lead_on == date(2026, 11, 20)
        text = proposal_text(view, services.translations.get(), SHANGHAI, now=TODAY)
        data = ledger.collect(s, Week.parse("2026-W48"), Scope(), SHANGHAI)
    assert "自报告起第 6 天" in text and "来自线索：医保局，2026年11月20日" in text
    book = ledger.build(data, services.translations.get(), SHANGHAI)
    target = tmp_path / "ledger.xlsx"
    ledger.write(book, target)
    sheet = load_workbook(target)["纳入申请"]
    header, line = (list(r) for r in sheet.iter_rows(values_only=True))
    assert line[header.index("来源")] == "医保局"
    assert line[header.index("线索接收日期")] == datetime(2026, 11, 20)
    assert line[header.index("自报告起天数")] == 10  # 11-20 to the week's end (not 4)


async def test_an_overdue_lead_is_reminded_once_a_day_to_who_must_check_it(
    town: sessionmaker[Session],
) -> None:
    late = add_lead(town, "李四", date(2026, 11, 10))
    add_lead(town, "张三", date(2026, 11, 24))  # not due yet
    nobody = add_lead(town, "赵六", date(2026, 11, 10), village=None)
    now = TODAY
    for day_offset, expected in ((0, 2), (0, 0), (1, 2)):
        when = now + timedelta(days=day_offset)
        with town() as s, s.begin():
            assert remind_overdue(s, when.date(), when) == expected
    with town() as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.key.like("lead:%"))).all()
        keys = sorted(r.key for r in rows)
        assert len(keys) == 4
        assert {r.chat_id for r in rows if f"lead:{late}:" in r.key} == {HEAD}
        assert {r.chat_id for r in rows if f"lead:{nobody}:" in r.key} == {STAFF}
        assert all(ID not in str(r.payload) for r in rows)


async def test_summary_counts_leads_per_source_and_names_nobody_in_the_group(
    run: Runner, services: Services, town: sessionmaker[Session]
) -> None:
    from conversations.engine.events import ChatKind
    from conversations.reports.summary import summary
    from tests.small_town import VILLAGE_GROUP

    # Week 48 (11-23 to 11-29), today Wednesday 11-25.
    on_time = add_lead(town, "张三", date(2026, 11, 23))
    add_lead(town, "李四", date(2026, 11, 10))  # overdue, received weeks ago
    add_lead(town, "王五", date(2026, 11, 24), village="石桥村")  # another village
    await run.event(lead_pressed, HEAD, HEAD, button=f"ld:r:{on_time}:not_found")
    text, _ = await run.text(summary, STAFF, "/summary")
    assert isinstance(text, Say)
    assert "本周线索（按来源）" in text.text
    assert "• 医保局：收到 2 条，核实 1 条（按时 1 条），逾期未核实 1 条；查无此人 1" in text.text
    head, _ = await run.text(summary, HEAD, "/summary", chat_id=VILLAGE_GROUP, kind=ChatKind.GROUP)
    assert isinstance(head, Say)
    # in the group, all sources together: no department's name (review: a 医保局 or 残联 lead
    # in a small village says too much of a household there)
    assert (
        "本周线索：\n• 合计：收到 1 条，核实 1 条（按时 1 条），逾期未核实 1 条；查无此人 1"
        in head.text
    )
    for private in ("张三", "李四", "王五", "住院", ID, "9464", "医保局"):
        assert private not in head.text


async def test_the_lead_reminders_job_runs_daily_and_sends_once_a_day(
    services: Services, town: sessionmaker[Session]
) -> None:
    from bot.schedule import WakeSender, job_specs
    from bot.settings import load_settings

    late = add_lead(town, "李四", date(2026, 11, 10))
    spec = job_specs(load_settings(_env_file=None))["lead-reminders"]
    assert spec.crons == ["0 9 * * *"]  # daily
    sender = WakeSender(lambda: None)
    assert await spec.run(TODAY, services.tx, sender) == 1
    assert await spec.run(TODAY + timedelta(hours=3), services.tx, sender) == 0  # same day
    assert await spec.run(TODAY + timedelta(days=1), services.tx, sender) == 1
    with town() as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.key.like("lead:%"))).all()
        assert {r.chat_id for r in rows} == {HEAD} and len(rows) == 2
        assert {r.kind for r in rows} == {"lead_notice"}
        text = notice_text(LeadNotice.model_validate(rows[0].payload), services.translations.get())
    assert f"第 {late} 号线索" in text and "李四" in text and "/leads" in text
    assert "2026年11月15日" in text  # its check day, as the reader says a date
    assert ID not in text


async def test_the_monday_summary_lists_overdue_leads_by_village_and_source_only(
    town: sessionmaker[Session],
) -> None:
    """Issue 30: overdue leads are listed in the Monday summary, group-safe: the village and
    how long overdue; never the name, the ID number, what happened or the department (a
    医保局 lead in a small village says too much)."""
    from datetime import date
    from typing import Any

    from bot.i18n import load_translations
    from conversations.reports.job_texts import render_job
    from scheduler.jobs import weekly_summary
    from storage.leads import Leads
    from storage.models import OutboxMessage, Village
    from storage.payloads import parse
    from tests.small_town import SHANGHAI, TOWNSHIP_GROUP, at

    now = at("2026-11-20T08:00")
    with town() as s, s.begin():
        village = s.scalars(select(Village).where(Village.name == "青山村")).one()
        leads = Leads(s)
        leads.add(
            township_id=village.township_id,
            village_id=village.id,
            name="欧阳春花",
            id_number="500118197511021743",
            what="住院花费大",
            source="医保局",
            received_on=date(2026, 11, 20),
            check_by=date(2026, 11, 25),
            now=now,
        )
        leads.add(  # checked in time: not listed
            township_id=village.township_id,
            name="王某",
            source="self",
            received_on=date(2026, 12, 5),
            check_by=date(2026, 12, 10),
            now=now,
        )

    async def tx(work: Callable[[Session], Any]) -> Any:
        with town() as s, s.begin():
            return work(s)

    class Sender:
        async def flush(self) -> Any:
            return None

    await weekly_summary(at("2026-11-30T08:00"), tx, Sender(), tz=SHANGHAI)
    with town() as s:
        row = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "weekly_summary")).one()
    assert row.chat_id == TOWNSHIP_GROUP
    text, _ = render_job(row.kind, parse(row.kind, row.payload), load_translations("zh_CN").get())
    assert "• 青山村：逾期 5 天" in text and "医保局" not in text  # no department in a group
    assert "王某" not in text and "欧阳" not in text and "住院" not in text
    assert "500118" not in str(row.payload) and "欧阳" not in str(row.payload)


def test_two_people_recording_one_leads_outcome_at_once_take_turns(
    town: sessionmaker[Session],
) -> None:
    """Found in review: the outcome was checked on a plain read, so the village head's 查无此人
    and the staff's 已是监测对象 at the same moment both passed and the last won. The lead's
    row is locked: the second waits, then finds the first's outcome and is refused."""
    from conversations.leads.work import NotAllowed, set_outcome
    from tests.flows.test_proposal_races import race

    lead_id = add_lead(town, "张三", date(2026, 11, 23))

    def by(user: int, outcome: Outcome) -> Callable[[Session], object]:
        def run(s: Session) -> object:
            person = People(s).by_user_id(user)
            assert person is not None
            try:
                return set_outcome(
                    s, person.id, lead_id, outcome, None, today=TODAY.date(), now=TODAY
                )
            except NotAllowed as no:
                return no

        return run

    second = race(town, by(HEAD, Outcome.NOT_FOUND), by(STAFF, Outcome.MONITORED))
    assert isinstance(second, NotAllowed)
    with town() as s:
        lead = s.get(Lead, lead_id)
        assert lead is not None and lead.outcome == Outcome.NOT_FOUND.value
        audits = s.scalars(
            select(AuditEntry).where(
                AuditEntry.entity == "lead", AuditEntry.entity_key == str(lead_id)
            )
        ).all()
    assert [a.new_value for a in audits if a.action == "lead_outcome"] == ["not_found"]


def test_a_lead_of_a_village_whose_head_does_not_use_the_bot_goes_to_the_township_staff(
    town: sessionmaker[Session],
) -> None:
    """Found in review: a lead for a village with no linked head reached no one (no /leads
    listed it, no notice went out). It is the township staff's until a head is there."""
    qingshan = add_lead(town, "张三", date(2026, 11, 23))  # 青山村: its head uses the bot
    shiqiao = add_lead(town, "王五", date(2026, 11, 24), village="石桥村")  # no head there
    with town() as s:
        staff, head = People(s).by_user_id(STAFF), People(s).by_user_id(HEAD)
        assert staff is not None and head is not None
        leads = Leads(s)
        assert [lead.id for lead in leads.to_check(staff)] == [shiqiao]
        assert [lead.id for lead in leads.to_check(head)] == [qingshan]
        lead = leads.get(shiqiao)
        assert lead is not None
        assert {p.id for p in leads.checkers(lead)} == {staff.id}
