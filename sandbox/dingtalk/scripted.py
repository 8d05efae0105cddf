"""A person of the DingTalk stand-in acting out a script (`sandbox/scripts.py`: one weekly
check-in), in the stand-in's own process: each message sent, or button pressed on the newest
card that has it, waits for its acknowledgement and for the robot's answer showing the
expected words (a new message or card, or the pressed card updated). The metering test and
the DingTalk bench drive helpers with it."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from sandbox.dingtalk.server import DingTalkStandIn


def shown(entry: dict[str, Any]) -> str:
    """What a message or card the robot sent shows now."""
    if entry["kind"] == "card":
        return str(entry["params"].get("markdown", ""))
    params = entry.get("msgParam") or {}
    return str(params.get("content") or params.get("text") or "")


class ScriptedPerson:
    def __init__(self, standin: DingTalkStandIn, userid: str, timeout: float = 15.0) -> None:
        self.standin, self.userid, self.timeout = standin, userid, timeout

    def entries(self) -> list[dict[str, Any]]:
        return [m for m in self.standin.state.sent if m["to"] == self.userid]

    async def run(self, script: list[tuple[str, str, str]]) -> None:
        for action, value, fragment in script:
            if action == "send":
                await self.send(value, fragment)
            else:
                await self.press(value, fragment)

    async def send(self, text: str, fragment: str) -> None:
        after = len(self.standin.state.sent)
        answer = await self.standin.person_sends(self.userid, text)
        await self._answered(str(answer["messageId"]), fragment, after, None)

    async def press(self, label: str, fragment: str) -> None:
        for card in reversed(self.entries()):
            if card["kind"] != "card":
                continue
            buttons = json.loads(card["params"].get("buttons") or "[]")
            data = next((b["data"] for b in buttons if label in b["text"]), None)
            if data is not None:
                break
        else:
            raise AssertionError(f"{self.userid}: no card with {label!r}")
        after = len(self.standin.state.sent)
        answer = await self.standin.person_presses(self.userid, card["outTrackId"], {"data": data})
        await self._answered(str(answer["messageId"]), fragment, after, card)

    async def _answered(
        self, message_id: str, fragment: str, after: int, card: dict[str, Any] | None
    ) -> None:
        deadline = time.monotonic() + self.timeout
        if not await self.standin.wait_acked(message_id, self.timeout):
            raise AssertionError(f"{self.userid}: {message_id} not acknowledged")
        while time.monotonic() < deadline:
            new = [m for m in self.standin.state.sent[after:] if m["to"] == self.userid]
            if any(fragment in shown(m) for m in new + ([card] if card else [])):
                return
            await asyncio.sleep(0.01)
        raise AssertionError(
            f"{self.userid}: {fragment!r} never came: {[shown(m) for m in self.entries()][-3:]}"
        )
