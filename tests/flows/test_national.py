"""The national system's list (/national, `fangfanpin national-list`): the changes recorded
through the bot since each household's last tick, in the order of the system's screens; the
tick (已录入) audited; a later change listed again; only the staff's own township."""

from __future__ import annotations

import io
import stat
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.cli import main
from conversations.dispatch import dispatch
from conversations.engine.events import ChatKind, Event
from conversations.engine.replies import Document, Edit, Say, Toast
from conversations.engine.services import Services
from conversations.national.flow import national, national_pressed
from monitoring.measures import Status
from monitoring.natural_end import EndCause, NaturalEndRequest
from storage.measures import Measures
from storage.models import AuditEntry, Household, Person, Proposal
from storage.models_national import NationalEntry
from storage.natural_ends import NaturalEnds
from storage.repositories import People
from storage.roster import import_roster
from tests.flows.conftest import Runner
from tests.flows.test_proposals import walk_the_chain, write_proposal
from tests.small_town import STAFF, TOWNSHIP_GROUP, A, at

WEDNESDAY = at("2026-11-25T10:00")
OTHER_STAFF = 777  # township staff of another township


def person(s: Session, user_id: int) -> Person:
    found = People(s).by_user_id(user_id)
    assert found is not None
    return found


def household(s: Session, number: str) -> Household:
    return s.scalars(select(Household).where(Household.number == number)).one()


def add_measure(town: sessionmaker[Session], number: str, when: datetime, **what: object) -> int:
    """A measure recorded by helper A (as /measure records it; that flow has its own tests)."""
    with town() as s, s.begin():
        measure = Measures(s).add(
            household_id=household(s, number).id,
            kind=str(what.get("kind", "relief")),
            responsible="镇民政办",
            note="临时救助",
            by=person(s, A),
            now=when,
            amount=Decimal(1500),
            deadline=date(2026, 12, 5),
        )
        return measure.id


def deliver(town: sessionmaker[Session], measure_id: int, when: datetime) -> None:
    with town() as s, s.begin():
        measure = Measures(s).get(measure_id)
        assert measure is not None
        Measures(s).set_status(
            measure, Status.DONE, None, by=person(s, STAFF), now=when, today=when.date()
        )


async def screen(run: Runner, user: int = STAFF) -> Say:
    [reply] = await run.text(national, user, "/national")
    assert isinstance(reply, Say)
    return reply


async def press(run: Runner, data: str, user: int = STAFF) -> list[object]:
    return list(await run.event(national_pressed, user, user, button=data, message_text="…"))


def labels(reply: Say | Edit) -> list[str]:
    return [b.label for row in reply.keyboard for b in row]


def button(reply: Say | Edit, label: str) -> str:
    [data] = [b.data for row in reply.keyboard for b in row if b.label == label]
    return data


