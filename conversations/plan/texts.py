"""How a household's plan reads: on the phone (`plan_text`) and, row by row, on paper
(`sheet.py`). Private only: it has amounts."""

from __future__ import annotations

from datetime import date, tzinfo

from conversations.tasks.work import STATUS_NAMES
from conversations.texts import RISK_NAMES, level_text, week_label
from conversations.warnings.texts import MEASURE_NAMES, unit_name
from monitoring.checkin import VISIT_OPTIONS
from monitoring.coverage import Cover
from monitoring.i18n import Translator
from monitoring.measures import OPEN, Status
from storage.plan import HouseholdPlan, PlanMeasure


def risk_line(cover: Cover, t: Translator) -> tuple[str, str]:
    """(the risk, how it is covered) in words."""
    risk = t._(RISK_NAMES.get(cover.risk, cover.risk))
    if cover.covered:
        return risk, t._("covered: {measures}").format(
            measures="、".join(t._(MEASURE_NAMES.get(k, k)) for k in cover.by)
        )
    return risk, t._("no measure delivered yet")


def status_word(measure: PlanMeasure, t: Translator, today: date) -> str:
    status = Status(measure.status)
    word = t._(STATUS_NAMES[status])
    if status in OPEN and measure.deadline is not None and measure.deadline < today:
        word += " " + t._("(overdue)")
    return word


def visit_method(method: str, t: Translator) -> str:
    return t._(dict(VISIT_OPTIONS).get(method, method))


def plan_text(plan: HouseholdPlan, t: Translator, tz: tzinfo, today: date) -> str:
    """The plan in a private chat (it has the amounts)."""
    lines = [
        t._("One plan per household: {number} {head} ({village})").format(
            number=plan.number, head=plan.head_name, village=plan.village
        ),
        t._("Helper: {name}").format(name=plan.helper or "—"),
    ]
    if plan.risks:
        lines.append(t._("Risks now:"))
        for cover in plan.risks:
            risk, how = risk_line(cover, t)
            lines.append(f"{'✅' if cover.covered else '❌'} {risk}：{how}")
    else:
        lines.append(t._("No open risk now."))
    lines.append(t._("Help measures:") if plan.measures else t._("No help measure yet."))
    for m in plan.measures:
        parts = [
            f"{t._(MEASURE_NAMES.get(m.kind, m.kind))} — {unit_name(m.unit, t)}",
            status_word(m, t, today),
        ]
        if m.deadline is not None:
            parts.append(t._("deadline {date}").format(date=t.date(m.deadline)))
        if m.amount is not None:
            parts.append(t._("{amount} yuan").format(amount=t.number(m.amount)))
        lines.append("• " + "，".join(parts))
    lines.append(t._("Last visits:") if plan.visits else t._("No check-in yet."))
    for visit in plan.visits:
        lines.append(
            f"• {week_label(visit.week, t)} {level_text(visit.level, t)}"
            f"（{visit_method(visit.method, t)}）"
        )
    return "\n".join(lines)
