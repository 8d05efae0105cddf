"""Telegram not reachable when the bot starts (the connection refused, as behind many
networks): `fangfanpin run` keeps trying with backoff, one log line per attempt, connects
once Telegram answers, and stops cleanly when told to meanwhile. And Telegram reached through
a proxy (FANGFANPIN_TELEGRAM_PROXY): an HTTP one and a SOCKS5 one, each a tiny one here."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import struct
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import Engine

from bot.settings import load_settings
from platforms.telegram.embedded import running_bot
from sandbox.client import SandboxClient
from sandbox.server import SandboxBotAPI
from sandbox.thread import SandboxThread
from tests.conftest import ALL_YEARS
from tests.driver import BotProcess

USER = 931
ATTEMPT = re.compile(r"Telegram \(\S+\) can not be reached \(.+\); attempt (\d+) failed")


@pytest.fixture(autouse=True)
def once(database_url: str) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("Telegram's absence, not the database's: run once, on SQLite")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bot_env(token: str, port: int, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FANGFANPIN_")}
    env.update(
        FANGFANPIN_TELEGRAM_TOKEN=token,
        FANGFANPIN_TELEGRAM_API_URL=f"http://127.0.0.1:{port}/bot",
        FANGFANPIN_DATABASE_URL=database_url,
    )
    return env


def wait_for_log(path: Path, pattern: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = path.read_text(encoding="utf-8", errors="replace")
        if re.search(pattern, text):
            return text
        time.sleep(0.1)
    raise AssertionError(f"no {pattern!r} in the log: {path.read_text()[-2000:]}")


def attempts(log: str) -> list[int]:
    return [int(n) for n in ATTEMPT.findall(log)]


@pytest.fixture
def closed_port() -> Iterator[int]:
    yield free_port()  # nothing listens there (yet)


async def test_run_waits_for_telegram_one_line_per_attempt_then_connects(
    closed_port: int, database_url: str, db: Engine, tmp_path: Path
) -> None:
    token = "7012345678:AAHk3xQ9v_Zr2LmN8pT4sW6yB1cD5eF7gHj"
    process = BotProcess(bot_env(token, closed_port, database_url), tmp_path)
    process.start()
    thread: SandboxThread | None = None
    try:
        log_path = tmp_path / "bot.log"
        await asyncio.to_thread(wait_for_log, log_path, r"attempt 3 failed", 30)
        assert process.proc is not None and process.proc.poll() is None  # still running
        thread = SandboxThread(token=token, port=closed_port)  # Telegram comes up
        api = thread.start()
        async with SandboxClient(api.root) as client:
            await client.user(USER, "甲")
            seq = await client.last_seq()
            await client.send_text(USER, "/start")
            [reply] = await client.wait_bot_messages(USER, after=seq, timeout=40)
        assert "手机号" in reply["text"]
        log = log_path.read_text(encoding="utf-8")
        tried = attempts(log)
        assert tried == list(range(1, len(tried) + 1)) and len(tried) >= 3, log
        waiting = [line for line in log.splitlines() if "can not be reached" in line]
        assert len(waiting) == len(tried)  # one line per attempt, and nothing else of it
        assert "Traceback" not in log and "bot running" in log
    finally:
        process.stop()
        if thread is not None:
            thread.stop()


async def test_told_to_stop_while_waiting_it_stops_cleanly(
    closed_port: int, database_url: str, db: Engine, tmp_path: Path
) -> None:
    process = BotProcess(bot_env("1:" + "x" * 30, closed_port, database_url), tmp_path)
    process.start()
    try:
        log_path = tmp_path / "bot.log"
        await asyncio.to_thread(wait_for_log, log_path, r"attempt 1 failed", 30)
        assert process.proc is not None
        process.proc.send_signal(signal.SIGINT)  # Ctrl+C
        assert await asyncio.to_thread(process.proc.wait, 10) == 0
        log = log_path.read_text(encoding="utf-8")
        assert log.rstrip().endswith("bot stopped before Telegram could be reached"), log
        assert "Traceback" not in log and "Unclosed" not in log
    finally:
        process.stop()


async def test_a_refused_token_stops_it_with_one_line(
    sandbox: SandboxBotAPI, database_url: str, db: Engine, tmp_path: Path
) -> None:
    """Not a network failure: trying again can not help."""
    process = BotProcess(bot_env("1:" + "x" * 30, sandbox.port, database_url), tmp_path)
    process.start()
    try:
        assert process.proc is not None
        assert await asyncio.to_thread(process.proc.wait, 30) == 1
        log = (tmp_path / "bot.log").read_text(encoding="utf-8")
        assert log.rstrip().endswith(
            "Telegram refused the bot token: check FANGFANPIN_TELEGRAM_TOKEN (from @BotFather)"
        ), log
        assert "Traceback" not in log and "Unclosed" not in log
        assert "can not be reached" not in log
    finally:
        process.stop()


# ------------------------------------------------------------------ through a proxy

TELEGRAM = "telegram.invalid"  # a name only the proxy knows


@contextlib.asynccontextmanager
async def http_proxy(target: str) -> AsyncIterator[tuple[str, list[str]]]:
    """A forward HTTP proxy that sends every request for http://telegram.invalid/… to
    `target` (the stand-in): its URL and the paths it forwarded."""
    forwarded: list[str] = []
    session = aiohttp.ClientSession()

    async def forward(request: web.Request) -> web.Response:
        if request.url.host != TELEGRAM:
            return web.Response(status=502, text=f"no route to {request.url.host}")
        forwarded.append(request.path)
        headers = {
            k: v for k, v in request.headers.items() if k.lower() in ("content-type", "user-agent")
        }
        async with session.request(
            request.method, target + request.path_qs, data=await request.read(), headers=headers
        ) as answer:
            return web.Response(
                status=answer.status,
                body=await answer.read(),
                content_type=answer.content_type,
            )

    app = web.Application(client_max_size=50 * 1024 * 1024)
    app.router.add_route("*", "/{path:.*}", forward)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}", forwarded
    finally:
        await runner.cleanup()
        await session.close()


@contextlib.asynccontextmanager
async def socks5_proxy(target_port: int) -> AsyncIterator[tuple[str, list[tuple[str, int]]]]:
    """A SOCKS5 proxy (no authentication) that connects where it is asked to, the name
    resolved by itself (`localhost` -> 127.0.0.1): its URL and what it was asked for."""
    asked: list[tuple[str, int]] = []

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        _version, methods = await reader.readexactly(2)
        await reader.readexactly(methods)
        writer.write(b"\x05\x00")  # no authentication
        _v, _command, _reserved, kind = await reader.readexactly(4)
        if kind == 3:  # a name: the proxy resolves it
            host = (await reader.readexactly((await reader.readexactly(1))[0])).decode()
        else:  # an IPv4 address
            host = socket.inet_ntoa(await reader.readexactly(4))
        (port,) = struct.unpack("!H", await reader.readexactly(2))
        asked.append((host, port))
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"\x05\x00\x00\x01" + socket.inet_aton("127.0.0.1") + struct.pack("!H", 0))
        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"socks5://127.0.0.1:{port}", asked
    finally:
        server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 2)


async def answered_through(proxy: str, api_url: str, sandbox: SandboxBotAPI, db: Engine) -> str:
    """Run the bot with FANGFANPIN_TELEGRAM_PROXY=`proxy`; its answer to /start."""
    settings = load_settings(
        telegram_token=sandbox.state.token,
        telegram_api_url=api_url,
        telegram_file_url=api_url.replace("/bot", "/file/bot"),
        telegram_proxy=proxy,
        policy_file=str(ALL_YEARS),
        _env_file=None,
    )
    async with (
        running_bot(settings, engine=db, poll_timeout=1.0),
        SandboxClient(sandbox.root) as client,
    ):
        await client.user(USER, "甲")
        seq = await client.last_seq()
        await client.send_text(USER, "/start")
        [reply] = await client.wait_bot_messages(USER, after=seq)
    return str(reply["text"])


async def test_telegram_is_reached_through_an_http_proxy(
    sandbox: SandboxBotAPI, db: Engine
) -> None:
    """The Bot API's name is known only to the proxy: the bot works only through it."""
    async with http_proxy(sandbox.root) as (url, forwarded):
        reply = await answered_through(url, f"http://{TELEGRAM}/bot", sandbox, db)
    assert "手机号" in reply
    token = sandbox.state.token
    assert f"/bot{token}/getMe" in forwarded and f"/bot{token}/sendMessage" in forwarded
    assert len(forwarded) >= len(sandbox.state.calls)  # every call the stand-in saw


async def test_telegram_is_reached_through_a_socks5_proxy(
    sandbox: SandboxBotAPI, db: Engine
) -> None:
    async with socks5_proxy(sandbox.port) as (url, asked):
        reply = await answered_through(url, f"http://localhost:{sandbox.port}/bot", sandbox, db)
    assert "手机号" in reply
    assert ("localhost", sandbox.port) in asked  # the proxy resolved the name
