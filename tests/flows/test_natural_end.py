"""自然消除 (/natural_end): township staff record that a household's last member died or it
moved away, with the date and cause; no notice chain; audited; an open warning closes; the
household leaves the check-ins; the ledger shows it; /reinstate reverses it."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conversations.checkin.start import checkin, household_pressed
from conversations.engine.replies import Edit, Say
from conversations.engine.services import Services
from conversations.engine.turn import Flow
from conversations.proposals.eliminate import reinstate
from conversations.proposals.natural_end import natural_end
from conversations.reports import ledger
from monitoring.weeks import Week
from storage.ledger_lines import Scope
from storage.models import Alert, AuditEntry, Draft, Household, OutboxMessage, Proposal
from storage.models_natural_end import NaturalEnd
from tests.flows.conftest import SHANGHAI, Runner
from tests.small_town import STAFF, A, B, at, green_checkin

WEDNESDAY = at("2026-12-02T10:00")


def status_of(town: sessionmaker[Session], number: str) -> str:
    with town() as s:
        return s.scalars(select(Household.status).where(Household.number == number)).one()


async def say(run: Runner, user: int, text: str, flow: Flow = natural_end) -> str:
    [reply] = await run.text(flow, user, text)
    assert isinstance(reply, Say)
    return reply.text


async def test_a_natural_end_takes_the_household_out_without_a_notice(
    run: Runner, services: Services, town: sessionmaker[Session]
) -> None:
    services.clock = lambda: WEDNESDAY
    green_checkin(town, "H3", at("2026-12-01T10:00"), food=False)  # a red warning is open
    [listing] = await run.text(checkin, B, "/checkin")  # B is answering H3's next check-in
    assert isinstance(listing, Say)
    with town() as s:
        h3 = s.scalars(select(Household.id).where(Household.number == "H3")).one()
    [first] = await run.event(household_pressed, B, B, button=f"ci:hh:{h3}", message_text="")
    assert isinstance(first, Edit) and "【H3 赵长生】" in first.text
    told = await say(run, STAFF, "/natural_end h3 死亡 2026-11-28 户内最后一人去世")
    assert told.startswith("H3 户（赵长生）已自然消除（整户死亡，2026年11月28日），退出监测。")
    assert "无需公示和县级审定" in told
    assert status_of(town, "H3") == "ended"
    with town() as s:
        [row] = s.scalars(select(NaturalEnd)).all()
        assert (row.ended_on, row.cause, row.note) == (
            date(2026, 11, 28),
            "death",
            "户内最后一人去世",
        )
        assert s.scalars(select(Proposal)).all() == []  # no notice chain
        audit = s.scalars(select(AuditEntry).where(AuditEntry.entity_key == "H3")).all()
        assert {(a.action, a.new_value) for a in audit} >= {
            ("natural_end", "death 2026-11-28 户内最后一人去世")
        }
        assert any(a.field == "status" and a.new_value == "ended" for a in audit)
        [alert] = s.scalars(select(Alert)).all()
        assert (alert.status, alert.close_reason) == ("closed", "ended")
        groups = s.scalars(
            select(OutboxMessage).where(
                OutboxMessage.chat_id < 0, OutboxMessage.kind == "all_clear"
            )
        ).all()
        assert groups and all("去世" not in str(g.payload) for g in groups)  # no detail
        assert s.scalars(select(Draft)).all() == []  # B's check-in of it closed, B told
        [told_b] = s.scalars(
            select(OutboxMessage).where(OutboxMessage.key.like("natural_end:%:checkin_closed:%"))
        ).all()
        assert told_b.chat_id == B and told_b.kind == "notice"

    # The helper has no visit for it any more; a second record is refused.
    [listing] = await run.text(checkin, B, "/checkin")
    assert isinstance(listing, Say) and "H3" not in listing.text
    assert await say(run, STAFF, "/natural_end H3 迁出 2026-11-28") == "H3 不在监测中。"

    # In the ledger: the status, and the sheet of natural ends.
    with town() as s:
        data = ledger.collect(s, Week.parse("2026-W49"), Scope(), SHANGHAI)
    book = openpyxl.load_workbook(
        io.BytesIO(ledger.to_bytes(ledger.build(data, services.translations.get(), SHANGHAI)))
    )
    [line] = [r for r in book["自然消除"].iter_rows(min_row=2, values_only=True)]
    assert line[1:3] == ("H3", "赵长生") and line[4] == "整户死亡" and line[5] == "户内最后一人去世"
    statuses = {r[2]: r for r in book["农户"].iter_rows(min_row=2, values_only=True)}
    assert "自然消除" in statuses["H3"]

    # /reinstate brings it back; the natural end is marked reversed.
    back = await say(run, STAFF, "/reinstate H3 记录有误", flow=reinstate)
    assert "重新纳入监测" in back or "恢复" in back
    assert status_of(town, "H3") == "monitored"
    with town() as s:
        [row] = s.scalars(select(NaturalEnd)).all()
        assert row.reinstated_at is not None


async def test_what_is_refused(
    run: Runner, services: Services, town: sessionmaker[Session]
) -> None:
    services.clock = lambda: WEDNESDAY
    assert "仅供乡镇干部使用" in await say(run, A, "/natural_end H1 死亡 2026-11-28")
    usage = "请输入户编号、原因（死亡：整户死亡；迁出：整户迁出）、日期"
    assert usage in await say(run, STAFF, "/natural_end H1")
    assert usage in await say(run, STAFF, "/natural_end H1 出嫁 2026-11-28")
    assert usage in await say(run, STAFF, "/natural_end H1 迁出 11月28日")
    assert await say(run, STAFF, "/natural_end H1 迁出 2026-12-03") == "自然消除日期不能晚于今天。"
    assert "不能含有电话号码" in await say(
        run, STAFF, "/natural_end H1 迁出 2026-11-28 13800138000"
    )
    assert "没有" in await say(run, STAFF, "/natural_end ZZ9 迁出 2026-11-28")
    assert status_of(town, "H1") == "monitored"
    with town() as s:
        assert s.scalars(select(NaturalEnd)).all() == []
