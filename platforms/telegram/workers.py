"""Worker processes for one Telegram identity (FANGFANPIN_WORKERS above 1): the polling side.

Why: one Python process runs its handlers on one core at a time (the interpreter's lock). Under
a burst of answers the bot process is at 100 % of a core while the database and the machine's
other cores wait (bench/README.md, 1c). With workers, the process `fangfanpin run` starts
keeps polling, the outbox and the jobs, and hands each update, as the JSON Telegram sent, to
the worker of its chat: one chat's updates always go to the same worker, in order (the poller
keeps that order: `platforms/telegram/polling.py`). The worker parses it, runs the same
dispatch, answers the person itself, and says when it is done; only then is the update
confirmed to Telegram.

A worker that dies stops the polling process with an error (exit code 1; the service manager
restarts it and its workers): what the worker held was never confirmed, so Telegram delivers it
again, and `handled_updates` keeps an answer from being applied twice. A polling process that
dies closes the workers' input: they finish what they hold and exit.

The protocol is JSON lines: to a worker `{"update": {...}}` and `{"stop": true}` (the process
is stopping: give up waiting for the database); from it `{"done": id, "ok": bool}`,
`{"failed": id, "error": "..."}` (a failure outside the handlers) and `{"wake": true}` (it
queued messages for the outbox). Workers log to the standard error, as the polling process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)
LINE_LIMIT = 16 * 1024 * 1024  # bytes: a line is one update (Telegram's are far smaller)
# Seconds the workers have to finish what they hold when the bot stops (under the unit's
# TimeoutStopSec=60, so a stuck one is killed here, with a log line, not by systemd).
STOP_WAIT = 45.0


class WorkerDied(Exception):
    """A worker process ended while the bot was running."""


class WorkerFailed(Exception):
    """A worker's handling of an update failed outside the handlers (a bug)."""


def _kept(data: Mapping[str, Any]) -> frozenset[str]:
    """What an update must be ordered behind, from its JSON: its chat and its sender (as
    python-telegram-bot's `effective_chat` and `effective_user` for the kinds the bot asks
    for: a message, a button press, a change of the bot's membership)."""
    keys = set()
    for kind, value in data.items():
        if kind == "update_id" or not isinstance(value, dict):
            continue
        chat = value.get("chat") or (value.get("message") or {}).get("chat")
        if isinstance(chat, dict) and "id" in chat:
            keys.add(f"chat:{chat['id']}")
        sender = value.get("from")
        if isinstance(sender, dict) and "id" in sender:
            keys.add(f"user:{sender['id']}")
        break
    return frozenset(keys or {"none"})


@dataclass(frozen=True)
class RawUpdate:
    """An update as Telegram sent it, not parsed: the polling process only passes it on."""

    update_id: int
    data: dict[str, Any]
    keys: frozenset[str]

    @classmethod
    def of(cls, data: dict[str, Any]) -> RawUpdate:
        return cls(int(data["update_id"]), data, _kept(data))

    def shard(self, count: int) -> int:
        """The worker of its chat (else of its sender): the same one every time."""
        for prefix in ("chat:", "user:"):
            for key in self.keys:
                if key.startswith(prefix):
                    return int(key[len(prefix) :]) % count
        return 0


@dataclass
class _Worker:
    index: int
    process: asyncio.subprocess.Process
    pending: dict[int, asyncio.Future[bool]] = field(default_factory=dict)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)  # its reader and watcher
    gone: bool = False


