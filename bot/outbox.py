"""The one outbox drain, for every platform: red warnings, escalations and all-clears to groups,
notices and job messages to people. A platform only sends (`bot/transport.py`).

Every push is an outbox row written in the transaction that caused it. The drain claims a row
(committed) before the platform is called and marks it sent, with the platform's message
handle, only when the platform took it. A platform out of reach is retried with backoff (one
message tries the link per round until it answers), a flood limit waits the time it asks, a
platform that takes nothing for a while (a quota used up) is left alone that long, its rows
waiting, then one message tries, a chat with a new id keeps its binding. A chat the bot can
not write in and any other permanent refusal are never silent
(`conversations/outbox/undelivered.py`);
a row that can not be rendered or drawn never will be: it is failed and the staff are told,
once.

Exactly once, and its limit: the unique key of a row means the same alert is never queued
twice for one chat, and a claimed row is not taken by another worker, so in normal operation
nothing is posted twice. If the process dies after the platform accepted a message but before
"sent" was committed (milliseconds; a job's messages are marked in batches, see `_mark_sent`),
or a request times out after the platform accepted it, the row is sent again: a duplicate is
possible then, a lost warning is not. Again means once the claim is stale (2 minutes), or at
once when the claim was an earlier bot process's: the bot that starts takes those back
(`_take_back`), so a warning waiting for a flood limit when the bot was killed is not two
minutes late.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.link import LinkState
from bot.transport import ChatGone, Moved, Outcome, Paused, Refused, RetryAt, Sent, Transport
from conversations.outbox.render import Outgoing, render
from conversations.outbox.undelivered import lost_chat, undeliverable
from monitoring.i18n import Translations
from monitoring.identities import DEFAULT
from monitoring.policy import DEFAULT_SUPERVISION_PHONE
from scheduler.worker import Worker
from storage.bindings import Bindings
from storage.outbox import Outbox, Queued
from storage.schedule import Schedule

log = logging.getLogger(__name__)
T = TypeVar("T")
Tx = Callable[[Callable[[Session], T]], Awaitable[T]]

MAX_BACKOFF = timedelta(seconds=30)  # a message waits at most this long after the link is back
BATCH = 200  # due rows taken per query
PARALLEL = 16  # chats sent to at the same time
MARK_BATCH = 50  # a job's messages marked sent in one transaction
MARK_WAIT = 1.0  # seconds: or as soon as the first of them waited this long


@dataclass(frozen=True)
class _Claimed:
    out: Outgoing
    address: Any


class OutboxDrain(Worker):
    """Sends due outbox rows of one transport's platform: at start-up, when woken, and every
    `interval` seconds."""

    task_name = "outbox"

    def __init__(
        self,
        transport: Transport,
        tx: Tx[Any],
        translations: Translations,
        tz: ZoneInfo,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        interval: float = 5.0,
        stale_after: timedelta = timedelta(minutes=2),
        name: str = "cli",
        notice_days: int = 5,
        supervision_phone: str = DEFAULT_SUPERVISION_PHONE,
        identity: str = DEFAULT,
    ) -> None:
        super().__init__()
        self.transport = transport
        self.tx = tx
        self.translations = translations  # a private chat in its person's language
        self.tz = tz
        self.now = now
        self.interval = interval
        self.stale_after = stale_after
        # "bot" for the running bot (one at a time per platform connection), "cli" for a
        # command's one drain. Recorded on every claim, with the platform.
        self.name = name
        self.notice_days = notice_days  # a proposal's public notice (the policy file)
        self.supervision_phone = supervision_phone  # on the public notice (the policy file)
        # Only this identity's rows (a deployment of several bots: each sends its own), and
        # only its own earlier process's claims are taken back at start.
        self.identity = identity
        self.prefix = f"{name}:{transport.platform.value}:{identity}:"
        self.me = f"{self.prefix}{uuid.uuid4().hex[:16]}"
        self.link = LinkState("outbox", log, transport.label)
        self._marks: list[tuple[int, int, int | str | None]] = []  # sent, not yet marked
        self._marks_since = 0.0
        # The platform said it takes nothing until then (the event loop's clock; `Paused`);
        # once past, one row tries before the rest go.
        self._paused_until: float | None = None

    async def before(self) -> None:
        if self.name == "bot":
            await self._take_back()

    @property
    def paused(self) -> bool:
        """The platform asked to be left alone, and the time is not over."""
        until = self._paused_until
        return until is not None and asyncio.get_running_loop().time() < until

    def _pause(self, seconds: float, error: str) -> None:
        if self._paused_until is None:  # logged once, not at every try
            log.warning(
                "outbox: %s takes no messages for now (%s); they wait, the next try in %.0f s",
                self.transport.label,
                error,
                seconds,
            )
        self._paused_until = asyncio.get_running_loop().time() + seconds

    def _resume(self) -> None:
        if self._paused_until is not None:
            log.warning("outbox: %s takes messages again", self.transport.label)
            self._paused_until = None

    async def _take_back(self) -> None:
        """What an earlier bot process claimed and did not mark sent: it was killed (a
        message might have reached the platform; see the module's docstring). Due at once,
        not when the claim goes stale."""
        try:
            taken = await self.tx(lambda s: Outbox(s).take_back(prefix=self.prefix, me=self.me))
        except SQLAlchemyError:
            log.exception("outbox: could not take back the claims of an earlier bot process")
            return
        if taken:
            log.info(
                "outbox: %s message(s) claimed by the bot before this one are due again", taken
            )

    async def drain(self) -> int:
        """Send every due row, batch after batch until none is due: the rows of one chat in
        order, different chats side by side (up to PARALLEL; the platform paces them).
        Returns how many were sent."""
        sent = 0
        previous: list[tuple[int, int]] | None = None
        slots = asyncio.Semaphore(PARALLEL)
        platform = self.transport.platform
        try:
            while not self._stopping.is_set() and not self.paused:
                rows = await self.tx(
                    lambda s: Outbox(s).due(
                        self.now(),
                        stale_after=self.stale_after,
                        limit=BATCH,
                        platform=platform,
                        identity=self.identity,
                    )
                )
                if not rows or rows == previous:  # nothing due, or nothing could be taken
                    break
                previous = rows
                if self.link.down or self._paused_until is not None:
                    # one message tries the link (or the pause); the rest wait until it is back
                    sent += await self.deliver(rows[0][0])
                else:
                    sent += await self._send_batch(rows, slots)
                if self.link.down or self.paused:
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
                    if self.link.down or self.paused:  # the rest waits for the next round
                        break
            return done

        return sum(await asyncio.gather(*(chat_in_order(ids) for ids in by_chat.values())))

    async def deliver(self, row_id: int) -> int:
        """Claim, render, send and mark one row; 1 when it was sent."""
        now = self.now()

        def claim_and_render(session: Session) -> _Claimed | bool | None:
            """False: another worker has it, or it is done; None: nothing to send."""
            row = Outbox(session).claim(row_id, now, stale_after=self.stale_after, by=self.me)
            if row is None:
                return False
            out = self._render(session, row)
            if out is None:
                Outbox(session).failed(row_id, "nothing to send")
                return None
            return _Claimed(out, self.transport.address(session, out.chat_id, None))

        # The claim is committed before the platform is called (see the module's docstring).
        try:
            claimed = await self.tx(claim_and_render)
        except SQLAlchemyError:
            raise  # the database, not the row: the round is tried again
        except Exception as exc:  # a row that can not be rendered never will be
            return await self._give_up(row_id, "render", exc)
        if not isinstance(claimed, _Claimed):
            return 0
        out = claimed.out
        if claimed.address is None:
            error = f"no {self.transport.label} chat for {out.chat_id}"
            await self.tx(lambda s: undeliverable(s, row_id, error, self.now()))
            return 0
        png: bytes | None = None
        if out.chart is not None:
            try:
                png = await asyncio.to_thread(out.chart)
            except Exception as exc:  # a chart that can not be drawn never will be
                return await self._give_up(row_id, "chart", exc)
        outcome = await self.transport.send(claimed.address, out, png)
        return await self._settle(row_id, out, outcome)

    async def _settle(self, row_id: int, out: Outgoing, outcome: Outcome) -> int:
        """What the platform's answer means for the row."""
        match outcome:
            case Sent(ref=ref):
                self.link.ok()
                self._resume()
                if out.bulk:  # a job's message: marked sent with others (see `_mark_sent`)
                    await self._mark_sent(row_id, out.chat_id, ref)
                else:
                    mark = [(row_id, out.chat_id, ref)]
                    await self.tx(lambda s: self._sent(s, mark))
                if out.alert_id is not None:
                    await self._catch_up(row_id, out)
                return 1
            case RetryAt(seconds=seconds, error=error, link_down=True):
                self.link.failed(error)
                await self.tx(lambda s: self._backoff(s, row_id, error))
            case RetryAt(seconds=seconds, error=error):
                self.link.ok()
                log.warning("outbox %s: %s; retrying in %s s", row_id, error, seconds)
                if seconds is None:
                    await self.tx(lambda s: self._backoff(s, row_id, error))
                else:
                    later = self.now() + timedelta(seconds=seconds)
                    await self.tx(lambda s: Outbox(s).retry_at(row_id, later, error))
            case Paused(seconds=seconds, error=error):
                self.link.ok()
                self._pause(seconds, error)
                # due again at once (its place in its chat's order kept): the pause holds it
                await self.tx(lambda s: Outbox(s).retry_at(row_id, self.now(), error))
            case Moved(chat_id=new_chat):
                self.link.ok()
                log.info("outbox %s: chat %s is now %s", row_id, out.chat_id, new_chat)
                await self.tx(lambda s: self._migrated(s, row_id, out.chat_id, new_chat))
                return await self.deliver(row_id)
            case ChatGone(error=error):
                self.link.ok()
                log.warning("outbox %s: can not write in chat %s: %s", row_id, out.chat_id, error)
                await self.tx(lambda s: lost_chat(s, row_id, error, self.now()))
                self.wake()  # the notices and a warning's copy for the township group
            case Refused(error=error):
                self.link.ok()
                await self.tx(lambda s: undeliverable(s, row_id, error, self.now()))
                self.wake()
        return 0

    async def _give_up(self, row_id: int, stage: str, exc: Exception) -> int:
        """A row that fails the same way every time (a bug, bad data): failed and told."""
        log.exception("outbox %s: %s failed", row_id, stage)
        error = f"{stage}: {type(exc).__name__}: {exc}"
        await self.tx(lambda s: undeliverable(s, row_id, error, self.now()))
        self.wake()
        return 0

    async def _catch_up(self, row_id: int, sent: Outgoing) -> None:
        """An alert acknowledged (or given a measure) while its message was on the way: the
        handler refreshed the messages already marked sent, not this one; show the state now.
        (Marked sent first, then read: a change after this read finds the message sent.)"""

        def render_again(session: Session) -> tuple[Outgoing, Any] | None:
            row = Outbox(session).queued(row_id)
            stored = Outbox(session).get(row_id)
            out = None if row is None else self._render(session, row)
            if out is None or stored is None or stored.message_id is None:
                return None
            return out, self.transport.address(session, out.chat_id, stored.message_id)

        found = await self.tx(render_again)
        if found is None:
            return
        now, address = found
        if (now.text, now.keyboard) == (sent.text, sent.keyboard) or address is None:
            return
        await self.transport.edit(address, now)

    async def _mark_sent(self, row_id: int, chat_id: int, ref: int | str | None) -> None:
        """A job's message (a reminder, a list) is marked sent with the others sent about
        the same time: one transaction per MARK_BATCH messages or MARK_WAIT, not one each.
        The price: if the process dies before the marks are written, those messages (at
        most MARK_BATCH, plus the ones on the wire) are sent again once their claim is
        stale; `bench/fanout.py` counts them at a kill. Warnings, replies and notices are
        marked one by one, as soon as the platform has them."""
        loop = asyncio.get_running_loop()
        if not self._marks:
            self._marks_since = loop.time()
        self._marks.append((row_id, chat_id, ref))
        if len(self._marks) >= MARK_BATCH or loop.time() - self._marks_since >= MARK_WAIT:
            await self.flush_marks()

    async def flush_marks(self) -> None:
        marks, self._marks = self._marks, []
        if marks:
            await self.tx(lambda s: self._sent(s, marks))

    def _sent(self, session: Session, marks: list[tuple[int, int, Any]]) -> None:
        now, record = self.now(), self.transport.record
        Outbox(session).sent(
            [(row_id, record(session, ref, now)) for row_id, _, ref in marks], now=now
        )
        # a person who gets a message again is reachable again (a blocked bot unblocked)
        people = [chat_id for _, chat_id, _ in marks if chat_id > 0]
        Schedule(session).mark_reachable(people, now=now)

    def _render(self, session: Session, row: Queued) -> Outgoing | None:
        return render(
            session,
            row,
            self.translations,
            self.tz,
            self.now(),
            self.notice_days,
            self.supervision_phone,
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
