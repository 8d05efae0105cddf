"""Run the real Application: in an existing event loop (tests, benchmarks, the sandbox page)
or as the `run` command. One code path for both.

Does what `Application.run_polling()` does, in the same order, but polls with `Poller`
(updates confirmed only after they are handled): initialize, post_init, start, poll; and on
exit: stop polling (a running handler finishes), stop, post_stop, shutdown, post_shutdown.

Telegram not reachable at the start (no network, its name not resolved, the connection
refused or blocked) is waited out: the first call (getMe) is tried again with backoff, one
log line per attempt (`bot/retry.py`), until it answers or the process is told to stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy import Engine
from telegram.error import InvalidToken, NetworkError

from bot.retry import BACKOFF, until_reached
from bot.settings import Settings, as_environment
from platforms.telegram.app import ALLOWED_UPDATES, build_application
from platforms.telegram.context import AppType
from platforms.telegram.polling import Poller
from platforms.telegram.workers import Workers

log = logging.getLogger(__name__)


class StoppedBeforeStart(Exception):
    """Told to stop while Telegram could not be reached yet."""


async def reach_telegram(
    app: AppType, api_url: str, stop: asyncio.Event, backoff: Sequence[float]
) -> None:
    """The bot's first call (getMe, in `Bot.initialize`), until Telegram answers; a refused
    token is raised at once. StoppedBeforeStart when `stop` is set first."""

    async def attempt() -> bool:
        await app.bot.initialize()
        return True

    try:
        reached = await until_reached(
            attempt,
            retry_on=(NetworkError,),  # TimedOut and 5xx answers too
            stop=stop,
            log=log,
            what=f"Telegram ({api_url})",
            backoff=backoff,
        )
    except BaseException:
        await app.bot.shutdown()  # the HTTP sessions its first attempt opened
        raise
    if reached is None:
        await app.bot.shutdown()
        raise StoppedBeforeStart


@asynccontextmanager
async def running_bot(
    settings: Settings,
    *,
    engine: Engine | None = None,
    poll_timeout: float = 10.0,
    clock: Callable[[], datetime] | None = None,
    stop: asyncio.Event | None = None,
    backoff: Sequence[float] = BACKOFF,
) -> AsyncIterator[tuple[AppType, asyncio.Task[None]]]:
    """The bot running until the block ends. `stop`: set it to give up waiting for
    Telegram at the start (StoppedBeforeStart)."""
    if settings.workers > 1 and clock is not None:
        raise ValueError("worker processes keep the real clock: run with FANGFANPIN_WORKERS=1")
    app = build_application(settings, engine=engine, clock=clock)
    await reach_telegram(app, settings.telegram_api_url, stop or asyncio.Event(), backoff)
    async with started(app):
        workers: Workers | None = None
        if settings.workers > 1:
            workers = Workers(
                settings.workers,
                as_environment(settings, os.environ),
                on_wake=lambda: app.bot_data.services.wake_outbox(),
            )
        poller = Poller(app, allowed_updates=ALLOWED_UPDATES, timeout=poll_timeout, workers=workers)
        if workers is not None:
            workers.on_death = poller.fail
            try:
                await workers.start()
            except BaseException:
                await workers.close()
                raise
        task = asyncio.create_task(poller.run(), name="poller")
        try:
            yield app, task
        finally:
            poller.stop()
            with contextlib.suppress(Exception):
                await task
            if workers is not None:
                await workers.close()


@asynccontextmanager
async def started(app: AppType) -> AsyncIterator[AppType]:
    """The Application started, in `Application.run_polling()`'s order (initialize,
    post_init, start), and on exit stopped (stop, post_stop, shutdown, post_shutdown)."""
    await app.initialize()
    try:
        if app.post_init:
            await app.post_init(app)
        await app.start()
        try:
            yield app
        finally:
            if app.running:
                await app.stop()
            if app.post_stop:
                await app.post_stop(app)
    finally:
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)


async def serve(settings: Settings, *, engine: Engine | None = None) -> int:
    """Run until SIGTERM or SIGINT (exit code 0) or until polling fails for good (1)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with running_bot(settings, engine=engine, stop=stop) as (_app, poller):
            log.info("bot running; send SIGTERM or press Ctrl+C to stop")
            waiter = asyncio.ensure_future(stop.wait())
            await asyncio.wait({waiter, poller}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            if poller.done() and poller.exception() is not None:
                log.error("polling stopped: %s", poller.exception())
                return 1
    except StoppedBeforeStart:
        log.info("bot stopped before Telegram could be reached")
        return 0
    except InvalidToken:
        log.error(
            "Telegram refused the bot token: check FANGFANPIN_TELEGRAM_TOKEN (from @BotFather)"
        )
        return 1
    log.info("bot stopped")
    return 0
