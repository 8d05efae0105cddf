"""The adapter's OpenAPI client against the stand-in: one token for many calls (and a new one
after a 401), throttling (DingTalk's 403) and 5xx retried, DingTalk's error codes raised (a
robot removed from a group), cards created and updated, a person's mobile number, media up
and down; every metered call counted, and only those."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import aiohttp
import pytest

from platforms.dingtalk.openapi import DingTalkError, Missed, OpenApi
from sandbox.dingtalk.server import DingTalkStandIn
from sandbox.dingtalk.state import Failure
from tests.dingtalk.credentials import CLIENT_ID, CLIENT_SECRET


@pytest.fixture
async def api(standin: DingTalkStandIn) -> AsyncIterator[OpenApi]:
    client = OpenApi(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        api_url=standin.url,
        oapi_url=standin.url,
        retries=(0.01, 0.02, 0.04),
    )
    try:
        yield client
    finally:
        await client.close()


def token_calls(standin: DingTalkStandIn) -> int:
    return sum(1 for c in standin.state.calls if c["path"] == "/v1.0/oauth2/accessToken")


async def test_messages_one_token_retries_and_errors(
    standin: DingTalkStandIn, api: OpenApi
) -> None:
    missed = await api.to_people(["u1", "nobody"], "sampleText", {"content": "你好"})
    assert missed == Missed(invalid=["nobody"])
    await api.to_group("cid-qs", "sampleMarkdown", {"title": "预警", "text": "🔴 红色预警"})
    assert token_calls(standin) == 1  # one token for both
    # throttled (DingTalk's 403), then a 503: retried; the message goes once
    standin.state.failures.append(Failure("/v1.0/robot/", 403, 1))
    standin.state.failures.append(Failure("/v1.0/robot/", 503, 1))
    await api.to_people(["u1"], "sampleText", {"content": "第二条"})
    sent = [m["msgParam"]["content"] for m in standin.state.sent if m["to"] == "u1"]
    assert sent == ["你好", "第二条"]
    # the token expired on DingTalk's side: a 401 fetches a new one and the call goes on
    standin.state.tokens.clear()
    await api.to_people(["u1"], "sampleText", {"content": "第三条"})
    assert token_calls(standin) == 2
    # removed from the group: DingTalk's code, for the adapter to mark the binding broken
    standin.state.groups["cid-qs"]["robot"] = False
    with pytest.raises(DingTalkError) as removed:
        await api.to_group("cid-qs", "sampleText", {"content": "x"})
    assert removed.value.code == "invalidParameter.robotCode.notExsit"
    # throttled beyond the retries: an error, not a hang
    standin.state.failures.append(Failure("/v1.0/robot/", 403, 10))
    with pytest.raises(DingTalkError) as throttled:
        await api.to_people(["u1"], "sampleText", {"content": "x"})
    assert throttled.value.status == 403
    assert throttled.value.code == "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi"
    # counted as DingTalk meters: not the token, not the calls refused for the rate
    assert api.calls == sum(1 for c in standin.state.calls if c["metered"]) == 5


async def test_cards_people_and_files(standin: DingTalkStandIn, api: OpenApi) -> None:
    await api.create_card("ffp-1", "fangfanpin.buttons", "IM_ROBOT.u1", {"markdown": "第1题"})
    await api.update_card("ffp-1", {"markdown": "第2题"})
    [card] = [m for m in standin.state.sent if m["kind"] == "card"]
    assert (card["to"], card["params"]["markdown"], card["updates"]) == ("u1", "第2题", 1)
    with pytest.raises(DingTalkError):
        await api.create_card("ffp-1", "fangfanpin.buttons", "IM_ROBOT.u1", {})  # the id again
    assert await api.mobile_of("u1") == "13800138001"
    assert await api.mobile_of("somebody") is None
    media = await api.upload(b"\x89PNG chart", "summary.png")
    assert standin.state.media[media] == b"\x89PNG chart"
    async with aiohttp.ClientSession() as http:
        await http.post(
            standin.url + "/control/send",
            json={"userid": "u1", "picture": base64.b64encode(b"jpeg bytes").decode()},
        )
    [code] = [c for c in standin.state.media if c.startswith("download-")]
    assert await api.download(code) == b"jpeg bytes"
