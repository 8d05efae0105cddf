"""A Bot API stand-in: a small HTTP server on 127.0.0.1 that speaks the Telegram Bot API
methods the bot uses, keeps every chat's messages, and takes control requests under
`/sandbox/...` to inject updates (text, commands, contacts, photos, button presses, a group
the bot was added to) and to make it fail (429 with retry_after, 5xx, 403, or hang).

Bot API calls: `POST /bot<TOKEN>/<method>` (form-urlencoded, multipart or JSON), answered the
way Telegram answers, with real HTTP status codes on errors. Files: `GET /file/bot<TOKEN>/<path>`.
Everything a person or a test does goes through the control API; see `client.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from aiohttp import web

log = logging.getLogger(__name__)

DEFAULT_TOKEN = "123456:SANDBOX-TOKEN"
JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "commands",
        "scope",
        "allowed_updates",
        "reply_parameters",
        "entities",
        "caption_entities",
        "link_preview_options",
        "media",
    }
)
INT_PARAMS = frozenset(
    {
        "chat_id",
        "message_id",
        "offset",
        "limit",
        "reply_to_message_id",
        "user_id",
        "cache_time",
        "from_chat_id",
    }
)
FLOAT_PARAMS = frozenset({"timeout"})
# Telegram delivers these only when asked for explicitly in allowed_updates.
NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class ApiError(Exception):
    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


class ControlError(Exception):
    """A control request that can not be done: the HTTP status and the JSON body to answer."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body.get("error"))
        self.status, self.body = status, body


@dataclass
class FailRule:
    """Answer the next `count` matching calls with a failure instead of handling them."""

    mode: str  # "429", "500", "502", "403", "400", "hang"
    method: str | None = None
    chat_id: int | None = None
    count: int = 1
    retry_after: int = 1
    hang_seconds: float = 30.0
    description: str | None = None  # what a "400" or "403" says (Telegram's wording)

    def matches(self, method: str, params: dict[str, Any]) -> bool:
        if self.method is not None and self.method.lower() != method.lower():
            return False
        return self.chat_id is None or params.get("chat_id") == self.chat_id


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes
    filename: str
    mime_type: str

    @property
    def path(self) -> str:
        return f"files/{self.file_unique_id}/{self.filename}"


@dataclass
class SandboxState:
    token: str
    bot_user: dict[str, Any]
    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    chats: dict[int, dict[str, Any]] = field(default_factory=dict)
    messages: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    bot_member_status: dict[int, str] = field(default_factory=dict)  # group chat -> status
    migrated: dict[int, int] = field(default_factory=dict)  # old group id -> supergroup id
    blocked_by: set[int] = field(default_factory=set)  # users who blocked the bot
    updates: list[dict[str, Any]] = field(default_factory=list)
    confirmed_offset: int = 0
    next_update_id: int = 1
    next_message_id: dict[int, int] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    commands: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    callback_answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, StoredFile] = field(default_factory=dict)
    fail_rules: list[FailRule] = field(default_factory=list)
    rate_limit_per_second: float | None = None
    rate_window: list[float] = field(default_factory=list)
    webhook_deleted: int = 0
    outage_mode: str | None = None  # "hang" or an HTTP status, for every Bot API call
    outage_until: float = 0.0  # time.monotonic() when it ends


