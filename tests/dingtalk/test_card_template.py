"""The shipped card template (`platforms/dingtalk/card_template.json`, in the shape DingTalk's
card platform exports and imports) defines what the adapter writes and reads: the variables
it fills (`markdown`, `buttons` as a list of {text, data}), and, on the button a loop draws
for each entry, the two parameters a press sends back (`data`, `markdown`); the adapter
reads a press by those names and nothing else."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from conversations.engine.replies import Button
from platforms.dingtalk import card_template as names
from platforms.dingtalk.inbound import press_of
from platforms.dingtalk.outbound import card_params


def nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("children") or []:
        yield from nodes(child)


def test_the_template_defines_the_names_the_adapter_uses() -> None:
    exported = json.loads(names.TEMPLATE_FILE.read_text(encoding="utf-8"))
    assert set(exported) == {"editorData", "widgetInfo", "type", "mode"}
    assert exported["mode"] == "card"
    editor = json.loads(exported["editorData"])  # a JSON string, as the platform exports it
    variables = {v["name"]: v for v in editor["variableList"]}
    assert set(variables) == {names.TEXT, names.BUTTONS}
    assert variables[names.TEXT]["type"] == "string"
    buttons = variables[names.BUTTONS]
    assert buttons["type"] == "loopArray"
    assert {f["name"] for f in buttons["schema"]} == {names.BUTTON_LABEL, names.BUTTON_DATA}

    [card] = editor["schema"]["componentsTree"]
    everything = list(nodes(card))
    [text] = [n for n in everything if n["componentName"] == "BaseText"]  # plain text
    assert text["props"]["text"]["content"] == "${" + names.TEXT + "}"
    [loop] = [n for n in everything if n["componentName"] == "Loop"]
    assert loop["props"]["listData"]["variable"] == names.BUTTONS
    [button] = [n for n in nodes(loop) if n["componentName"] == "SingleButton"]
    assert button["props"]["text"]["content"] == "${loop." + names.BUTTON_LABEL + "}"
    assert button["props"]["actionType"] == "request"  # 回传请求: a callback over Stream
    sent = {p["name"]: (p["variableType"], p["variable"]) for p in button["props"]["params"]}
    assert sent == {
        names.PRESSED_DATA: ("loop", f"{names.BUTTONS}[0].{names.BUTTON_DATA}"),
        names.PRESSED_TEXT: ("global", names.TEXT),
    }
    used = {c["componentName"] for c in editor["schema"]["componentsMap"]}
    assert {n["componentName"] for n in everything} <= used

    # What the adapter writes fills exactly those variables...
    params = card_params(
        "正文", ((Button("是", "ci:a:food:1"), Button("否", "ci:a:food:0")),), None
    )
    assert set(params) == set(variables)
    assert json.loads(params[names.BUTTONS]) == [
        {names.BUTTON_LABEL: "是", names.BUTTON_DATA: "ci:a:food:1"},
        {names.BUTTON_LABEL: "否", names.BUTTON_DATA: "ci:a:food:0"},
    ]
    # ...and a press is read by the parameters' names (not by `actionIds`, a node id).
    content = {
        "cardPrivateData": {
            "actionIds": ["node_ffp_button"],
            "params": {names.PRESSED_DATA: "ci:a:food:1", names.PRESSED_TEXT: "正文"},
        }
    }
    press = press_of({"userId": "u1", "outTrackId": "ffp-1", "content": json.dumps(content)})
    assert press is not None and (press.data, press.text) == ("ci:a:food:1", "正文")
