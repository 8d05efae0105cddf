"""The roster's optional household facts, as a township's ledger writes them: the date of
identification (纳入日期), the risk types (风险类型), the labour status (劳动能力) and the
villager group (村民小组). Pure parsing: text in, value out, ValueError when it is not one."""

from __future__ import annotations

import re
from datetime import date

from monitoring.proposals import RISK_CODES, RISK_TYPES
from monitoring.weeks import parse_day

# An identification date before the targeted poverty alleviation ledgers is a typo.
EARLIEST = date(2015, 1, 1)

# The risk types as ledgers write them (POLICY "致贫返贫风险类型"), with or without 因.
RISK_WORDS: dict[str, str] = {
    "因病": "illness",
    "病": "illness",
    "疾病": "illness",
    "因残": "disability",
    "残": "disability",
    "残疾": "disability",
    "因学": "schooling",
    "学": "schooling",
    "上学": "schooling",
    "因灾": "disaster",
    "灾": "disaster",
    "自然灾害": "disaster",
    "因意外事故": "accident",
    "意外事故": "accident",
    "意外": "accident",
    "因产业项目失败": "project",
    "产业项目失败": "project",
    "产业失败": "project",
    "因务工就业不稳": "employment",
    "务工就业不稳": "employment",
    "就业不稳": "employment",
    "缺劳动力": "labour",
    "缺劳力": "labour",
    "住房安全": "housing",
    "住房": "housing",
    "饮水安全": "water",
    "饮水": "water",
    "其他": "other",
}
# 劳动能力: whether someone in the household can work. Weak or partial labour counts as
# some; 整户无劳动力 (no one) is what the elimination rule looks at.
LABOUR_WORDS: dict[str, bool] = {
    "有": True,
    "有劳动力": True,
    "有劳动能力": True,
    "弱劳动力": True,
    "半劳动力": True,
    "普通劳动力": True,
    "技能劳动力": True,
    "yes": True,
    "无": False,
    "无劳动力": False,
    "无劳动能力": False,
    "整户无劳动力": False,
    "丧失劳动力": False,
    "丧失劳动能力": False,
    "no": False,
}
_SEPARATORS = re.compile(r"[、,，;；/\s]+")


def parse_risk_types(text: str) -> tuple[str, ...]:
    """`因病、因学` or `illness, schooling` -> the codes, in the policy's order, each once."""
    codes: set[str] = set()
    for word in _SEPARATORS.split(text.strip()):
        if not word:
            continue
        code = word.lower() if word.lower() in RISK_CODES else RISK_WORDS.get(word)
        if code is None:
            raise ValueError(word)
        codes.add(code)
    if not codes:
        raise ValueError(text)
    return tuple(code for code, _ in RISK_TYPES if code in codes)


def parse_labour(text: str) -> bool:
    """Whether someone in the household can work."""
    word = text.strip()
    key = word.lower() if word.isascii() else word
    if key not in LABOUR_WORDS:
        raise ValueError(text)
    return LABOUR_WORDS[key]


def parse_identified_on(value: object, *, today: date) -> date:
    """The roster's 纳入日期, from 2015 to `today`."""
    return parse_day(value, earliest=EARLIEST, today=today)