class Workers:
    def __init__(
        self,
        count: int,
        environment: Mapping[str, str],
        on_wake: Callable[[], None],
        on_death: Callable[[BaseException], None] = lambda error: None,
    ) -> None:
        self.count = count
        self.environment = dict(environment)
        self.on_wake = on_wake
        self.on_death = on_death  # set by the poller: a worker gone stops it
        self.workers: list[_Worker] = []
        self.closing = False

    async def start(self) -> None:
        for index in range(self.count):
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "platforms.telegram.worker",
                str(index),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                env=self.environment,
                limit=LINE_LIMIT,
            )
            worker = _Worker(index, process)
            worker.tasks = [
                asyncio.create_task(self._read(worker), name=f"worker-{index}-read"),
                asyncio.create_task(self._watch(worker), name=f"worker-{index}-watch"),
            ]
            self.workers.append(worker)
        log.info("%d worker processes started", self.count)

    async def handle(self, update: RawUpdate) -> bool:
        """Have the update's worker handle it; True when it may be confirmed."""
        worker = self.workers[update.shard(self.count)]
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        worker.pending[update.update_id] = done
        try:
            if not self._send(worker, {"update": update.data}):
                raise WorkerDied(f"worker {worker.index} has ended")
            assert worker.process.stdin is not None
            await worker.process.stdin.drain()
        except (OSError, WorkerDied) as exc:
            worker.pending.pop(update.update_id, None)
            if isinstance(exc, WorkerDied):
                raise
            raise WorkerDied(f"worker {worker.index} has ended ({exc})") from exc
        return await done

    def stopping(self) -> None:
        """The bot is stopping: updates waiting for the database are left unconfirmed."""
        for worker in self.workers:
            with contextlib.suppress(OSError):
                self._send(worker, {"stop": True})

    async def close(self) -> None:
        """End the workers (after the poller has stopped: nothing is in hand)."""
        self.closing = True
        for worker in self.workers:
            if worker.process.stdin is not None and not worker.gone:
                worker.process.stdin.close()
        await asyncio.gather(*(self._end(worker, worker.gone) for worker in self.workers))

    async def _end(self, worker: _Worker, gone_before: bool) -> None:
        try:
            code = await asyncio.wait_for(worker.process.wait(), STOP_WAIT)
        except TimeoutError:
            log.warning("worker %d did not stop in %.0f s; killing it", worker.index, STOP_WAIT)
            worker.process.kill()
            code = await worker.process.wait()
        if code != 0 and not gone_before:
            log.warning("worker %d ended with exit code %s while stopping", worker.index, code)
        for task in worker.tasks:
            task.cancel()
        await asyncio.gather(*worker.tasks, return_exceptions=True)

    def _send(self, worker: _Worker, message: dict[str, Any]) -> bool:
        """Write a message to the worker; False when it has ended (or its input is closed)."""
        stdin = worker.process.stdin
        if worker.gone or stdin is None or stdin.is_closing():
            return False
        stdin.write(json.dumps(message).encode() + b"\n")
        return True

    async def _read(self, worker: _Worker) -> None:
        """The worker's messages, until its output ends; a message that makes no sense ends
        the worker (as if it had died: the bot stops and nothing is confirmed)."""
        stdout = worker.process.stdout
        assert stdout is not None
        try:
            while line := await stdout.readline():
                message = json.loads(line)
                if "wake" in message:
                    self.on_wake()
                elif "done" in message:
                    self._settle(worker, int(message["done"]), bool(message["ok"]))
                elif "failed" in message:
                    error = WorkerFailed(str(message.get("error")))
                    self._settle(worker, int(message["failed"]), error)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a broken line, or a line past LINE_LIMIT
            log.error("worker %d: unreadable message (%s); ending it", worker.index, exc)
            with contextlib.suppress(ProcessLookupError):
                worker.process.kill()

    def _settle(self, worker: _Worker, update_id: int, outcome: bool | BaseException) -> None:
        done = worker.pending.pop(update_id, None)
        if done is None or done.done():
            return
        if isinstance(outcome, BaseException):
            done.set_exception(outcome)
        else:
            done.set_result(outcome)

    async def _watch(self, worker: _Worker) -> None:
        """A worker's end, seen by its exit (not by its output closing: a process it started,
        such as an export's, may hold that open): what it held fails, and the bot stops."""
        code = await worker.process.wait()
        worker.gone = True
        error = WorkerDied(f"worker {worker.index} ended (exit code {code})")
        for done in worker.pending.values():
            if not done.done():
                done.set_exception(error)
        worker.pending.clear()
        if not self.closing:
            log.error("%s: stopping; the updates it held come again after a restart", error)
            self.on_death(error)
