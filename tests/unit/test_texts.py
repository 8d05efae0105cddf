"""Words a cadre reads: a negative per-capita figure said as a shortfall, weeks as 第N周."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from conversations.texts import per_capita_text, reason_text, week_label
from monitoring.i18n import Translations
from monitoring.risk import Level, Reason
from monitoring.weeks import Week

LOCALES = Path(__file__).resolve().parents[2] / "bot" / "locales"
ZH = Translations(LOCALES, "zh_CN").get()
EN = Translations(LOCALES, "zh_CN").get("en")


def test_a_negative_per_capita_figure_is_said_as_a_shortfall() -> None:
    below = Reason(
        "income_below_red_line", Level.RED, {"per_capita": "-1500.00", "line": "4800.00"}
    )
    assert (
        reason_text(below, ZH)
        == "今年刚性支出超过家庭收入，人均缺口 1,500 元（红色预警线 4,800 元）"
    )
    assert per_capita_text(Decimal("-1500.00"), ZH) == "支出超过收入，人均缺口 1,500 元"
    assert "-" not in reason_text(below, EN) and "1,500" in reason_text(below, EN)
    positive = Reason(
        "income_below_red_line", Level.RED, {"per_capita": "3600.00", "line": "4800.00"}
    )
    assert reason_text(positive, ZH) == "人均纯收入 3,600 元，低于红色预警线 4,800 元"
    assert per_capita_text(Decimal("7000.00"), ZH) == "7,000 元"


def test_weeks_read_as_a_cadre_reads_them() -> None:
    assert week_label(Week(2026, 48), ZH) == "第48周（11月23日—29日）"
    assert week_label("2026-W49", ZH) == "第49周（11月30日—12月6日）"
    assert week_label(Week(2026, 53), EN) == "Week 53 (Dec 28–Jan 3)"


def test_a_red_income_reason_names_the_red_line_and_a_watch_one_the_watch_line() -> None:
    from conversations.texts import reason_area, reasons_text
    from monitoring.policy import DEFAULT_POLICY
    from monitoring.risk import GUARANTEES, Situation, assess

    lines = DEFAULT_POLICY.lines[2020]  # red 4,800, watch 6,000

    def household(per_capita: int, food: bool = True) -> Situation:
        guarantees: dict[str, bool | None] = dict.fromkeys(GUARANTEES, True)
        guarantees["food"] = food
        return Situation(1, Decimal(per_capita), Decimal(0), Decimal(per_capita), 1, guarantees)

    red = assess(household(4000), lines)
    [reason] = red.reasons
    assert reason_text(reason, ZH) == "人均纯收入 4,000 元，低于红色预警线 4,800 元"
    assert reason_area(reason, ZH) == "收入低于监测线"  # what a group reads: no amount
    assert "监测线" not in "".join(reasons_text(red.reasons, ZH))
    watch = assess(household(5500), lines)
    [reason] = watch.reasons
    assert reason_text(reason, ZH) == "人均纯收入 5,500 元，低于监测线 6,000 元"
    assert reason_area(reason, ZH) == "收入接近监测线"

    # Red for its food, with an income below the watch line: each reason says its level,
    # the red one first, so the watch line is not read as what made the household red.
    both = assess(household(5500, food=False), lines)
    assert both.level is Level.RED
    assert reasons_text(both.reasons, ZH) == [
        "🔴 吃饭没有保障",
        "🟡 人均纯收入 5,500 元，低于监测线 6,000 元",
    ]
