"""Words for levels and reasons, shared by the check-in, alerts and summaries."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from babel.dates import format_skeleton

from monitoring.cadence import Cadence, period_of
from monitoring.i18n import N_, Translator
from monitoring.risk import Level, Reason
from monitoring.weeks import Week

LEVEL_MARKS = {Level.RED: "🔴", Level.WATCH: "🟡", Level.GREEN: "🟢"}
LEVEL_NAMES = {
    Level.RED: N_("red warning"),
    Level.WATCH: N_("watch"),
    Level.GREEN: N_("green"),
}
REASON_TEXTS = {
    "guarantee_food": N_("food is not secure"),
    "guarantee_clothing": N_("not enough clothing or bedding"),
    "guarantee_education": N_("a child of compulsory-school age is out of school"),
    "guarantee_medical": N_("basic medical insurance or affordable treatment is missing"),
    "guarantee_housing": N_("the dwelling is not safe"),
    "guarantee_water": N_("drinking water is not safe or sufficient"),
    "income_below_red_line": N_(
        "per-capita income {per_capita} yuan is below the red line of {line} yuan"
    ),
    "income_below_watch_line": N_(
        "per-capita income {per_capita} yuan is below the watch line of {line} yuan"
    ),
    "expenditure_above_last_year_income": N_(
        "rigid expenditure this year, {expenditure} yuan, exceeds last year's household "
        "income of {last_year_income} yuan"
    ),
    "income_dropped": N_(
        "expected income {expected} yuan is {drop_percent}% below last year's "
        "{last_year_income} yuan"
    ),
}
# The same reasons in general words, for groups: the problem area, never a health condition
# or an income figure (a village group is semi-public, as a notice board is).
REASON_AREAS = {
    "guarantee_food": N_("basic needs at risk: food"),
    "guarantee_clothing": N_("basic needs at risk: clothing"),
    "guarantee_education": N_("basic needs at risk: compulsory education"),
    "guarantee_medical": N_("basic needs at risk: medical care"),
    "guarantee_housing": N_("basic needs at risk: safe housing"),
    "guarantee_water": N_("drinking water not secure"),  # not one of 三保障
    "income_below_red_line": N_("income below the monitoring line"),
    "income_below_watch_line": N_("income close to the monitoring line"),
    "expenditure_above_last_year_income": N_("large unavoidable expenditure"),
    "income_dropped": N_("income fell sharply"),
}
# The risks of monitoring/coverage.py (缺啥补啥), as a plan and the elimination check name them.
RISK_NAMES = {
    "income": N_("income under the line"),
    "food": N_("food"),
    "clothing": N_("clothing"),
    "education": N_("compulsory education"),
    "medical": N_("basic medical care"),
    "housing": N_("safe housing"),
    "water": N_("safe drinking water"),
}


def coverage_names(risks: list[str] | tuple[str, ...], t: Translator) -> str:
    return "、".join(t._(RISK_NAMES[r]) if r in RISK_NAMES else r for r in risks)


MONEY_KEYS = frozenset({"per_capita", "line", "expenditure", "last_year_income", "expected"})


def level_text(level: Level | str, t: Translator) -> str:
    level = Level(level)
    return f"{LEVEL_MARKS[level]} {t._(LEVEL_NAMES[level])}"


# Below zero the per-capita figure means this year's expenditure exceeds the income: said so.
SHORTFALL_TEXTS = {
    "income_below_red_line": N_(
        "rigid expenditure exceeds the household's income this year, by {gap} yuan per "
        "person (red line {line} yuan)"
    ),
    "income_below_watch_line": N_(
        "rigid expenditure exceeds the household's income this year, by {gap} yuan per "
        "person (watch line {line} yuan)"
    ),
}


def per_capita_text(value: Decimal, t: Translator) -> str:
    """The per-capita figure as a cadre reads it: below zero, the shortfall per person."""
    if value < 0:
        return t._("expenditure exceeds income: short by {amount} per person").format(
            amount=money(-value, t)
        )
    return money(value, t)


def reason_text(reason: Reason, t: Translator) -> str:
    template = REASON_TEXTS.get(reason.code)
    if template is None:
        return reason.code
    per_capita = reason.numbers.get("per_capita")
    if per_capita is not None and Decimal(per_capita) < 0 and reason.code in SHORTFALL_TEXTS:
        return t._(SHORTFALL_TEXTS[reason.code]).format(
            gap=t.number(-Decimal(per_capita).normalize()),
            line=t.number(Decimal(reason.numbers["line"]).normalize()),
        )
    numbers = {
        key: (t.number(Decimal(value).normalize()) if key in MONEY_KEYS else value)
        for key, value in reason.numbers.items()
    }
    return t._(template).format(**numbers)


def reasons_text(reasons: Sequence[Reason], t: Translator) -> list[str]:
    """One line per reason. When they are of different levels (a household red for its food
    and with an income below the watch line), each says its level, the red ones first: the
    watch line is then read as what it is, not as what made the household red."""
    if len({r.level for r in reasons}) < 2:
        return [f"• {reason_text(r, t)}" for r in reasons]
    ordered = sorted(reasons, key=lambda r: -r.level.rank)
    return [f"{LEVEL_MARKS[r.level]} {reason_text(r, t)}" for r in ordered]


def week_label(week: Week | str, t: Translator) -> str:
    """The week as a cadre reads it: `第48周（11月23日—29日）`, `Week 48 (Nov 23–29)`. The
    `2026-W48` form is for what people type (/summary 2026-W48) and for file names."""
    if isinstance(week, str):
        week = Week.parse(week)
    monday, sunday = week.monday, week.sunday
    end = "d" if (monday.year, monday.month) == (sunday.year, sunday.month) else "MMMd"
    return t._("Week {number} ({start}–{end})").format(
        number=week.number,
        start=format_skeleton("MMMd", monday, locale=t.locale),
        end=format_skeleton(end, sunday, locale=t.locale),
    )


def period_label(first: Week | str, last: Week | str, t: Translator) -> str:
    """A visit period of several weeks (fortnightly or monthly visits), by its dates:
    `走访期（11月23日—12月6日）`."""
    first = Week.parse(first) if isinstance(first, str) else first
    last = Week.parse(last) if isinstance(last, str) else last
    monday, sunday = first.monday, last.sunday
    end = "d" if (monday.year, monday.month) == (sunday.year, sunday.month) else "MMMd"
    return t._("Visit period ({start}–{end})").format(
        start=format_skeleton("MMMd", monday, locale=t.locale),
        end=format_skeleton(end, sunday, locale=t.locale),
    )


def visit_label(week: Week, cadence: Cadence, t: Translator) -> str:
    """The visit period `week` lies in, as people read it: the week for weekly visits."""
    if cadence is Cadence.WEEKLY:
        return week_label(week, t)
    weeks = period_of(week, cadence)
    return period_label(weeks[0], weeks[-1], t)


def policy_gap_text(year: int, used: int, t: Translator) -> str:
    """A year without a monitoring line in the policy file (scheduler/policy_check.py)."""
    return t._(
        "⚠️ The policy file has no monitoring line for {year}: check-ins are assessed with "
        "the lines of {used} for now. Please ask the county to add the {year} line."
    ).format(year=year, used=used)


def reason_area(reason: Reason, t: Translator) -> str:
    """The reason in general words, as a group may read it."""
    area = REASON_AREAS.get(reason.code)
    return t._(area) if area is not None else t._("other risk")


def money(value: Decimal | str, t: Translator) -> str:
    return t._("{amount} yuan").format(amount=t.number(Decimal(value).normalize()))
