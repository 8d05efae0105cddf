"""Long polling that confirms an update to Telegram only after it has been handled.

python-telegram-bot's Updater confirms a batch (the next getUpdates `offset`) right after
queueing it, before the handlers run: a crash then loses what helpers just sent. Here an
update is counted in the offset only once it and every update before it are handled. After
a crash the unconfirmed updates come again; handlers that change data record the update id
in the same transaction (`handled_updates`), so a redelivered update is never applied twice.

Updates of different people are handled at the same time (up to CONCURRENCY): a handler
spends most of its time waiting for the database or Telegram, and one helper's answer need
not wait for another's. Updates of one chat, and of one person, are still handled one at a
time and in order: each waits for the previous update that shares its chat or its sender.

With worker processes (FANGFANPIN_WORKERS above 1: `platforms/telegram/workers.py`) this
process only polls: it fetches the updates as JSON, unparsed, and hands each to the worker of
its chat; the order, the offset and what is confirmed are kept here as above.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from collections.abc import Sequence
from typing import Any

from telegram import Update
from telegram.error import Conflict, NetworkError, TelegramError
from telegram.warnings import PTBUserWarning
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    wait_exponential,
    wait_random,
)

from bot.link import LinkState
from platforms.telegram.context import AppType
from platforms.telegram.handling import handle, pause
from platforms.telegram.workers import RawUpdate, Workers

log = logging.getLogger(__name__)
CONCURRENCY = 16  # updates handled at the same time (of different chats and senders)
# The polling process of workers asks for getUpdates' JSON as it is (`do_api_request`), which
# python-telegram-bot answers with a hint to use `get_updates` (that parses every update).
warnings.filterwarnings("ignore", "Please use 'Bot.getUpdates'", PTBUserWarning)
REPOLL_AFTER = 0.5  # seconds: the longest a slow handler holds up fetching others' updates


def _keys(update: Update | RawUpdate) -> set[str]:
    """What an update must be ordered behind: its chat and its sender."""
    if isinstance(update, RawUpdate):
        return set(update.keys)
    keys = set()
    if update.effective_chat is not None:
        keys.add(f"chat:{update.effective_chat.id}")
    if update.effective_user is not None:
        keys.add(f"user:{update.effective_user.id}")
    return keys or {"none"}


class Poller:
    def __init__(
        self,
        app: AppType,
        *,
        allowed_updates: Sequence[str],
        timeout: float = 10.0,
        concurrency: int = CONCURRENCY,
        workers: Workers | None = None,
    ) -> None:
        self.app = app
        self.workers = workers  # None: updates are handled in this process
        self.allowed_updates = list(allowed_updates)
        self.timeout = timeout
        self.offset: int | None = None
        self.stopping = asyncio.Event()
        self.link = LinkState("polling", log)
        # With workers, CONCURRENCY times as many at once in all (as many per worker on
        # average: one chat's updates all go to one worker).
        self.slots = asyncio.Semaphore(concurrency * (workers.count if workers else 1))
        self.in_flight: dict[int, asyncio.Task[bool]] = {}  # update id -> its handling
        self.unhandled: set[int] = set()  # left unhandled by a stop: never confirmed
        self.last_of: dict[str, asyncio.Task[bool]] = {}  # chat/sender -> its newest update
        self.fetched: int | None = None  # the newest update id taken in hand
        self.failure: BaseException | None = None

    async def run(self) -> None:
        try:
            while not self.stopping.is_set():
                updates = await self._fetch_with_retries()
                if updates is None:  # stopping
                    break
                new = [u for u in updates if self.fetched is None or u.update_id > self.fetched]
                for update in new:
                    await self.slots.acquire()
                    if self.stopping.is_set():
                        self.slots.release()
                        break
                    self.fetched = update.update_id
                    self._start(update)
                if self.in_flight:
                    # Poll again when one is done (that poll confirms it), or after a moment
                    # if all take long (an export): others' updates are not kept waiting.
                    # Polling at once would only fetch the unconfirmed ones in hand again.
                    await asyncio.wait(
                        list(self.in_flight.values()),
                        timeout=REPOLL_AFTER,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
        finally:
            # Never interrupted by stop(): a handler runs to its end.
            while self.in_flight:
                await asyncio.wait(list(self.in_flight.values()))
            await self._confirm()
        if self.failure is not None:
            raise self.failure

    def _start(self, update: Update | RawUpdate) -> None:
        keys = _keys(update)
        before = {self.last_of[k] for k in keys if k in self.last_of}
        task = asyncio.create_task(self._handle(update, before), name=f"update-{update.update_id}")
        self.in_flight[update.update_id] = task
        for key in keys:
            self.last_of[key] = task
        task.add_done_callback(lambda done: self._finished(update.update_id, keys, done))

    async def _handle(self, update: Update | RawUpdate, before: set[asyncio.Task[bool]]) -> bool:
        """Handle `update` after the updates it is ordered behind; True when it may be
        confirmed (False when stopping left it, or one before it, unhandled)."""
        try:
            earlier = await asyncio.gather(*before, return_exceptions=True)
            if not all(result is True for result in earlier):
                return False  # an earlier update of this chat stays unhandled: so does this
            if isinstance(update, RawUpdate):
                assert self.workers is not None
                return await self.workers.handle(update)
            return await handle(self.app, update, self.stopping)
        finally:
            self.slots.release()

    def _finished(self, update_id: int, keys: set[str], task: asyncio.Task[bool]) -> None:
        for key in keys:
            if self.last_of.get(key) is task:
                del self.last_of[key]
        del self.in_flight[update_id]
        if task.cancelled() or task.exception() is not None or not task.result():
            if not task.cancelled() and task.exception() is not None and self.failure is None:
                self.failure = task.exception()
                self.stop()  # as before: a failure outside the handlers ends polling
            self.unhandled.add(update_id)
        # Confirm up to (not including) the oldest update not handled yet.
        waiting = set(self.in_flight) | self.unhandled
        assert self.fetched is not None
        confirm_to = min(waiting) if waiting else self.fetched + 1
        if self.offset is None or confirm_to > self.offset:
            self.offset = confirm_to

    async def _fetch_with_retries(self) -> Sequence[Update | RawUpdate] | None:
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
        await pause(self.stopping, seconds)

    async def _fetch(self) -> Sequence[Update | RawUpdate] | None:
        fetch: asyncio.Future[Sequence[Update | RawUpdate]] = asyncio.ensure_future(
            self._get_updates()
        )
        stop = asyncio.ensure_future(self.stopping.wait())
        waiting: set[asyncio.Future[Any]] = {fetch, stop}
        done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        if fetch in done:
            stop.cancel()
            return fetch.result()
        fetch.cancel()
        with contextlib.suppress(asyncio.CancelledError, TelegramError):
            await fetch
        return None

    async def _get_updates(self) -> Sequence[Update | RawUpdate]:
        if self.workers is None:
            return await self.app.bot.get_updates(
                offset=self.offset,
                timeout=int(self.timeout),
                allowed_updates=self.allowed_updates,
                read_timeout=self.timeout + 10,
            )
        # Parsed by the worker that handles it, not here (this process only passes it on).
        found = await self.app.bot.do_api_request(
            "getUpdates",
            api_kwargs={
                "offset": self.offset,
                "timeout": int(self.timeout),
                "allowed_updates": self.allowed_updates,
            },
            read_timeout=self.timeout + 10,
        )
        return [RawUpdate.of(data) for data in found or ()]

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

    def fail(self, error: BaseException) -> None:
        """Stop polling with `error` (a worker process has ended)."""
        if self.failure is None:
            self.failure = error
        self.stop()

    def stop(self) -> None:
        self.stopping.set()
        if self.workers is not None:
            self.workers.stopping()  # their database retries give up (left unconfirmed)

    def _failed(self, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        delay = state.next_action.sleep if state.next_action else 0
        if isinstance(error, Conflict):
            log.warning("another instance is polling this bot (409); retrying in %.1f s", delay)
        elif error is not None:
            self.link.failed(error)
            log.debug("getUpdates failed (%s); retrying in %.1f s", error, delay)
