"""/summary, /summary trend and /export against a seeded week of the sample township, with the
expected numbers computed here, independently of the summary queries."""

from __future__ import annotations

import asyncio
import io
import random
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.cli import main
from monitoring.weeks import Week
from platforms.telegram.context import AppType
from sandbox.client import SandboxClient
from storage.models import Household, OutboxMessage, Village
from storage.repositories import People
from storage.roster import import_roster
from storage.schedule import Schedule
from tests.conftest import EXAMPLES
from tests.driver import Chat, send_for
from tests.small_town import at, green_checkin

STAFF, HEAD, HELPER, STRANGER = 701, 702, 703, 799
TOWN_GROUP = -300111
WEEK = Week(2026, 48)  # Monday 23 to Sunday 29 November 2026


@dataclass(frozen=True)
class Seeded:
    village: str
    number: str
    head: str
    id_number: str
    members: int
    per_capita: Decimal
    done: bool
    food: bool
    level: str | None  # of this week's check-in


def expected_level(per_capita: Decimal, food: bool) -> str:
    """docs/policy.md for a green-answered check-in with unchanged income (2020 lines)."""
    if not food or per_capita < 4800:
        return "red"
    return "watch" if per_capita < 6000 else "green"


@pytest.fixture
def seeded(session_factory: sessionmaker[Session]) -> list[Seeded]:
    with session_factory() as s, s.begin():
        import_roster(s, sorted(EXAMPLES.glob("*.csv")), now=at("2026-10-01T08:00"), actor="test")
        people = People(s)
        for user_id, phone in (
            (STAFF, "18700187001"),
            (HEAD, "13700137001"),
            (HELPER, "13800138001"),
        ):
            person = people.by_phone("+86" + phone)
            assert person is not None
            people.link_account(person, user_id, now=at("2026-10-01T08:00"), actor="test")
        rows = s.execute(
            select(Household, Village.name).join(Village, Village.id == Household.village_id)
        ).all()
        households = [
            (
                h.number,
                village,
                h.head_name,
                h.id_number or "",
                h.members,
                h.last_year_income_per_capita,
            )
            for h, village in rows
        ]
    rng = random.Random(48)
    result = []
    for number, village, head, id_number, members, per_capita in sorted(households):
        done = rng.random() < 0.7
        food = rng.random() < 0.8
        level = None
        if done:
            when = at(f"2026-11-{rng.randint(23, 29)}T{rng.randint(8, 18):02d}:00")
            green_checkin(session_factory, number, when, food=food)
            level = expected_level(per_capita, food)
        result.append(
            Seeded(village, number, head, id_number, members, per_capita, done, food, level)
        )
    with session_factory() as s, s.begin():  # the missed-visits job's own bookkeeping
        Schedule(s).record_missed(WEEK, now=at("2026-11-30T09:00"))
    return result


async def delivered_everything(factory: sessionmaker[Session]) -> None:
    """Wait (at most 30 s) until the outbox has nothing waiting."""
    for _ in range(300):
        with factory() as s:
            waiting = s.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status.in_(("pending", "sending")))
            )
        if not waiting:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{waiting} outbox message(s) still waiting")


def village_line(text: str, village: str) -> tuple[int, ...]:
    match = re.search(
        rf"{village}：监测 (\d+) 户，已走访 (\d+)（\d+%），未走访 (\d+)，红色 (\d+)，黄色 (\d+)",
        text,
    )
    assert match, f"no line for {village} in {text!r}"
    return tuple(int(g) for g in match.groups())


