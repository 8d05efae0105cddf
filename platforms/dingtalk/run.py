"""`fangfanpin run` with FANGFANPIN_PLATFORM=dingtalk: the same database, flows, scheduler
and outbox as on Telegram, with DingTalk's Stream connection for what people send and its
OpenAPI for what the bot sends."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from bot.i18n import load_translations
from bot.schedule import start_jobs
from bot.settings import Settings
from conversations.engine.services import Services
from conversations.registry import ROUTER
from platforms.dingtalk.adapter import TOPICS, DingTalkAdapter
from platforms.dingtalk.openapi import OpenApi
from platforms.dingtalk.outbox import DingTalkOutbox
from platforms.dingtalk.stream import StreamConnection, StreamRefused
from platforms.dingtalk.usage import UsageMeter
from storage.db import make_session_factory

log = logging.getLogger(__name__)


@dataclass
class Running:
    services: Services
    adapter: DingTalkAdapter
    outbox: DingTalkOutbox
    stream: asyncio.Task[None]
    usage: UsageMeter


@asynccontextmanager
async def running_dingtalk(
    settings: Settings,
    engine: Engine,
    *,
    clock: Callable[[], datetime] | None = None,
    backoff: tuple[float, ...] | None = None,
) -> AsyncIterator[Running]:
    """The DingTalk bot running until the block ends."""
    assert settings.dingtalk_client_id and settings.dingtalk_client_secret
    assert settings.dingtalk_card_template
    secret = settings.dingtalk_client_secret.get_secret_value()
    translations = load_translations(settings.locale)
    executor = ThreadPoolExecutor(
        max_workers=1 if engine.dialect.name == "sqlite" else 8, thread_name_prefix="db"
    )
    services = Services(
        executor=executor,
        session_factory=make_session_factory(engine),
        translations=translations,
        tz=settings.tz,
        close_after_green=settings.alert_close_after_green,
        policy=settings.policy,
        router=ROUTER,
    )
    if clock is not None:
        services.clock = clock
    api = OpenApi(
        client_id=settings.dingtalk_client_id,
        client_secret=secret,
        api_url=settings.dingtalk_api_url,
        oapi_url=settings.dingtalk_oapi_url,
    )
    adapter = DingTalkAdapter(services, api, settings.dingtalk_card_template)
    outbox = DingTalkOutbox(
        api,
        services.tx,
        translations,
        services.tz,
        card_template=settings.dingtalk_card_template,
        notice_days=services.policy.notice_days,
        now=lambda: services.now(),
    )
    services.wake_outbox = outbox.wake
    stream = StreamConnection(
        client_id=settings.dingtalk_client_id,
        client_secret=secret,
        api_url=settings.dingtalk_api_url,
        topics=TOPICS,
        on_callback=adapter.on_callback,
        **({"backoff": backoff} if backoff else {}),
    )
    usage = UsageMeter(api, services.tx, services.now, services.tz)
    outbox.start()
    jobs = await start_jobs(settings, services, outbox.wake)
    usage.start()
    task = asyncio.create_task(stream.run(), name="dingtalk-stream")
    try:
        yield Running(services, adapter, outbox, task, usage)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, StreamRefused):
            await task
        await jobs.stop()
        await outbox.stop()
        await usage.stop()
        await api.close()
        if services.export_pool is not None:
            services.export_pool.shutdown(wait=False, cancel_futures=True)
        executor.shutdown(wait=True)


async def serve_dingtalk(settings: Settings, engine: Engine) -> int:
    """Run until SIGTERM or SIGINT (0), or until DingTalk refuses the credentials (1)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with running_dingtalk(settings, engine) as running:
        log.info("DingTalk bot running; send SIGTERM or press Ctrl+C to stop")
        waiter = asyncio.ensure_future(stop.wait())
        await asyncio.wait({waiter, running.stream}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if running.stream.done() and running.stream.exception() is not None:
            log.error("%s", running.stream.exception())
            return 1
    log.info("DingTalk bot stopped")
    return 0
