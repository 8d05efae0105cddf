"""How red warnings, escalations, all-clears and notices read: rendered when sent, in the
group's language. Groups never see an ID number or a phone number; the given name is masked;
the reasons are named in general words (the area, never a health condition or an income
figure). The reasons in full go privately, with the same buttons, to those who may act on the
warning (kind `alert_detail`)."""

from __future__ import annotations

import contextlib
from datetime import date, datetime
from zoneinfo import ZoneInfo

from conversations.actions import ACKNOWLEDGE, RECORD_MEASURE
from conversations.engine.replies import Button, Keyboard
from conversations.texts import reason_area, reason_text
from monitoring.i18n import N_, Translator
from monitoring.measures import CIVIL_AFFAIRS, HELPER, SOCIAL_SECURITY, VILLAGE
from monitoring.people import mask_name
from monitoring.risk import Level, Reason
from storage.alerts import AlertView
from storage.payloads import AlertCopy, AlertDetail, Notice, Undelivered

# Outbox kinds whose message shows an open red warning (with its buttons).
WARNING_KINDS = frozenset({"alert", "alert_update", "escalation", "alert_detail"})
# Of those, the ones posted to groups (a failed private copy is not re-posted to a group).
GROUP_WARNING_KINDS = frozenset({"alert", "alert_update", "escalation"})

# The categories of monitoring/measures.py, as readers see them.
MEASURE_NAMES = {
    "industry": N_("industry support"),
    "employment": N_("employment support"),
    "finance": N_("finance and microcredit"),
    "protection": N_("social protection"),
    "relief": N_("temporary relief"),
    "health": N_("health support"),
    "education": N_("education support"),
    "housing": N_("housing safety"),
    "water": N_("drinking water"),
    "motivation": N_("motivation and education"),
    "other": N_("other"),
}

# The seed's units (and the old measures' township and other), as readers see them; a unit
# the roster names is shown by its name.
RESPONSIBLE_NAMES = {
    VILLAGE: N_("village committee"),
    HELPER: N_("helper"),
    CIVIL_AFFAIRS: N_("civil-affairs office"),
    SOCIAL_SECURITY: N_("social-security office"),
    "镇政府": N_("township government"),
    "其他": N_("other"),
}
# "Give what is missing" (docs/policy.md): the measures offered first for each red reason.
SUGGESTED_MEASURES = {
    "guarantee_food": ("relief", "protection"),
    "guarantee_clothing": ("relief",),
    "guarantee_education": ("relief", "education", "motivation"),
    "guarantee_medical": ("relief", "health", "protection"),
    "guarantee_housing": ("housing",),
    "guarantee_water": ("water",),
    "income_below_red_line": ("employment", "industry", "protection"),
}


def unit_name(unit: str, t: Translator) -> str:
    return t._(RESPONSIBLE_NAMES[unit]) if unit in RESPONSIBLE_NAMES else unit


def measure_kinds_for(red_codes: list[str]) -> list[str]:
    """Every measure kind, those matching the warning's reasons first."""
    first: list[str] = []
    for code in red_codes:
        for kind in SUGGESTED_MEASURES.get(code, ()):
            if kind not in first:
                first.append(kind)
    return first + [k for k in MEASURE_NAMES if k not in first]


def _when(value: datetime, t: Translator, tz: ZoneInfo) -> str:
    return t.datetime(value.astimezone(tz))


