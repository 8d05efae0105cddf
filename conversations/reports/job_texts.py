"""How the scheduled jobs' messages read (rendered when sent, from the row's payload)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from conversations.actions import START_CHECKIN
from conversations.engine.replies import Button, Keyboard
from conversations.proposals.names import STEP_NAMES
from conversations.reports.charts import week_chart
from conversations.reports.summary import summary_text
from conversations.tasks.start import record_button
from conversations.texts import period_label, policy_gap_text, week_label
from conversations.warnings.texts import MEASURE_NAMES, unit_name
from monitoring.cadence import Cadence
from monitoring.i18n import Translator
from monitoring.people import mask_name
from monitoring.weeks import Week
from storage.payloads import (
    MeasureDue,
    MissedHelper,
    MissedTownship,
    MissedVillage,
    Payload,
    Period,
    PlanReminder,
    PolicyGap,
    Reminder,
    WeeklySummary,
)
from storage.summary import OpenRed, VillageLine, WeekSummary

JOB_KINDS = frozenset(
    {
        "reminder",
        "missed_helper",
        "missed_village",
        "missed_township",
        "weekly_summary",
        "weekly_chart",
        "policy_gap",
        "measure_due",
        "plan_reminder",
    }
)
CHART_KINDS = frozenset({"weekly_chart"})


def render_job(kind: str, payload: Payload, t: Translator) -> tuple[str, Keyboard]:
    week = week_label(payload.week, t) if isinstance(payload, Period | WeeklySummary) else ""
    # fortnightly or monthly visits: the whole period
    period = payload.period if isinstance(payload, Period) else None
    if period:
        week = period_label(period[0], period[1], t)
    if isinstance(payload, Reminder):
        households = payload.households
        if period:
            text = t.ngettext(
                "{week}: {n} household not visited yet; the period ends on Sunday.",
                "{week}: {n} households not visited yet; the period ends on Sunday.",
                len(households),
            ).format(week=week, n=len(households))
        else:
            text = t.ngettext(
                "Weekly check-in, {week}: {n} household is still due.",
                "Weekly check-in, {week}: {n} households are still due.",
                len(households),
            ).format(week=week, n=len(households))
        buttons = tuple(
            (
                Button(
                    t._("Start check-in: {number} {head}").format(number=number, head=head),
                    START_CHECKIN.data(household=hid),
                ),
            )
            for hid, number, head in households
        )
        return text, buttons
    if isinstance(payload, MissedHelper):
        lines = [t._("{week} has ended without a check-in of:").format(week=week)]
        lines += [f"• {number} {head}" for number, head in payload.households]
        lines.append(
            t._("Please visit them soon; send /checkin.")
            if period
            else t._("Please visit them this week; send /checkin.")
        )
        return "\n".join(lines), ()
    if isinstance(payload, MissedVillage):
        lines = [
            t._("Missed visits in {village}, {week}:").format(village=payload.village, week=week)
        ]
        for helper, theirs in payload.by_helper:
            listed = "、".join(f"{number} {head}" for number, head in theirs)
            lines.append(t._("• {helper}: {households}").format(helper=helper, households=listed))
        return "\n".join(lines), ()
    if isinstance(payload, MissedTownship):
        lines = [t._("Missed visits, {week}, for the township:").format(week=week)]
        if payload.households:
            in_a_row = (
                t._("Not visited {weeks} visit periods in a row:")
                if period
                else t._("Not visited {weeks} weeks in a row:")
            )
            lines.append(in_a_row.format(weeks=payload.weeks))
            lines += [
                f"• {village} {number} {head}（{helper}）"
                for village, number, head, helper in payload.households
            ]
        for village, count in payload.no_group:
            lines.append(
                t._("{village} has no group bound: {count} household(s) missed.").format(
                    village=village, count=count
                )
            )
        if payload.unreachable:
            lines.append(
                t._("Helpers the bot can not reach (blocked or never started): {names}").format(
                    names="、".join(payload.unreachable)
                )
            )
        return "\n".join(lines), ()
    if isinstance(payload, WeeklySummary) and kind == "weekly_summary":
        summary, at = summary_from_payload(payload)
        text = summary_text(
            summary,
            payload.township,
            t,
            in_group=True,  # the payload holds masked names only
            now_date=at.date(),
            tz=at.tzinfo or UTC,  # the township's offset, as queued
            village=False,
            cadence=Cadence(payload.cadence or Cadence.WEEKLY.value),
        )
        late = payload.late_proposals
        if late:
            lines = [text, t._("Proposals past their step's deadline:")]
            for proposal_id, head, step, since in late:
                days = (at - datetime.fromisoformat(since)).days
                lines.append(
                    t._("• no. {id} {head}: at the {step} for {days} days").format(
                        id=proposal_id,
                        head=mask_name(head),
                        step=t._(STEP_NAMES.get(step, step)),
                        days=days,
                    )
                )
            text = "\n".join(lines)
        if payload.overdue_leads:
            lines = [
                text,
                t._("Leads past their check day (check at home, record the outcome: /leads):"),
            ]
            for _source, village, days in payload.overdue_leads:  # no source: a group
                lines.append(
                    t._("• {village}: {days} days overdue").format(
                        village=village or t._("village not known yet"), days=days
                    )
                )
            text = "\n".join(lines)
        return text, ()
    if isinstance(payload, MeasureDue):
        return measure_due_text(payload, t), ()
    if isinstance(payload, PlanReminder):
        text = t._(
            "Household {number} ({head}) was identified {days} days ago and has no help measure "
            "recorded yet. Please record what it needs (缺啥补啥)."
        ).format(number=payload.number, head=payload.head, days=payload.days)
        return text, ((record_button(payload.household, t),),)
    if isinstance(payload, PolicyGap):
        return policy_gap_text(payload.year, payload.used, t), ()
    if isinstance(payload, WeeklySummary):  # the chart's caption
        return t._("{title}, {week}").format(title=payload.township, week=week), ()
    raise ValueError(f"unknown message kind {kind!r}")


def measure_due_text(payload: MeasureDue, t: Translator) -> str:
    """A measure soon due or overdue, to one who carries it out (privately: the head's name;
    no amount)."""
    params = {
        "id": payload.measure,
        "number": payload.number,
        "head": payload.head,
        "kind": t._(MEASURE_NAMES.get(payload.kind, payload.kind)),
        "unit": unit_name(payload.unit, t),
        "deadline": t.date(date.fromisoformat(payload.deadline)),
    }
    if payload.stage == "overdue":
        text = t._(
            "⚠️ Overdue: help measure no. {id} for household {number} ({head}), {kind} by "
            "{unit}, was due on {deadline}. Please carry it out, or mark it refused with the "
            "reason: /tasks"
        )
    else:
        text = t._(
            "⏰ Due soon: help measure no. {id} for household {number} ({head}), {kind} by "
            "{unit}, is due on {deadline}. /tasks"
        )
    return text.format(**params)


def summary_from_payload(payload: WeeklySummary) -> tuple[WeekSummary, datetime]:
    """The weekly summary job's numbers, as queued, back into a WeekSummary."""
    villages = [VillageLine(*row) for row in payload.villages]
    total = VillageLine(
        "",
        *(
            sum(getattr(v, k) for v in villages)
            for k in ("monitored", "done", "missed", "red", "watch")
        ),
    )
    at = datetime.fromisoformat(payload.at)
    open_red = [
        OpenRed(number, head, village, datetime.fromisoformat(opened), acked, measures)
        for village, number, head, opened, acked, measures in payload.open_red
    ]
    summary = WeekSummary(Week.parse(payload.week), villages, total, open_red)
    summary.uncovered = payload.uncovered
    summary.late_by_unit = list(payload.late_by_unit)
    return summary, at


def job_chart(payload: WeeklySummary, t: Translator) -> bytes:
    """The PNG of a chart message (drawn when sent, like the texts)."""
    summary, _ = summary_from_payload(payload)
    return week_chart(summary, payload.township, t)
