"""The policy file in the running bot: the year's lines decide a check-in, and a year
without a line is told to the township staff (at start-up and daily) and in /summary."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings, load_settings
from platforms.telegram.embedded import running_bot
from sandbox.client import SandboxClient
from storage.models import CheckIn, OutboxMessage
from tests.driver import Chat, answer_checkin, send_for
from tests.small_town import STAFF, A, at

GAP = "政策文件中没有 2026 年的监测线"


async def gaps(client: SandboxClient) -> list[dict[str, Any]]:
    """The notices (the /summary that says it too aside)."""
    return [m for m in await client.bot_messages(STAFF) if m.get("text", "").startswith("⚠️ " + GAP)]


async def sent(factory: sessionmaker[Session], kind: str) -> None:
    """Wait until every row of `kind` is sent."""
    for _ in range(100):
        with factory() as s:
            statuses = s.scalars(select(OutboxMessage.status).where(OutboxMessage.kind == kind))
            if all(status == "sent" for status in statuses):
                return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{kind} not sent")


async def people(client: SandboxClient) -> None:
    for user_id, name in ((A, "甲"), (STAFF, "杨镇长")):
        await client.user(user_id, name)


def with_policy(settings: Settings, path: Path | None) -> Settings:
    """The test's settings with another policy file (None: the shipped one)."""
    assert settings.telegram_token is not None
    return load_settings(
        telegram_token=settings.telegram_token.get_secret_value(),
        telegram_api_url=settings.telegram_api_url,
        database_url=settings.database_url,
        policy_file=str(path) if path else None,
        _env_file=None,
    )


async def test_a_year_without_a_line_is_told_once_a_day_and_in_the_summary(
    settings: Settings,
    db: Engine,
    client: SandboxClient,
    town: sessionmaker[Session],
) -> None:
    await people(client)
    shipped = with_policy(settings, None)  # 2020's lines only
    assert shipped.policy.choose(2026).lines.year == 2020
    tuesday = at("2026-11-24T09:00")
    async with running_bot(shipped, engine=db, poll_timeout=1.0, clock=lambda: tuesday):
        await sent(town, "policy_gap")
        [told] = await gaps(client)
        assert "暂按 2020 年的标准研判" in told["text"]
        # /summary says it too.
        summary, _ = await send_for(Chat(client, STAFF), "/summary", 2)
        assert GAP in summary["text"]
        # A check-in of 2026 is assessed with 2020's lines, and says which.
        helper = Chat(client, A)
        await helper.send("/checkin")
        await helper.press("H1")
        await answer_checkin(helper)
        assert "绿色正常" in (await helper.press("确认提交"))["text"]
    with town() as s:
        assert s.scalars(select(CheckIn.policy_year)).one() == 2020
    # Started again the same day: not told twice.
    async with running_bot(shipped, engine=db, poll_timeout=1.0, clock=lambda: tuesday):
        await sent(town, "policy_gap")
    assert len(await gaps(client)) == 1


async def test_the_years_line_from_the_policy_file_decides_the_check_in(
    settings: Settings,
    db: Engine,
    client: SandboxClient,
    town: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    await people(client)
    policy = tmp_path / "policy.toml"
    policy.write_text(
        "[lines.2020]\nred_line = 4800\nwatch_line = 6000\n"
        "[lines.2026]\nred_line = 6000\nwatch_line = 7500\n",
        encoding="utf-8",
    )
    own = with_policy(settings, policy)
    async with running_bot(own, engine=db, poll_timeout=1.0, clock=lambda: at("2026-11-24T09:00")):
        helper = Chat(client, A)
        await helper.send("/checkin")
        await helper.press("H1")  # 7,000 a head last year, income unchanged
        await answer_checkin(helper)
        result = await helper.press("确认提交")
        assert "黄色关注" in result["text"], result["text"]
    with town() as s:
        level, year = s.execute(select(CheckIn.level, CheckIn.policy_year)).one()
    assert (level, year) == ("watch", 2026)  # by 2020's lines it would be green
    assert await gaps(client) == []
