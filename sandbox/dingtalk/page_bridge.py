"""The sandbox page on DingTalk: the page's requests (`/sandbox/...`, the shapes the Telegram
stand-in answers) translated to the DingTalk stand-in, so the same page shows the same three
chats with DingTalk's cards as button messages.

The page's people (integer user ids, phone numbers) become the organisation's people
(`page-<id>`, their mobile numbers); its groups become DingTalk groups with every page person
in them and the robot present. What a person sends is kept here (DingTalk's stand-in keeps
only what the robot sends); what the robot sent (messages, cards as they are now, pictures,
files) is read from the stand-in. DingTalk shows no toast under a pressed button: a press is
"answered" once acknowledged, with no text (the adapter sends a toast's words as a message).
DingTalk loses what is sent while the bot is not connected; the page, a demonstration, waits
for the bot's connection first (it is still starting when the page opens)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from aiohttp import web

from sandbox.dingtalk.server import DingTalkStandIn
from sandbox.page import PageGroup, PagePerson

BOT_NAME = "防返贫机器人"
CONNECT_WAIT = 20.0  # seconds a page action waits for the bot's connection


def user_of(user_id: int) -> str:
    return f"page-{user_id}"


def group_of(chat_id: int) -> str:
    return f"cid-page{abs(chat_id)}"


class PageBridge:
    def __init__(
        self, standin: DingTalkStandIn, people: list[PagePerson], groups: list[PageGroup]
    ) -> None:
        self.standin, self.people, self.groups = standin, people, groups
        self.said: list[dict[str, Any]] = []  # what people sent, in order
        for person in people:
            mobile = person.phone.removeprefix("86")
            self.standin.state.users[user_of(person.user_id)] = {
                "userid": user_of(person.user_id),
                "name": person.name,
                "mobile": mobile,
            }
        members = [user_of(p.user_id) for p in people]
        for group in groups:
            cid = group_of(group.chat_id)
            self.standin.state.groups[cid] = {
                "id": cid,
                "title": group.title,
                "members": members,
                "robot": True,
            }

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/sandbox/users", self._user),
            web.post("/sandbox/send", self._send),
            web.post("/sandbox/press", self._press),
            web.get("/sandbox/chats/{chat_id}/messages", self._messages),
            web.get("/sandbox/events", self._events),
            web.get("/sandbox/callback_answers/{id}", self._answer),
            web.get("/sandbox/files/{file_id}", self._file),
        ]

    def version(self) -> int:
        """Grows with every message sent either way and every card update."""
        cards = sum(int(m.get("updates", 0)) for m in self.standin.state.sent)
        return len(self.standin.state.sent) + cards + len(self.said)

    async def _connected(self) -> None:
        for _ in range(int(CONNECT_WAIT / 0.1)):
            if self.standin.connected or self.standin.closing:
                return
            await asyncio.sleep(0.1)

    def _external(self, chat_id: int) -> str:
        return group_of(chat_id) if chat_id < 0 else user_of(chat_id)

    async def _user(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True})  # the people exist from the start

    async def _send(self, request: web.Request) -> web.Response:
        body = await request.json()
        user_id, chat_id = int(body["user_id"]), int(body.get("chat_id") or body["user_id"])
        person = next((p for p in self.people if p.user_id == user_id), None)
        if person is None:
            return web.json_response({"ok": False, "error": "no such person"}, status=404)
        group = group_of(chat_id) if chat_id < 0 else None
        picture = b"sandbox photo" if "photo" in body else None
        # DingTalk finds a person by their account's mobile: "share my phone" is a message
        text = "/start" if "contact" in body else str(body.get("text", ""))
        shown = "📷" if picture else text
        await self._connected()
        self.said.append({"chat": chat_id, "from": person.name, "text": shown, "at": time.time()})
        answer = await self.standin.person_sends(user_of(user_id), text, picture, group)
        return web.json_response({"ok": "error" not in answer, **answer})

    async def _press(self, request: web.Request) -> web.Response:
        body = await request.json()
        chat_id, seq = int(body["chat_id"]), int(body["message_id"])
        card = next((m for m in self.standin.state.sent if m["seq"] == seq), None)
        if card is None or card["kind"] != "card":
            return web.json_response({"error": "no such card"}, status=404)
        buttons = json.loads(card["params"].get("buttons") or "[]")
        data = next((b["data"] for b in buttons if b["text"] == body.get("text")), None)
        if data is None:
            return web.json_response({"error": f"no button {body.get('text')!r}"}, status=404)
        if chat_id >= 0 and card["to"] != user_of(chat_id):
            return web.json_response({"error": "not this chat's card"}, status=404)
        await self._connected()
        answer = await self.standin.person_presses(
            user_of(int(body["user_id"])), card["outTrackId"], {"data": data}
        )
        if "error" in answer:
            return web.json_response(answer, status=int(answer.pop("status", 400)))
        return web.json_response({"callback_query_id": answer["messageId"]})

    async def _answer(self, request: web.Request) -> web.Response:
        frame = self.standin.state.frames.get(request.match_info["id"])
        return web.json_response({"answered": bool(frame and frame.acked), "text": None})

    async def _messages(self, request: web.Request) -> web.Response:
        chat_id = int(request.match_info["chat_id"])
        external = self._external(chat_id)
        shown: list[tuple[float, dict[str, Any]]] = []
        for said in self.said:
            if said["chat"] == chat_id:
                message = {
                    "message_id": -len(shown) - 1,
                    "text": said["text"],
                    "from": {"is_bot": False, "first_name": said["from"]},
                }
                shown.append((said["at"], message))
        for sent in self.standin.state.sent:
            if sent["to"] == external:
                shown.append((sent["at"], _as_page_message(sent)))
        return web.json_response([m for _, m in sorted(shown, key=lambda pair: pair[0])])

    async def _events(self, request: web.Request) -> web.Response:
        after = int(request.query.get("after", "0"))
        timeout = min(float(request.query.get("timeout", "0")), 30)
        for _ in range(int(timeout / 0.2)):  # a long poll: the stand-in's changes, read often
            if self.version() != after or self.standin.closing:
                break
            await asyncio.sleep(0.2)
        return web.json_response({"last_seq": self.version(), "events": []})

    async def _file(self, request: web.Request) -> web.Response:
        data = self.standin.state.media.get(request.match_info["file_id"])
        if data is None:
            raise web.HTTPNotFound()
        return web.Response(body=data, content_type="image/png")


def _as_page_message(sent: dict[str, Any]) -> dict[str, Any]:
    """A robot message or card as the page draws a Telegram message."""
    message: dict[str, Any] = {
        "message_id": sent["seq"],
        "from": {"is_bot": True, "first_name": BOT_NAME},
    }
    if sent["kind"] == "card":  # the template's buttons: one per line
        buttons = json.loads(sent["params"].get("buttons") or "[]")
        message["text"] = sent["params"].get("markdown", "")
        message["reply_markup"] = {
            "inline_keyboard": [[{"text": b["text"], "callback_data": b["data"]}] for b in buttons]
        }
        return message
    params = sent.get("msgParam") or {}
    if sent.get("msgKey") == "sampleImageMsg":
        message["photo"] = [{"file_id": params.get("photoURL")}]
    elif sent.get("msgKey") == "sampleFile":
        message["document"] = {
            "file_id": params.get("mediaId"),
            "file_name": params.get("fileName"),
        }
    else:
        message["text"] = params.get("content") or params.get("text") or ""
    return message