async def test_the_list_shows_exactly_the_changes_since_the_last_tick(
    run: Runner, services: Services, town: sessionmaker[Session]
) -> None:
    # The roster's import is not listed: it comes from the township's (the system's) files.
    assert (await screen(run)).text == "没有待录入国家系统的变更：所有变更均已录入。"

    # Changes through the bot: a measure recorded and delivered for H1, a natural end of H3,
    # a household taken in by the county's approval of a proposal.
    first = add_measure(town, "H1", at("2026-11-20T09:00"))
    deliver(town, first, at("2026-11-23T09:00"))
    with town() as s, s.begin():
        NaturalEnds(s).record(
            household(s, "H3"),
            person(s, STAFF),
            NaturalEndRequest("H3", EndCause.MOVED, date(2026, 11, 21), "全家迁往城区"),
            now=at("2026-11-23T10:00"),
        )
    services.clock = lambda: at("2026-11-24T10:00")
    review = await write_proposal(run)
    await run.answer(A, button="pp:ok", message_text=review.text)
    with town() as s:
        pid = s.scalars(select(Proposal.id)).one()
    await walk_the_chain(run, services, town, pid)
    with town() as s:
        new = s.scalars(select(Household).where(Household.head_name == "刘大海")).one()
        new_number = new.number

    # One household per screen, by village and number; its changes in the screens' order.
    shown = await screen(run)
    assert shown.text.splitlines()[:3] == [
        "待录入国家系统（第 1/3 户）",
        "H1 户 王大山（青山村）",
        "系统户编号：未填（发送 /national H1 和编号即可补录）",
    ]
    assert "【风险和帮扶措施】" in shown.text
    lines = shown.text.splitlines()
    added = next(line for line in lines if "新增帮扶措施" in line)
    assert "临时救助，镇民政办，金额 1,500 元，期限 2026年12月5日" in added
    done = next(line for line in lines if "已落实" in line)
    assert "落实日期 2026年11月23日" in done and lines.index(added) < lines.index(done)
    assert labels(shown) == ["✅ 已录入", "下一户 ▶", "📄 全部清单（表格）"]

    [toast, second] = await press(run, button(shown, "下一户 ▶"))
    assert isinstance(second, Edit) and "（第 2/3 户）" in second.text
    assert "H3 户 赵长生" in second.text
    assert "【风险消除】\n· 自然消除：整户迁出，2026年11月21日（2026年11月23日）" in second.text
    [_, third] = await press(run, button(second, "下一户 ▶"))
    assert isinstance(third, Edit) and f"{new_number} 户 刘大海" in third.text
    taken = third.text.split("【户基本信息】\n", 1)[1].splitlines()
    assert taken[0].startswith("· 纳入监测：") and "突发严重困难户，风险类型：因病" in taken[0]
    assert taken[1] == "  户主 刘大海，身份证号 —，家庭人口 4，有劳动能力"

    # 已录入 on H1: its two changes ticked (audited), the next household shown in its place.
    [toast, after] = await press(run, button(shown, "✅ 已录入"))
    assert isinstance(toast, Toast) and toast.text == "已记录：2 项变更已录入。"
    assert isinstance(after, Edit) and "（第 1/2 户）" in after.text and "H3 户" in after.text
    with town() as s:
        [entry] = s.scalars(select(NationalEntry)).all()
        assert (entry.household_id, entry.entered_by) == (
            household(s, "H1").id,
            person(s, STAFF).id,
        )
        [audit] = s.scalars(select(AuditEntry).where(AuditEntry.action == "national_entered")).all()
        assert (audit.entity_key, audit.actor) == ("H1", f"person:{person(s, STAFF).id}")
    # The same press again ticks nothing more.
    [again, _] = await press(run, button(shown, "✅ 已录入"))
    assert isinstance(again, Toast) and again.text == "这些变更已标记为已录入。"
    with town() as s:
        assert len(s.scalars(select(NationalEntry)).all()) == 1

    # A change after the tick: H1 comes back with only that change.
    add_measure(town, "H1", at("2026-11-25T09:00"), kind="health")
    back = await screen(run)
    assert "（第 1/3 户）" in back.text and "H1 户 王大山" in back.text
    assert back.text.count("帮扶措施") == 2  # the heading and the one new measure
    assert "已落实" not in back.text


async def test_a_change_made_while_the_screen_was_shown_stays_listed(
    run: Runner, town: sessionmaker[Session]
) -> None:
    add_measure(town, "H2", at("2026-11-20T09:00"))
    shown = await screen(run)
    later = add_measure(town, "H2", at("2026-11-21T09:00"), kind="health")
    [toast, after] = await press(run, button(shown, "✅ 已录入"))
    assert isinstance(toast, Toast) and toast.text == "已记录：1 项变更已录入。"
    assert isinstance(after, Edit) and "H2 户 李春花" in after.text
    assert f"新增帮扶措施 {later} 号" in after.text and after.text.count("新增帮扶措施") == 1


async def test_only_the_staffs_own_township_and_never_a_group(
    run: Runner, services: Services, town: sessionmaker[Session], tmp_path: Path
) -> None:
    other = tmp_path / "staff.csv"
    other.write_text(
        "姓名,电话,角色,乡镇,村\n钱镇长,18700000077,乡镇干部,石门镇,\n", encoding="utf-8"
    )
    with town() as s, s.begin():
        import_roster(s, [other], now=at("2026-11-01T08:00"), actor="test")
        found = People(s).by_phone("+8618700000077")
        assert found is not None
        People(s).link_account(found, OTHER_STAFF, now=at("2026-11-01T08:00"), actor="test")
    add_measure(town, "H1", at("2026-11-20T09:00"))
    shown = await screen(run)
    assert "H1 户" in shown.text
    assert (await screen(run, OTHER_STAFF)).text.startswith("没有待录入国家系统的变更")
    [refused] = await press(run, button(shown, "✅ 已录入"), OTHER_STAFF)
    assert isinstance(refused, Toast) and refused.text == "该按钮已失效。"
    assert (await screen(run, A)).text == "/national 仅供乡镇干部使用。"
    [helper] = await press(run, button(shown, "✅ 已录入"), A)
    assert isinstance(helper, Toast) and "仅供乡镇干部使用" in helper.text
    # In a group: the command is sent back to the private chat, the button refused.
    group = Event(900, TOWNSHIP_GROUP, ChatKind.GROUP, STAFF, text="/national")
    [told] = await dispatch(group, services)
    assert isinstance(told, Say) and told.text == "请在与我的私聊中发送 /national。"
    data = button(shown, "✅ 已录入")
    pressed = Event(901, TOWNSHIP_GROUP, ChatKind.GROUP, STAFF, button=data, message_id=5)
    [wrong] = await dispatch(pressed, services, on_message=frozenset({"nl"}))
    assert isinstance(wrong, Toast) and "不能在这里使用" in wrong.text
    with town() as s:
        assert s.scalars(select(NationalEntry)).all() == []
    assert "H1 户" in (await screen(run)).text


