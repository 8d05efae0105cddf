"""缺啥补啥 made visible: elimination asks for a delivered measure for each risk the household
had and names the uncovered ones; an all-clear with no measure says so; /summary and the
Monday summary count uncovered households and late measures per unit (group-safe); /plan
(一户一策) privately, with its A4 spreadsheet; the ledger's measures sheet has every field."""

from __future__ import annotations

import io
import stat
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.cli import main
from conversations.engine.events import ChatKind
from conversations.engine.replies import Document, Say, Toast
from conversations.engine.services import Services
from conversations.plan.flow import plan, plan_pressed
from conversations.proposals import steps
from conversations.proposals.texts import criteria_text
from conversations.reports import ledger
from conversations.reports.job_texts import render_job
from conversations.reports.summary import summary
from conversations.warnings.texts import alert_text
from monitoring.weeks import Week
from scheduler.jobs import weekly_summary
from storage.alerts import Alerts
from storage.ledger_lines import Scope
from storage.models import Alert, Household, OutboxMessage, Person
from storage.models_measures import Measure
from storage.payloads import parse
from tests.flows.conftest import SHANGHAI, Runner
from tests.small_town import HEAD, STAFF, TOWNSHIP_GROUP, A, B, C, at, green_checkin

MONDAY = at("2026-11-30T09:00")
WEDNESDAY = at("2026-12-02T10:00")
T = TypeVar("T")


def measure(
    town: sessionmaker[Session],
    number: str,
    kind: str,
    unit: str = "镇民政办",
    *,
    status: str = "done",
    deadline: date | None = None,
    amount: Decimal | None = None,
    note: str | None = None,
) -> None:
    with town() as s, s.begin():
        household = s.scalars(select(Household).where(Household.number == number)).one()
        staff = s.scalars(select(Person).where(Person.name == "杨镇长")).one()
        s.add(
            Measure(
                household_id=household.id,
                alert_id=None,
                kind=kind,
                responsible=unit,
                status=status,
                note=note,
                amount=amount,
                deadline=deadline,
                taken_on=date(2026, 10, 1) if status == "done" else None,
                recorded_by=staff.id,
                recorded_at=at("2026-10-01T10:00"),
            )
        )


async def test_elimination_names_each_risk_no_delivered_measure_covers(
    services: Services, town: sessionmaker[Session]
) -> None:
    """H1 was red (no secure food, no medical care) in June; its warning closed after two
    green visits. One employment measure, delivered: it was enough before, now it is not."""
    with town() as s, s.begin():
        h1 = s.scalars(select(Household).where(Household.number == "H1")).one()
        h1.created_at, h1.has_labour = datetime(2026, 5, 1, tzinfo=SHANGHAI), True
    green_checkin(town, "H1", MONDAY - timedelta(weeks=27), food=False, medical=False)
    for back in range(26, 0, -1):
        green_checkin(town, "H1", MONDAY - timedelta(weeks=back))
    measure(town, "H1", "employment", "帮扶责任人")

    def check(s: Session) -> tuple[dict[str, bool], str]:
        h1 = s.scalars(select(Household).where(Household.number == "H1")).one()
        criteria = steps.criteria_of(s, h1, services, MONDAY)
        text = criteria_text("H1", "王大山", criteria, services.translations.get())
        return {c.code: c.holds for c in criteria}, text

    with town() as s:
        assert s.scalars(select(Alert.status)).all() == ["closed"]
        held, text = check(s)
    assert held["measure_taken"] is False
    assert all(ok for code, ok in held.items() if code != "measure_taken")
    assert "❌ 每项风险都落实了帮扶措施（已落实 1 项） — 尚无措施：吃饭、基本医疗" in text

    measure(town, "H1", "health")  # covers medical care only
    with town() as s:
        held, text = check(s)
    assert not held["measure_taken"] and "尚无措施：吃饭" in text and "基本医疗" not in text
    measure(town, "H1", "protection")  # 综合保障 covers food
    with town() as s:
        held, text = check(s)
    assert all(held.values()) and "✅ 每项风险都落实了帮扶措施（已落实 3 项）" in text


def all_clear_of(town: sessionmaker[Session], services: Services, number: str) -> str:
    with town() as s:
        household = s.scalars(select(Household).where(Household.number == number)).one()
        alert = s.scalars(select(Alert).where(Alert.household_id == household.id)).one()
        assert alert.status == "closed" and alert.close_reason == "green"
        row = s.scalars(
            select(OutboxMessage).where(
                OutboxMessage.alert_id == alert.id, OutboxMessage.kind == "all_clear"
            )
        ).first()
        assert row is not None
        view = Alerts(s).view(alert.id)
        assert view is not None
        return alert_text(view, services.translations.get(), SHANGHAI, kind="all_clear")


