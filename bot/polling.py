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

from bot.link import LinkState
from conversations.base import AppType

log = logging.getLogger(__name__)
DB_RETRY_FOR = 300.0  # seconds an update is retried while the database is unavailable


class Poller:
    def __init__(
        self, app: AppType, *, allowed_updates: Sequence[str], timeout: float = 10.0
    ) -> None:
        self.app = app
        self.allowed_updates = list(allowed_updates)
        self.timeout = timeout
        self.offset: int | None = None
        self.stopping = asyncio.Event()
        self.link = LinkState("polling", log)

    async def run(self) -> None:
        while not self.stopping.is_set():
            updates = await self._fetch_with_retries()
            if updates is None:  # stopping
                break
            for update in updates:
                # Never interrupted by stop(): a handler runs to its end.
                await self.app.process_update(update)
                if not await self._retry_if_needed(update):
                    break  # stopping: this update stays unconfirmed, handled after restart
                self.offset = update.update_id + 1
        await self._confirm()

    async def _fetch_with_retries(self) -> tuple[Update, ...] | None:
        """getUpdates; network errors and a competing poller (409) are retried with
        exponential backoff, for as long as it takes; a refused token is not."""
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type((NetworkError, Conflict)),
            wait=wait_exponential(multiplier=0.5, max=30) + wait_random(0, 0.5),
            sleep=self._sleep,
            before_sleep=self._failed,
            reraise=True,
        ):
            with attempt:
                updates = await self._fetch()
                self.link.ok()
                return updates
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

    async def _retry_if_needed(self, update: Update) -> bool:
        """Handle again an update that failed on a passing database fault (the error handler
        marks it), with backoff, for up to about 5 minutes; then tell the sender it was not
        saved. False when stopping meanwhile (the update is then left unconfirmed)."""
        data = self.app.bot_data
        delay = 1.0
        waited = 0.0
        while update.update_id in data.retry_updates:
            data.retry_updates.discard(update.update_id)
            if waited >= DB_RETRY_FOR:
                log.error("update %s: database still unavailable; giving up", update.update_id)
                await self._tell_not_saved(update)
                break
            await self._sleep(delay)
            if self.stopping.is_set():
                return False
            waited += delay
            delay = min(delay * 2, 30.0)
            await self.app.process_update(update)
        data.retry_told.discard(update.update_id)
        return True

    async def _tell_not_saved(self, update: Update) -> None:
        chat = update.effective_chat
        if chat is None or chat.type != "private":
            return
        t = self.app.bot_data.services.translations.get()
        with contextlib.suppress(TelegramError):
            await self.app.bot.send_message(
                chat.id,
                t._("Sorry, your last message could not be saved. Please send it again."),
            )

    def _failed(self, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        delay = state.next_action.sleep if state.next_action else 0
        if isinstance(error, Conflict):
            log.warning("another instance is polling this bot (409); retrying in %.1f s", delay)
        elif error is not None:
            self.link.failed(error)
            log.debug("getUpdates failed (%s); retrying in %.1f s", error, delay)
