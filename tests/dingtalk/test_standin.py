"""The DingTalk stand-in speaks what the adapter will rely on: the Stream gateway (open a
connection, frames, acknowledgements, nothing pushed again on a new connection, SYSTEM ping,
a card callback answered with the card's new data), the OpenAPI (token, robot messages to
people and groups, cards created and updated, the contacts API, media) and its failures
(refused connections, throttling as DingTalk answers it, a 403, and 5xx); and the official
`dingtalk-stream` SDK connects to it, gets a message and a card press, and acknowledges
both."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from sandbox.dingtalk.server import DingTalkStandIn
from sandbox.dingtalk.state import BOT_MESSAGE_TOPIC, metered
from tests.dingtalk.credentials import CLIENT_ID, CLIENT_SECRET

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def post(http: aiohttp.ClientSession, url: str, body: Any, **headers: str) -> Any:
    async with http.post(url, json=body, headers=headers) as response:
        return response.status, await response.json()


async def organisation(http: aiohttp.ClientSession, url: str) -> None:
    await post(
        http, url + "/control/users", {"userid": "u1", "name": "李建国", "mobile": "13800138001"}
    )
    await post(
        http, url + "/control/users", {"userid": "u2", "name": "张卫东", "mobile": "13700137001"}
    )
    await post(
        http,
        url + "/control/groups",
        {"id": "cid-qs", "title": "青山村防返贫群", "members": ["u1", "u2"]},
    )


async def connect(http: aiohttp.ClientSession, url: str) -> aiohttp.ClientWebSocketResponse:
    status, opened = await post(
        http,
        url + "/v1.0/gateway/connections/open",
        {
            "clientId": CLIENT_ID,
            "clientSecret": CLIENT_SECRET,
            "subscriptions": [{"type": "CALLBACK", "topic": BOT_MESSAGE_TOPIC}],
        },
    )
    assert status == 200 and opened["endpoint"].startswith("ws://")
    return await http.ws_connect(f"{opened['endpoint']}?ticket={opened['ticket']}")


def ack(frame: dict[str, Any], data: str = '{"response": "OK"}') -> dict[str, Any]:
    return {
        "code": 200,
        "headers": {"messageId": frame["headers"]["messageId"], "contentType": "application/json"},
        "message": "OK",
        "data": data,
    }


async def test_stream_frames_acknowledgements_and_no_push_again_on_a_new_connection(
    standin: DingTalkStandIn, http: aiohttp.ClientSession
) -> None:
    url = standin.url
    await organisation(http, url)
    wrong = await post(
        http,
        url + "/v1.0/gateway/connections/open",
        {"clientId": CLIENT_ID, "clientSecret": "x"},
    )
    assert wrong[0] == 400 and wrong[1]["code"] == "invalidClientIdOrSecret"

    socket = await connect(http, url)
    _, sent = await post(http, url + "/control/send", {"userid": "u1", "text": "/start"})
    frame = json.loads((await socket.receive()).data)
    assert frame["type"] == "CALLBACK" and frame["headers"]["topic"] == BOT_MESSAGE_TOPIC
    data = json.loads(frame["data"])
    assert (data["conversationType"], data["senderStaffId"], data["text"]["content"]) == (
        "1",
        "u1",
        "/start",
    )
    # Not acknowledged, and the socket drops: robot messages are fire-and-forget, the next
    # connection does not get it (the first frame there is the ping sent after it).
    await post(http, url + "/control/drop", {})
    await socket.close()
    again = await connect(http, url)
    await post(http, url + "/control/system/ping", {})
    ping = json.loads((await again.receive()).data)
    assert (ping["type"], ping["headers"]["topic"]) == ("SYSTEM", "ping")
    await again.send_str(json.dumps(ack(ping, ping["data"])))  # answered with its own data
    # Pushed again only when asked (as connectors report it on a slow connection).
    _, late = await post(http, url + "/control/send", {"userid": "u1", "text": "/help"})
    first = json.loads((await again.receive()).data)
    assert (await post(http, url + "/control/redeliver", {}))[1]["pushed"] == 2
    pushed = {json.loads((await again.receive()).data)["headers"]["messageId"] for _ in "ab"}
    assert pushed == {sent["messageId"], late["messageId"]}
    await again.send_str(json.dumps(ack(first)))
    async with http.get(f"{url}/control/acked/{late['messageId']}?timeout=5") as response:
        assert (await response.json())["acked"] is True
    # A group message names the group, its text after the @mention's space; a refused
    # connection is a 503.
    await post(http, url + "/control/send", {"userid": "u2", "text": "/bind", "group": "cid-qs"})
    group = json.loads(json.loads((await again.receive()).data)["data"])
    assert (group["conversationType"], group["conversationId"], group["conversationTitle"]) == (
        "2",
        "cid-qs",
        "青山村防返贫群",
    )
    assert group["text"]["content"] == " /bind" and group["isInAtList"] is True
    await post(http, url + "/control/refuse", {"times": 1})
    refused = await post(
        http,
        url + "/v1.0/gateway/connections/open",
        {"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET},
    )
    assert refused[0] == 503
    await again.close()


async def test_openapi_messages_cards_contacts_and_failures(
    standin: DingTalkStandIn, http: aiohttp.ClientSession
) -> None:
    url = standin.url
    await organisation(http, url)
    status, token = await post(
        http,
        url + "/v1.0/oauth2/accessToken",
        {"appKey": CLIENT_ID, "appSecret": CLIENT_SECRET},
    )
    assert status == 200 and token["expireIn"] == 7200
    auth = {"x-acs-dingtalk-access-token": token["accessToken"]}
    text = {
        "robotCode": CLIENT_ID,
        "msgKey": "sampleText",
        "msgParam": '{"content": "你好"}',
    }
    assert (
        await post(http, url + "/v1.0/robot/oToMessages/batchSend", {**text, "userIds": ["u1"]})
    )[0] == 401
    status, sent = await post(
        http,
        url + "/v1.0/robot/oToMessages/batchSend",
        {**text, "userIds": ["u1", "nobody"]},
        **auth,
    )
    assert status == 200 and sent["invalidStaffIdList"] == ["nobody"]
    status, _ = await post(
        http,
        url + "/v1.0/robot/groupMessages/send",
        {**text, "openConversationId": "cid-qs"},
        **auth,
    )
    assert status == 200
    # Removed from the group: sending there fails, so the adapter can mark the binding broken.
    await post(http, url + "/control/groups/cid-qs/robot", {"present": False})
    status, gone = await post(
        http,
        url + "/v1.0/robot/groupMessages/send",
        {**text, "openConversationId": "cid-qs"},
        **auth,
    )
    assert status == 400 and gone["code"] == "invalidParameter.robotCode.notExsit"
    await post(http, url + "/control/groups/cid-qs/robot", {"present": True})

    card = {
        "cardTemplateId": "fangfanpin.buttons",
        "outTrackId": "card-1",
        "openSpaceId": "dtv1.card//IM_GROUP.cid-qs",
        "cardData": {"cardParamMap": {"markdown": "🔴 红色预警", "buttons": "[]"}},
    }
    assert (await post(http, url + "/v1.0/card/instances/createAndDeliver", card, **auth))[0] == 200
    async with http.put(
        url + "/v1.0/card/instances",
        json={"outTrackId": "card-1", "cardData": {"cardParamMap": {"markdown": "✅ 已确认"}}},
        headers=auth,
    ) as response:
        assert response.status == 200
    async with http.get(url + "/control/messages?to=cid-qs") as response:
        in_group = await response.json()
    assert [m["kind"] for m in in_group] == ["message", "card"]
    assert in_group[1]["params"]["markdown"] == "✅ 已确认" and in_group[1]["updates"] == 1

    status, user = await post(
        http, f"{url}/topapi/v2/user/get?access_token={token['accessToken']}", {"userid": "u1"}
    )
    assert user["errcode"] == 0 and user["result"]["mobile"] == "13800138001"
    _, nobody = await post(
        http, f"{url}/topapi/v2/user/get?access_token={token['accessToken']}", {"userid": "x"}
    )
    assert nobody["errcode"] == 60121

    # Failures asked for: throttled (DingTalk's 403), then a 503, then the call goes through.
    await post(http, url + "/control/fail", {"path": "/v1.0/robot/", "status": 403, "times": 1})
    await post(http, url + "/control/fail", {"path": "/v1.0/robot/", "status": 503, "times": 1})
    statuses = []
    for _ in range(3):
        statuses.append(
            (
                await post(
                    http,
                    url + "/v1.0/robot/oToMessages/batchSend",
                    {**text, "userIds": ["u1"]},
                    **auth,
                )
            )[0]
        )
    assert statuses == [403, 503, 200]


async def test_a_card_callback_answered_with_the_cards_data_updates_it_without_a_call(
    standin: DingTalkStandIn, http: aiohttp.ClientSession
) -> None:
    """DingTalk's card callback page: the answer to a callback may carry the card's new data
    ("通过响应事件回调来更新卡片数据"), in the SDK's wrapping `{"response": …}`. Every other
    callback names no space (the bot must not need it); the button's parameters are the
    template's: its `data` and the card's `markdown`."""
    url = standin.url
    await organisation(http, url)
    socket = await connect(http, url)
    standin.state.cards["card-1"] = card = standin.state.record(
        "card", "cid-qs", outTrackId="card-1", template="t", params={"markdown": "你好"}
    )
    card["updates"] = 0
    spaces = []
    for data in ("al:ack:1", "al:ack:2"):
        _, pressed = await post(
            http,
            url + "/control/press",
            {"userid": "u2", "outTrackId": "card-1", "params": {"data": data}},
        )
        frame = json.loads((await socket.receive()).data)
        callback = json.loads(frame["data"])
        spaces.append((callback["spaceType"], callback["spaceId"]))
        params = json.loads(callback["content"])["cardPrivateData"]["params"]
        assert params == {"markdown": card["params"]["markdown"], "data": data}
        answer = {
            "cardUpdateOptions": {"updateCardDataByKey": True},
            "cardData": {"cardParamMap": {"markdown": f"已确认 {data}"}},
        }
        await socket.send_str(json.dumps(ack(frame, json.dumps({"response": answer}))))
        assert await standin.wait_acked(pressed["messageId"], 5)
        assert card["params"]["markdown"] == f"已确认 {data}"
    assert spaces == [("im", "cid-qs"), ("", "")]
    assert card["updates"] == 2
    assert not [c for c in standin.state.calls if metered(c)]  # no metered call made
    await socket.close()


async def test_the_official_sdk_connects_gets_a_message_and_a_card_press_and_acknowledges(
    standin: DingTalkStandIn, http: aiohttp.ClientSession
) -> None:
    url = standin.url
    await organisation(http, url)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "tests" / "dingtalk" / "sdk_client.py"),
        CLIENT_ID,
        CLIENT_SECRET,
        env={**os.environ, "DINGTALK_OPENAPI_ENDPOINT": url},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    try:
        assert json.loads(await asyncio.wait_for(process.stdout.readline(), 30)) == {
            "started": True
        }
        for _ in range(100):  # until the SDK has connected
            if standin.connected:
                break
            await asyncio.sleep(0.1)
        _, sent = await post(http, url + "/control/send", {"userid": "u1", "text": "/help"})
        line = json.loads(await asyncio.wait_for(process.stdout.readline(), 10))
        assert line == {"text": "/help", "from": "u1"}
        async with http.get(f"{url}/control/acked/{sent['messageId']}?timeout=5") as response:
            assert (await response.json())["acked"] is True

        standin.state.cards["card-9"] = standin.state.record(
            "card", "u1", outTrackId="card-9", template="t", params={"markdown": "🔴"}
        )
        _, pressed = await post(
            http,
            url + "/control/press",
            {"userid": "u1", "outTrackId": "card-9", "params": {"data": "al:ack:7"}},
        )
        line = json.loads(await asyncio.wait_for(process.stdout.readline(), 10))
        assert line == {"card": "card-9", "params": {"markdown": "🔴", "data": "al:ack:7"}}
        async with http.get(f"{url}/control/acked/{pressed['messageId']}?timeout=5") as response:
            assert (await response.json())["acked"] is True
    finally:
        process.kill()
        await process.wait()


async def test_only_this_machines_programs_reach_it_and_its_secrets_are_per_run(
    standin: DingTalkStandIn, http: aiohttp.ClientSession
) -> None:
    """The OpenAPI and the gateway are refused to a foreign Host (DNS rebinding) and to a
    browser's cross-origin form post, as the control API is; the application's key and
    secret are made per run unless a test gives its own."""
    url = standin.url
    token_path = url + "/v1.0/oauth2/accessToken"
    body = {"appKey": CLIENT_ID, "appSecret": CLIENT_SECRET}
    rebound = await post(http, token_path, body, Host=f"evil.example:{standin.port}")
    assert rebound[0] == 403
    form = json.dumps(body)  # a page's <form enctype="text/plain"> can carry JSON
    async with http.post(
        token_path,
        data=form,
        headers={"Content-Type": "text/plain", "Origin": "http://evil.example"},
    ) as crossed:
        assert crossed.status == 403
    opened = await post(
        http,
        url + "/v1.0/gateway/connections/open",
        {"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET},
        Origin="http://evil.example",
    )
    assert opened[0] == 403
    assert not standin.state.tokens and not standin.state.tickets  # nothing was handed out
    assert (await post(http, token_path, body))[0] == 200  # the application's own call

    one, two = DingTalkStandIn().state, DingTalkStandIn().state
    assert one.client_id != two.client_id and one.client_secret != two.client_secret
    assert len(one.client_secret) >= 32
