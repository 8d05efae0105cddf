"""/history and /help on the neutral engine: events in, replies out, the real database."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from conversations.engine.replies import Reply, Say
from conversations.people.help import help_flow
from conversations.reports.history import history
from storage.repositories import People
from tests.conftest import import_examples
from tests.flows.conftest import Runner
from tests.small_town import at, green_checkin

HELPER, OTHER_HELPER, HEAD, STAFF = 501, 502, 503, 504


@pytest.fixture
def roster(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    import_examples(session_factory)
    with session_factory() as s, s.begin():
        people = People(s)
        for user_id, phone in (
            (HELPER, "+8613800138001"),  # 李建国: LX01001, 青山村
            (OTHER_HELPER, "+8613800138002"),  # 王秀英
            (HEAD, "+8613700137001"),  # 张卫东, 青山村
            (STAFF, "+8618700187001"),  # 杨振华, 龙溪镇
        ):
            person = people.by_phone(phone)
            assert person is not None
            people.link_account(person, user_id, now=at("2026-11-01T08:00"), actor="test")
    green_checkin(session_factory, "LX01001", at("2026-11-24T10:00"), food=False)
    return session_factory


def said(replies: list[Reply]) -> str:
    assert len(replies) == 1 and isinstance(replies[0], Say)
    return replies[0].text


async def test_history_for_those_who_may_see_it(run: Runner, roster: object) -> None:
    for user_id in (HELPER, HEAD, STAFF):
        text = said(await run.text(history, user_id, "/history LX01001"))
        assert text.splitlines()[0] == "LX01001 徐德明，青山村"
        assert "第48周（11月23日—29日） 🔴 红色预警" in text and "未确认" in text
    refused = said(await run.text(history, OTHER_HELPER, "/history LX01001"))
    assert "没有您可以查看的" in refused and "徐德明" not in refused
    assert "没有您可以查看的" in said(await run.text(history, STAFF, "/history NOPE"))
    assert "/history LX01001" in said(await run.text(history, HELPER, "/history"))
    assert "还未登记" in said(await run.text(history, 999, "/history LX01001"))


async def test_help_lists_the_commands_of_the_role(run: Runner, roster: object) -> None:
    helper = said(await run.text(help_flow, HELPER, "/help"))
    assert "李建国" in helper and "帮扶责任人" in helper
    assert "/checkin" in helper and "/cancel" in helper and "/eliminate" not in helper
    staff = said(await run.text(help_flow, STAFF, "/help"))
    assert "/eliminate" in staff and "/checkin — 走访所在帮扶小组的农户" in staff  # on a team
    stranger = said(await run.text(help_flow, None, "/help"))
    assert "还未登记" in stranger and "/start" in stranger and "/summary" not in stranger
