"""The DingTalk adapter connected to a stand-in over its Stream, with services of its own (no
outbox, no jobs): what the adapter-level tests share."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from bot.i18n import load_translations
from conversations.engine.services import Services
from conversations.registry import ROUTER
from platforms.dingtalk.adapter import TOPICS, DingTalkAdapter
from platforms.dingtalk.openapi import OpenApi
from platforms.dingtalk.stream import StreamConnection
from sandbox.dingtalk.server import DingTalkStandIn
from tests.dingtalk.credentials import CLIENT_ID, CLIENT_SECRET

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


@asynccontextmanager
async def connected_adapter(
    standin: DingTalkStandIn,
    session_factory: sessionmaker[Session],
    *,
    retries: tuple[float, ...] = (0.01, 0.02),
) -> AsyncIterator[DingTalkAdapter]:
    """The adapter, its Stream connection open to `standin`, until the block ends."""
    services = Services(
        session_factory=session_factory,
        translations=load_translations("zh_CN"),
        tz=ZoneInfo("Asia/Shanghai"),
        clock=lambda: NOW,
        router=ROUTER,
    )
    api = OpenApi(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        api_url=standin.url,
        oapi_url=standin.url,
        retries=retries,
    )
    adapter = DingTalkAdapter(services, api, "fangfanpin.buttons")
    stream = StreamConnection(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        api_url=standin.url,
        topics=TOPICS,
        on_callback=adapter.on_callback,
        backoff=(0.05,),
    )
    task = asyncio.create_task(stream.run())
    for _ in range(200):
        if standin.connected:
            break
        await asyncio.sleep(0.02)
    try:
        yield adapter
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await api.close()
        if services.export_pool is not None:
            services.export_pool.shutdown()
