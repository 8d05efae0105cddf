"""/summary for township staff, village heads, helpers and strangers."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from platforms.telegram.context import AppType
from sandbox.client import SandboxClient
from tests.driver import Chat, send_for
from tests.small_town import (
    HEAD,
    STAFF,
    TOWNSHIP_GROUP,
    VILLAGE_GROUP,
    A,
    at,
    green_checkin,
)


async def test_summary_for_each_role(
    bot: AppType, client: SandboxClient, town: sessionmaker[Session], chats: None
) -> None:
    bot.bot_data.services.clock = lambda: at("2026-12-02T10:00")
    # The staff member added the bot to both groups: those private notices come first.
    await Chat(client, STAFF).wait_last("您把我加入了群“龙溪镇群”")
    await Chat(client, STAFF, TOWNSHIP_GROUP).wait_last("请乡镇干部在本群发送 /bind")
    green_checkin(town, "H1", at("2026-12-01T10:00"))
    green_checkin(town, "H3", at("2026-11-30T10:00"), food=False)  # red since Monday
    # The warning's private copy to the staff first: arriving later (the outbox under load),
    # it would be read as an answer to /summary.
    await Chat(client, STAFF).wait_last("户编号 H3")

    staff, chart = await send_for(Chat(client, STAFF), "/summary", 2)
    assert chart["photo"] and "text" not in chart
    text = staff["text"]
    assert "龙溪镇 第49周（11月30日—12月6日）" in text
    # The running week: what is still due (not yet "not visited").
    assert "青山村：监测 3 户，已走访 2（67%），待走访 1，红色 1，黄色 0" in text
    assert "石桥村：监测 1 户，已走访 0（0%），待走访 1" in text
    assert "全镇合计：监测 4 户，已走访 2（50%），待走访 2" in text and "未走访" not in text
    assert "青山村 H3 赵长生：已 2 天，未确认，帮扶措施 0 项" in text

    in_group, _ = await send_for(Chat(client, STAFF, TOWNSHIP_GROUP), "/summary", 2)
    assert "H3 赵**" in in_group["text"] and "赵长生" not in in_group["text"]

    # Only in the bound group of one's own scope: not the village head's due list in the
    # township group, not the town's numbers in a village group.
    for user, group in ((HEAD, TOWNSHIP_GROUP), (STAFF, VILLAGE_GROUP)):
        refused = await Chat(client, user, group).send("/summary")
        assert "只在您本村或本镇绑定的工作群中回答" in refused["text"]
        assert "H3" not in refused["text"]

    head, _ = await send_for(Chat(client, HEAD), "/summary", 2)
    assert head["text"].startswith("青山村 第49周（11月30日—12月6日）")
    assert "石桥村" not in head["text"] and "全镇合计" not in head["text"]
    assert "甲：H2 李春花" in head["text"]

    earlier, _ = await send_for(Chat(client, STAFF), "/summary 2026-W48", 2)
    assert "第48周（11月23日—29日）" in earlier["text"] and "已走访 0（0%）" in earlier["text"]
    assert "YYYY-Www" in (await Chat(client, STAFF).send("/summary 48"))["text"]
    assert "您负责的农户" in (await Chat(client, A).send("/summary"))["text"]
    assert "仅供乡镇干部和村干部" in (await Chat(client, 9999).send("/summary"))["text"]
