"""Run the real Application inside an existing event loop (tests, benchmarks, sandbox page).

Does what `Application.run_polling()` does, in the same order, without owning the loop:
initialize, post_init, start polling, start; and on exit: stop polling, stop, post_stop,
shutdown, post_shutdown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from sqlalchemy import Engine

from bot.app import ALLOWED_UPDATES, build_application
from bot.settings import Settings
from conversations.base import AppType


@asynccontextmanager
async def running_bot(
    settings: Settings, *, engine: Engine | None = None, poll_timeout: float = 2.0
) -> AsyncIterator[AppType]:
    app = build_application(settings, engine=engine)
    await app.initialize()
    try:
        if app.post_init:
            await app.post_init(app)
        assert app.updater is not None
        await app.updater.start_polling(
            allowed_updates=ALLOWED_UPDATES,
            timeout=timedelta(seconds=poll_timeout),
            drop_pending_updates=False,
        )
        await app.start()
        try:
            yield app
        finally:
            if app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
            if app.post_stop:
                await app.post_stop(app)
    finally:
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)
