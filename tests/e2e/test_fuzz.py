"""Fuzzing the running bot: hypothesis generates streams of updates — random unicode and very
long text, stickers, photos, documents, locations, edited and forwarded messages, commands
with garbage arguments, real and forged button presses (stale, oversized, of no flow), from a
registered helper, a stranger, and in a group nobody bound — in whatever conversation state
the previous updates left. Invariants: no handler fails, every private update (and every
group command) gets a reply or a toast, and the stored data stays valid."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from conversations.people.menu import KNOWN_COMMANDS
from platforms.telegram.context import AppType
from sandbox.client import SandboxClient
from storage.models import AuditEntry, CheckIn, Draft, Household
from tests.conftest import import_examples
from tests.driver import register

HELPER = (961, "李建国", "+8613800138001")
STRANGER = 962
GROUP = -600111
COMMANDS = [
    "/start",
    "/help",
    "/checkin",
    "/mine",
    "/cancel",
    "/history",
    "/summary",
    "/export",
    "/bind",
    "/unbind",
    "/resolve",
    "/propose",
    "/proposals",
    "/eliminate",
    "/reinstate",
    "/nosuchcommand",
]

texts = st.one_of(
    st.text(max_size=40),
    st.text(min_size=4000, max_size=5000),
    st.sampled_from(["4", "1.2万", "三千", "-5", "0", "99999999999", "是", "否", "LX01001"]),
)
commands = st.builds(
    lambda c, a: f"{c} {a}".strip(), st.sampled_from(COMMANDS), st.text(max_size=30)
)
forged = st.one_of(
    st.text(max_size=64),
    st.sampled_from(
        [
            "ci:hh:999999",
            "ci:a:food:1",
            "al:ack:999",
            "ms:k:0:x",
            "pp:v:-1",
            "pd:ok:999:village",
            "el:ok:1",
            "gb:v:999",
            "zz",
        ]
    ),
)
actions = st.lists(
    st.one_of(
        st.tuples(st.just("text"), texts),
        st.tuples(st.just("command"), commands),
        st.tuples(st.just("other"), st.sampled_from(["sticker", "photo", "document"])),
        st.tuples(st.just("location"), st.just("")),
        st.tuples(st.just("forward"), texts),
        st.tuples(st.just("edit"), texts),
        st.tuples(st.just("press"), st.integers(min_value=0, max_value=20)),
        st.tuples(st.just("forge"), forged),
    ).map(lambda a: a),
    min_size=1,
    max_size=12,
).flatmap(
    lambda items: st.lists(
        st.sampled_from(["helper", "stranger", "group"]),
        min_size=len(items),
        max_size=len(items),
    ).map(lambda who: list(zip(who, items, strict=True)))
)


@pytest.fixture
async def world(
    bot: AppType, client: SandboxClient, session_factory: sessionmaker[Session]
) -> sessionmaker[Session]:
    import_examples(session_factory)
    await register(client, *HELPER)
    await client.user(STRANGER, "路人")
    await client.create_group(GROUP, "闲聊群")
    seq = await client.last_seq()
    await client.bot_membership(GROUP, by_user_id=HELPER[0])
    await client.wait_bot_messages(GROUP, after=seq)
    return session_factory


async def act(client: SandboxClient, who: str, action: tuple[str, Any]) -> tuple[int, int, bool]:
    """Inject one update; return (update id, chat, whether an answer is owed)."""
    user = STRANGER if who == "stranger" else HELPER[0]
    chat = GROUP if who == "group" else user
    kind, value = action
    body: dict[str, Any] = {"user_id": user, "chat_id": chat}
    owed = chat > 0
    if kind in ("text", "command"):
        body["text"] = value or "."
        # In a group, a command of ours is answered; another one may be another bot's.
        name = str(value).split()[0].lstrip("/") if kind == "command" else ""
        owed = owed or name in KNOWN_COMMANDS
    elif kind == "other":
        body[value] = "x"
    elif kind == "location":
        body["location"] = [29.5, 106.5]
    elif kind == "forward":
        body["text"], body["forward_from"] = value or ".", STRANGER
    elif kind == "edit":
        mine = [m for m in await client.messages(chat) if not m["from"].get("is_bot")]
        if not mine:
            return -1, chat, False
        body["text"], body["edit_of"] = value or ".", mine[-1]["message_id"]
        # Edits are not among the updates the bot asks Telegram for: never delivered, so
        # never confirmed on their own; nothing to wait for.
        await client._post("/sandbox/send", body)
        return -1, chat, False
    if kind in ("press", "forge"):
        bot_messages = await client.bot_messages(chat)
        with_buttons = [
            m for m in bot_messages if (m.get("reply_markup") or {}).get("inline_keyboard")
        ]
        target = (with_buttons or bot_messages or [None])[-1]
        if target is None:
            return -1, chat, False
        if kind == "press" and with_buttons:
            labels = [b["text"] for row in target["reply_markup"]["inline_keyboard"] for b in row]
            result = await client.press(
                user, target["message_id"], text=labels[value % len(labels)], chat_id=chat
            )
        else:
            result = await client.press(
                user, target["message_id"], data=str(value)[:64] or "x", chat_id=chat, forge=True
            )
        return int(result["update_id"]), chat, True
    result = await client._post("/sandbox/send", body)
    return int(result["update_id"]), chat, owed


def check_data(factory: sessionmaker[Session]) -> None:
    with factory() as s:
        if s.get_bind().dialect.name == "sqlite":
            assert not s.execute(text("PRAGMA foreign_key_check")).all(), "orphan rows"
        for row in s.scalars(select(CheckIn)):
            assert row.level in ("green", "watch", "red") and 1 <= row.members <= 30
            assert row.visit_method in ("home", "phone", "other")
        current = s.execute(
            select(CheckIn.household_id, CheckIn.week, func.count())
            .where(CheckIn.is_current)
            .group_by(CheckIn.household_id, CheckIn.week)
        ).all()
        assert all(n == 1 for _, _, n in current), "two current check-ins for one week"
        checked = s.scalar(select(func.count()).select_from(CheckIn)) or 0
        audited = (
            s.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == "checkin")
            )
            or 0
        )
        assert audited >= checked, "a check-in without its audit row"
        for draft in s.scalars(select(Draft).where(Draft.flow == "checkin")):
            assert s.get(Household, draft.subject_id) is not None


@pytest.mark.timeout(900)
async def test_random_update_streams_keep_the_bot_and_the_data_sound(
    world: sessionmaker[Session], client: SandboxClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    loop = asyncio.get_running_loop()

    def on_loop(coroutine: Any) -> Any:
        """Run a coroutine on the test's loop (where the bot runs) from hypothesis's thread."""
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(120)

    async def step(who: str, action: tuple[str, Any]) -> None:
        seq = await client.last_seq()
        update_id, chat, owed = await act(client, who, action)
        if update_id < 0:
            return
        await client.handled(update_id, after=seq)
        failures = [r for r in caplog.records if "handler failed" in r.getMessage()]
        assert not failures, failures[0].getMessage()
        if owed:
            answers = await client.events(after=seq, kinds="message,edit,callback_answer")
            replies = [e for e in answers if e["kind"] == "callback_answer" or e["chat_id"] == chat]
            assert replies, f"no reply to {who} {action!r}"

    @settings(
        max_examples=60,
        phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: bounded time
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        derandomize=True,
    )
    @given(stream=actions)
    def run(stream: list[tuple[str, tuple[str, Any]]]) -> None:
        for who, action in stream:
            on_loop(step(who, action))
        check_data(world)

    await asyncio.to_thread(run)
