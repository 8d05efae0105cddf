"""The control API under /sandbox/…: act as a person (send, press, groups, blocking),
read what chats received, inject failures."""

from __future__ import annotations

import secrets
import time
from typing import Any
from urllib.parse import quote

from aiohttp import web

from sandbox.core import Core
from sandbox.state import (
    ApiError,
    ControlError,
    FailRule,
    StoredFile,
    _member,
    _photo_size,
    _public,
)


class Control(Core):
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
