"""What the DingTalk stand-in holds: the application's credentials, the organisation's people
and groups, the access tokens, every message and card the application sent, the callbacks
pushed down the Stream connection (never pushed again unless a test asks), every request
the application made (`calls`; `metered` says which of them DingTalk counts), and the
failures a test asked for."""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

CORP_ID = "dingsandboxcorp"
TOKEN_SECONDS = 7200  # /v1.0/oauth2/accessToken answers expireIn 7200

BOT_MESSAGE_TOPIC = "/v1.0/im/bot/messages/get"
CARD_CALLBACK_TOPIC = "/v1.0/card/instances/callback"

# What DingTalk's monthly API quota does not count ("不纳入调用量限制的接口清单": the access
# token, 查询用户详情), what is no OpenAPI call at all (the Stream gateway, a file's download
# address), and what is not counted because it failed on a rate limit ("因为单应用调用QPS限流
# …导致的失败调用，不会被统计到调用次数中", DingTalk's billing page): docs/dingtalk.md.
NOT_METERED = (
    "/v1.0/oauth2/accessToken",
    "/topapi/v2/user/get",
    "/v1.0/gateway/",
    "/connect",
    "/files/",
)
RATE_LIMITED = ("QpsLimit", "QpmLimit", "Throttling")


def metered(call: dict[str, Any]) -> bool:
    """Whether DingTalk counts `call` (an entry of `DingState.calls`) against the month."""
    path = str(call.get("path", ""))
    if any(path.startswith(free) for free in NOT_METERED):
        return False
    code = str(call.get("code") or "")
    return not (int(call.get("status", 200)) in (403, 429) and any(r in code for r in RATE_LIMITED))


def new_id(prefix: str) -> str:
    return prefix + secrets.token_hex(8)


@dataclass
class Frame:
    """A frame of the Stream protocol pushed to the application: SYSTEM, EVENT or CALLBACK,
    its headers, and `data` (a JSON string inside the frame)."""

    type: str
    topic: str
    data: dict[str, Any]
    message_id: str = field(default_factory=lambda: new_id("msg-"))
    acked: bool = False
    pushed: int = 0  # times sent down a connection
    ack: dict[str, Any] | None = None

    def wire(self, connection_id: str, app_id: str) -> str:
        return json.dumps(
            {
                "specVersion": "1.0",
                "type": self.type,
                "headers": {
                    "appId": app_id,
                    "connectionId": connection_id,
                    "contentType": "application/json",
                    "messageId": self.message_id,
                    "time": str(int(time.time() * 1000)),
                    "topic": self.topic,
                },
                "data": json.dumps(self.data, ensure_ascii=False),
            },
            ensure_ascii=False,
        )


@dataclass
class Failure:
    """The next `times` requests whose path starts with `path` are answered `status` (with
    DingTalk's `code` for it: throttled for 403, unavailable for 5xx, or the one given)."""

    path: str
    status: int
    times: int
    code: str | None = None


@dataclass
class Limits:
    """What DingTalk allows the application (sandbox/dingtalk/openapi.py): calls a second per
    API, metered calls a month (the standard plan's since 2025-11-19; None: no limit), and
    whether the 企业员工手机号信息 permission was granted."""

    per_second: int = 20
    monthly_quota: int | None = 5000
    used: int = 0  # metered calls this month
    month: str = ""
    mobile_permission: bool = True
    seconds: dict[str, tuple[int, int]] = field(default_factory=dict)  # path -> (second, calls)


@dataclass
class DingState:
    # The application's AppKey (also its robotCode) and AppSecret: made for this run, so
    # that nothing knows them but who started the stand-in (a test may give its own).
    client_id: str = field(default_factory=lambda: new_id("ding"))
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # userid -> user
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)  # openConversationId -> group
    tokens: dict[str, float] = field(default_factory=dict)  # token -> expires at (epoch)
    tickets: dict[str, float] = field(default_factory=dict)  # one-time connection tickets
    sent: list[dict[str, Any]] = field(default_factory=list)  # messages and cards, in order
    cards: dict[str, dict[str, Any]] = field(default_factory=dict)  # outTrackId -> card
    frames: dict[str, Frame] = field(default_factory=dict)  # messageId -> frame
    media: dict[str, bytes] = field(default_factory=dict)
    calls: list[dict[str, Any]] = field(default_factory=list)  # every request, answered how
    failures: list[Failure] = field(default_factory=list)
    refuse_connections: int = 0  # connections/open answers 503 this many times
    lose_acks: int = 0  # the next callbacks' acknowledgements are lost with the socket
    presses: int = 0  # card callbacks sent (every other one names no space)
    connections: int = 0  # WebSocket connections accepted so far
    limits: Limits = field(default_factory=Limits)  # what DingTalk allows (openapi.py)

    def token_valid(self, token: str | None) -> bool:
        return token is not None and self.tokens.get(token, 0) > time.time()

    def new_token(self) -> str:
        token = new_id("sandbox-token-")
        self.tokens[token] = time.time() + TOKEN_SECONDS
        return token

    def failure_for(self, path: str) -> Failure | None:
        for rule in self.failures:
            if path.startswith(rule.path) and rule.times > 0:
                rule.times -= 1
                return rule
        return None

    def record(self, kind: str, to: str, **what: Any) -> dict[str, Any]:
        """A message or card the application sent to a person (`to` a userid) or a group
        (`to` an openConversationId)."""
        entry = {"seq": len(self.sent) + 1, "kind": kind, "to": to, "at": time.time(), **what}
        self.sent.append(entry)
        return entry

    def unacked(self) -> list[Frame]:
        return [f for f in self.frames.values() if not f.acked and f.type != "SYSTEM"]
