"""How the scheduled jobs' messages read (rendered when sent, from the row's payload)."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from monitoring.i18n import Translator

JOB_KINDS = frozenset(
    {"reminder", "missed_helper", "missed_village", "missed_township", "weekly_summary"}
)


def render_job(
    kind: str, payload: dict[str, Any], t: Translator
) -> tuple[str, InlineKeyboardMarkup | None]:
    week = payload.get("week", "")
    if kind == "reminder":
        households = payload.get("households", [])
        text = t.ngettext(
            "Weekly check-in, week {week}: {n} household is still due.",
            "Weekly check-in, week {week}: {n} households are still due.",
            len(households),
        ).format(week=week, n=len(households))
        buttons = [
            [
                InlineKeyboardButton(
                    t._("Start check-in: {number} {head}").format(number=number, head=head),
                    callback_data=f"ci:hh:{hid}",
                )
            ]
            for hid, number, head in households
        ]
        return text, InlineKeyboardMarkup(buttons)
    if kind == "missed_helper":
        lines = [t._("Week {week} has ended without a check-in of:").format(week=week)]
        lines += [f"• {number} {head}" for number, head in payload.get("households", [])]
        lines.append(t._("Please visit them this week; send /checkin."))
        return "\n".join(lines), None
    if kind == "missed_village":
        lines = [
            t._("Missed visits in {village}, week {week}:").format(
                village=payload.get("village", ""), week=week
            )
        ]
        for helper, households in payload.get("by_helper", []):
            listed = "、".join(f"{number} {head}" for number, head in households)
            lines.append(t._("• {helper}: {households}").format(helper=helper, households=listed))
        return "\n".join(lines), None
    if kind == "missed_township":
        lines = [t._("Missed visits, week {week}, for the township:").format(week=week)]
        if payload.get("households"):
            lines.append(
                t._("Not visited {weeks} weeks in a row:").format(weeks=payload.get("weeks", 2))
            )
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
        return "\n".join(lines), None
    if kind == "weekly_summary":
        lines = [
            t._(
                "{township}, week {week}: check-ins done / monitored, missed, open red warnings"
            ).format(township=payload.get("township", ""), week=week)
        ]
        for name, monitored, done, missed, red in payload.get("villages", []):
            lines.append(
                t._("• {village}: {done}/{monitored}, missed {missed}, red {red}").format(
                    village=name, done=done, monitored=monitored, missed=missed, red=red
                )
            )
        monitored, done, missed, red = payload.get("total", [0, 0, 0, 0])
        lines.append(
            t._("Total: {done}/{monitored}, missed {missed}, red {red}").format(
                done=done, monitored=monitored, missed=missed, red=red
            )
        )
        return "\n".join(lines), None
    raise ValueError(f"unknown message kind {kind!r}")