async def test_summary_and_export_of_a_seeded_week(
    bot: AppType,
    client: SandboxClient,
    seeded: list[Seeded],
    session_factory: sessionmaker[Session],
) -> None:
    bot.bot_data.services.clock = lambda: at("2026-12-02T10:00")
    for user_id, name in (
        (STAFF, "杨振华"),
        (HEAD, "张卫东"),
        (HELPER, "李建国"),
        (STRANGER, "路人"),
    ):
        await client.user(user_id, name)
    # The seeded red warnings' private copies reach the staff and the village head first.
    await delivered_everything(session_factory)

    # ---- /summary in the staff member's private chat: text and chart
    text, chart = await send_for(Chat(client, STAFF), "/summary 2026-W48", 2)
    by_village: dict[str, list[Seeded]] = {}
    for row in seeded:
        by_village.setdefault(row.village, []).append(row)
    assert set(by_village) == {"青山村", "石桥村", "柳湾村"}
    for village, rows in by_village.items():
        done = sum(r.done for r in rows)
        red = sum(r.level == "red" for r in rows)
        watch = sum(r.level == "watch" for r in rows)
        expected = (len(rows), done, len(rows) - done, red, watch)  # an ended week
        assert village_line(text["text"], village) == expected, village
    total_done = sum(r.done for r in seeded)
    not_visited = len(seeded) - total_done
    assert f"全镇合计：监测 {len(seeded)} 户，已走访 {total_done}（" in text["text"]
    assert f"未走访 {not_visited}，" in text["text"] and "待走访" not in text["text"]
    reds = [r for r in seeded if r.level == "red"]
    assert text["text"].count("：已 ") == len(reds) and reds
    for row in reds:
        assert f"{row.village} {row.number} {row.head}：已 " in text["text"]
    png = await client.file(chart["photo"][-1]["file_id"])
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000

    # ---- a village head gets their village only, with the due list by helper
    head_text, _ = await send_for(Chat(client, HEAD), "/summary 2026-W48", 2)
    assert head_text["text"].startswith("青山村 第48周（11月23日—29日）")
    assert "石桥村" not in head_text["text"] and "全镇合计" not in head_text["text"]
    due_qingshan = [r for r in by_village["青山村"] if not r.done]
    for row in due_qingshan:
        assert f"{row.number} {row.head}" in head_text["text"]

    # ---- the trend: 8 weeks, this one with the seeded numbers
    trend_text, trend_chart = await send_for(Chat(client, STAFF), "/summary trend", 2)
    lines = [line for line in trend_text["text"].splitlines() if line.startswith("• ")]
    assert (
        len(lines) == 8
        and lines[0].startswith("• 第42周（10月12日—18日）")
        and lines[-1].startswith("• 第49周（11月30日—12月6日）")
    )
    assert f"• 第48周（11月23日—29日）：已走访 {total_done}/{len(seeded)}" in trend_text["text"]
    assert f"红色预警 {len(reds)} 户" in lines[-2]
    assert "• 第47周（11月16日—22日）：已走访 0/30" in trend_text["text"]
    assert (await client.file(trend_chart["photo"][-1]["file_id"])).startswith(b"\x89PNG")

    # ---- helpers get their own households; strangers are refused
    assert "您负责的农户" in (await Chat(client, HELPER).send("/summary"))["text"]
    assert "仅供乡镇干部和村干部" in (await Chat(client, STRANGER).send("/summary"))["text"]
    assert "仅供乡镇干部和村干部" in (await Chat(client, HELPER).send("/export"))["text"]
    assert "仅供乡镇干部和村干部" in (await Chat(client, STRANGER).send("/export"))["text"]
    assert "YYYY-Www" in (await Chat(client, STAFF).send("/export 48"))["text"]
    assert "尚未开始" in (await Chat(client, STAFF).send("/export 2027-W05"))["text"]

    # ---- /export: the ledger as XLSX, read back
    seq = await client.last_seq()
    preparing = await Chat(client, STAFF).send("/export 2026-W48")
    assert "正在生成" in preparing["text"] and "document" not in preparing
    again = await Chat(client, STAFF).send("/export 2026-W48")  # while it is being prepared
    assert "正在生成中" in again["text"] or "document" in again
    document = next(
        m
        for m in await client.wait_bot_messages(STAFF, after=seq, count=3, timeout=60)
        if "document" in m
    )
    assert not [m for m in await client.bot_messages(STAFF) if "document" in m][1:]
    assert document["document"]["file_name"] == "龙溪镇-2026-W48.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(await client.file(document["document"]["file_id"])))
    assert book.sheetnames == [
        "农户",
        "第48周走访",
        "未走访",
        "红色预警",
        "帮扶措施",
        "纳入申请",
        "风险消除",
        "移交县级",
        "自然消除",
        "家庭成员",
    ]
    households = book["农户"]
    assert households.freeze_panes == "A2"
    assert households.column_dimensions["E"].width > 15
    header = [c.value for c in households[1]]
    assert header[:6] == ["乡镇", "村", "户编号", "户主", "身份证号", "家庭人口"]
    body = [
        dict(zip(header, (c.value for c in row), strict=True))
        for row in households.iter_rows(min_row=2)
    ]
    assert sorted(r["户编号"] for r in body) == sorted(r.number for r in seeded)
    by_number = {r.number: r for r in seeded}
    levels = {"red": "红色预警", "watch": "黄色关注", "green": "绿色正常"}
    for line in body:
        row = by_number[line["户编号"]]
        assert line["身份证号"] == ("*" * 14 + row.id_number[-4:] if row.id_number else None)
        assert line["家庭人口"] == row.members and isinstance(line["家庭人口"], int)
        assert line["上年人均纯收入（元）"] == row.per_capita  # a number, not text
        if row.done:
            assert isinstance(line["最近走访时间"], datetime)
            assert line["最近走访周"] == "2026-W48"
            assert line["当前风险等级"] == levels[str(row.level)]
        else:
            assert line["最近走访时间"] is None
    checkins = book["第48周走访"]
    checkin_header = [c.value for c in checkins[1]]
    checkin_rows = [
        dict(zip(checkin_header, (c.value for c in r), strict=True))
        for r in checkins.iter_rows(min_row=2)
    ]
    assert sorted(r["户编号"] for r in checkin_rows) == sorted(r.number for r in seeded if r.done)
    for line in checkin_rows:
        assert line["不愁吃"] == ("是" if by_number[line["户编号"]].food else "否")
        assert isinstance(line["录入时间"], datetime)
        assert isinstance(line["人均纯收入（元）"], int | float)
        assert line["研判标准年度"] == 2020  # seeded with the shipped lines (2020's)
    missed = [r[1].value for r in book["未走访"].iter_rows(min_row=2)]
    assert sorted(missed) == sorted(r.number for r in seeded if not r.done)
    alerts = [r[2].value for r in book["红色预警"].iter_rows(min_row=2)]
    assert Counter(alerts) == Counter(r.number for r in reds)
    reasons = [r[5].value for r in book["红色预警"].iter_rows(min_row=2)]
    assert all(reasons)

    # ---- a village head's export holds their village only; asked in a group, it goes private
    await client.create_group(TOWN_GROUP, "龙溪镇群")
    await client.bot_membership(TOWN_GROUP, by_user_id=STAFF)
    await Chat(client, STAFF, TOWN_GROUP).wait_last("/bind")  # the greeting comes first
    seq = await client.last_seq()
    notice = await Chat(client, HEAD, TOWN_GROUP).send("/export 2026-W48")
    assert "私聊" in notice["text"] and "document" not in notice
    [private] = await client.wait_bot_messages(HEAD, after=seq, timeout=60)
    head_book = openpyxl.load_workbook(
        io.BytesIO(await client.file(private["document"]["file_id"]))
    )
    numbers = [r[2].value for r in head_book["农户"].iter_rows(min_row=2)]
    assert sorted(numbers) == sorted(r.number for r in by_village["青山村"])
    group_texts = [m.get("text", "") for m in await client.bot_messages(TOWN_GROUP)]
    assert not any("document" in m for m in await client.bot_messages(TOWN_GROUP))
    assert all(r.id_number[-8:] not in t for t in group_texts for r in seeded if r.id_number)


