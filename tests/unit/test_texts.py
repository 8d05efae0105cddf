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
    assert reason_text(positive, ZH) == "人均收入（扣除刚性支出）3,600 元，低于红色预警线 4,800 元"
    assert per_capita_text(Decimal("7000.00"), ZH) == "7,000 元"


def test_weeks_read_as_a_cadre_reads_them() -> None:
    assert week_label(Week(2026, 48), ZH) == "第48周（11月23日—29日）"
    assert week_label("2026-W49", ZH) == "第49周（11月30日—12月6日）"
    assert week_label(Week(2026, 53), EN) == "Week 53 (Dec 28–Jan 3)"
