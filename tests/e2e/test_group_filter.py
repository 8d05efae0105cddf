"""The last line of defence: a value shaped like an ID or mobile number that got into the
database before the roster's rule (here written there directly) reaches a group masked, and
the bot logs a warning without the value. (The sandbox fixture's privacy check holds over
every call to a group as well.)"""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from platforms.telegram.context import AppType
from sandbox.client import SandboxClient
from storage.models import Household, Village
from tests.conftest import import_examples
from tests.driver import register
from tests.e2e.test_alerts import (
    HEAD,
    HELPER,
    STAFF,
    TOWNSHIP_GROUP,
    TUESDAY,
    VILLAGE_GROUP,
    bind,
    checkin,
)

OLD_NUMBER = "500118198507029464"  # an ID number, as /propose once took it for 户编号
OLD_VILLAGE = "青山村 电话13700137000"


async def test_an_id_shaped_household_number_reaches_the_groups_masked_and_is_logged(
    bot: AppType,
    client: SandboxClient,
    session_factory: sessionmaker[Session],
    caplog: pytest.LogCaptureFixture,
) -> None:
    import_examples(session_factory)
    bot.bot_data.services.clock = lambda: TUESDAY
    helper = await register(client, *HELPER)
    await register(client, *HEAD)
    await register(client, *STAFF)
    await bind(client, VILLAGE_GROUP, "青山村防返贫群", "青山村")
    await bind(client, TOWNSHIP_GROUP, "龙溪镇防返贫工作群", "乡镇工作群")
    with session_factory() as s, s.begin():
        household = s.scalars(select(Household).where(Household.number == "LX01001")).one()
        household.number = OLD_NUMBER
        village = s.get(Village, household.village_id)
        assert village is not None
        village.name = OLD_VILLAGE

    caplog.set_level(logging.WARNING, logger="conversations.engine.group_filter")
    seq = await client.last_seq()
    await checkin(helper, OLD_NUMBER, food=False)
    for group in (VILLAGE_GROUP, TOWNSHIP_GROUP):
        [alert] = await client.wait_bot_messages(group, after=seq)
        text = alert["text"]
        assert "🔴 红色预警" in text and "500***********9464" in text, text
        assert "青山村 电话137****7000" in text
        assert OLD_NUMBER not in text and "13700137000" not in text
    warnings = [r for r in caplog.records if r.name == "conversations.engine.group_filter"]
    assert len(warnings) >= 2 and all(r.levelno == logging.WARNING for r in warnings)
    assert OLD_NUMBER not in caplog.text and "13700137000" not in caplog.text
    assert f"group {VILLAGE_GROUP}" in caplog.text
