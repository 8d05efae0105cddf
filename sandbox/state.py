"""The stand-in's state and its wire format: what it holds (users, chats, messages, updates,
events, injected failures) and how Bot API parameters and answers are read and written."""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

BOT_ID = 123456  # the stand-in bot's user id (public, as a bot's id is)


def new_token() -> str:
    """A bot token made for this run (`<bot id>:<secret>`, as Telegram's), so that nothing
    knows it but who started the stand-in."""
    return f"{BOT_ID}:{secrets.token_urlsafe(24)}"


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
