"""The stand-in answers like Telegram: python-telegram-bot's own Bot talks to it over HTTP."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from sandbox.client import SandboxClient, SandboxError
from sandbox.server import SandboxBotAPI
from tests.small_town import A, B, C


@pytest.fixture
async def tg(sandbox: SandboxBotAPI) -> AsyncIterator[Bot]:
    bot = Bot(
        sandbox.state.token,
        base_url=sandbox.url,
        base_file_url=sandbox.file_url,
        request=HTTPXRequest(read_timeout=2.0),
    )
    async with bot:
        yield bot


async def test_get_me_send_edit_and_press(tg: Bot, client: SandboxClient) -> None:
    assert tg.username == "fangfanpin_bot"
    await client.user(42, "测试")
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("确认", callback_data="ok:1")]])
    sent = await tg.send_message(42, "你好", reply_markup=markup)
    assert sent.chat.type == "private" and sent.reply_markup == markup
    stored = await client.message(42, sent.message_id)
    assert stored["text"] == "你好"

    pressed = await client.press(42, sent.message_id, text="确认")
    updates = await tg.get_updates(timeout=1)
    assert updates[-1].callback_query is not None
    assert updates[-1].callback_query.data == "ok:1"
    await updates[-1].callback_query.answer("好的")
    answer = await client.callback_answer(pressed["callback_query_id"])
    assert answer["answered"] is True and answer["text"] == "好的"
    with pytest.raises(SandboxError):
        await client.press(42, sent.message_id, text="没有这个按钮")

    await tg.edit_message_text("已确认", chat_id=42, message_id=sent.message_id)
    with pytest.raises(BadRequest, match="not modified"):
        await tg.edit_message_text("已确认", chat_id=42, message_id=sent.message_id)
    assert (await client.message(42, sent.message_id))["text"] == "已确认"


async def test_updates_are_confirmed_by_offset(tg: Bot, client: SandboxClient) -> None:
    await client.send_text(7, "/start")
    await client.send_text(7, "第二条")
    first = await tg.get_updates(timeout=0)
    assert [u.message.text for u in first if u.message] == ["/start", "第二条"]
    assert first[0].message is not None and first[0].message.entities[0].type == "bot_command"
    again = await tg.get_updates(timeout=0)
    assert [u.update_id for u in again] == [u.update_id for u in first]  # not yet confirmed
    await tg.get_updates(offset=first[-1].update_id + 1, timeout=0)
    status = await client.updates()
    assert status["pending"] == [] and status["confirmed_offset"] == first[-1].update_id + 1


async def test_allowed_updates_filter_like_telegram(tg: Bot, client: SandboxClient) -> None:
    await client.create_group(-5, "群")
    await client.bot_membership(-5, by_user_id=9)
    only_messages = await tg.get_updates(timeout=0, allowed_updates=["message"])
    assert all(u.message for u in only_messages) and only_messages
    everything = await tg.get_updates(timeout=0, allowed_updates=["message", "my_chat_member"])
    kinds = {("member" if u.my_chat_member else "message") for u in everything}
    assert kinds == {"member", "message"}


async def test_failures_map_to_the_library_errors(tg: Bot, client: SandboxClient) -> None:
    await client.user(42, "测试")
    await client.fail("429", method="sendMessage", retry_after=3)
    with pytest.raises(RetryAfter, match="Retry in 3"):
        await tg.send_message(42, "x")
    await client.fail("500", method="sendMessage")
    with pytest.raises(NetworkError):
        await tg.send_message(42, "x")
    await client.fail("403", method="sendMessage", chat_id=42)
    with pytest.raises(Forbidden):
        await tg.send_message(42, "x")
    await client.fail("hang", method="sendMessage", hang_seconds=3)
    with pytest.raises(TimedOut):
        await tg.send_message(42, "x")
    sent = await tg.send_message(42, "终于")  # the rules were used up
    assert sent.text == "终于"
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await tg.send_message(99999, "x")


async def test_groups_membership_and_migration(tg: Bot, client: SandboxClient) -> None:
    await client.create_group(-10, "青山村工作群")
    with pytest.raises(Forbidden):
        await tg.send_message(-10, "x")  # not a member yet
    await client.bot_membership(-10, by_user_id=5)
    await tg.send_message(-10, "大家好")
    await client.migrate_group(-10, -1000000000010, by_user_id=5)
    with pytest.raises(Exception) as info:
        await tg.send_message(-10, "x")
    assert getattr(info.value, "new_chat_id", None) == -1000000000010
    await tg.send_message(-1000000000010, "超级群")
    await client.bot_membership(-1000000000010, by_user_id=5, action="remove")
    with pytest.raises(Forbidden):
        await tg.send_message(-1000000000010, "x")


async def test_files_round_trip(tg: Bot, client: SandboxClient) -> None:
    await client.user(42, "测试")
    sent = await tg.send_document(42, b"col1,col2\n1,2\n", filename="ledger.csv")
    assert sent.document is not None and sent.document.file_name == "ledger.csv"
    file = await tg.get_file(sent.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"col1,col2\n1,2\n"
    photo = await tg.send_photo(42, b"\x89PNG fake")
    assert photo.photo


async def test_wrong_token_is_unauthorized(sandbox: SandboxBotAPI) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("999:WRONG", base_url=sandbox.url):
            pass


async def test_the_control_api_answers_only_its_own_page(sandbox: SandboxBotAPI) -> None:
    """A web page open on the same machine must not drive the stand-in: foreign Host or
    Origin, and posts that are not JSON, are refused; the bot's own API is untouched."""
    import httpx

    async with httpx.AsyncClient(base_url=sandbox.root) as http:
        ok = await http.post("/sandbox/users", json={"id": 77, "first_name": "甲"})
        assert ok.status_code == 200
        evil = await http.post(
            "/sandbox/users",
            json={"id": 78, "first_name": "乙"},
            headers={"Origin": "http://evil.example"},
        )
        assert evil.status_code == 403
        rebound = await http.get("/sandbox/chats", headers={"Host": f"evil.example:{sandbox.port}"})
        assert rebound.status_code == 403
        form = await http.post(
            "/sandbox/users",
            content=b'{"id": 79, "first_name": "c"}',
            headers={"Content-Type": "text/plain"},
        )
        assert form.status_code == 415
        own_origin = await http.get(
            "/sandbox/chats", headers={"Origin": f"http://127.0.0.1:{sandbox.port}"}
        )
        assert own_origin.status_code == 200
        users = {c["id"] for c in own_origin.json()}
        assert 77 in users and 78 not in users and 79 not in users
        getme = await http.post(f"/bot{sandbox.state.token}/getMe")  # the Bot API is not control
        assert getme.status_code == 200


