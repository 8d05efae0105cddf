"""The Stream mode gateway, as the `dingtalk-stream` SDK (stream.py, frames.py, handlers.py)
and DingTalk's Stream protocol page describe it:

- `POST /v1.0/gateway/connections/open` with `clientId`, `clientSecret` and `subscriptions`
  answers `{"endpoint": "ws://…", "ticket": "…"}`; a wrong id or secret is refused (400);
- the application opens a WebSocket to `endpoint?ticket=…` (a ticket works once);
- frames are JSON: `specVersion`, `type` (SYSTEM, EVENT, CALLBACK), `headers` (appId,
  connectionId, contentType, messageId, time, topic) and `data`, itself a JSON string;
- the application answers each frame with an acknowledgement carrying the frame's
  `headers.messageId` and `code` 200; a SYSTEM `ping` is answered with its own `data`; a
  SYSTEM `disconnect` asks the application to connect again;
- a card callback's acknowledgement may carry the card's new data (`data` is
  `{"response": {"cardData": {"cardParamMap": …}, "userPrivateData": …,
  "cardUpdateOptions": …}}`, as the SDK wraps a handler's answer): the card shows it, as
  DingTalk's card callback page says ("通过响应事件回调来更新卡片数据"), with no API call;
- a robot message is never pushed again (the protocol page: robot messages are
  "fire-forgot"), nor is a card callback (nothing documents it): not on a new connection,
  whatever happened to the last one. What is pushed while no connection is open is lost.
  Connectors report a slow acknowledgement answered by a second push on the same connection
  after 16–60 s; `redeliver()` does that on request only, so a test can show that a
  callback handled twice is applied once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from aiohttp import WSMsgType, web

from sandbox.dingtalk.state import CARD_CALLBACK_TOPIC, DingState, Frame, new_id

log = logging.getLogger(__name__)


class Gateway:
    state: DingState
    url: str

    def gateway_routes(self) -> list[web.RouteDef]:
        return [
            web.post("/v1.0/gateway/connections/open", self._open),
            web.get("/connect", self._connect),
        ]

    def _init_gateway(self) -> None:
        self._socket: web.WebSocketResponse | None = None
        self._connection_id = ""
        self._acked = asyncio.Condition()

    async def _open(self, request: web.Request) -> web.Response:
        body = await request.json()
        if self.state.refuse_connections > 0:
            self.state.refuse_connections -= 1
            return web.json_response(
                {"code": "ServiceUnavailable", "message": "服务暂不可用"}, status=503
            )
        if (body.get("clientId"), body.get("clientSecret")) != (
            self.state.client_id,
            self.state.client_secret,
        ):
            return web.json_response(
                {"code": "invalidClientIdOrSecret", "message": "无效的clientId或clientSecret"},
                status=400,
            )
        ticket = new_id("ticket-")
        self.state.tickets[ticket] = time.time() + 90
        endpoint = self.url.replace("http://", "ws://") + "/connect"
        return web.json_response({"endpoint": endpoint, "ticket": ticket})

    async def _connect(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if self.state.tickets.pop(ticket, 0) < time.time():
            return web.json_response({"code": "invalidTicket"}, status=401)
        socket = web.WebSocketResponse(heartbeat=None)
        await socket.prepare(request)
        old, self._socket = self._socket, socket
        if old is not None and not old.closed:
            await old.close()
        self._connection_id = new_id("conn-")
        self.state.connections += 1
        try:
            async for message in socket:
                if message.type == WSMsgType.TEXT:
                    await self._acknowledged(json.loads(message.data))
        finally:
            if self._socket is socket:
                self._socket = None
        return socket

    async def _acknowledged(self, ack: dict[str, Any]) -> None:
        frame = self.state.frames.get(str(ack.get("headers", {}).get("messageId")))
        if frame is None:
            log.warning("an acknowledgement of no frame: %s", ack)
            return
        if self.state.lose_acks > 0 and frame.type == "CALLBACK":
            # the bot stopped (or its socket broke) after its work, before this arrived
            self.state.lose_acks -= 1
            await self.drop()
            return
        frame.ack = ack
        frame.acked = int(ack.get("code", 0)) == 200
        if frame.acked and frame.topic == CARD_CALLBACK_TOPIC:
            self._card_answer(frame, ack.get("data"))
        async with self._acked:
            self._acked.notify_all()

    def _card_answer(self, frame: Frame, data: Any) -> None:
        """A card callback answered with the card's new data: the card shows it."""
        try:
            response = json.loads(data).get("response") if isinstance(data, str) else None
        except (ValueError, AttributeError):
            return
        track = frame.data.get("outTrackId") if isinstance(frame.data, dict) else None
        card = self.state.cards.get(str(track)) if track else None
        if not isinstance(response, dict) or card is None:
            return
        options = response.get("cardUpdateOptions") or {}
        public = (response.get("cardData") or {}).get("cardParamMap")
        if isinstance(public, dict):
            values = {str(k): str(v) for k, v in public.items()}
            if options.get("updateCardDataByKey"):
                card["params"].update(values)
            else:
                card["params"] = values
            card["updates"] += 1
            card["answered"] = card.get("answered", 0) + 1
        private = (response.get("userPrivateData") or {}).get("cardParamMap")
        if isinstance(private, dict):
            user = str(frame.data.get("userId"))
            card.setdefault("private", {}).setdefault(user, {}).update(private)

    async def _push(self, frame: Frame) -> bool:
        socket = self._socket
        if socket is None or socket.closed:
            return False
        frame.pushed += 1
        await socket.send_str(frame.wire(self._connection_id, self.state.client_id))
        return True

    # ------------------------------------------------------------------ for the control API

    async def push(self, frame: Frame) -> bool:
        """Send a frame now (kept until acknowledged); False when no connection is open."""
        self.state.frames[frame.message_id] = frame
        return await self._push(frame)

    async def redeliver(self) -> int:
        """Push every unacknowledged callback again on the current connection."""
        pushed = 0
        for frame in self.state.unacked():
            pushed += await self._push(frame)
        return pushed

    async def drop(self) -> bool:
        """Close the connection without a word (a network drop, seen from the server)."""
        socket, self._socket = self._socket, None
        if socket is None or socket.closed:
            return False
        await socket.close(code=1011, message=b"dropped")
        return True

    async def wait_acked(self, message_id: str, timeout: float) -> bool:
        """Whether the frame is acknowledged within `timeout` seconds."""
        frame = self.state.frames[message_id]
        try:
            async with asyncio.timeout(timeout), self._acked:
                await self._acked.wait_for(lambda: frame.acked)
        except TimeoutError:
            return frame.acked
        return True

    @property
    def connected(self) -> bool:
        return self._socket is not None and not self._socket.closed
