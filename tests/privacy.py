"""The privacy rule, checked on everything the bot sent to any group in the test suite: never a
full ID number, never a phone number, never a document (the ledger goes to private chats),
never a health condition and never an amount of money (a warning names the problem area in
general words in a group; the reasons in full go privately)."""

from __future__ import annotations

import json
import re
from typing import Any

ID_NUMBER = re.compile(r"(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])")
PHONE = re.compile(r"(?<!\d)(?:\+?86)?1[3-9]\d{9}(?!\d)")
AMOUNT = re.compile(r"\d[\d,，.]*\s*(?:万?元|yuan)", re.IGNORECASE)
HEALTH = re.compile(
    r"医疗保险|医保|看病|治疗|疾病|患病|残疾|住院|大病|慢性病|"
    r"illness|disab|hospital|insurance|treatment",
    re.IGNORECASE,
)


def leaks(calls: list[dict[str, Any]]) -> list[str]:
    """What Bot API calls to group chats (negative chat ids) carried that they must not."""
    found = []
    for call in calls:
        params = call.get("params") or {}
        try:
            chat_id = int(params.get("chat_id"))
        except (TypeError, ValueError):
            continue
        if chat_id >= 0:
            continue
        if str(call.get("method", "")).lower() == "senddocument":
            found.append(f"{call['method']} to {chat_id}: a document in a group")
        text = json.dumps(params, ensure_ascii=False)
        checks = (
            (ID_NUMBER, "an ID number"),
            (PHONE, "a phone number"),
            (AMOUNT, "an amount of money"),
            (HEALTH, "a health condition"),
        )
        for pattern, what in checks:
            for match in pattern.findall(text):
                found.append(f"{call['method']} to {chat_id}: {what} {match!r}")
    return found
