"""The Stream mode connection: DingTalk's long connection out from the township's machine
(no public address needed), with the `dingtalk-stream` SDK's frame and acknowledgement
classes and a loop of our own around them (docs/dingtalk.md says why: the SDK's loop blocks
the event loop while it connects, can not be cancelled, and waits 10 s after a drop).

- open: `POST {api}/v1.0/gateway/connections/open` with the client id and secret and the
  topics; a 4xx answer (a wrong id or secret) stops with `StreamRefused` (retrying can not
  help), anything else (429, 5xx, a network error) is retried with a growing pause;
- read: each CALLBACK goes to `on_callback`, each in its own task; it is acknowledged only
  when `on_callback` says it was handled, i.e. after the answer's transaction committed.
  `Handled.response` is the acknowledgement's `data.response`: for a card's button, the
  card's new data, which DingTalk shows without an API call (DingTalk's card callback
  page and its official card examples answer so). DingTalk does not push a robot message
  again (its Stream protocol page: robot messages are "fire-forgot"), not even when it was
  never acknowledged: what was not handled is lost, and the adapter is built for that;
- SYSTEM `ping` is answered with its own data; SYSTEM `disconnect` connects anew;
- `run()` returns when cancelled, closing the socket.

Secrets are never logged."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from dingtalk_stream.frames import AckMessage, CallbackMessage, Headers, SystemMessage

from bot.retry import BACKOFF  # the pauses the Telegram bot's start waits with too

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Handled:
    """A callback handled (its answer committed), acknowledged with `response` as the
    acknowledgement's `data.response`."""

    response: Any = "OK"


# A callback's handling: True or `Handled` to acknowledge it, False to leave it unacknowledged.
OnCallback = Callable[[CallbackMessage], Awaitable[Handled | bool]]


class StreamRefused(Exception):
    """DingTalk refused the application's credentials: a configuration error."""


class StreamConnection:
    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        api_url: str,
        topics: Sequence[str],
        on_callback: OnCallback,
        backoff: Sequence[float] = BACKOFF,
    ) -> None:
        self.client_id, self._secret = client_id, client_secret
        self.api_url = api_url.rstrip("/")
        self.topics = list(topics)
        self.on_callback = on_callback
        self.backoff = list(backoff)
        self.connections = 0  # connections made, for tests and the log
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        """Connect, read, reconnect, until cancelled (or StreamRefused)."""
        failures = 0
        async with aiohttp.ClientSession() as http:
            while True:
                try:
                    endpoint = await self._open(http)
                    async with http.ws_connect(endpoint, heartbeat=60) as socket:
                        self.connections += 1
                        failures = 0
                        log.info("DingTalk stream connected (connection %s)", self.connections)
                        await self._read(socket)
                    log.info("DingTalk stream closed: connecting again")
                except StreamRefused:
                    raise
                except asyncio.CancelledError:
                    raise
                except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
                    pause = self.backoff[min(failures, len(self.backoff) - 1)]
                    failures += 1
                    log.warning("DingTalk stream: %s; again in %.1f s", _brief(exc), pause)
                    await asyncio.sleep(pause)

    async def _open(self, http: aiohttp.ClientSession) -> str:
        body = {
            "clientId": self.client_id,
            "clientSecret": self._secret,
            "subscriptions": [{"type": "CALLBACK", "topic": t} for t in self.topics],
            "ua": "fangfanpin",
        }
        async with http.post(
            f"{self.api_url}/v1.0/gateway/connections/open",
            json=body,
            timeout=aiohttp.ClientTimeout(total=20),
        ) as response:
            answer = await response.json(content_type=None)
            if 400 <= response.status < 500 and response.status != 429:
                # the request itself is wrong (the client id or secret): retrying can not help
                raise StreamRefused(
                    f"DingTalk refused the connection ({response.status} {answer.get('code')}): "
                    "check FANGFANPIN_DINGTALK_CLIENT_ID and FANGFANPIN_DINGTALK_CLIENT_SECRET"
                )
            if response.status != 200:
                raise aiohttp.ClientResponseError(
                    response.request_info, (), status=response.status, message=str(answer)
                )
        return f"{answer['endpoint']}?ticket={answer['ticket']}"

    async def _read(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        async for message in socket:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            frame = json.loads(message.data)
            kind = frame.get("type")
            if kind == SystemMessage.TYPE:
                system = SystemMessage.from_dict(frame)
                if system.headers.topic == SystemMessage.TOPIC_DISCONNECT:
                    return
                await socket.send_str(json.dumps(_ack(system.headers.message_id, system.data)))
            elif kind == CallbackMessage.TYPE:
                task = asyncio.create_task(self._handle(socket, CallbackMessage.from_dict(frame)))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _handle(
        self, socket: aiohttp.ClientWebSocketResponse, callback: CallbackMessage
    ) -> None:
        try:
            handled = await self.on_callback(callback)
        except Exception:  # the adapter's own error: not acknowledged (and not pushed again)
            log.exception("DingTalk callback %s failed", callback.headers.message_id)
            return
        if handled is False or socket.closed:
            return
        answer = handled if isinstance(handled, Handled) else Handled()
        ack = _ack(callback.headers.message_id, {"response": answer.response})
        await socket.send_str(json.dumps(ack, ensure_ascii=False))


def _ack(message_id: str | None, data: Any) -> dict[str, Any]:
    ack = AckMessage()
    ack.code = AckMessage.STATUS_OK
    ack.headers.message_id = message_id
    ack.headers.content_type = Headers.CONTENT_TYPE_APPLICATION_JSON
    ack.message = "OK"
    ack.data = data
    return dict(ack.to_dict())


def _brief(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]
