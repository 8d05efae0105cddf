"""Worker processes: the polling process orders and routes an update by its JSON, unparsed;
what it finds must be what python-telegram-bot's parsed update says (its chat and sender)."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import Bot, Update

from platforms.telegram.polling import _keys
from platforms.telegram.workers import RawUpdate

USER = {"id": 501, "is_bot": False, "first_name": "李"}
PRIVATE = {"id": 501, "type": "private", "first_name": "李"}
GROUP = {"id": -700111, "type": "group", "title": "甲村"}
BOT = {"id": 42, "is_bot": True, "first_name": "bot", "username": "fangfanpin_bot"}

UPDATES: list[dict[str, Any]] = [
    {
        "update_id": 1,
        "message": {"message_id": 5, "date": 0, "chat": PRIVATE, "from": USER, "text": "/checkin"},
    },
    {
        "update_id": 2,
        "message": {"message_id": 6, "date": 0, "chat": GROUP, "from": USER, "text": "/summary"},
    },
    {
        "update_id": 3,
        "callback_query": {
            "id": "9",
            "from": USER,
            "chat_instance": "c",
            "data": "ci:a:food:1",
            "message": {
                "message_id": 7,
                "date": 0,
                "chat": PRIVATE,
                "from": BOT,
                "text": "吃饭有保障吗？",
            },
        },
    },
    {
        "update_id": 4,
        "my_chat_member": {
            "chat": GROUP,
            "from": USER,
            "date": 0,
            "old_chat_member": {"user": BOT, "status": "left"},
            "new_chat_member": {"user": BOT, "status": "member"},
        },
    },
]


@pytest.mark.parametrize("data", UPDATES, ids=lambda d: next(k for k in d if k != "update_id"))
def test_raw_keys_are_the_parsed_updates(data: dict[str, Any]) -> None:
    bot = Bot("123:abc")
    raw = RawUpdate.of(data)
    assert raw.update_id == data["update_id"]
    assert _keys(raw) == _keys(Update.de_json(data, bot))


def test_one_chat_always_goes_to_the_same_worker() -> None:
    press, group_command = RawUpdate.of(UPDATES[2]), RawUpdate.of(UPDATES[1])
    assert press.shard(2) == RawUpdate.of(UPDATES[0]).shard(2) == 501 % 2
    assert group_command.shard(3) == -700111 % 3  # by the group, not by who wrote
    assert RawUpdate.of({"update_id": 9, "poll": {"id": "x"}}).shard(4) == 0


def test_the_flood_limits_are_shared_among_the_processes() -> None:
    """Together the bot's process and its workers stay under the send rate and under a
    group's 20 messages a minute; half of a group's minute is the bot process's (warnings)."""
    from bot.settings import load_settings
    from platforms.telegram.app import GROUP_RATE, group_share, sending_processes

    one = load_settings(_env_file=None)
    assert sending_processes(one) == 1 and group_share(one, worker=False) == GROUP_RATE
    three = load_settings(workers=3, database_url="postgresql+psycopg://u@h/db", _env_file=None)
    assert sending_processes(three) == 4
    own, each = group_share(three, worker=False), group_share(three, worker=True)
    assert own == GROUP_RATE / 2 and own + 3 * each == GROUP_RATE and each >= 1