async def test_the_whole_list_as_a_spreadsheet_in_the_chat_and_from_the_cli(
    run: Runner, town: sessionmaker[Session], env_database: str, tmp_path: Path
) -> None:
    # The code is set from the chat where the roster did not give it (audited, not listed).
    [said] = await run.text(national, STAFF, "/national h1 500118001001")
    assert isinstance(said, Say) and said.text == "已记录 H1 户的系统户编号：500118001001。"
    [usage] = await run.text(national, STAFF, "/national H1")
    assert isinstance(usage, Say) and "/national LX01001 500118001001" in usage.text
    [nobody] = await run.text(national, STAFF, "/national H9 1")
    assert isinstance(nobody, Say) and nobody.text == "没有您可以查看的 H9 户。"
    with town() as s:
        assert household(s, "H1").national_code == "500118001001"
        [audit] = s.scalars(select(AuditEntry).where(AuditEntry.field == "national_code"))
        assert (audit.entity_key, audit.new_value) == ("H1", "500118001001")
    assert (await screen(run)).text.startswith("没有待录入国家系统的变更")
    measure = add_measure(town, "H1", at("2026-11-20T09:00"))
    deliver(town, measure, at("2026-11-23T09:00"))
    shown = await screen(run)
    assert "系统户编号：500118001001" in shown.text
    [_, document] = await press(run, button(shown, "📄 全部清单（表格）"))
    assert isinstance(document, Document) and document.chat_id is None  # this private chat
    assert document.caption == "待录入国家系统：共 1 户"
    rows = list(openpyxl.load_workbook(io.BytesIO(document.data))["待录入"].values)
    assert rows[0][:4] == ("乡镇", "村", "户编号", "系统户编号")
    assert [r[2:4] + r[6:8] for r in rows[1:]] == [
        ("H1", "500118001001", "风险和帮扶措施", "新增帮扶措施"),
        ("H1", "500118001001", "风险和帮扶措施", "帮扶措施状态"),
    ]
    assert rows[1][9] == 1500 and "期限" in rows[1][8] and rows[2][11] == "杨镇长"

    target = tmp_path / "national.xlsx"
    assert main(["national-list", "-o", str(target), "--township", "龙溪镇"]) == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    sheet = openpyxl.load_workbook(target)["待录入"]
    assert [r[2] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["H1", "H1"]
    assert main(["national-list", "-o", str(tmp_path / "national.csv")]) == 2
    assert main(["national-list", "-o", str(target), "--township", "石门镇"]) == 2
    assert not (tmp_path / "national.csv").exists()

    # The ledger's households sheet has the code too.
    assert main(["export", "-o", str(tmp_path / "ledger.xlsx")]) == 0
    book = openpyxl.load_workbook(tmp_path / "ledger.xlsx")
    header, *body = book["农户"].values
    codes = {row[2]: row[header.index("系统户编号")] for row in body}
    assert codes == {"H1": "500118001001", "H2": None, "H3": None, "H4": None}


async def test_income_stated_by_source_at_a_visit_is_listed_per_source(
    run: Runner, services: Services, town: sessionmaker[Session]
) -> None:
    from monitoring.income import Source
    from storage.income import Incomes

    with town() as s, s.begin():  # as a check-in states it (tests/flows/test_income.py)
        incomes = Incomes(s)
        h1, helper = household(s, "H1"), person(s, A)
        incomes.record(
            h1,
            {Source.WAGE: Decimal(18000), Source.BUSINESS: Decimal(6000)}
            | {Source.PROPERTY: Decimal(0), Source.TRANSFER: Decimal(3600)},
            valid_from=date(2026, 11, 2),
            now=at("2026-11-02T10:00"),
            actor="roster:households.csv",  # the roster's figures: not listed
        )
        incomes.record(
            h1,
            {Source.WAGE: Decimal(24000)},
            valid_from=date(2026, 11, 24),
            now=at("2026-11-24T10:00"),
            actor=f"person:{helper.id}",
        )
    shown = await screen(run)
    assert "工资性收入：18,000 → 24,000 元/年" in shown.text
    assert "经营性" not in shown.text and "转移性" not in shown.text
