"""Robot messages as DingTalk sends them (its "接收消息" page): a group message, which reaches
the robot only when it @mentions it, begins with a space; rich text carries words and
pictures in one message; a press names no chat of its own (`spaceType`/`spaceId` empty)."""

from __future__ import annotations

from typing import Any

from conversations.engine.events import ChatKind
from platforms.dingtalk.inbound import message_event, press_of
from storage.platform_ids import Kind

NUMBERS = {(Kind.USER, "u1"): 2**53 + 1, (Kind.GROUP, "cid-qs"): -(2**53 + 2)}


def number(kind: Kind, external: str) -> int:
    return NUMBERS[(kind, external)]


def message(**what: Any) -> dict[str, Any]:
    return {"msgId": "m1", "senderStaffId": "u1", "conversationType": "1", **what}


def test_a_group_command_after_the_mention_and_rich_text_with_a_picture() -> None:
    group = message(
        conversationType="2",
        conversationId="cid-qs",
        conversationTitle="青山村防返贫群",
        isInAtList=True,
        msgtype="text",
        text={"content": " /bind"},
    )
    incoming = message_event(group, number)
    assert incoming is not None
    event = incoming.event
    assert (event.chat_kind, event.chat_id, event.text, event.command) == (
        ChatKind.GROUP,
        -(2**53 + 2),
        "/bind",
        "bind",
    )
    rich = message(
        msgtype="richText",
        content={
            "richText": [
                {"text": "房屋外观 "},
                {"downloadCode": "code-1", "type": "picture"},
                {"downloadCode": "code-2", "type": "picture"},
            ]
        },
    )
    incoming = message_event(rich, number)
    assert incoming is not None
    assert (incoming.event.text, incoming.event.photo) == ("房屋外观", "code-1")
    only_pictures = message(
        msgtype="richText", content={"richText": [{"downloadCode": "code-3", "type": "picture"}]}
    )
    incoming = message_event(only_pictures, number)
    assert incoming is not None
    assert (incoming.event.text, incoming.event.photo) == (None, "code-3")


def test_a_press_is_read_without_its_space() -> None:
    content = '{"cardPrivateData": {"actionIds": ["x"], "params": {"data": "al:ack:1"}}}'
    press = press_of(
        {"userId": "u1", "outTrackId": "ffp-1", "content": content, "spaceType": "", "spaceId": ""}
    )
    assert press is not None
    assert (press.staff_id, press.track, press.data, press.text, press.space) == (
        "u1",
        "ffp-1",
        "al:ack:1",
        None,
        "",
    )
    for broken in ("[]", "{}", "not json", '{"cardPrivateData": {"params": {"data": 7}}}'):
        assert press_of({"userId": "u1", "outTrackId": "ffp-1", "content": broken}) is None
