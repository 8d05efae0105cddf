"""Talk to the stand-in's control API over HTTP: act as a person, read what chats received."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

T = TypeVar("T")


class SandboxError(AssertionError):
    pass


class SandboxClient:
    """An async client for `/sandbox/...`. Every call is plain HTTP; nothing reaches into
    the server's memory, so the same client drives a stand-in in another process."""

    def __init__(self, root: str, *, timeout: float = 30.0) -> None:
        self.root = root.rstrip("/")
        self.http = httpx.AsyncClient(base_url=self.root, timeout=timeout)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> SandboxClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _post(self, path: str, body: dict[str, Any]) -> Any:
        response = await self.http.post(path, json=body)
        if response.status_code >= 400:
            raise SandboxError(f"{path}: {response.status_code} {response.text}")
        return response.json()

    async def _get(self, path: str, **params: Any) -> Any:
        response = await self.http.get(
            path, params={k: v for k, v in params.items() if v is not None}
        )
        if response.status_code >= 400:
            raise SandboxError(f"{path}: {response.status_code} {response.text}")
        return response.json()

    async def file(self, file_id: str) -> bytes:
        """The bytes of a file the bot sent (a chart, an export)."""
        response = await self.http.get(f"/sandbox/files/{file_id}")
        if response.status_code >= 400:
            raise SandboxError(f"file {file_id}: {response.status_code} {response.text}")
        return response.content

    # ----------------------------------------------------------- acting as a person

    async def user(self, user_id: int, first_name: str, **fields: Any) -> dict[str, Any]:
        result: dict[str, Any] = await self._post(
            "/sandbox/users", {"id": user_id, "first_name": first_name, **fields}
        )
        return result

    async def send_text(self, user_id: int, text: str, *, chat_id: int | None = None) -> Any:
        return await self._post(
            "/sandbox/send", {"user_id": user_id, "chat_id": chat_id, "text": text}
        )

    async def send_contact(
        self,
        user_id: int,
        phone_number: str,
        *,
        contact_user_id: int | None = None,
        first_name: str | None = None,
        chat_id: int | None = None,
    ) -> Any:
        contact: dict[str, Any] = {"phone_number": phone_number}
        if contact_user_id is not None:
            contact["user_id"] = contact_user_id
        if first_name:
            contact["first_name"] = first_name
        return await self._post(
            "/sandbox/send", {"user_id": user_id, "chat_id": chat_id, "contact": contact}
        )

    async def send_other(
        self, user_id: int, kind: str, value: str = "x", *, chat_id: int | None = None
    ) -> Any:
        """Send a sticker, photo or document (kind) instead of text."""
        return await self._post(
            "/sandbox/send", {"user_id": user_id, "chat_id": chat_id, kind: value}
        )

    async def press(
        self,
        user_id: int,
        message_id: int,
        *,
        text: str | None = None,
        data: str | None = None,
        chat_id: int | None = None,
        forge: bool = False,
    ) -> Any:
        body: dict[str, Any] = {
            "user_id": user_id,
            "chat_id": chat_id,
            "message_id": message_id,
            "forge": forge,
        }
        if text is not None:
            body["text"] = text
        else:
            body["data"] = data
        return await self._post("/sandbox/press", body)

    async def create_group(self, chat_id: int, title: str, *, kind: str = "group") -> Any:
        return await self._post(
            "/sandbox/groups", {"chat_id": chat_id, "title": title, "type": kind}
        )

    async def bot_membership(self, chat_id: int, by_user_id: int, action: str = "add") -> Any:
        return await self._post(
            f"/sandbox/groups/{chat_id}/bot", {"by_user_id": by_user_id, "action": action}
        )

    async def migrate_group(self, chat_id: int, new_chat_id: int, by_user_id: int) -> Any:
        return await self._post(
            f"/sandbox/groups/{chat_id}/migrate",
            {"new_chat_id": new_chat_id, "by_user_id": by_user_id},
        )

    # ----------------------------------------------------------- reading

    async def messages(self, chat_id: int, *, last: int | None = None) -> list[dict[str, Any]]:
        """The chat's messages, oldest first; with `last`, only the newest `last`."""
        result: list[dict[str, Any]] = await self._get(
            f"/sandbox/chats/{chat_id}/messages", last=last
        )
        return result

    async def bot_messages(self, chat_id: int) -> list[dict[str, Any]]:
        return [m for m in await self.messages(chat_id) if m.get("from", {}).get("is_bot")]

    async def message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        for m in await self.messages(chat_id):
            if m["message_id"] == message_id:
                return m
        raise SandboxError(f"no message {message_id} in chat {chat_id}")

    async def last_seq(self) -> int:
        # Asking for events after the end returns none, only the count: cheap at any length.
        result = await self._get("/sandbox/events", after=2**62, timeout=0)
        return int(result["last_seq"])

    async def events(
        self,
        *,
        after: int,
        chat_id: int | None = None,
        kinds: str | None = None,
        timeout: float = 0,
    ) -> list[dict[str, Any]]:
        result = await self._get(
            "/sandbox/events", after=after, chat_id=chat_id, kinds=kinds, timeout=timeout
        )
        events: list[dict[str, Any]] = result["events"]
        return events

    async def _poll(
        self,
        pick: Callable[[list[dict[str, Any]]], T | None],
        *,
        after: int,
        kinds: str,
        chat_id: int | None,
        timeout: float,
        advance: bool = False,
    ) -> T | None:
        """Long-poll the event log after `after` until `pick` finds what is waited for in
        the events (None when `timeout` passes first). With `advance`, each round looks only
        at the events after those already seen."""
        deadline = time.monotonic() + timeout
        while True:
            found = await self.events(
                after=after,
                chat_id=chat_id,
                kinds=kinds,
                timeout=max(0.0, min(5.0, deadline - time.monotonic())),
            )
            picked = pick(found)
            if picked is not None:
                return picked
            if advance and found:
                after = max(int(e["seq"]) for e in found)
            if time.monotonic() >= deadline:
                return None

    async def wait_bot_messages(
        self, chat_id: int, *, after: int, count: int = 1, timeout: float = 15.0
    ) -> list[dict[str, Any]]:
        """Wait until the bot has sent `count` new messages to `chat_id` after event `after`."""
        first = await self._poll(
            lambda found: found[:count] if len(found) >= count else None,
            after=after,
            kinds="message",
            chat_id=chat_id,
            timeout=timeout,
        )
        if first is None:
            seen = await self.events(after=after, chat_id=chat_id, kinds="message")
            raise SandboxError(
                f"chat {chat_id}: waited {timeout}s for {count} bot message(s), got "
                f"{len(seen)}; last messages: {(await self.messages(chat_id))[-3:]}"
            )
        ids = {e["message_id"] for e in first}
        return [m for m in await self.messages(chat_id) if m["message_id"] in ids]

    async def reply(self, chat_id: int, *, after: int, timeout: float = 15.0) -> dict[str, Any]:
        """The first message the bot sent to `chat_id` after event `after`."""
        return (await self.wait_bot_messages(chat_id, after=after, timeout=timeout))[0]

    async def wait_event(
        self, *, after: int, kinds: str, chat_id: int | None = None, timeout: float = 15.0
    ) -> dict[str, Any]:
        event = await self._poll(
            lambda found: found[0] if found else None,
            after=after,
            kinds=kinds,
            chat_id=chat_id,
            timeout=timeout,
        )
        if event is None:
            raise SandboxError(f"waited {timeout}s for a {kinds} event")
        return event

    async def edit_of(
        self, chat_id: int, message_id: int, *, after: int, timeout: float = 15.0
    ) -> dict[str, Any]:
        """Wait for an edit of `message_id` after event `after` (edits of other messages of
        the chat are not it); the message as edited."""
        return await self.answer_to_press(
            chat_id, message_id, after=after, timeout=timeout, edit_only=True
        )

    async def answer_to_press(
        self,
        chat_id: int,
        message_id: int,
        *,
        after: int,
        timeout: float = 15.0,
        edit_only: bool = False,
    ) -> dict[str, Any]:
        """The bot's answer to a press on `message_id`: its next message to the chat, or the
        pressed message as edited (a conversation turns the answered question into the next
        one); with `edit_only`, the edit only. Edits of other messages are not the answer."""

        def wanted(event: dict[str, Any]) -> bool:
            return event["message_id"] == message_id or (
                not edit_only and event["kind"] == "message"
            )

        answer = await self._poll(
            lambda found: next((e for e in found if wanted(e)), None),
            after=after,
            kinds="edit" if edit_only else "message,edit",
            chat_id=chat_id,
            timeout=timeout,
            advance=True,
        )
        if answer is None:
            raise SandboxError(f"chat {chat_id}: no answer to the press in {timeout}s")
        return await self.message(chat_id, int(answer["message_id"]))

    async def updates(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._get("/sandbox/updates")
        return result

    async def handled(self, update_id: int, *, after: int = 0, timeout: float = 30.0) -> None:
        """Wait until the bot has confirmed `update_id` (it confirms only after handling);
        `after`: an event number from before the update was sent."""
        deadline = time.monotonic() + timeout
        while (await self.updates())["confirmed_offset"] <= update_id:
            if time.monotonic() >= deadline:
                raise SandboxError(f"update {update_id} not handled within {timeout}s")
            found = await self.events(after=after, kinds="confirmed", timeout=1.0)
            if found:
                after = max(int(e["seq"]) for e in found)

    async def calls(self, method: str | None = None) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._get("/sandbox/calls", method=method)
        return result

    async def commands(self) -> dict[str, list[dict[str, Any]]]:
        result: dict[str, list[dict[str, Any]]] = await self._get("/sandbox/commands")
        return result

    async def callback_answer(self, callback_query_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._get(f"/sandbox/callback_answers/{callback_query_id}")
        return result

    # ----------------------------------------------------------- failures

    async def fail(
        self,
        mode: str,
        *,
        method: str | None = None,
        chat_id: int | None = None,
        count: int = 1,
        retry_after: int = 1,
        hang_seconds: float = 30,
        description: str | None = None,
    ) -> Any:
        return await self._post(
            "/sandbox/fail",
            {
                "mode": mode,
                "method": method,
                "chat_id": chat_id,
                "count": count,
                "retry_after": retry_after,
                "hang_seconds": hang_seconds,
                "description": description,
            },
        )

    async def rate_limit(self, per_second: float | None) -> Any:
        return await self._post("/sandbox/rate_limit", {"per_second": per_second})
