"""The stand-in's core: its state, the event log waiters read, users, chats and messages."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from sandbox.state import ApiError, SandboxState, _chat_of, new_token


class Core:
    """What the Bot API methods and the control API share: the state and its events."""

    def __init__(
        self,
        *,
        token: str | None = None,  # None: one made for this run
        host: str = "127.0.0.1",
        port: int = 0,
        bot_username: str = "fangfanpin_bot",
        bot_name: str = "防返贫监测",
    ) -> None:
        token = token or new_token()
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
        self._notifying: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self._closing = False
        self._callback_ids = itertools.count(1)
        self.extra_routes: list[web.RouteDef] = []
        # Called with every event as it happens (in-process observers, such as the bench).
        self.listeners: list[Callable[[dict[str, Any]], None]] = []
        self._site: web.TCPSite | None = None

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
        # Wake the long polls of /sandbox/events now: an event recorded inside a long call
        # (getUpdates, a hang) is otherwise seen only when that call returns.
        with contextlib.suppress(RuntimeError):  # no loop running (set-up outside the server)
            task = asyncio.get_running_loop().create_task(self._notify())
            self._notifying.add(task)
            task.add_done_callback(self._notifying.discard)
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
