"""The Bot API methods the bot uses, answered as Telegram answers them (status codes, error
descriptions, limits), with injected failures and outages."""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

from aiohttp import web

from sandbox.core import Core
from sandbox.state import (
    NOT_BY_DEFAULT,
    ApiError,
    StoredFile,
    _check_limits,
    _error,
    _loggable,
    _photo_size,
    _public,
    _read_params,
    _scope_chat,
    _scope_key,
)


class BotApi(Core):
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
        if method == "getUpdates":
            record["returned"] = len(result)  # the bench's polling economy
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
