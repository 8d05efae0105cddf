"""The DingTalk stand-in, started on this test's event loop with the tests' credentials, one
person of the organisation (u1, 李建国) and one group the robot is in (cid-qs, 青山村)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sandbox.dingtalk.server import DingTalkStandIn
from tests.dingtalk.credentials import CLIENT_ID, CLIENT_SECRET


@pytest.fixture
async def standin() -> AsyncIterator[DingTalkStandIn]:
    server = DingTalkStandIn(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    await server.start()
    server.state.users["u1"] = {"userid": "u1", "name": "李建国", "mobile": "13800138001"}
    server.state.groups["cid-qs"] = {
        "id": "cid-qs",
        "title": "青山村防返贫群",
        "members": ["u1"],
        "robot": True,
    }
    try:
        yield server
    finally:
        await server.stop()
