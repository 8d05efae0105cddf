"""Long polling that confirms an update to Telegram only after it has been handled.

python-telegram-bot's Updater confirms a batch (the next getUpdates `offset`) right after
queueing it, before the handlers run: a crash then loses what helpers just sent. Here each
update is processed, one at a time, and only then counted in the offset. After a crash the
unconfirmed updates come again; handlers that change data record the update id in the same
transaction (`handled_updates`), so a redelivered update is never applied twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from telegram import Update
from telegram.error import Conflict, NetworkError, TelegramError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    wait_exponential,
    wait_random,
)

from conversations.base import AppType

log = logging.getLogger(__name__)


class Poller:
    def __init__(
        self, app: AppType, *, allowed_updates: Sequence[str], timeout: float = 10.0
    ) -> None:
        self.app = app
        self.allowed_updates = list(allowed_updates)
        self.timeout = timeout
        self.offset: int | None = None
        self.stopping = asyncio.Event()
        self._backoff = wait_exponential(multiplier=0.5, max=30) + wait_random(0, 0.5)

    async def run(self) -> None:
        while not self.stopping.is_set():
            updates = await self._fetch_with_retries()
            if updates is None:  # stopping
                break
            for update in updates:
                # Never interrupted by stop(): a handler runs to its end.
                await self.app.process_update(update)
                self.offset = update.update_id + 1
        await self._confirm()

    async def _fetch_with_retries(self) -> tuple[Update, ...] | None:
        """getUpdates; network errors and a competing poller (409) are retried with
        exponential backoff, for as long as it takes; a refused token is not."""
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type((NetworkError, Conflict)),
            wait=wait_exponential(multiplier=0.5, max=30) + wait_random(0, 0.5),
            sleep=self._sleep,
            before_sleep=_log_retry,
            reraise=True,
        ):
            with attempt:
                return await self._fetch()
        return None  # pragma: no cover - AsyncRetrying either returns or raises

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), seconds)

    async def _fetch(self) -> tuple[Update, ...] | None:
        fetch = asyncio.ensure_future(
            self.app.bot.get_updates(
                offset=self.offset,
                timeout=int(self.timeout),
                allowed_updates=self.allowed_updates,
                read_timeout=self.timeout + 10,
            )
        )
        stop = asyncio.ensure_future(self.stopping.wait())
        done, _ = await asyncio.wait({fetch, stop}, return_when=asyncio.FIRST_COMPLETED)
        if fetch in done:
            stop.cancel()
            return fetch.result()
        fetch.cancel()
        with contextlib.suppress(asyncio.CancelledError, TelegramError):
            await fetch
        return None

    async def _confirm(self) -> None:
        """Tell Telegram what was handled, so a clean restart does not see it again."""
        if self.offset is None:
            return
        try:
            await self.app.bot.get_updates(
                offset=self.offset, timeout=0, limit=1, allowed_updates=self.allowed_updates
            )
        except TelegramError as exc:
            log.warning("could not confirm handled updates at shutdown: %s", exc)

    def stop(self) -> None:
        self.stopping.set()


def _log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    delay = state.next_action.sleep if state.next_action else 0
    log.warning("getUpdates failed (%s); retrying in %.1f s", error, delay)
