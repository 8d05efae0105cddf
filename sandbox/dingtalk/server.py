"""A DingTalk stand-in: the Stream gateway (`gateway.py`), the OpenAPI endpoints a robot
application calls (`openapi.py`), and a control API under `/control/...` for tests and the
sandbox page: people and groups of the organisation, a person writing to the robot (single
chat or group, text or picture), pressing a card's button, DingTalk's limits (calls a
second, the monthly quota, the mobile-number permission: `limits.py`), and failures (refused
connections, a dropped socket, throttling, 5xx and documented error codes).

Verified against the official `dingtalk-stream` SDK (tests/dingtalk/test_standin.py); the
real DingTalk has not been reached from here (no internet), so what the documentation does
not say (exact error codes of every API, when a card callback names its space) is this
stand-in's assumption, named where it is made.

A group message reaches the robot only when it @mentions it, and its text then begins with a
space (DingTalk's "接收消息" page, whose group sample is " 你好"); a person may send rich text
(words and pictures in one message). A card callback names its space (`spaceType` "im",
`spaceId` the conversation, as in DingTalk's own sample frame) only every other time: the
documentation's samples differ, and the SDK drops the fields, so the bot must not need them.
The button's parameters are the template's (`platforms/dingtalk/card_template.json`): the
button's `data`, and the card's `markdown`."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from aiohttp import web

from sandbox.dingtalk.gateway import Gateway
from sandbox.dingtalk.openapi import OpenApi
from sandbox.dingtalk.state import (
    BOT_MESSAGE_TOPIC,
    CARD_CALLBACK_TOPIC,
    CORP_ID,
    DingState,
    Failure,
    Frame,
    new_id,
)
from sandbox.local_only import local_only, own_hosts


class DingTalkStandIn(Gateway, OpenApi):
    """`await start()` on any event loop; `url` is the OpenAPI and gateway base."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        client_id: str | None = None,
        client_secret: str | None = None,
    ) -> None:
        """`client_id`, `client_secret`: the application's credentials (None: made for this
        run)."""
        self.state = DingState()
        self.state.client_id = client_id or self.state.client_id
        self.state.client_secret = client_secret or self.state.client_secret
        self.host, self.port = host, port
        self.url = ""
        self._runner: web.AppRunner | None = None
        self.extra_routes: list[web.RouteDef] = []  # the sandbox page's, when it runs here
        self.closing = False  # long polls end at once when the stand-in stops
        self._init_gateway()

    def make_app(self) -> web.Application:
        # Only this machine's programs, never a browser's page (`sandbox/local_only.py`).
        only_here = local_only(
            lambda: own_hosts(self.host, self.port), ("/control/", "/sandbox/", "/page/")
        )
        app = web.Application(middlewares=[only_here, self.failures])
        app.add_routes(
            [
                *self.gateway_routes(),
                *self.openapi_routes(),
                *self.openapi_control_routes(),
                web.post("/control/users", self._c_user),
                web.post("/control/groups", self._c_group),
                web.post("/control/groups/{id}/robot", self._c_group_robot),
                web.post("/control/send", self._c_send),
                web.post("/control/press", self._c_press),
                web.post("/control/fail", self._c_fail),
                web.post("/control/refuse", self._c_refuse),
                web.post("/control/drop", self._c_drop),
                web.post("/control/lose-acks", self._c_lose_acks),
                web.post("/control/redeliver", self._c_redeliver),
                web.post("/control/system/{topic}", self._c_system),
                web.get("/control/messages", self._c_messages),
                web.get("/control/frames", self._c_frames),
                web.get("/control/calls", self._c_calls),
                web.get("/control/acked/{id}", self._c_acked),
                *self.extra_routes,
            ]
        )
        return app

    async def start(self) -> str:
        self._runner = web.AppRunner(self.make_app())
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []  # the port, when 0 was asked
        self.port = int(sockets[0].getsockname()[1])
        self.url = f"http://{self.host}:{self.port}"
        return self.url

    async def stop(self) -> None:
        self.closing = True
        await self.drop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ------------------------------------------------------------------ the organisation

    async def _c_user(self, request: web.Request) -> web.Response:
        body = await request.json()
        user = {"userid": str(body["userid"]), "name": body["name"], "mobile": body["mobile"]}
        self.state.users[user["userid"]] = user
        return web.json_response(user)

    async def _c_group(self, request: web.Request) -> web.Response:
        body = await request.json()
        group = {
            "id": str(body.get("id") or new_id("cid")),
            "title": body["title"],
            "members": [str(m) for m in body.get("members", [])],
            "robot": bool(body.get("robot", True)),
        }
        self.state.groups[group["id"]] = group
        return web.json_response(group)

    async def _c_group_robot(self, request: web.Request) -> web.Response:
        group = self.state.groups.get(request.match_info["id"])
        if group is None:
            return web.json_response({"error": "no such group"}, status=404)
        group["robot"] = bool((await request.json()).get("present", True))
        return web.json_response(group)

    # ------------------------------------------------------------------ people act

    def _chatbot_message(
        self, user: dict[str, Any], group: dict[str, Any] | None
    ) -> dict[str, Any]:
        now = int(time.time() * 1000)
        conversation = group["id"] if group else "cid-single-" + user["userid"]
        message: dict[str, Any] = {
            "conversationId": conversation,
            "chatbotCorpId": CORP_ID,
            "chatbotUserId": "$:LWCP_v1:$sandboxrobot",
            "msgId": new_id("msg"),
            "senderNick": user["name"],
            "isAdmin": False,
            "senderStaffId": user["userid"],
            "sessionWebhookExpiredTime": now + 90 * 60 * 1000,
            "createAt": now,
            "senderCorpId": CORP_ID,
            "conversationType": "2" if group else "1",
            "senderId": "$:LWCP_v1:$" + user["userid"],
            "sessionWebhook": f"{self.url}/robot/sendBySession?session={new_id('s')}",
            "robotCode": self.state.client_id,
        }
        if group:
            message.update(conversationTitle=group["title"], isInAtList=True)
        return message

    def _content(self, text: str, pictures: list[bytes], group: bool, rich: bool) -> dict[str, Any]:
        """The message's type and content, as DingTalk sends them."""
        if group and text:
            text = " " + text  # what is left of "@robot text"
        codes = []
        for picture in pictures:
            code = new_id("download-")
            self.state.media[code] = picture
            codes.append(code)
        if rich or (pictures and text):
            items: list[dict[str, Any]] = [{"text": text}] if text else []
            items += [{"downloadCode": code, "type": "picture"} for code in codes]
            return {"msgtype": "richText", "content": {"richText": items}}
        if codes:
            return {"msgtype": "picture", "content": {"downloadCode": codes[0]}}
        return {"msgtype": "text", "text": {"content": text}}

    async def _c_send(self, request: web.Request) -> web.Response:
        body = await request.json()
        picture = base64.b64decode(body["picture"]) if "picture" in body else None
        answer = await self.person_sends(
            str(body.get("userid")),
            str(body.get("text", "")),
            picture,
            body.get("group"),
            rich=bool(body.get("rich")),
        )
        return web.json_response(answer, status=int(answer.pop("status", 200)))

    async def person_sends(
        self,
        userid: str,
        text: str = "",
        picture: bytes | None = None,
        group_id: Any = None,
        *,
        rich: bool = False,
    ) -> dict[str, Any]:
        """A person writes to the robot: `text`, a `picture`, or both (rich text, also with
        `rich`), in the single chat or (in `group_id`, @mentioning the robot) a group the
        robot is in."""
        user = self.state.users.get(userid)
        group = self.state.groups.get(str(group_id)) if group_id else None
        if user is None or (group_id and (group is None or not group["robot"])):
            return {"status": 404, "error": "no such person, or no robot there"}
        if group is not None and user["userid"] not in group["members"]:
            return {"status": 403, "error": "not a member of the group"}
        message = self._chatbot_message(user, group)
        pictures = [picture] if picture is not None else []
        message.update(self._content(text, pictures, group is not None, rich))
        frame = Frame("CALLBACK", BOT_MESSAGE_TOPIC, message)
        pushed = await self.push(frame)
        return {"messageId": frame.message_id, "pushed": pushed}

    async def _c_press(self, request: web.Request) -> web.Response:
        body = await request.json()
        answer = await self.person_presses(
            str(body.get("userid")),
            str(body.get("outTrackId")),
            body.get("params", {}),
            forged=bool(body.get("forged")),
        )
        return web.json_response(answer, status=int(answer.pop("status", 200)))

    async def person_presses(
        self, userid: str, out_track_id: str, params: dict[str, Any], *, forged: bool = False
    ) -> dict[str, Any]:
        """A person presses a card's button: the card callback with its `params` and, as the
        template's buttons send it, the card's `markdown`. `forged`: a callback no client
        would send (a card the person can not see), as a hostile test makes one."""
        user = self.state.users.get(userid)
        card = self.state.cards.get(out_track_id)
        if user is None or card is None:
            return {"status": 404, "error": "no such person or card"}
        group = self.state.groups.get(card["to"])
        member = group is not None and user["userid"] in group["members"]
        if card["to"] != user["userid"] and not member and not forged:
            return {"status": 403, "error": "the person can not see the card"}
        params = {"markdown": card["params"].get("markdown", ""), **params}
        content = {"cardPrivateData": {"actionIds": ["node_ocbutton"], "params": params}}
        self.state.presses += 1
        named = self.state.presses % 2 == 1 and not forged  # every other press names none
        conversation = card["to"] if group else "cid-single-" + user["userid"]
        data = {
            "extension": "{}",
            "corpId": CORP_ID,
            "type": "actionCallback",
            "userId": user["userid"],
            "userIdType": 1,
            "content": json.dumps(content, ensure_ascii=False),
            "value": json.dumps(content, ensure_ascii=False),
            "outTrackId": card["outTrackId"],
            "spaceType": "im" if named else "",
            "spaceId": conversation if named else "",
        }
        frame = Frame("CALLBACK", CARD_CALLBACK_TOPIC, data)
        pushed = await self.push(frame)
        return {"messageId": frame.message_id, "pushed": pushed}

    # ------------------------------------------------------------------ failures

    async def _c_fail(self, request: web.Request) -> web.Response:
        body = await request.json()
        code = str(body["code"]) if body.get("code") else None
        self.state.failures.append(
            Failure(str(body["path"]), int(body["status"]), int(body.get("times", 1)), code)
        )
        return web.json_response({"ok": True})

    async def _c_refuse(self, request: web.Request) -> web.Response:
        self.state.refuse_connections = int((await request.json()).get("times", 1))
        return web.json_response({"ok": True})

    async def _c_drop(self, request: web.Request) -> web.Response:
        return web.json_response({"dropped": await self.drop()})

    async def _c_lose_acks(self, request: web.Request) -> web.Response:
        """The next `times` callbacks' acknowledgements are lost with the socket: the bot's
        work done (committed), then the process or the network gone before DingTalk had the
        answer (a card's new data with it)."""
        self.state.lose_acks = int((await request.json()).get("times", 1))
        return web.json_response({"ok": True})

    async def _c_redeliver(self, request: web.Request) -> web.Response:
        return web.json_response({"pushed": await self.redeliver()})

    async def _c_system(self, request: web.Request) -> web.Response:
        """A SYSTEM frame: `ping` (answered with its data) or `disconnect` (connect again)."""
        topic = request.match_info["topic"]
        frame = Frame("SYSTEM", topic, {"opaque": new_id("")})
        return web.json_response({"messageId": frame.message_id, "pushed": await self.push(frame)})

    # ------------------------------------------------------------------ what happened

    async def _c_messages(self, request: web.Request) -> web.Response:
        to = request.query.get("to")
        return web.json_response([m for m in self.state.sent if to is None or m["to"] == to])

    async def _c_frames(self, request: web.Request) -> web.Response:
        return web.json_response(
            [
                {
                    "messageId": f.message_id,
                    "type": f.type,
                    "topic": f.topic,
                    "acked": f.acked,
                    "pushed": f.pushed,
                    "ack": f.ack,
                }
                for f in self.state.frames.values()
            ]
        )

    async def _c_calls(self, request: web.Request) -> web.Response:
        return web.json_response(self.state.calls)

    async def _c_acked(self, request: web.Request) -> web.Response:
        message_id = request.match_info["id"]
        if message_id not in self.state.frames:
            return web.json_response({"error": "no such frame"}, status=404)
        timeout = float(request.query.get("timeout", "10"))
        return web.json_response({"acked": await self.wait_acked(message_id, timeout)})
