"""The adapter's Stream connection against the stand-in: a callback reaches the handler and
is acknowledged only when the handler says its transaction committed, with the answer the
handler gives (a card's new data); one that was not is not pushed again after a dropped
socket (DingTalk's robot messages are fire-and-forget); pings are answered; a `disconnect`
and refused connections are ridden out; wrong credentials stop it with one clear error;
cancelling it returns at once."""

from __future__ import annotations

import asyncio
import contextlib
import json

import aiohttp
import pytest
from dingtalk_stream.frames import CallbackMessage

from platforms.dingtalk.stream import StreamConnection, StreamRefused
from sandbox.dingtalk.server import DingTalkStandIn
from sandbox.dingtalk.state import BOT_MESSAGE_TOPIC
from tests.dingtalk.credentials import CLIENT_ID, CLIENT_SECRET


async def control(standin: DingTalkStandIn, path: str, body: object = None) -> dict[str, object]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(standin.url + path, json=body or {}) as response,
    ):
        result: dict[str, object] = await response.json()
        return result


class Handler:
    """Says "committed" for every callback except the first `fail_first` ones."""

    def __init__(self, fail_first: int = 0) -> None:
        self.seen: list[tuple[str, str]] = []
        self.fail_first = fail_first
        self.event = asyncio.Event()

    async def __call__(self, callback: CallbackMessage) -> bool:
        self.seen.append((callback.headers.message_id, callback.data["text"]["content"]))
        self.event.set()
        if self.fail_first > 0:
            self.fail_first -= 1
            return False
        return True

    async def next(self) -> tuple[str, str]:
        await asyncio.wait_for(self.event.wait(), 10)
        self.event.clear()
        return self.seen[-1]


def connection(
    standin: DingTalkStandIn, handler: Handler, secret: str = CLIENT_SECRET
) -> StreamConnection:
    return StreamConnection(
        client_id=CLIENT_ID,
        client_secret=secret,
        api_url=standin.url,
        topics=[BOT_MESSAGE_TOPIC],
        on_callback=handler,
        backoff=(0.05, 0.1),
    )


async def until_connected(standin: DingTalkStandIn, count: int = 1) -> None:
    for _ in range(200):
        if standin.connected and standin.state.connections >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"not connected {count} time(s): {standin.state.connections}")


async def acked(standin: DingTalkStandIn, message_id: str) -> bool:
    return await standin.wait_acked(message_id, 5)


async def test_acknowledged_after_the_commit_and_not_pushed_again_when_not(
    standin: DingTalkStandIn,
) -> None:
    handler = Handler(fail_first=1)  # the first answer's transaction fails
    stream = connection(standin, handler)
    task = asyncio.create_task(stream.run())
    try:
        await until_connected(standin)
        sent = await control(standin, "/control/send", {"userid": "u1", "text": "4500"})
        assert await handler.next() == (sent["messageId"], "4500")
        assert not await standin.wait_acked(str(sent["messageId"]), 0.3)  # not acknowledged
        # the socket drops; the connection comes back, and the message is not pushed again
        await control(standin, "/control/drop")
        await until_connected(standin, 2)
        again = await control(standin, "/control/send", {"userid": "u1", "text": "4600"})
        assert await handler.next() == (again["messageId"], "4600")
        assert await acked(standin, str(again["messageId"]))
        assert [text for _, text in handler.seen] == ["4500", "4600"]
        assert not standin.state.frames[str(sent["messageId"])].acked
        # a ping is answered with its data; a disconnect makes it connect anew
        ping = await control(standin, "/control/system/ping")
        assert await acked(standin, str(ping["messageId"]))
        frame = standin.state.frames[str(ping["messageId"])]
        assert frame.ack is not None and json.loads(frame.ack["data"]) == frame.data
        await control(standin, "/control/system/disconnect")
        await until_connected(standin, 3)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)  # cancelling returns at once
    assert stream.connections == 3


async def test_refused_connections_are_ridden_out_and_wrong_credentials_stop_it(
    standin: DingTalkStandIn,
) -> None:
    await control(standin, "/control/refuse", {"times": 3})  # 503 three times
    handler = Handler()
    task = asyncio.create_task(connection(standin, handler).run())
    try:
        await until_connected(standin)
        sent = await control(standin, "/control/send", {"userid": "u1", "text": "/help"})
        assert await handler.next() == (sent["messageId"], "/help")
        assert await acked(standin, str(sent["messageId"]))
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    with pytest.raises(StreamRefused) as refused:
        await asyncio.wait_for(connection(standin, handler, secret="wrong").run(), 5)
    assert "FANGFANPIN_DINGTALK_CLIENT_SECRET" in str(refused.value)
    assert "wrong" not in str(refused.value)  # never the secret