class SandboxBotAPI:
    """The stand-in. `await start()` on any event loop; `url` is the base for the bot."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_username: str = "fangfanpin_bot",
        bot_name: str = "防返贫监测",
    ) -> None:
        bot_id = int(token.split(":", 1)[0])
        self.state = SandboxState(
            token=token,
            bot_user={
                "id": bot_id,
                "is_bot": True,
                "first_name": bot_name,
                "username": bot_username,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            },
        )
        self.host = host
        self.port = port
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._closing = False
        self._callback_ids = itertools.count(1)
        self.extra_routes: list[web.RouteDef] = []
        # Called with every event as it happens (in-process observers, such as the bench).
        self.listeners: list[Callable[[dict[str, Any]], None]] = []
        self._site: web.TCPSite | None = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        """Base URL for FANGFANPIN_TELEGRAM_API_URL."""
        return f"http://{self.host}:{self.port}/bot"

    @property
    def file_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    @property
    def root(self) -> str:
        return f"http://{self.host}:{self.port}"

    def make_app(self) -> web.Application:
        app = web.Application(
            client_max_size=50 * 1024 * 1024, middlewares=[self._control_only_from_here]
        )
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

    def _own_hosts(self) -> set[str]:
        names = {self.host, "127.0.0.1", "localhost", "[::1]"}
        return {f"{name}:{self.port}" for name in names}

    @web.middleware
    async def _control_only_from_here(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """The control API and the page drive the stand-in: a web page open on the same
        machine must not. Requests to them must name this server as Host (no DNS rebinding),
        come from no other Origin, and carry JSON when they post."""
        if not request.path.startswith(("/sandbox/", "/page/")):
            return await handler(request)  # the Bot API and files, for the bot
        if request.host not in self._own_hosts():
            return web.json_response({"error": "wrong Host"}, status=403)
        origin = request.headers.get("Origin")
        if origin is not None and origin.removeprefix("http://") not in self._own_hosts():
            return web.json_response({"error": "cross-origin request refused"}, status=403)
        if request.method == "POST" and request.content_type != "application/json":
            return web.json_response({"error": "send application/json"}, status=415)
        return await handler(request)

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

    # ------------------------------------------------------------------ helpers

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _wait(self, predicate: Callable[[], bool], timeout: float) -> bool:
        async with self._changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: self._closing or predicate()), timeout
                )
        return predicate()

    def _event(self, kind: str, chat_id: int | None, **data: Any) -> dict[str, Any]:
        event = {
            "seq": len(self.state.events) + 1,
            "kind": kind,
            "chat_id": chat_id,
            "at": time.time(),
            **data,
        }
        self.state.events.append(event)
        for listener in self.listeners:
            listener(event)
        return event

    def _message_id(self, chat_id: int) -> int:
        nxt = self.state.next_message_id.get(chat_id, 1)
        self.state.next_message_id[chat_id] = nxt + 1
        return nxt

    def user(self, user_id: int, **fields: Any) -> dict[str, Any]:
        existing = self.state.users.get(user_id)
        if existing is None:
            existing = {
                "id": user_id,
                "is_bot": False,
                "first_name": fields.get("first_name") or f"User{user_id}",
            }
            self.state.users[user_id] = existing
        for key in ("first_name", "last_name", "username", "language_code"):
            if fields.get(key):
                existing[key] = fields[key]
        if user_id not in self.state.chats:
            self.state.chats[user_id] = {
                "id": user_id,
                "type": "private",
                "first_name": existing["first_name"],
            }
            self.state.messages.setdefault(user_id, [])
        return existing

    def _chat(self, chat_id: int) -> dict[str, Any]:
        chat = self.state.chats.get(chat_id)
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        return chat

    def _store(self, chat_id: int, message: dict[str, Any]) -> dict[str, Any]:
        self.state.messages.setdefault(chat_id, []).append(message)
        return message

    def _find_message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        for message in self.state.messages.get(chat_id, []):
            if message["message_id"] == message_id:
                return message
        raise ApiError(400, "Bad Request: message to edit not found")

    def _push_update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": self.state.next_update_id, kind: payload}
        self.state.next_update_id += 1
        self.state.updates.append(update)
        self._event("update", _chat_of(payload), update_id=update["update_id"], update_kind=kind)
        return update

    def add_group(self, chat_id: int, title: str) -> None:
        """A group the bot is already a member of (no update: as if added long ago)."""
        self.state.chats[chat_id] = {"id": chat_id, "type": "group", "title": title}
        self.state.messages.setdefault(chat_id, [])
        self.state.bot_member_status[chat_id] = "member"

    # ------------------------------------------------------------------ Bot API

    async def _bot_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            params = await _read_params(request)
        except ValueError as exc:
            return _error(ApiError(400, f"Bad Request: {exc}"))
        if request.match_info["token"] != self.state.token:
            return _error(ApiError(401, "Unauthorized"))
        files = params.pop("__files__", {})
        record = {"method": method, "params": _loggable(params), "at": time.time()}
        self.state.calls.append(record)
        try:
            await self._apply_failures(method, params)
            handler = getattr(self, "api_" + method.lower(), None)
            if handler is None:
                raise ApiError(400, f"Bad Request: method {method} is not supported by the sandbox")
            result = await handler(params, files)
        except ApiError as exc:
            record["status"] = exc.status
            await self._notify()
            return _error(exc)
        record["status"] = 200
        await self._notify()
        return web.json_response({"ok": True, "result": result})

    async def _apply_failures(self, method: str, params: dict[str, Any]) -> None:
        st = self.state
        left = st.outage_until - time.monotonic()
        if st.outage_mode and left > 0:
            self._event("failed", params.get("chat_id"), method=method, mode=st.outage_mode)
            if st.outage_mode == "hang":
                await self._notify()
                await asyncio.sleep(left)
                raise ApiError(504, "Gateway Timeout")
            raise ApiError(int(st.outage_mode), "Bad Gateway")
        if st.rate_limit_per_second and "chat_id" in params and method.lower().startswith("send"):
            now = time.monotonic()
            st.rate_window = [t for t in st.rate_window if now - t < 1.0]
            if len(st.rate_window) >= st.rate_limit_per_second:
                self._event("rate_limited", params.get("chat_id"), method=method)
                raise ApiError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
            st.rate_window.append(now)
        for rule in st.fail_rules:
            if rule.count > 0 and rule.matches(method, params):
                rule.count -= 1
                self._event("failed", params.get("chat_id"), method=method, mode=rule.mode)
                if rule.mode == "hang":
                    await self._notify()  # let waiters see the "failed" event now
                    await asyncio.sleep(rule.hang_seconds)
                    raise ApiError(504, "Gateway Timeout")
                if rule.mode == "429":
                    raise ApiError(
                        429,
                        f"Too Many Requests: retry after {rule.retry_after}",
                        {"retry_after": rule.retry_after},
                    )
                if rule.mode == "403":
                    raise ApiError(
                        403, rule.description or "Forbidden: bot was kicked from the group chat"
                    )
                if rule.mode == "400":
                    raise ApiError(400, rule.description or "Bad Request: injected failure")
                raise ApiError(int(rule.mode), "Internal Server Error")
        st.fail_rules = [r for r in st.fail_rules if r.count > 0]

    async def api_getme(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        return self.state.bot_user

    async def api_deletewebhook(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        self.state.webhook_deleted += 1
        return True

    async def api_getwebhookinfo(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        return {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.state.updates),
        }

    async def api_getupdates(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        st = self.state
        self._event("polled", None, offset=params.get("offset"))
        offset = int(params.get("offset") or 0)
        if offset > st.confirmed_offset:
            st.confirmed_offset = offset
            st.updates = [u for u in st.updates if u["update_id"] >= offset]
            self._event("confirmed", None, offset=offset)
            await self._notify()  # wake whoever waits for this confirmation
        allowed = params.get("allowed_updates")
        limit = int(params.get("limit") or 100)

        def pending() -> list[dict[str, Any]]:
            found = []
            for update in st.updates:
                if update["update_id"] < st.confirmed_offset:
                    continue
                kind = next(k for k in update if k != "update_id")
                if allowed:
                    if kind not in allowed:
                        continue
                elif kind in NOT_BY_DEFAULT:
                    continue
                found.append(update)
            return found[:limit]

        timeout = float(params.get("timeout") or 0)
        if not pending() and timeout > 0:
            await self._wait(lambda: bool(pending()), timeout)
        batch = pending()
        if batch:
            await self._notify()
            self._event("delivered", None, update_ids=[u["update_id"] for u in batch])
        return batch

    async def api_sendmessage(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        text = params.get("text")
        if not text or not str(text).strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(str(text)) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        return self._send(params, {"text": str(text)})

    def _send(self, params: dict[str, Any], content: dict[str, Any]) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int):
            raise ApiError(400, "Bad Request: chat_id is empty")
        if chat_id in self.state.migrated:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self.state.migrated[chat_id]},
            )
        _check_limits(params, content)
        chat = self._chat(chat_id)
        if chat["type"] == "private" and chat_id in self.state.blocked_by:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat["type"] != "private" and self.state.bot_member_status.get(chat_id) not in (
            "member",
            "administrator",
        ):
            raise ApiError(403, "Forbidden: bot is not a member of the group chat")
        message: dict[str, Any] = {
            "message_id": self._message_id(chat_id),
            "date": int(time.time()),
            "chat": chat,
            "from": self.state.bot_user,
            **content,
        }
        markup = params.get("reply_markup")
        if markup:
            message["reply_markup"] = markup
        reply = params.get("reply_parameters") or (
            {"message_id": params["reply_to_message_id"]}
            if params.get("reply_to_message_id")
            else None
        )
        if reply:
            message["reply_to_message_id"] = reply.get("message_id")
        if params.get("parse_mode"):
            message["parse_mode"] = params["parse_mode"]
        self._store(chat_id, message)
        self._event("message", chat_id, message_id=message["message_id"])
        return _public(message)

    async def api_editmessagetext(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        message = self._find_message(
            int(params.get("chat_id") or 0), int(params.get("message_id") or 0)
        )
        text = str(params.get("text") or "")
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        _check_limits(params, {"text": text})
        markup = params.get("reply_markup")
        if message.get("text") == text and message.get("reply_markup") == markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message "
                "content and reply markup are exactly the same as a current "
                "content and reply markup of the message",
            )
        message["text"] = text
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        message["edit_date"] = int(time.time())
        self._event("edit", message["chat"]["id"], message_id=message["message_id"])
        return _public(message)

    async def api_editmessagereplymarkup(
        self, params: dict[str, Any], files: dict[str, Any]
    ) -> Any:
        message = self._find_message(
            int(params.get("chat_id") or 0), int(params.get("message_id") or 0)
        )
        markup = params.get("reply_markup")
        if message.get("reply_markup") == markup or (not markup and "reply_markup" not in message):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message "
                "content and reply markup are exactly the same as a current "
                "content and reply markup of the message",
            )
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        message["edit_date"] = int(time.time())
        self._event("edit", message["chat"]["id"], message_id=message["message_id"])
        return _public(message)

    async def api_deletemessage(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        chat_id = int(params.get("chat_id") or 0)
        message = self._find_message(chat_id, int(params.get("message_id") or 0))
        message["deleted"] = True
        self._event("delete", chat_id, message_id=message["message_id"])
        return True

    async def api_answercallbackquery(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self.state.callback_answers:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query id is invalid",
            )
        answer = self.state.callback_answers[query_id]
        if answer.get("answered"):
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query id is invalid",
            )
        answer.update(
            answered=True, text=params.get("text"), show_alert=bool(params.get("show_alert"))
        )
        self._event(
            "callback_answer",
            answer.get("chat_id"),
            callback_query_id=query_id,
            text=params.get("text"),
        )
        return True

    async def api_sendchataction(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        self._chat(int(params.get("chat_id") or 0))
        return True

    def _file_from(
        self, value: Any, files: dict[str, Any], field_name: str, default_mime: str
    ) -> StoredFile:
        if isinstance(value, str) and value.startswith("attach://"):
            value = files.get(value.removeprefix("attach://"))
        if value is None:
            value = files.get(field_name)
        if isinstance(value, str):
            stored = self.state.files.get(value)
            if stored is None:
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            return stored
        if not isinstance(value, web.FileField):
            raise ApiError(400, f"Bad Request: there is no {field_name} in the request")
        data = value.file.read()
        unique = secrets.token_hex(8)
        stored = StoredFile(
            file_id="F" + unique + secrets.token_hex(8),
            file_unique_id=unique,
            data=data,
            filename=value.filename or field_name,
            mime_type=value.content_type or default_mime,
        )
        self.state.files[stored.file_id] = stored
        return stored

    async def api_sendphoto(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        stored = self._file_from(params.get("photo"), files, "photo", "image/png")
        content: dict[str, Any] = {"photo": [_photo_size(stored)]}
        if params.get("caption"):
            content["caption"] = params["caption"]
        return self._send(params, content)

    async def api_senddocument(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        stored = self._file_from(
            params.get("document"), files, "document", "application/octet-stream"
        )
        content: dict[str, Any] = {
            "document": {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_name": stored.filename,
                "mime_type": stored.mime_type,
                "file_size": len(stored.data),
            }
        }
        if params.get("caption"):
            content["caption"] = params["caption"]
        return self._send(params, content)

    async def api_getfile(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        stored = self.state.files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.path,
        }

    async def _file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.state.token:
            return web.Response(status=401, text="Unauthorized")
        path = request.match_info["path"]
        for stored in self.state.files.values():
            if stored.path == path:
                return web.Response(body=stored.data, content_type=stored.mime_type)
        return web.Response(status=404, text="Not Found")

    async def _c_file(self, request: web.Request) -> web.Response:
        """A file the bot sent or a user uploaded, by file_id (for tests and the web page)."""
        stored = self.state.files.get(request.match_info["file_id"])
        if stored is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(
            body=stored.data,
            content_type=stored.mime_type,
            headers={"Content-Disposition": f"inline; filename*=UTF-8''{quote(stored.filename)}"},
        )

    async def api_setmycommands(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        for command in commands:
            name = str(command.get("command", ""))
            if (
                not (1 <= len(name) <= 32)
                or not name.replace("_", "").isalnum()
                or name.lower() != name
            ):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not (1 <= len(str(command.get("description", ""))) <= 256):
                raise ApiError(400, "Bad Request: command description is empty or too long")
        key = _scope_key(params.get("scope"), params.get("language_code"))
        self.state.commands[key] = commands
        self._event("commands", _scope_chat(params.get("scope")), scope=key)
        return True

    async def api_getmycommands(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        return self.state.commands.get(
            _scope_key(params.get("scope"), params.get("language_code")), []
        )

    async def api_deletemycommands(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        self.state.commands.pop(_scope_key(params.get("scope"), params.get("language_code")), None)
        return True

    async def api_getchat(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        chat = dict(self._chat(int(params.get("chat_id") or 0)))
        chat.setdefault("accent_color_id", 0)
        chat.setdefault("max_reaction_count", 11)
        return chat

    async def api_getchatmember(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        chat_id = int(params.get("chat_id") or 0)
        self._chat(chat_id)
        user_id = int(params.get("user_id") or 0)
        if user_id == self.state.bot_user["id"]:
            return {
                "user": self.state.bot_user,
                "status": self.state.bot_member_status.get(chat_id, "left"),
            }
        return {"user": self.user(user_id), "status": "member"}

    async def api_leavechat(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        chat_id = int(params.get("chat_id") or 0)
        self._chat(chat_id)
        self.state.bot_member_status[chat_id] = "left"
        self._event("left", chat_id)
        return True

    # ------------------------------------------------------------------ control API

    async def _c_user(self, request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response(self.user(int(body["id"]), **body))

    async def _c_send(self, request: web.Request) -> web.Response:
        try:
            return web.json_response(await self.send(await request.json()))
        except ControlError as exc:
            return web.json_response(exc.body, status=exc.status)

    async def send(self, body: dict[str, Any]) -> dict[str, Any]:
        """Inject a message from a user: text (commands get their entity), contact, photo,
        sticker, document or location; `forward_from` makes it forwarded, `edit_of` an edit.
        Body: {user_id, chat_id?, text? | contact? | photo? | sticker? | document? | location?}.
        (The control API's POST /sandbox/send; callable in-process too.)"""
        user = self.user(int(body["user_id"]), **body.get("user", {}))
        chat_id = int(body.get("chat_id") or user["id"])
        chat = self.state.chats.get(chat_id)
        if chat is None:
            raise ControlError(404, {"error": f"no chat {chat_id}"})
        message: dict[str, Any] = {
            "message_id": self._message_id(chat_id),
            "date": int(time.time()),
            "chat": chat,
            "from": user,
        }
        if "text" in body:
            text = str(body["text"])
            message["text"] = text
            if text.startswith("/"):
                command = text.split()[0]
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        elif "contact" in body:
            contact = dict(body["contact"])
            contact.setdefault("first_name", user["first_name"])
            message["contact"] = contact
        elif "photo" in body:
            data = str(body.get("photo") or "photo").encode()
            unique = secrets.token_hex(8)
            stored = StoredFile("P" + unique, unique, data, "photo.jpg", "image/jpeg")
            self.state.files[stored.file_id] = stored
            message["photo"] = [_photo_size(stored)]
            if body.get("caption"):
                message["caption"] = body["caption"]
        elif "sticker" in body:
            unique = secrets.token_hex(8)
            message["sticker"] = {
                "file_id": "S" + unique,
                "file_unique_id": unique,
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": str(body.get("sticker") or "👍"),
            }
        elif "document" in body:
            unique = secrets.token_hex(8)
            stored = StoredFile(
                "D" + unique,
                unique,
                str(body["document"]).encode(),
                body.get("file_name", "file.txt"),
                "text/plain",
            )
            self.state.files[stored.file_id] = stored
            message["document"] = {
                "file_id": stored.file_id,
                "file_unique_id": unique,
                "file_name": stored.filename,
                "mime_type": stored.mime_type,
            }
        elif "location" in body:
            latitude, longitude = body["location"]
            message["location"] = {"latitude": float(latitude), "longitude": float(longitude)}
        else:
            raise ControlError(400, {"error": "nothing to send"})
        if body.get("forward_from"):
            message["forward_origin"] = {
                "type": "user",
                "date": int(time.time()) - 3600,
                "sender_user": self.user(int(body["forward_from"])),
            }
        kind = "message"
        if body.get("edit_of"):  # an edit of an earlier message: an edited_message update
            message["message_id"] = int(body["edit_of"])
            message["edit_date"] = int(time.time())
            kind = "edited_message"
        else:
            self._store(chat_id, message)
        self._event("user_message", chat_id, message_id=message["message_id"])
        update = self._push_update(kind, message)
        await self._notify()
        return {"update_id": update["update_id"], "message": message, "seq": len(self.state.events)}

    async def _c_press(self, request: web.Request) -> web.Response:
        try:
            return web.json_response(await self.press(await request.json()))
        except ControlError as exc:
            return web.json_response(exc.body, status=exc.status)

    async def press(self, body: dict[str, Any]) -> dict[str, Any]:
        """Press an inline button: {user_id, chat_id, message_id, data?|text?, forge?}.
        (The control API's POST /sandbox/press; callable in-process too.)"""
        user = self.user(int(body["user_id"]))
        chat_id = int(body.get("chat_id") or user["id"])
        try:
            message = self._find_message(chat_id, int(body["message_id"]))
        except ApiError:
            raise ControlError(404, {"error": "no such message"}) from None
        data = body.get("data")
        if not body.get("forge"):
            buttons = [
                b
                for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
                for b in row
            ]
            if "text" in body:
                match = [b for b in buttons if b.get("text") == body["text"]]
                if not match:
                    raise ControlError(
                        404,
                        {
                            "error": f"no button {body['text']!r}",
                            "buttons": [b.get("text") for b in buttons],
                        },
                    )
                data = match[0].get("callback_data")
            elif not any(b.get("callback_data") == data for b in buttons):
                raise ControlError(404, {"error": f"no button with data {data!r}"})
        query_id = str(next(self._callback_ids)) + secrets.token_hex(4)
        self.state.callback_answers[query_id] = {"chat_id": chat_id, "answered": False}
        payload = {
            "id": query_id,
            "from": user,
            "message": _public(message),
            "chat_instance": str(chat_id),
            "data": data,
        }
        update = self._push_update("callback_query", payload)
        await self._notify()
        return {
            "update_id": update["update_id"],
            "callback_query_id": query_id,
            "seq": len(self.state.events),
        }

    async def _c_group(self, request: web.Request) -> web.Response:
        body = await request.json()
        chat_id = int(body["chat_id"])
        if chat_id >= 0:
            return web.json_response({"error": "group ids are negative"}, status=400)
        chat = {
            "id": chat_id,
            "type": body.get("type", "group"),
            "title": body.get("title", f"Group {chat_id}"),
        }
        self.state.chats[chat_id] = chat
        self.state.messages.setdefault(chat_id, [])
        return web.json_response(chat)

    async def _c_group_bot(self, request: web.Request) -> web.Response:
        """Add the bot to a group or remove it: {action: add|remove, by_user_id}."""
        chat_id = int(request.match_info["chat_id"])
        body = await request.json()
        chat = self.state.chats.get(chat_id)
        if chat is None:
            return web.json_response({"error": f"no chat {chat_id}"}, status=404)
        by = self.user(int(body["by_user_id"]))
        old = self.state.bot_member_status.get(chat_id, "left")
        new = {"add": "member", "admin": "administrator", "remove": "kicked", "leave": "left"}[
            body.get("action", "add")
        ]
        self.state.bot_member_status[chat_id] = new
        member_update = {
            "chat": chat,
            "from": by,
            "date": int(time.time()),
            "old_chat_member": _member(self.state.bot_user, old),
            "new_chat_member": _member(self.state.bot_user, new),
        }
        update = self._push_update("my_chat_member", member_update)
        if new == "member" and old in ("left", "kicked"):
            message = {
                "message_id": self._message_id(chat_id),
                "date": int(time.time()),
                "chat": chat,
                "from": by,
                "new_chat_members": [self.state.bot_user],
            }
            self._store(chat_id, message)
            self._push_update("message", message)
        await self._notify()
        return web.json_response({"update_id": update["update_id"], "seq": len(self.state.events)})

    async def _c_group_migrate(self, request: web.Request) -> web.Response:
        """Upgrade a group to a supergroup: {new_chat_id, by_user_id}."""
        chat_id = int(request.match_info["chat_id"])
        body = await request.json()
        old_chat = self.state.chats.get(chat_id)
        if old_chat is None:
            return web.json_response({"error": f"no chat {chat_id}"}, status=404)
        new_id = int(body["new_chat_id"])
        by = self.user(int(body["by_user_id"]))
        new_chat = {"id": new_id, "type": "supergroup", "title": old_chat.get("title")}
        self.state.chats[new_id] = new_chat
        self.state.messages.setdefault(new_id, [])
        self.state.bot_member_status[new_id] = self.state.bot_member_status.get(chat_id, "left")
        self.state.migrated[chat_id] = new_id
        first = {
            "message_id": self._message_id(chat_id),
            "date": int(time.time()),
            "chat": old_chat,
            "from": by,
            "migrate_to_chat_id": new_id,
        }
        self._store(chat_id, first)
        update = self._push_update("message", first)
        second = {
            "message_id": self._message_id(new_id),
            "date": int(time.time()),
            "chat": new_chat,
            "from": by,
            "migrate_from_chat_id": chat_id,
        }
        self._store(new_id, second)
        self._push_update("message", second)
        await self._notify()
        return web.json_response({"update_id": update["update_id"], "seq": len(self.state.events)})

    async def _c_block(self, request: web.Request) -> web.Response:
        body = await request.json()
        user_id = int(body["user_id"])
        if body.get("blocked", True):
            self.state.blocked_by.add(user_id)
        else:
            self.state.blocked_by.discard(user_id)
        return web.json_response({"blocked": sorted(self.state.blocked_by)})

    async def _c_chats(self, request: web.Request) -> web.Response:
        return web.json_response(list(self.state.chats.values()))

    async def _c_messages(self, request: web.Request) -> web.Response:
        chat_id = int(request.match_info["chat_id"])
        messages = self.state.messages.get(chat_id, [])
        last = int(request.query.get("last", "0"))  # only the newest `last` messages
        return web.json_response(messages[-last:] if last > 0 else messages)

    async def _c_events(self, request: web.Request) -> web.Response:
        """Events after `after` (a seq), long-polling up to `timeout` seconds for the first."""
        after = int(request.query.get("after", "0"))
        timeout = float(request.query.get("timeout", "0"))
        chat = request.query.get("chat_id")
        kinds = set(filter(None, request.query.get("kinds", "").split(",")))

        def found() -> list[dict[str, Any]]:
            return [
                e
                for e in self.state.events[after:]
                if (chat is None or e["chat_id"] == int(chat)) and (not kinds or e["kind"] in kinds)
            ]

        if timeout > 0:
            await self._wait(lambda: bool(found()), timeout)
        return web.json_response({"events": found(), "last_seq": len(self.state.events)})

    async def _c_updates(self, request: web.Request) -> web.Response:
        st = self.state
        return web.json_response(
            {
                "pending": [
                    u["update_id"] for u in st.updates if u["update_id"] >= st.confirmed_offset
                ],
                "confirmed_offset": st.confirmed_offset,
                "last_update_id": st.next_update_id - 1,
            }
        )

    async def _c_calls(self, request: web.Request) -> web.Response:
        method = request.query.get("method")
        calls = [
            c for c in self.state.calls if method is None or c["method"].lower() == method.lower()
        ]
        return web.json_response(calls)

    async def _c_commands(self, request: web.Request) -> web.Response:
        return web.json_response(self.state.commands)

    async def _c_callback_answer(self, request: web.Request) -> web.Response:
        answer = self.state.callback_answers.get(request.match_info["id"])
        if answer is None:
            return web.json_response({"error": "unknown callback query"}, status=404)
        return web.json_response(answer)

    async def _c_fail(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("mode") == "clear":
            self.state.fail_rules.clear()
            return web.json_response({"rules": 0})
        rule = FailRule(
            mode=str(body["mode"]),
            method=body.get("method"),
            chat_id=body.get("chat_id"),
            count=int(body.get("count", 1)),
            retry_after=int(body.get("retry_after", 1)),
            hang_seconds=float(body.get("hang_seconds", 30)),
            description=body.get("description"),
        )
        self.state.fail_rules.append(rule)
        return web.json_response({"rules": len(self.state.fail_rules)})

    async def _c_rate_limit(self, request: web.Request) -> web.Response:
        body = await request.json()
        limit = body.get("per_second")
        self.state.rate_limit_per_second = float(limit) if limit else None
        return web.json_response({"per_second": self.state.rate_limit_per_second})

    async def _c_health(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "bot": self.state.bot_user["username"]})


# ---------------------------------------------------------------------- helpers


async def _read_params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = {}
    files: dict[str, web.FileField] = {}
    content_type = request.content_type
    if request.method == "GET":
        raw: dict[str, Any] = dict(request.query)
    elif content_type == "application/json":
        raw = await request.json() if request.can_read_body else {}
    else:
        form = await request.post()
        raw = {}
        for key, item in form.items():
            if isinstance(item, web.FileField):
                files[key] = item
            else:
                raw[key] = item
    for key, raw_value in raw.items():
        value: Any = raw_value
        if isinstance(raw_value, str):
            if key in JSON_PARAMS:
                try:
                    value = json.loads(value)
                except json.JSONDecodeError:
                    raise ValueError(f"can't parse {key} JSON object") from None
            elif key in INT_PARAMS:
                try:
                    value = int(value)
                except ValueError:
                    raise ValueError(f"{key} must be an integer") from None
            elif key in FLOAT_PARAMS:
                value = float(value)
            elif value in ("true", "false"):
                value = value == "true"
        params[key] = value
    for key, file in files.items():
        if key in ("photo", "document"):
            params.setdefault(key, file)
    params["__files__"] = files
    return params


def _check_limits(params: dict[str, Any], content: dict[str, Any]) -> None:
    """Telegram's size limits, answered as Telegram answers them."""
    if len(str(content.get("text") or "")) > 4096:
        raise ApiError(400, "Bad Request: message is too long")
    if len(str(content.get("caption") or "")) > 1024:
        raise ApiError(400, "Bad Request: message caption is too long")
    markup = params.get("reply_markup")
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    if rows and sum(len(row) for row in rows) > 100:
        raise ApiError(400, "Bad Request: reply markup is too long")


def _error(exc: ApiError) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": exc.status, "description": exc.description}
    if exc.parameters:
        body["parameters"] = exc.parameters
    return web.json_response(body, status=exc.status)


def _public(message: dict[str, Any]) -> dict[str, Any]:
    """The message as Telegram returns it: reply keyboards are kept here for people and tests
    to see, but Telegram only echoes an inline keyboard back to the bot."""
    public = {k: v for k, v in message.items() if k not in ("deleted", "parse_mode")}
    markup = public.get("reply_markup")
    if markup is not None and "inline_keyboard" not in markup:
        del public["reply_markup"]
    return public


def _loggable(params: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (f"<file {v.filename}>" if isinstance(v, web.FileField) else v)
        for k, v in params.items()
    }


def _photo_size(stored: StoredFile) -> dict[str, Any]:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "width": 800,
        "height": 600,
        "file_size": len(stored.data),
    }


def _member(user: dict[str, Any], status: str) -> dict[str, Any]:
    member: dict[str, Any] = {"user": user, "status": status}
    if status == "kicked":
        member["until_date"] = 0
    if status == "administrator":
        member.update(
            can_be_edited=False,
            is_anonymous=False,
            can_manage_chat=True,
            can_delete_messages=True,
            can_manage_video_chats=True,
            can_restrict_members=True,
            can_promote_members=False,
            can_change_info=True,
            can_invite_users=True,
            can_post_stories=False,
            can_edit_stories=False,
            can_delete_stories=False,
        )
    return member


def _chat_of(payload: dict[str, Any]) -> int | None:
    chat = payload.get("chat") or (payload.get("message") or {}).get("chat")
    return int(chat["id"]) if chat else None


def _scope_key(scope: Any, language_code: Any) -> str:
    if not scope:
        key = "default"
    else:
        key = scope.get("type", "default")
        if "chat_id" in scope:
            key += f":{scope['chat_id']}"
        if "user_id" in scope:
            key += f":{scope['user_id']}"
    if language_code:
        key += f"@{language_code}"
    return key


def _scope_chat(scope: Any) -> int | None:
    if scope and "chat_id" in scope:
        return int(scope["chat_id"])
    return None