async def test_an_all_clear_without_any_measure_says_so(
    services: Services, town: sessionmaker[Session]
) -> None:
    for number in ("H3", "H4", "H1"):
        green_checkin(town, number, at("2026-11-16T10:00"), food=False)
        if number != "H3":  # H4's measure is for its warning, H1's for the household
            with town() as s, s.begin():
                alert = s.scalars(select(Alert).order_by(Alert.id.desc())).first()
                assert alert is not None
                staff = s.scalars(select(Person).where(Person.name == "杨镇长")).one()
                s.add(
                    Measure(
                        household_id=alert.household_id,
                        alert_id=alert.id if number == "H4" else None,
                        kind="relief",
                        responsible="镇民政办",
                        status="done",
                        taken_on=date(2026, 11, 18),
                        recorded_by=staff.id,
                        recorded_at=at("2026-11-17T10:00"),
                    )
                )
        green_checkin(town, number, at("2026-11-23T10:00"))
        green_checkin(town, number, at("2026-11-30T10:00"))
    without = all_clear_of(town, services, "H3")
    assert "🟢 预警解除" in without and "两次走访无风险，未采取措施。" in without
    for number in ("H4", "H1"):
        with_measure = all_clear_of(town, services, number)
        assert "🟢 预警解除" in with_measure and "未采取措施" not in with_measure


def risky_town(town: sessionmaker[Session]) -> None:
    """H3 red for food, nothing delivered; H4 red for food, covered by relief; open measures
    past their deadline: two of 镇民政办's, one of the village's; one not yet due."""
    green_checkin(town, "H3", at("2026-11-30T10:00"), food=False)
    green_checkin(town, "H4", at("2026-11-30T11:00"), food=False)
    measure(town, "H4", "relief")
    measure(
        town, "H3", "relief", status="pending", deadline=date(2026, 11, 28), amount=Decimal(800)
    )
    measure(town, "H3", "protection", status="in_progress", deadline=date(2026, 12, 1))
    measure(town, "H1", "industry", "各村", status="pending", deadline=date(2026, 11, 20))
    measure(town, "H2", "housing", "各村", status="pending", deadline=date(2026, 12, 20))
    measure(town, "H2", "water", "各村", status="refused", deadline=date(2026, 11, 1))


async def test_summary_counts_uncovered_households_and_late_measures_per_unit(
    run: Runner, services: Services, town: sessionmaker[Session]
) -> None:
    services.clock = lambda: WEDNESDAY
    risky_town(town)
    text, _ = await run.text(
        summary, STAFF, "/summary", chat_id=TOWNSHIP_GROUP, kind=ChatKind.GROUP
    )
    assert isinstance(text, Say)
    assert "⚠️ 有 1 户存在风险尚无已落实的帮扶措施（缺啥补啥）。" in text.text
    assert "超期未落实的帮扶措施：\n• 镇民政办：2 项\n• 村委会：1 项" in text.text
    assert "800" not in text.text and "赵长生" not in text.text  # group-safe
    head, _ = await run.text(summary, HEAD, "/summary")  # 青山村 only: H3 and the village's
    assert isinstance(head, Say) and "有 1 户" in head.text and "• 镇民政办：2 项" in head.text

    # The Monday summary carries the same counts to the township group.
    async def tx(work: Callable[[Session], T]) -> T:
        with town() as s, s.begin():
            return work(s)

    class Sender:
        async def flush(self) -> Any:
            return None

    assert await weekly_summary(at("2026-12-07T08:00"), tx, Sender(), tz=SHANGHAI) == 2
    with town() as s:
        row = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "weekly_summary")).one()
        assert row.chat_id == TOWNSHIP_GROUP
        monday, _ = render_job(row.kind, parse(row.kind, row.payload), services.translations.get())
    assert "⚠️ 有 1 户存在风险尚无已落实的帮扶措施" in monday
    assert "• 镇民政办：2 项" in monday and "• 村委会：1 项" in monday


async def test_plan_privately_for_those_who_may_see_it_with_its_a4_sheet(
    run: Runner, services: Services, town: sessionmaker[Session]
) -> None:
    services.clock = lambda: WEDNESDAY
    risky_town(town)
    green_checkin(town, "H3", at("2026-11-23T10:00"))
    for user in (B, HEAD, STAFF):
        [screen] = await run.text(plan, user, "/plan H3")
        assert isinstance(screen, Say)
        lines = screen.text.splitlines()
        assert lines[0] == "一户一策：H3 赵长生（青山村）" and lines[1] == "帮扶责任人：乙"
        assert "❌ 吃饭：尚无已落实的帮扶措施" in screen.text
        assert (
            "• 临时救助 — 镇民政办，待办理 （已逾期），期限 2026年11月28日，800 元" in screen.text
        )
        assert "最近走访：" in screen.text and "🔴 红色预警（入户）" in screen.text
    [covered] = await run.text(plan, C, "/plan H4")
    assert isinstance(covered, Say) and "✅ 吃饭：已落实：临时救助" in covered.text
    for user in (A, C):  # another household's helper
        [refused] = await run.text(plan, user, "/plan H3")
        assert isinstance(refused, Say) and "赵长生" not in refused.text
        assert "没有您可以查看的" in refused.text
    [stranger] = await run.text(plan, 9999, "/plan H3")
    assert isinstance(stranger, Say) and "还未登记" in stranger.text
    [usage] = await run.text(plan, STAFF, "/plan")
    assert isinstance(usage, Say) and "/plan LX01001" in usage.text

    [screen] = await run.text(plan, STAFF, "/plan H3")
    assert isinstance(screen, Say)
    [[button]] = screen.keyboard
    assert button.label == "📄 打印版（Excel）"
    refused_press = await run.event(plan_pressed, A, A, button=button.data)
    assert [type(r) for r in refused_press] == [Toast]
    toast, document = await run.event(plan_pressed, STAFF, STAFF, button=button.data)
    assert isinstance(toast, Toast) and isinstance(document, Document)
    assert document.filename == "plan-H3.xlsx" and document.chat_id is None  # this private chat
    check_a4(document.data)


