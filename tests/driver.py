"""Act as a person in a chat of the stand-in, over HTTP, and read the bot's answers."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sandbox.client import SandboxClient, SandboxError


class Chat:
    def __init__(self, client: SandboxClient, user_id: int, chat_id: int | None = None) -> None:
        self.client = client
        self.user_id = user_id
        self.chat_id = chat_id or user_id

    async def bot_messages(self) -> list[dict[str, Any]]:
        return await self.client.bot_messages(self.chat_id)

    async def last(self) -> dict[str, Any]:
        return (await self.bot_messages())[-1]

    async def send(self, text: str, *, wait: bool = True) -> dict[str, Any]:
        seq = await self.client.last_seq()
        await self.client.send_text(self.user_id, text, chat_id=self.chat_id)
        return await self.client.reply(self.chat_id, after=seq) if wait else {}

    async def send_other(self, kind: str, value: str = "x") -> dict[str, Any]:
        seq = await self.client.last_seq()
        await self.client.send_other(self.user_id, kind, value, chat_id=self.chat_id)
        return await self.client.reply(self.chat_id, after=seq)

    async def buttons(self) -> tuple[dict[str, Any], list[str]]:
        """The newest bot message that has inline buttons, and their texts."""
        for message in reversed(await self.bot_messages()):
            rows = (message.get("reply_markup") or {}).get("inline_keyboard")
            if rows:
                return message, [b["text"] for row in rows for b in row]
        raise SandboxError(f"chat {self.chat_id}: no message with buttons")

    async def press(
        self, text: str, *, wait: bool = True, edits: bool = False, on: int | None = None
    ) -> dict[str, Any]:
        """Press a button of the newest message with buttons (or of message `on`); return the
        bot's answer: its next message, or the pressed message as the bot edited it (a
        conversation turns the answered question into the next one). With `edits`, wait for
        the edit only."""
        if on is None:
            message, labels = await self.buttons()
        else:
            message = await self.client.message(self.chat_id, on)
            rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
            labels = [b["text"] for row in rows for b in row]
        match = [label for label in labels if label == text] or [
            label for label in labels if text in label
        ]
        if not match:
            raise SandboxError(f"no button {text!r} in {labels} ({message.get('text')!r})")
        seq = await self.client.last_seq()
        await self.client.press(
            self.user_id, message["message_id"], text=match[0], chat_id=self.chat_id
        )
        if edits:  # the pressed message's edit (another message's may come first)
            return await self.client.edit_of(self.chat_id, message["message_id"], after=seq)
        if not wait:
            return {}
        return await self.client.answer_to_press(self.chat_id, message["message_id"], after=seq)

    async def press_data(self, data: str) -> dict[str, Any]:
        """Press a button with made-up data on the newest message (a stale or forged one)."""
        message = (await self.bot_messages())[-1]
        seq = await self.client.last_seq()
        result = await self.client.press(
            self.user_id, message["message_id"], data=data, chat_id=self.chat_id, forge=True
        )
        return {"seq": seq, **result}

    async def wait_last(
        self, fragment: str, timeout: float = 30.0, *, since: int | None = None
    ) -> dict[str, Any]:
        """Wait until the newest bot message contains `fragment`, or (with `since`, an event
        number) a bot message sent or edited after that event does: after a restart the bot
        may show the next question in the message that was pressed, above a copy of the
        question sent again."""
        deadline = time.monotonic() + timeout
        seq = 0
        while True:
            messages = await self.bot_messages()
            if messages and fragment in messages[-1].get("text", ""):
                return messages[-1]
            if since is not None:
                changed = {
                    e["message_id"]
                    for e in await self.client.events(
                        after=since, chat_id=self.chat_id, kinds="message,edit"
                    )
                }
                for message in reversed(messages):
                    if message["message_id"] in changed and fragment in message.get("text", ""):
                        return message
            if time.monotonic() > deadline:
                last = messages[-1].get("text") if messages else None
                raise SandboxError(f"waited for {fragment!r}; newest bot message: {last!r}")
            seq = seq or await self.client.last_seq()
            await self.client.events(
                after=seq,
                chat_id=self.chat_id,
                kinds="message,edit",
                timeout=min(2.0, max(0.1, deadline - time.monotonic())),
            )
            seq = await self.client.last_seq()


async def register(client: SandboxClient, user_id: int, name: str, phone: str) -> Chat:
    await client.user(user_id, name)
    chat = Chat(client, user_id)
    await chat.send("/start")
    seq = await client.last_seq()
    await client.send_contact(user_id, phone, contact_user_id=user_id)
    await client.wait_bot_messages(user_id, after=seq, count=2)
    return chat


class BotProcess:
    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env, self.cwd = env, cwd
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = (cwd / "bot.log").open("ab")

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            env=self.env,
            cwd=self.cwd,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()  # SIGKILL: no clean-up, no confirmation of updates
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
        self.log.close()


async def send_for(chat: Chat, text: str, count: int) -> list[dict[str, Any]]:
    """Send `text` in `chat` and return the bot's next `count` messages to that chat."""
    seq = await chat.client.last_seq()
    await chat.client.send_text(chat.user_id, text, chat_id=chat.chat_id)
    return await chat.client.wait_bot_messages(chat.chat_id, after=seq, count=count, timeout=30)


async def answer_checkin(chat: Chat, *, food: bool = True) -> dict[str, Any]:
    """Answer every check-in question from the visit method on (all secure but food as
    given, income unchanged, no expenditure, no note, no photo); returns the summary."""
    await chat.press("入户")
    await chat.press("仍为")
    await chat.press("没有变化")  # income unchanged
    await chat.press("否")  # no rigid expenditure
    await chat.press("有保障" if food else "有问题")
    reply = await chat.press("有保障")  # clothing
    if "义务教育阶段（约" in reply["text"]:
        await chat.press("否")
    await chat.press("有保障")  # medical insurance
    await chat.press("有保障")  # treatment
    await chat.press("有保障")  # housing
    await chat.press("有保障")  # water
    await chat.press("跳过")
    return await chat.press("跳过")


async def ledger_of(chat: Chat, command: str) -> dict[str, Any]:
    """Send an /export command; the document that follows ("being prepared" comes first)."""
    seq = await chat.client.last_seq()
    preparing = await chat.send(command)
    assert "正在生成" in preparing["text"], preparing
    for message in await chat.client.wait_bot_messages(
        chat.user_id, after=seq, count=2, timeout=60
    ):
        if "document" in message:
            return message
    raise AssertionError("no ledger arrived")


async def until(check: Any, timeout: float = 30) -> None:
    """Until the awaitable `check()` says True (AssertionError after `timeout` seconds)."""
    import asyncio

    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.1)


async def outbox_settled(factory: Any, timeout: float = 30) -> None:
    """Until every queued outbox row is sent or given up: messages queued by a test's own
    writes (a warning's copies) then can not arrive among the replies it counts next."""
    from sqlalchemy import func, select

    from storage.models import OutboxMessage

    async def settled() -> bool:
        with factory() as s:
            waiting = s.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status.not_in(("sent", "failed")))
            )
        return not waiting

    await until(settled, timeout)