def test_export_from_the_command_line(
    env_database: str,
    seeded: list[Seeded],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FANGFANPIN_LOCALE", "en")
    target = tmp_path / "ledger.xlsx"
    assert main(["export", "-o", str(target), "--week", "2026-W48"]) == 0
    assert "2026-W48" in capsys.readouterr().out
    book = openpyxl.load_workbook(target)
    assert book.sheetnames == [
        "Households",
        "Check-ins, week 48",
        "Missed visits",
        "Red warnings",
        "Measures",
        "Proposals",
        "Eliminations",
        "Referred to the county",
        "Natural ends",
        "Household members",
    ]
    numbers = [row[2].value for row in book["Households"].iter_rows(min_row=2)]
    assert sorted(numbers) == sorted(r.number for r in seeded)
    done = [row[1].value for row in book["Check-ins, week 48"].iter_rows(min_row=2)]
    assert sorted(done) == sorted(r.number for r in seeded if r.done)
    assert not list(tmp_path.glob("*.partial"))

    # One township; bad input changes nothing and says why.
    assert main(["export", "-o", str(target), "--week", "2026-W48", "--township", "龙溪镇"]) == 0
    before = target.read_bytes()
    assert main(["export", "-o", str(target), "--township", "无此镇"]) == 2
    assert "无此镇" in capsys.readouterr().err
    assert main(["export", "-o", str(tmp_path / "ledger.csv")]) == 2
    assert "xlsx" in capsys.readouterr().err
    assert main(["export", "-o", str(tmp_path / "missing" / "x.xlsx")]) == 2
    with pytest.raises(SystemExit):
        main(["export", "-o", str(target), "--week", "48"])
    assert "ISO week" in capsys.readouterr().err
    assert target.read_bytes() == before
