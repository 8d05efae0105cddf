"""`fangfanpin run` with FANGFANPIN_PLATFORM=dingtalk: the same database, flows, scheduler
and outbox as on Telegram, with DingTalk's Stream connection for what people send and its
OpenAPI for what the bot sends."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from bot.core import build_services, close_services, running_core
from bot.outbox import OutboxDrain
from bot.settings import Settings
from conversations.engine.services import Services
from platforms.dingtalk.adapter import TOPICS, DingTalkAdapter
from platforms.dingtalk.api import open_api
from platforms.dingtalk.settings import DingTalkSettings
from platforms.dingtalk.stream import StreamConnection, StreamRefused
from platforms.dingtalk.transport import DingTalkTransport
from platforms.dingtalk.usage import UsageMeter

log = logging.getLogger(__name__)


@dataclass
class Running:
    services: Services
    adapter: DingTalkAdapter
    outbox: OutboxDrain
    stream: asyncio.Task[None]
    usage: UsageMeter


@asynccontextmanager
async def running_dingtalk(
    settings: Settings,
    own: DingTalkSettings,
    engine: Engine,
    *,
    clock: Callable[[], datetime] | None = None,
    backoff: tuple[float, ...] | None = None,
) -> AsyncIterator[Running]:
    """The DingTalk bot running until the block ends."""
    assert own.client_id and own.client_secret and own.card_template
    services = build_services(settings, engine, clock)
    api = open_api(own)
    adapter = DingTalkAdapter(services, api, own.card_template)
    stream = StreamConnection(
        client_id=own.client_id,
        client_secret=own.client_secret.get_secret_value(),
        api_url=own.api_url,
        topics=TOPICS,
        on_callback=adapter.on_callback,
        **({"backoff": backoff} if backoff else {}),
    )
    usage = UsageMeter(api, services.tx, services.now, services.tz)
    try:
        transport = DingTalkTransport(api, own.card_template)
        async with running_core(settings, services, transport) as core:
            usage.start()
            task = asyncio.create_task(stream.run(), name="dingtalk-stream")
            try:
                yield Running(services, adapter, core.outbox, task, usage)
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, StreamRefused):
                    await task
    finally:
        await usage.stop()
        await api.close()
        close_services(services)


async def serve_dingtalk(settings: Settings, own: DingTalkSettings, engine: Engine) -> int:
    """Run until SIGTERM or SIGINT (0), or until DingTalk refuses the credentials (1)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with running_dingtalk(settings, own, engine) as running:
        log.info("DingTalk bot running; send SIGTERM or press Ctrl+C to stop")
        waiter = asyncio.ensure_future(stop.wait())
        await asyncio.wait({waiter, running.stream}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if running.stream.done() and running.stream.exception() is not None:
            log.error("%s", running.stream.exception())
            return 1
    log.info("DingTalk bot stopped")
    return 0
