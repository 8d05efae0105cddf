"""Scripted conversations for the stand-in: one complete weekly check-in, as a helper with a
single household answers it. The crash tests and the throughput bench drive many helpers
with it."""

from __future__ import annotations


def quick_checkin(index: int) -> list[tuple[str, str, str]]:
    """(action, value, fragment of the bot's next message): 15 updates, 3 messages and 12
    button presses; every 10th helper (by `index`) answers that food is not secure (red)."""
    food = "有问题" if index % 10 == 0 else "有保障"
    return [
        ("send", "/checkin", "本次走访方式"),
        ("press", "入户", "几口人"),
        ("press", "仍为", "收入有明显变化"),
        ("press", "没有变化", "大额刚性支出吗"),
        ("press", "否", "吃饭有保障"),
        ("press", food, "衣物和被褥"),
        ("press", "有保障", "义务教育阶段（约"),
        ("press", "否", "基本医疗保险"),
        ("press", "有保障", "看得起病"),
        ("press", "有保障", "住房安全吗"),
        ("press", "有保障", "饮水安全"),
        ("press", "有保障", "要备注的吗"),
        ("send", f"第{index}户走访", "走访照片"),
        ("press", "跳过", "请核对"),
        ("press", "确认提交", "已保存"),
    ]


_CHINESE_DIGITS = "零一二三四五六七八九"


def helper_name(index: int, width: int = 3) -> str:
    """A generated helper's name without digits (rosters refuse digits in helper names):
    `helper_name(7)` -> 帮扶零零七."""
    return "帮扶" + "".join(_CHINESE_DIGITS[int(d)] for d in f"{index:0{width}d}")
