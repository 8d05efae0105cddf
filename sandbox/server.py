"""A Bot API stand-in: a small HTTP server on 127.0.0.1 that speaks the Telegram Bot API
methods the bot uses, keeps every chat's messages, and takes control requests under
`/sandbox/...` to inject updates (text, commands, contacts, photos, button presses, a group
the bot was added to) and to make it fail (429 with retry_after, 5xx, 403, or hang).

Bot API calls: `POST /bot<TOKEN>/<method>` (form-urlencoded, multipart or JSON), answered the
way Telegram answers, with real HTTP status codes on errors. Files: `GET /file/bot<TOKEN>/<path>`.
Everything a person or a test does goes through the control API; see `client.py`.
"""

from __future__ import annotations

import logging
import time

from aiohttp import web

from sandbox.bot_api import BotApi
from sandbox.control import Control
from sandbox.local_only import local_only, own_hosts

log = logging.getLogger(__name__)


class SandboxBotAPI(BotApi, Control):
    """The stand-in. `await start()` on any event loop; `url` is the base for the bot."""

    def make_app(self) -> web.Application:
        # Only this machine's programs, never a browser's page (`local_only.py`).
        only_here = local_only(lambda: own_hosts(self.host, self.port), ("/sandbox/", "/page/"))
        app = web.Application(client_max_size=50 * 1024 * 1024, middlewares=[only_here])
        app.add_routes(
            [
                web.route("*", "/bot{token}/{method}", self._bot_api),
                web.get("/file/bot{token}/{path:.+}", self._file),
                web.post("/sandbox/users", self._c_user),
                web.post("/sandbox/send", self._c_send),
                web.post("/sandbox/press", self._c_press),
                web.post("/sandbox/groups", self._c_group),
                web.post("/sandbox/groups/{chat_id}/bot", self._c_group_bot),
                web.post("/sandbox/groups/{chat_id}/migrate", self._c_group_migrate),
                web.post("/sandbox/block", self._c_block),
                web.get("/sandbox/chats", self._c_chats),
                web.get("/sandbox/chats/{chat_id}/messages", self._c_messages),
                web.get("/sandbox/events", self._c_events),
                web.get("/sandbox/updates", self._c_updates),
                web.get("/sandbox/calls", self._c_calls),
                web.get("/sandbox/commands", self._c_commands),
                web.get("/sandbox/callback_answers/{id}", self._c_callback_answer),
                web.post("/sandbox/fail", self._c_fail),
                web.post("/sandbox/rate_limit", self._c_rate_limit),
                web.get("/sandbox/health", self._c_health),
                web.get("/sandbox/files/{file_id}", self._c_file),
                *self.extra_routes,
            ]
        )
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(self.make_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self._site = site
        if self.port == 0:
            server = site._server
            assert server is not None
            sockets = getattr(server, "sockets", None) or []
            self.port = sockets[0].getsockname()[1]
        log.info("sandbox Bot API listening on %s", self.root)

    async def stop_listening(self) -> None:
        """Refuse connections, as a host that is down: open connections (keep-alive, long
        polls) are closed too. The state is kept; `start_listening()` serves it again."""
        self._closing = True
        await self._notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._site = None
        log.info("sandbox Bot API: refusing connections")

    async def start_listening(self) -> None:
        if self._runner is None:
            self._closing = False
            self._runner = web.AppRunner(self.make_app(), access_log=None)
            await self._runner.setup()
            self._site = web.TCPSite(self._runner, self.host, self.port)
            await self._site.start()
        log.info("sandbox Bot API: listening again")

    def outage(self, mode: str | None, seconds: float = 0.0) -> None:
        """For `seconds`, every Bot API call hangs ("hang": until the window ends, then 504)
        or answers with an HTTP status ("502", "503"...)."""
        self.state.outage_mode = mode
        self.state.outage_until = time.monotonic() + seconds

    async def stop(self) -> None:
        # Release long polls at once; otherwise shutdown waits for each to time out.
        self._closing = True
        await self._notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
