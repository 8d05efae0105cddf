"""How the scheduled jobs' messages read (rendered when sent, from the row's payload)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from conversations.actions import START_CHECKIN
from conversations.engine.replies import Button, Keyboard
from conversations.proposals.names import STEP_NAMES
from conversations.reports.charts import week_chart
from conversations.reports.summary import summary_text
from conversations.texts import period_label, policy_gap_text, week_label
from monitoring.cadence import Cadence
from monitoring.i18n import Translator
from monitoring.people import mask_name
from monitoring.weeks import Week
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
    }
)
CHART_KINDS = frozenset({"weekly_chart"})


def render_job(kind: str, payload: dict[str, Any], t: Translator) -> tuple[str, Keyboard]:
    week = week_label(payload["week"], t) if payload.get("week") else ""
    period = payload.get("period")  # fortnightly or monthly visits: the whole period
    if period:
        week = period_label(period[0], period[1], t)
    if kind == "reminder":
        households = payload.get("households", [])
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
    if kind == "missed_helper":
        lines = [t._("{week} has ended without a check-in of:").format(week=week)]
        lines += [f"• {number} {head}" for number, head in payload.get("households", [])]
        lines.append(
            t._("Please visit them soon; send /checkin.")
            if period
            else t._("Please visit them this week; send /checkin.")
        )
        return "\n".join(lines), ()
    if kind == "missed_village":
        lines = [
            t._("Missed visits in {village}, {week}:").format(
                village=payload.get("village", ""), week=week
            )
        ]
        for helper, households in payload.get("by_helper", []):
            listed = "、".join(f"{number} {head}" for number, head in households)
            lines.append(t._("• {helper}: {households}").format(helper=helper, households=listed))
        return "\n".join(lines), ()
    if kind == "missed_township":
        lines = [t._("Missed visits, {week}, for the township:").format(week=week)]
        if payload.get("households"):
            in_a_row = (
                t._("Not visited {weeks} visit periods in a row:")
                if period
                else t._("Not visited {weeks} weeks in a row:")
            )
            lines.append(in_a_row.format(weeks=payload.get("weeks", 2)))
            lines += [
                f"• {village} {number} {head}（{helper}）"
                for village, number, head, helper in payload["households"]
            ]
        for village, count in payload.get("no_group", []):
            lines.append(
                t._("{village} has no group bound: {count} household(s) missed.").format(
                    village=village, count=count
                )
            )
        if payload.get("unreachable"):
            lines.append(
                t._("Helpers the bot can not reach (blocked or never started): {names}").format(
                    names="、".join(payload["unreachable"])
                )
            )
        return "\n".join(lines), ()
    if kind == "weekly_summary":
        summary, at = summary_from_payload(payload)
        text = summary_text(
            summary,
            payload.get("township", ""),
            t,
            in_group=True,  # the payload holds masked names only
            now_date=at.date(),
            tz=at.tzinfo or UTC,  # the township's offset, as queued
            village=False,
            cadence=Cadence(payload.get("cadence", Cadence.WEEKLY.value)),
        )
        late = payload.get("late_proposals", [])
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
        return text, ()
    if kind == "policy_gap":
        return policy_gap_text(int(payload["year"]), int(payload["used"]), t), ()
    if kind == "weekly_chart":
        return t._("{title}, {week}").format(title=payload.get("township", ""), week=week), ()
    raise ValueError(f"unknown message kind {kind!r}")


def summary_from_payload(payload: dict[str, Any]) -> tuple[WeekSummary, datetime]:
    """The weekly summary job's numbers, as queued, back into a WeekSummary."""
    villages = [VillageLine(*row) for row in payload.get("villages", [])]
    total = VillageLine(
        "",
        *(
            sum(getattr(v, k) for v in villages)
            for k in ("monitored", "done", "missed", "red", "watch")
        ),
    )
    at = datetime.fromisoformat(payload["at"])
    open_red = [
        OpenRed(number, head, village, datetime.fromisoformat(opened), acked, measures)
        for village, number, head, opened, acked, measures in payload.get("open_red", [])
    ]
    summary = WeekSummary(Week.parse(payload["week"]), villages, total, open_red)
    summary.uncovered = int(payload.get("uncovered", 0))
    summary.late_by_unit = [(str(unit), int(n)) for unit, n in payload.get("late_by_unit", [])]
    return summary, at


def job_chart(kind: str, payload: dict[str, Any], t: Translator) -> bytes:
    """The PNG of a chart message (drawn when sent, like the texts)."""
    if kind != "weekly_chart":
        raise ValueError(f"{kind!r} has no chart")
    summary, _ = summary_from_payload(payload)
    return week_chart(summary, payload.get("township", ""), t)
