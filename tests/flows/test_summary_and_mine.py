"""/summary and /mine on the neutral engine, in process, against the real database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from conversations.engine.events import ChatKind
from conversations.engine.replies import Photo, Say
from conversations.engine.services import Services
from conversations.reports.mine import mine
from conversations.reports.summary import summary
from tests.flows.conftest import Runner
from tests.small_town import HEAD, STAFF, TOWNSHIP_GROUP, VILLAGE_GROUP, A, at, green_checkin

WEDNESDAY = at("2026-12-02T10:00")  # week 2026-W49


def clock(services: Services, when: datetime) -> None:
    services.clock = lambda: when


async def test_summary_by_role_and_place(
    run: Runner, services: Services, town: sessionmaker[Session]
) -> None:
    clock(services, WEDNESDAY)
    green_checkin(town, "H1", at("2026-12-01T10:00"))
    green_checkin(town, "H3", at("2026-11-30T10:00"), food=False)  # red since Monday
    green_checkin(town, "H4", at("2026-12-02T08:00"), food=False)  # red since today

    text, chart = await run.text(summary, STAFF, "/summary")
    assert isinstance(text, Say) and isinstance(chart, Photo)
    assert chart.png.startswith(b"\x89PNG") and chart.filename == "summary-2026-W49.png"
    assert "龙溪镇 第49周（11月30日—12月6日）" in text.text and "H3 赵长生" in text.text
    assert "H3 赵长生：已 2 天" in text.text and "H4 刘桂芳：今天发出" in text.text

    in_group, _ = await run.text(
        summary, STAFF, "/summary", chat_id=TOWNSHIP_GROUP, kind=ChatKind.GROUP
    )
    assert isinstance(in_group, Say) and "H3 赵**" in in_group.text
    assert "赵长生" not in in_group.text

    for user, group in ((HEAD, TOWNSHIP_GROUP), (STAFF, VILLAGE_GROUP)):
        [refused] = await run.text(summary, user, "/summary", chat_id=group, kind=ChatKind.GROUP)
        assert isinstance(refused, Say) and "只在您本村或本镇绑定的工作群中回答" in refused.text

    head, _ = await run.text(summary, HEAD, "/summary")
    assert isinstance(head, Say) and head.text.startswith("青山村 第49周（11月30日—12月6日）")
    assert "甲：H2 李春花" in head.text

    trend_text, trend_chart = await run.text(summary, STAFF, "/summary trend")
    assert isinstance(trend_text, Say) and "最近 8 周" in trend_text.text
    assert isinstance(trend_chart, Photo) and trend_chart.filename == "trend-2026-W49.png"

    [bad] = await run.text(summary, STAFF, "/summary 49")
    assert isinstance(bad, Say) and "YYYY-Www" in bad.text
    [later] = await run.text(summary, STAFF, "/summary 2027-W05")
    assert isinstance(later, Say) and "尚未开始" in later.text
    [helper] = await run.text(summary, A, "/summary")  # a helper gets /mine
    assert isinstance(helper, Say) and "您负责的农户" in helper.text
    [nobody] = await run.text(summary, 9999, "/summary")
    assert isinstance(nobody, Say) and "仅供乡镇干部和村干部" in nobody.text


async def test_mine_lists_the_week(
    run: Runner, services: Services, town: sessionmaker[Session]
) -> None:
    clock(services, WEDNESDAY)
    green_checkin(town, "H1", at("2026-12-01T10:00"))
    [reply] = await run.text(mine, A, "/mine")
    assert isinstance(reply, Say)
    lines = reply.text.splitlines()
    assert "第49周（11月30日—12月6日）" in lines[0] and "共 2 户" in lines[0]
    # still due first
    assert lines[1].startswith("⏳ H2 李春花") and lines[2].startswith("✅ H1 王大山")
    [none] = await run.text(mine, STAFF, "/mine")
    assert isinstance(none, Say) and "没有分配给您的防止返贫致贫对象" in none.text
