"""Delivering the outbox: red warnings, escalations and all-clears to groups; notices to staff.

Every push is an outbox row written in the transaction that caused it. The worker claims a
row (committed) before calling Telegram and marks it sent, with Telegram's message id, only
when Telegram returned the message. Network errors and 5xx are retried with backoff, 429
waits for the given retry_after, a group upgraded to a supergroup keeps its binding. A chat
the bot can not write in (403, or a 400 saying so) and any other permanent refusal are never
silent: `conversations/undelivered.py`.

Exactly once, and its limit: the unique key of a row means the same alert is never queued
twice for one chat, and a claimed row is not taken by another worker, so in normal operation
nothing is posted twice. If the process dies after Telegram accepted a message but before
"sent" was committed (milliseconds; a job's messages are marked in batches, see
`_mark_sent`), or a request times out after Telegram accepted it, the row is sent again: a
duplicate is possible then, a lost warning is not. Again means once the claim is stale (2
minutes), or at once when the claim was an earlier bot process's: the bot that starts
takes those back (`_take_back`), so a warning waiting for the flood limit when the bot was
killed is not two minutes late.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from telegram import Bot, InlineKeyboardMarkup
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from conversations.outbox_render import render
from conversations.undelivered import cannot_write, lost_chat, undeliverable
from monitoring.i18n import Translations
from platforms.telegram.adapter import inline
from platforms.telegram.link import LinkState
from platforms.telegram.priority import bulk
from scheduler.worker import Worker
from storage.bindings import Bindings
from storage.outbox import Outbox, Queued
from storage.platform_ids import Platform
from storage.schedule import Schedule

log = logging.getLogger(__name__)
T = TypeVar("T")
Tx = Callable[[Callable[[Session], T]], Awaitable[T]]

MAX_BACKOFF = timedelta(seconds=30)  # a message waits at most this long after Telegram is back
BATCH = 200  # due rows taken per query
PARALLEL = 16  # chats sent to at the same time
MARK_BATCH = 50  # a job's messages marked sent in one transaction
MARK_WAIT = 1.0  # seconds: or as soon as the first of them waited this long


# ----------------------------------------------------------------------------- delivery


@dataclass(frozen=True)
class Rendered:
    chat_id: int
    text: str
    markup: InlineKeyboardMarkup | None
    chart: Callable[[], bytes] | None = None  # drawn outside the transaction, then sent
    alert_id: int | None = None  # a message showing an alert's state
    bulk: bool = False  # a job's message: sent after the replies and warnings waiting


class OutboxWorker(Worker):
    """Sends due outbox rows: at start-up, when woken, and every `interval` seconds."""

    task_name = "outbox"

    def __init__(
        self,
        bot: Bot,
        tx: Tx[Any],
        translations: Translations,
        tz: ZoneInfo,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        interval: float = 5.0,
        stale_after: timedelta = timedelta(minutes=2),
        name: str = "cli",
        notice_days: int = 5,
    ) -> None:
        super().__init__()
        self.bot = bot
        self.tx = tx
        self.translations = translations  # a private chat in its person's language
        self.tz = tz
        self.now = now
        self.interval = interval
        self.stale_after = stale_after
        # "bot" for the running bot (one at a time per token: Telegram refuses a second
        # poller), "cli" for a command's one drain. Recorded on every claim.
        self.name = name
        self.notice_days = notice_days  # a proposal's public notice (the policy file)
        self.me = f"{name}:{uuid.uuid4().hex[:16]}"
        self.link = LinkState("outbox", log)
        self._marks: list[tuple[int, int, int]] = []  # sent, not yet marked (row, chat, id)
        self._marks_since = 0.0

    async def before(self) -> None:
        if self.name == "bot":
            await self._take_back()

    async def _take_back(self) -> None:
        """What an earlier bot process claimed and did not mark sent: it was killed (a
        message might have reached Telegram; see the module's docstring). Due at once,
        not when the claim goes stale."""
        try:
            taken = await self.tx(lambda s: Outbox(s).take_back(prefix="bot:", me=self.me))
        except SQLAlchemyError:
            log.exception("outbox: could not take back the claims of an earlier bot process")
            return
        if taken:
            log.info(
                "outbox: %s message(s) claimed by the bot before this one are due again", taken
            )

    async def drain(self) -> int:
        """Send every due row, batch after batch until none is due: the rows of one chat in
        order, different chats side by side (up to PARALLEL; the flood limiter paces them).
        Returns how many were sent."""
        sent = 0
        previous: list[tuple[int, int]] | None = None
        slots = asyncio.Semaphore(PARALLEL)
        try:
            while not self._stopping.is_set():
                rows = await self.tx(
                    lambda s: Outbox(s).due(
                        self.now(),
                        stale_after=self.stale_after,
                        limit=BATCH,
                        platform=Platform.TELEGRAM,
                    )
                )
                if not rows or rows == previous:  # nothing due, or nothing could be taken
                    break
                previous = rows
                if self.link.down:  # one message tries the link; the rest wait until it is back
                    sent += await self.deliver(rows[0][0])
                else:
                    sent += await self._send_batch(rows, slots)
                if self.link.down:
                    break
        finally:  # what was sent is marked before the round ends
            await self.flush_marks()
        return sent

    async def _send_batch(self, rows: list[tuple[int, int]], slots: asyncio.Semaphore) -> int:
        by_chat: dict[int, list[int]] = {}
        for row_id, chat_id in rows:
            by_chat.setdefault(chat_id, []).append(row_id)

        async def chat_in_order(ids: list[int]) -> int:
            done = 0
            async with slots:
                for row_id in ids:
                    if self._stopping.is_set():
                        break
                    done += await self.deliver(row_id)
                    if self.link.down:  # the rest waits for the next round
                        break
            return done

        return sum(await asyncio.gather(*(chat_in_order(ids) for ids in by_chat.values())))

    async def deliver(self, row_id: int) -> int:
        now = self.now()

        def claim_and_render(session: Session) -> Rendered | bool | None:
            """False: another worker has it, or it is done; None: nothing to send."""
            row = Outbox(session).claim(row_id, now, stale_after=self.stale_after, by=self.me)
            if row is None:
                return False
            rendered = self._render(session, row)
            if rendered is None:
                Outbox(session).failed(row_id, "nothing to send")
            return rendered

        # The claim is committed before Telegram is called (see the module's docstring).
        try:
            rendered = await self.tx(claim_and_render)
        except SQLAlchemyError:
            raise  # the database, not the row: the round is tried again
        except Exception as exc:  # a row that can not be rendered never will be
            return await self._give_up(row_id, "render", exc)
        if rendered is None or rendered is False:
            return 0
        assert isinstance(rendered, Rendered)
        png: bytes | None = None
        if rendered.chart is not None:
            try:
                png = await asyncio.to_thread(rendered.chart)
            except Exception as exc:  # a chart that can not be drawn never will be
                return await self._give_up(row_id, "chart", exc)
        try:
            # A job's message (reminders, lists) goes after the replies and the warnings
            # waiting for Telegram's flood limit.
            with bulk() if rendered.bulk else contextlib.nullcontext():
                if png is not None:
                    message = await self.bot.send_photo(
                        rendered.chat_id, png, caption=rendered.text, filename="chart.png"
                    )
                else:
                    message = await self.bot.send_message(
                        rendered.chat_id, rendered.text, reply_markup=rendered.markup
                    )
        except RetryAfter as exc:
            wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            log.warning("outbox %s: flood limit, retrying in %s s", row_id, seconds)
            await self.tx(
                lambda s: Outbox(s).retry_at(
                    row_id, self.now() + timedelta(seconds=seconds), f"429 retry after {seconds}"
                )
            )
            return 0
        except ChatMigrated as exc:
            new_chat = exc.new_chat_id
            log.info("outbox %s: group %s became supergroup %s", row_id, rendered.chat_id, new_chat)
            await self.tx(lambda s: self._migrated(s, row_id, rendered.chat_id, new_chat))
            return await self.deliver(row_id)
        except (Forbidden, BadRequest) as exc:
            code = 403 if isinstance(exc, Forbidden) else 400
            error = f"{code} {exc}"
            if code == 403 or cannot_write(str(exc)):
                log.warning(
                    "outbox %s: can not write in chat %s: %s", row_id, rendered.chat_id, exc
                )
                await self.tx(lambda s: lost_chat(s, row_id, error, self.now()))
            else:
                await self.tx(lambda s: undeliverable(s, row_id, error, self.now()))
            self.wake()  # the notices and a warning's copy for the township group
            return 0
        except NetworkError as exc:  # also TimedOut and 5xx
            self.link.failed(exc)
            error = str(exc)
            await self.tx(lambda s: self._backoff(s, row_id, error))
            return 0
        self.link.ok()
        if rendered.bulk:  # a job's message: marked sent with others (see `_mark_sent`)
            await self._mark_sent(row_id, rendered.chat_id, message.message_id)
        else:
            mark = [(row_id, rendered.chat_id, message.message_id)]
            await self.tx(lambda s: self._sent(s, mark))
        if rendered.alert_id is not None:
            await self._catch_up(row_id, rendered, message.message_id)
        return 1

    async def _give_up(self, row_id: int, stage: str, exc: Exception) -> int:
        """A row that fails the same way every time (a bug, bad data): failed and told."""
        log.exception("outbox %s: %s failed", row_id, stage)
        error = f"{stage}: {type(exc).__name__}: {exc}"
        await self.tx(lambda s: undeliverable(s, row_id, error, self.now()))
        self.wake()
        return 0

    async def _catch_up(self, row_id: int, sent: Rendered, message_id: int) -> None:
        """An alert acknowledged (or given a measure) while its message was on the way: the
        handler refreshed the messages already marked sent, not this one; show the state now.
        (Marked sent first, then read: a change after this read finds the message sent.)"""

        def render(session: Session) -> Rendered | None:
            row = Outbox(session).queued(row_id)
            return None if row is None else self._render(session, row)

        now = await self.tx(render)
        if now is None or (now.text, now.markup) == (sent.text, sent.markup):
            return
        try:
            await self.bot.edit_message_text(
                now.text, chat_id=sent.chat_id, message_id=message_id, reply_markup=now.markup
            )
        except TelegramError as exc:  # not modified, deleted, bot removed: best effort
            log.debug("outbox %s: could not bring the alert up to date: %s", row_id, exc)

    async def _mark_sent(self, row_id: int, chat_id: int, message_id: int) -> None:
        """A job's message (a reminder, a list) is marked sent with the others sent about
        the same time: one transaction per MARK_BATCH messages or MARK_WAIT, not one each.
        The price: if the process dies before the marks are written, those messages (at
        most MARK_BATCH, plus the ones on the wire) are sent again once their claim is
        stale; `bench/fanout.py` counts them at a kill. Warnings, replies and notices are
        marked one by one, as soon as Telegram has them."""
        if not self._marks:
            self._marks_since = asyncio.get_running_loop().time()
        self._marks.append((row_id, chat_id, message_id))
        waited = asyncio.get_running_loop().time() - self._marks_since
        if len(self._marks) >= MARK_BATCH or waited >= MARK_WAIT:
            await self.flush_marks()

    async def flush_marks(self) -> None:
        marks, self._marks = self._marks, []
        if marks:
            await self.tx(lambda s: self._sent(s, marks))

    def _sent(self, session: Session, marks: list[tuple[int, int, int]]) -> None:
        Outbox(session).sent(
            [(row_id, message_id) for row_id, _, message_id in marks], now=self.now()
        )
        people = [chat_id for _, chat_id, _ in marks if chat_id > 0]
        Schedule(session).mark_reachable(people, now=self.now())

    def _render(self, session: Session, row: Queued) -> Rendered | None:
        out = render(session, row, self.translations, self.tz, self.now(), self.notice_days)
        if out is None:
            return None
        return Rendered(
            out.chat_id, out.text, inline(out.keyboard), out.chart, out.alert_id, out.bulk
        )

    def _backoff(self, session: Session, row_id: int, error: str) -> None:
        row = Outbox(session).get(row_id)
        assert row is not None
        delay = min(MAX_BACKOFF, timedelta(seconds=2 ** min(row.attempts, 12)))
        log.debug(  # the link's state changes are logged once, by LinkState
            "outbox %s: attempt %s failed (%s); retrying in %s", row_id, row.attempts, error, delay
        )
        Outbox(session).retry_at(row_id, self.now() + delay, error)

    def _migrated(self, session: Session, row_id: int, old_chat: int, new_chat: int) -> None:
        Bindings(session).migrate(old_chat, new_chat, now=self.now())
        row = Outbox(session).get(row_id)
        assert row is not None
        row.chat_id = new_chat
        row.status = "pending"
