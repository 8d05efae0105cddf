"""One dispatch, one set of texts: the same refusal and fallback answers on Telegram (the real
Application against its stand-in) and on DingTalk (the adapter against its stand-in), for an
unknown command, a group-only command sent privately, a message no conversation takes, a
button of no flow and a button pressed on a message without its flow's buttons (a toast on
Telegram; on DingTalk, which has no toast, a private message)."""

from __future__ import annotations

import json

from sqlalchemy.orm import Session, sessionmaker

from conversations.dispatch import SEND_IN_GROUP, STALE, UNKNOWN_COMMAND, WRONG_PLACE
from conversations.engine.router import NOT_UNDERSTOOD
from monitoring.i18n import Translations
from platforms.telegram.context import AppType
from sandbox.client import SandboxClient
from tests.dingtalk.test_adapter import Town
from tests.dingtalk.test_adapter import town as ding_town  # noqa: F401 (a fixture)
from tests.driver import register


def expected(translations: Translations) -> dict[str, str]:
    t = translations.get("zh_CN")
    return {
        "unknown command": t._(UNKNOWN_COMMAND),
        "group only": t._(SEND_IN_GROUP).format(command="bind"),
        "not understood": t._(NOT_UNDERSTOOD),
        "stale button": t._(STALE),
        "wrong place": t._(WRONG_PLACE),
    }


async def test_the_same_refusals_and_fallbacks_on_both_platforms(
    bot: AppType,
    client: SandboxClient,
    ding_town: Town,  # noqa: F811
    session_factory: sessionmaker[Session],
) -> None:
    want = expected(bot.bot_data.services.translations)

    # Telegram (the roster is the examples', imported by the DingTalk town)
    chat = await register(client, 961, "李建国", "+8613800138001")
    telegram = {
        "unknown command": (await chat.send("/frobnicate"))["text"],
        "group only": (await chat.send("/bind"))["text"],
        "not understood": (await chat.send("你好呀"))["text"],
    }
    pressed = await chat.press_data("zz:1")
    answer = await client.wait_event(after=pressed["seq"], kinds="callback_answer")
    telegram["stale button"] = answer["text"]
    # a warning's button on a message that has none of its flow
    pressed = await chat.press_data("al:ack:1")
    answer = await client.wait_event(after=pressed["seq"], kinds="callback_answer")
    telegram["wrong place"] = answer["text"]
    assert telegram == want

    # DingTalk: the same person, now on DingTalk (the link moves with the mobile number)
    helper = "manager0001"
    await ding_town.send(helper, "你好")  # registers: a greeting and the commands
    said = len(ding_town.texts(helper))
    for text in ("/frobnicate", "/bind", "你好呀"):
        await ding_town.send(helper, text)
    await ding_town.send(helper, "/checkin")
    [listing] = ding_town.cards(helper)
    await ding_town.press(helper, listing["outTrackId"], "zz:1")
    await ding_town.press(helper, listing["outTrackId"], "al:ack:1")
    dingtalk = dict(
        zip(
            ["unknown command", "group only", "not understood", "stale button", "wrong place"],
            ding_town.texts(helper)[said:],
            strict=True,
        )
    )
    assert dingtalk == want
    assert json.loads(listing["params"]["buttons"])  # the card kept its buttons
