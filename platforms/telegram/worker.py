"""A worker process of a Telegram identity (`platforms/telegram/workers.py` says why and how):
`python -m platforms.telegram.worker N`, started by the polling process, never by hand.

It reads updates from its standard input, handles each with the same Application, dispatch
and answers as a bot without workers (only the outbox and the jobs stay in the polling
process), and writes on its standard output when each is done. It ends when its input closes.
SIGINT and SIGTERM are ignored: a Ctrl+C or a service manager's stop reaches the whole process
group, and it is the polling process that decides when the workers stop (after the updates
they hold are handled)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from typing import Any

from telegram import Update

from bot.logs import setup_logging
from bot.retry import BACKOFF
from bot.settings import Settings, SettingsError, load_settings
from platforms.telegram.app import build_application
from platforms.telegram.embedded import reach_telegram, started
from platforms.telegram.handling import handle
from platforms.telegram.workers import LINE_LIMIT

log = logging.getLogger("platforms.telegram.worker")  # run as __main__


class _Out:
    """This process's standard output: one JSON message per line."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer

    def send(self, message: dict[str, Any]) -> None:
        if not self.writer.is_closing():
            self.writer.write(json.dumps(message).encode() + b"\n")


def _own_output() -> int:
    """The protocol's own descriptor: a copy of the standard output (not inherited by any
    process this one starts); descriptor 1 then points at the standard error, so nothing
    else written there (a library, an export process) can mix into the protocol."""
    protocol = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return protocol


async def _pipes(output: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=LINE_LIMIT)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    transport, protocol = await loop.connect_write_pipe(
        asyncio.streams.FlowControlMixin, os.fdopen(output, "wb", buffering=0)
    )
    return reader, asyncio.StreamWriter(transport, protocol, None, loop)


async def work(settings: Settings, index: int, output: int) -> int:
    reader, writer = await _pipes(output)
    out = _Out(writer)
    app = build_application(settings, worker_wake=lambda: out.send({"wake": True}))
    # Telegram away for a moment is waited out, as the bot's own process does at its start.
    await reach_telegram(app, settings.telegram_api_url, asyncio.Event(), BACKOFF)
    stopping = asyncio.Event()
    running: set[asyncio.Task[None]] = set()

    async def one(data: dict[str, Any]) -> None:
        update_id = data.get("update_id")
        try:
            update = Update.de_json(data, app.bot)
            ok = await handle(app, update, stopping)
        except Exception as exc:  # outside the handlers: the polling process stops
            log.exception("worker %d: update %s failed", index, update_id)
            out.send({"failed": update_id, "error": f"{type(exc).__name__}: {exc}"[:500]})
            return
        out.send({"done": update_id, "ok": ok})

    async with started(app):
        log.info("worker %d ready", index)
        while line := await reader.readline():
            message = json.loads(line)
            if message.get("stop"):
                stopping.set()
            elif "update" in message:
                task = asyncio.create_task(one(message["update"]))
                running.add(task)
                task.add_done_callback(running.discard)
        stopping.set()
        if running:
            await asyncio.wait(running)
        with contextlib.suppress(ConnectionError):  # the bot's process has gone
            await writer.drain()
    return 0


def main(argv: list[str]) -> int:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    index = int(argv[0]) if argv else 0
    output = _own_output()
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"fangfanpin worker: configuration error: {exc}", file=sys.stderr)
        return 2
    token = settings.telegram_token.get_secret_value() if settings.telegram_token else None
    setup_logging(settings.log_level, token, settings.debug_logger_names)
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(work(settings, index, output))
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