async def test_the_bot_api_answers_only_this_machines_programs(
    sandbox: SandboxBotAPI, client: SandboxClient
) -> None:
    """The Bot API and its files are refused to a foreign Host (DNS rebinding) and to a
    browser's cross-origin form post, as the control API is; the bot's own calls pass."""
    import httpx

    await client.user(42, "测试")
    send = f"/bot{sandbox.state.token}/sendMessage"
    form = {"chat_id": "42", "text": "伪造"}
    async with httpx.AsyncClient(base_url=sandbox.root) as http:
        rebound = await http.post(send, data=form, headers={"Host": f"evil.example:{sandbox.port}"})
        assert rebound.status_code == 403
        crossed = await http.post(send, data=form, headers={"Origin": "http://evil.example"})
        assert crossed.status_code == 403
        fetched = await http.post(send, data=form, headers={"Sec-Fetch-Site": "cross-site"})
        assert fetched.status_code == 403
        files = await http.get(
            f"/file/bot{sandbox.state.token}/x", headers={"Host": f"evil.example:{sandbox.port}"}
        )
        assert files.status_code == 403
        assert [m.get("text") for m in await client.messages(42)] == []
        own = await http.post(send, data={"chat_id": "42", "text": "好"})
        assert own.status_code == 200
    assert [m.get("text") for m in await client.messages(42)] == ["好"]


def test_each_run_of_the_stand_in_has_its_own_token() -> None:
    """No fixed secret: a token is made per run (a test may give its own)."""
    first, second = SandboxBotAPI().state.token, SandboxBotAPI().state.token
    assert first != second
    assert first.split(":")[0] == second.split(":")[0] and len(first.split(":")[1]) >= 30
    assert SandboxBotAPI(token="7:given-by-the-test").state.token == "7:given-by-the-test"


async def test_the_page_runs_one_job_at_a_time_and_kills_one_that_overruns() -> None:
    import httpx

    from bot.i18n import load_translations
    from sandbox.page import SandboxPage

    api = SandboxBotAPI()
    page = SandboxPage(
        [],
        [],
        job_env={"FANGFANPIN_DATABASE_URL": "sqlite://"},
        translations=load_translations("zh_CN"),
        job_timeout=1.0,
        job_command=(sys.executable, "-c", "import time; time.sleep(60)"),  # never in time
    )
    api.extra_routes.extend(page.routes())
    await api.start()
    try:
        async with httpx.AsyncClient(base_url=api.root, timeout=30) as http:
            body = {"name": "reminders", "at": "2026-11-30T09:00"}
            first = asyncio.create_task(http.post("/page/job", json=body))
            await asyncio.sleep(0.3)
            second = await http.post("/page/job", json=body)
            assert second.status_code == 409
            done = await first
            assert done.status_code == 504 and "did not finish" in done.json()["output"]
            assert not page._job_lock.locked()
    finally:
        await api.stop()


async def test_a_job_run_from_the_page_speaks_the_townships_language(
    town: sessionmaker[Session], database_url: str
) -> None:
    """The page's clock control runs `fangfanpin jobs run` in the configured language
    (zh_CN by default), so the reminders it sends speak it, and reports in it."""
    import httpx

    from bot.i18n import load_translations
    from sandbox.page import SandboxPage

    api = SandboxBotAPI()
    page = SandboxPage(
        [],
        [],
        job_env={},
        translations=load_translations("zh_CN"),
        events=lambda: api.state.events,
    )
    api.extra_routes.extend(page.routes())
    await api.start()
    page.job_env = {
        "FANGFANPIN_DATABASE_URL": database_url,
        "FANGFANPIN_TELEGRAM_TOKEN": api.state.token,
        "FANGFANPIN_TELEGRAM_API_URL": api.url,
        "FANGFANPIN_LOCALE": "en",  # an operator's shell may say otherwise: the page decides
    }
    try:
        async with SandboxClient(api.root) as client:
            for user_id, name in ((A, "甲"), (B, "乙"), (C, "丙")):
                await client.user(user_id, name)
            async with httpx.AsyncClient(base_url=api.root, timeout=60) as http:
                done = await http.post(
                    "/page/job", json={"name": "reminders", "at": "2026-11-30T09:00"}
                )
            assert done.status_code == 200, done.text
            assert done.json()["output"].startswith("走访提醒：已生成 3 条消息，已送达 3 条")
            [to_a] = await client.bot_messages(A)
            assert "还有 2 户待走访" in to_a["text"], to_a["text"]
    finally:
        await api.stop()
