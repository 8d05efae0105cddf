"""Lists longer than a screen: /mine and the check-in's household list come a page at a time
(8 lines), those still due first, with ◀ / ▶ buttons that turn the page in place."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from conversations.checkin.start import checkin, picker_page_pressed
from conversations.engine.replies import Edit, Say, Toast
from conversations.engine.services import Services
from conversations.reports.mine import mine, mine_page_pressed
from storage.repositories import People
from storage.roster import import_roster
from tests.flows.conftest import Runner
from tests.small_town import at, green_checkin

HELPER = 701


def head(n: int) -> str:
    return f"户主{chr(0x4E00 + n)}"


@pytest.fixture
def eleven(session_factory: sessionmaker[Session], tmp_path: Path) -> sessionmaker[Session]:
    """One helper with eleven households."""
    rows = "\n".join(
        f"龙溪镇,青山村,Q{n:02d},{head(n)},,3,脱贫不稳定户,7000,甲,13800000001"
        for n in range(1, 12)
    )
    households = tmp_path / "households.csv"
    households.write_text(
        "乡镇,村,户编号,户主姓名,身份证号,家庭人口,监测类型,上年人均纯收入,帮扶责任人,帮扶责任人电话\n"
        + rows
        + "\n",
        encoding="utf-8",
    )
    now = at("2026-11-01T08:00")
    with session_factory() as s, s.begin():
        import_roster(s, [households], now=now, actor="test")
        person = People(s).by_phone("+8613800000001")
        assert person is not None
        People(s).link_account(person, HELPER, now=now, actor="test")
    return session_factory


async def test_mine_comes_a_page_at_a_time_due_first(
    run: Runner, services: Services, eleven: sessionmaker[Session]
) -> None:
    services.clock = lambda: at("2026-11-25T10:00")
    green_checkin(eleven, "Q01", at("2026-11-24T10:00"))  # done this week: listed last
    [first] = await run.text(mine, HELPER, "/mine")
    assert (
        isinstance(first, Say)
        and "还有 10 户未走访" in first.text
        and "（第 1/2 页）" in first.text
    )
    lines = first.text.splitlines()
    assert len(lines) <= 10 and lines[1].startswith("⏳ Q02") and "Q01" not in first.text
    assert [b.label for b in first.keyboard[0]] == ["下一页 ▶"]
    [toast, second] = await run.event(
        mine_page_pressed, HELPER, HELPER, button=first.keyboard[0][0].data, message_text="…"
    )
    assert isinstance(toast, Toast) and isinstance(second, Edit)
    assert "（第 2/2 页）" in second.text and "✅ Q01" in second.text
    assert [b.label for b in second.keyboard[0]] == ["◀ 上一页"]
    # a forged page number shows the last page, never an error
    [_, last] = await run.event(mine_page_pressed, HELPER, HELPER, button="mn:p:99")
    assert isinstance(last, Edit) and "（第 2/2 页）" in last.text


async def test_the_household_list_of_a_check_in_is_paged_too(
    run: Runner, services: Services, eleven: sessionmaker[Session]
) -> None:
    services.clock = lambda: at("2026-11-25T10:00")
    [listing] = await run.text(checkin, HELPER, "/checkin")
    assert isinstance(listing, Say) and "（第 1/2 页）" in listing.text
    households = [row[0].label for row in listing.keyboard[:-1]]
    assert len(households) == 8 and households[0] == f"⏳ Q01 {head(1)}"
    pager = listing.keyboard[-1]
    assert [b.label for b in pager] == ["下一页 ▶"]
    [_, second] = await run.event(
        picker_page_pressed, HELPER, HELPER, button=pager[0].data, message_text=listing.text
    )
    assert isinstance(second, Edit)
    assert [row[0].label for row in second.keyboard[:-1]] == [
        f"⏳ Q{n:02d} {head(n)}" for n in (9, 10, 11)
    ]