def alert_text(
    view: AlertView,
    t: Translator,
    tz: ZoneInfo,
    *,
    kind: str = "alert",
    payload: AlertCopy | AlertDetail | None = None,
) -> str:
    """The warning as groups see it: no ID number, no phone, the given name masked."""
    copy = payload if isinstance(payload, AlertCopy) else AlertCopy()
    detail = payload if isinstance(payload, AlertDetail) else AlertDetail()
    if kind == "all_clear":
        why = (
            t._("two check-ins in a row were normal")
            if view.close_reason == "green"
            else t._("the township closed the warning")
        )
        return "\n".join(
            [
                t._("🟢 All clear: red warning lifted"),
                t._("{village}: {head} (household {number})").format(
                    village=view.village_name,
                    head=mask_name(view.head_name),
                    number=view.household_number,
                ),
                t._("Why: {why}").format(why=why),
                *(
                    [t._("Two visits without risk; no measure taken.")]
                    if view.close_reason == "green" and not view.delivered
                    else []
                ),
            ]
        )
    lines = []
    if kind == "escalation":
        lines.append(t._("⏰ Not yet acknowledged, reminder:"))
    if kind == "alert_update" or (kind == "alert_detail" and detail.update):
        lines.append(t._("New red-warning reasons for a household already on alert:"))
    lines.append(
        t._("🔴 Red warning: {village} ({township})").format(
            village=view.village_name, township=view.township_name
        )
    )
    lines.append(
        t._("Head of household: {head} (household {number})").format(
            head=mask_name(view.head_name), number=view.household_number
        )
    )
    reasons = [Reason.from_json(data) for data in view.reasons]
    red = [reason for reason in reasons if reason.level is Level.RED]
    if kind == "alert_detail":  # a private chat: the reasons in full
        lines.append(t._("Reasons:"))
        lines.extend(f"• {reason_text(reason, t)}" for reason in red)
    else:  # a group: the areas only, each once, on one line
        areas = list(dict.fromkeys(reason_area(reason, t) for reason in red))
        lines.append("⚠️ " + "；".join(areas))
    lines.append(
        t._("Helper: {name}; warning raised {when}").format(
            name=view.helper_name or "—", when=_when(view.opened_at, t, tz)
        )
    )
    if copy.no_village_group:
        lines.append(t._("(This village has no group bound yet: sent to the township group.)"))
    if copy.village_group_failed:
        lines.append(
            t._(
                "(This warning could not be delivered to the village group: posted here "
                "instead. Please tell the village committee.)"
            )
        )
    if view.acknowledged_by and view.acknowledged_at:
        lines.append(
            t._("✅ Acknowledged by {name}, {when}").format(
                name=view.acknowledged_by, when=_when(view.acknowledged_at, t, tz)
            )
        )
    if view.measures:
        lines.append(
            t.ngettext(
                "{n} help measure recorded", "{n} help measures recorded", len(view.measures)
            ).format(n=len(view.measures))
        )
    if view.status == "closed":
        lines.append(t._("Closed."))
    if kind == "alert_detail":
        lines.append(
            t._("(For you only: the groups are told the problem areas, not these details.)")
        )
    return "\n".join(lines)


def alert_keyboard(view: AlertView, t: Translator) -> Keyboard:
    """Acknowledge (until someone has) and Record measure, while the warning is open."""
    if view.status != "open":
        return ()
    row = []
    if view.acknowledged_by is None:
        row.append(Button(t._("✅ Acknowledge"), ACKNOWLEDGE.data(alert=view.id)))
    row.append(Button(t._("📝 Record measure"), RECORD_MEASURE.data(alert=view.id)))
    return (tuple(row),)


def notice_text(payload: Notice, t: Translator) -> str:
    """A notice's text; the parameters named in `translate` are message ids too (a
    category's name, a seed unit's), said in the reader's language; those named in `dates`
    are ISO dates, said as the reader says a date."""
    params = dict(payload.params)
    for name in payload.translate:
        params[name] = t._(str(params.get(name, "")))
    for name in payload.dates:  # said as the reader says a date
        with contextlib.suppress(ValueError):
            params[name] = t.date(date.fromisoformat(str(params.get(name, ""))))
    return t._(payload.text).format(**params)


UNDELIVERED_WHAT = {
    "alert": N_("the red warning for household {household}"),
    "alert_update": N_("the new red-warning reasons for household {household}"),
    "escalation": N_("the reminder of the red warning for household {household}"),
    "alert_detail": N_("the details of the red warning for household {household}"),
    "all_clear": N_("the all-clear for household {household}"),
    "reminder": N_("a check-in reminder"),
    "missed_helper": N_("a missed-visits notice"),
    "missed_village": N_("the village's missed-visits list"),
    "missed_township": N_("the township's missed-visits list"),
    "weekly_summary": N_("the weekly summary"),
    "weekly_chart": N_("the weekly summary chart"),
    "proposal": N_("a proposal to review"),
    "measure_due": N_("a reminder of a help measure's deadline"),
    "plan_reminder": N_("a reminder to record a household's help measures"),
    "lead_notice": N_("a notice of a lead to check"),
}


def undelivered_text(payload: Undelivered, t: Translator) -> str:
    """Told privately to the township staff: a message the platform refused for good."""
    what = t._(UNDELIVERED_WHAT.get(payload.kind, N_("a message"))).format(
        household=payload.household or "?"
    )
    if payload.person:
        where = t._("the private chat of {name}").format(name=payload.person)
    else:
        where = t._("the group {group}").format(group=payload.group or "?")
    return "\n".join(
        [
            t._("⚠️ A message could not be delivered"),
            t._("What: {what}").format(what=what),
            t._("To: {where}").format(where=where),
            t._("Reason given: {error}").format(error=payload.error),
            t._(
                "It will not be sent again. Please pass it on by phone, and check the "
                "bot's rights in that chat."
            ),
        ]
    )