def check_a4(data: bytes) -> None:
    book = load_workbook(io.BytesIO(data))
    sheet = book.active
    assert sheet is not None and sheet.title == "一户一策"
    assert sheet["A1"].value == "一户一策：H3 赵长生（青山村）"
    setup = sheet.page_setup
    assert int(setup.paperSize) == 9 and setup.orientation == "portrait"  # 9: A4
    assert sheet.sheet_properties.pageSetUpPr is not None
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert setup.fitToWidth == 1 and setup.fitToHeight == 0
    assert sheet.print_title_rows == "$1:$2"
    margins = sheet.page_margins
    assert (margins.left, margins.right, margins.top, margins.bottom) == (0.5, 0.5, 0.6, 0.6)
    values = [[c for c in row if c is not None] for row in sheet.iter_rows(values_only=True)]
    assert ["吃饭", "尚无已落实的帮扶措施"] in values
    assert any(row[:2] == ["临时救助", "镇民政办"] and 800 in row for row in values)


def test_the_cli_writes_the_plan_for_the_owner_only(
    env_database: str, town: sessionmaker[Session], tmp_path: Path
) -> None:
    risky_town(town)
    target = tmp_path / "plan.xlsx"
    assert main(["plan", "H3", "-o", str(target)]) == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    check_a4(target.read_bytes())
    assert main(["plan", "NOPE", "-o", str(tmp_path / "x.xlsx")]) == 2
    assert main(["plan", "H3", "-o", str(tmp_path / "plan.csv")]) == 2


def test_the_ledgers_measures_sheet_carries_every_field(
    services: Services, town: sessionmaker[Session]
) -> None:
    risky_town(town)
    with town() as s, s.begin():
        late = s.scalars(select(Measure).where(Measure.kind == "protection")).one()
        staff = s.scalars(select(Person).where(Person.name == "杨镇长")).one()
        late.status_by, late.status_at = staff.id, at("2026-12-01T09:30")
        refused = s.scalars(select(Measure).where(Measure.kind == "water")).one()
        refused.reason, refused.status_by = "不符合条件", staff.id
        refused.status_at = at("2026-12-02T09:00")
        done = s.scalars(select(Measure).where(Measure.status == "done")).one()
        done.taken_on = date(2026, 12, 1)  # delivered in the week: on its ledger
    t = services.translations.get()
    with town() as s:
        data = ledger.collect(s, Week.parse("2026-W49"), Scope(), SHANGHAI)
    book = load_workbook(io.BytesIO(ledger.to_bytes(ledger.build(data, t, SHANGHAI))))
    sheet = book["帮扶措施"]
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    assert header == [
        "预警编号",
        "村",
        "户编号",
        "户主",
        "帮扶措施",
        "责任单位",
        "帮扶内容",
        "金额（元）",
        "办理期限",
        "状态",
        "理由",
        "记录人",
        "记录时间",
        "最后办理人",
        "最后办理时间",
        "落实日期",
    ]
    by_kind = {row[4]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert set(by_kind) == {"临时救助", "综合保障", "产业帮扶", "住房安全保障", "饮水安全保障"}
    relief = [dict(zip(header, r, strict=True)) for r in rows[1:] if r[4] == "临时救助"]
    pending = next(r for r in relief if r["状态"] == "待办理")
    assert pending["金额（元）"] == 800 and pending["户编号"] == "H3"
    assert pending["办理期限"] == datetime(2026, 11, 28)
    assert by_kind["综合保障"]["状态"] == "办理中"
    assert by_kind["综合保障"]["最后办理人"] == "杨镇长"
    assert by_kind["综合保障"]["最后办理时间"] == datetime(2026, 12, 1, 9, 30)
    assert (
        by_kind["饮水安全保障"]["状态"] == "未通过"
        and by_kind["饮水安全保障"]["理由"] == "不符合条件"
    )
    assert by_kind["产业帮扶"]["责任单位"] == "村委会"
    assert any(r["状态"] == "已落实" and r["落实日期"] == datetime(2026, 12, 1) for r in relief)
