"""Run the real Application: in an existing event loop (tests, benchmarks, the sandbox page)
or as the `run` command. One code path for both.

Does what `Application.run_polling()` does, in the same order, but polls with `Poller`
(updates confirmed only after they are handled): initialize, post_init, start, poll; and on
exit: stop polling (a running handler finishes), stop, post_stop, shutdown, post_shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy import Engine

from bot.settings import Settings
from platforms.telegram.app import ALLOWED_UPDATES, build_application
from platforms.telegram.context import AppType
from platforms.telegram.polling import Poller

log = logging.getLogger(__name__)


@asynccontextmanager
async def running_bot(
    settings: Settings,
    *,
    engine: Engine | None = None,
    poll_timeout: float = 10.0,
    clock: Callable[[], datetime] | None = None,
) -> AsyncIterator[tuple[AppType, asyncio.Task[None]]]:
    app = build_application(settings, engine=engine, clock=clock)
    await app.initialize()
    try:
        if app.post_init:
            await app.post_init(app)
        await app.start()
        poller = Poller(app, allowed_updates=ALLOWED_UPDATES, timeout=poll_timeout)
        task = asyncio.create_task(poller.run(), name="poller")
        try:
            yield app, task
        finally:
            poller.stop()
            with contextlib.suppress(Exception):
                await task
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
    async with running_bot(settings, engine=engine) as (_app, poller):
        log.info("bot running; send SIGTERM or press Ctrl+C to stop")
        waiter = asyncio.ensure_future(stop.wait())
        await asyncio.wait({waiter, poller}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if poller.done() and poller.exception() is not None:
            log.error("polling stopped: %s", poller.exception())
            return 1
    log.info("bot stopped")
    return 0
