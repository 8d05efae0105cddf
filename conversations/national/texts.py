"""The words of the national system's list: each change as the staff type it (the chat screen
and the spreadsheet say the same), and one household's screen. Private only: it has amounts
and the ID number (masked)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from conversations.proposals.names import CAUSE_NAMES
from conversations.reports.ledger import CATEGORY_NAMES
from conversations.tasks.work import STATUS_NAMES as MEASURE_STATUS_NAMES
from conversations.warnings.texts import MEASURE_NAMES, unit_name
from monitoring.checkin_members import Change as MemberChange
from monitoring.i18n import N_, Translator
from monitoring.income import SOURCE_NAMES as INCOME_SOURCE_NAMES
from monitoring.measures import Status
from monitoring.national import Kind, Screen
from monitoring.proposals import RISK_TYPES
from storage.national import HouseholdToEnter, Item

SCREEN_NAMES = {
    Screen.BASIC: N_("Household basics"),
    Screen.MEMBERS: N_("Household members"),
    Screen.INCOME: N_("Household income"),
    Screen.MEASURES: N_("Risks and help measures"),
    Screen.ELIMINATION: N_("Risk elimination"),
}
KIND_NAMES = {
    Kind.TAKEN_IN: N_("taken into monitoring"),
    Kind.BASIC: N_("basic fact changed"),
    Kind.MEMBERS: N_("members changed"),
    Kind.INCOME: N_("income changed"),
    Kind.MEASURE: N_("new help measure"),
    Kind.MEASURE_STATUS: N_("help measure's status"),
    Kind.ELIMINATED: N_("risk eliminated"),
    Kind.NATURAL_END: N_("natural end"),
    Kind.REINSTATED: N_("back into monitoring"),
}
FIELD_NAMES = {
    "head_name": N_("Head of household"),
    "category": N_("Category"),
    "has_labour": N_("Labour"),
    "risk_types": N_("Risk types"),
}
RISK_NAMES = dict(RISK_TYPES)
EMPTY = N_("Nothing to enter in the national system: every change is ticked as entered.")


def _risks(codes: list[str] | str | None, t: Translator) -> str:
    if isinstance(codes, str):  # as the audit wrote a list: "['illness', 'schooling']"
        codes = [c.strip(" '\"") for c in codes.strip("[]").split(",") if c.strip(" '\"")]
    return "、".join(t._(RISK_NAMES[c]) if c in RISK_NAMES else c for c in codes or []) or "—"


def _labour(value: bool | str | None, t: Translator) -> str:
    if value is None or value == "":
        return "—"
    able = value if isinstance(value, bool) else value == "True"
    return t._("someone able to work") if able else t._("no one able to work")


def _value(field: str | None, value: str | None, t: Translator) -> str:
    if value is None:
        return "—"
    if field == "category":
        return t._(CATEGORY_NAMES[value]) if value in CATEGORY_NAMES else value
    if field == "has_labour":
        return _labour(value, t)
    if field == "risk_types":
        return _risks(value, t)
    return value


def _money(value: str | Decimal | None, t: Translator) -> str:
    if value is None:
        return "—"
    try:
        return t.number(Decimal(value))
    except InvalidOperation:
        return str(value)


def _on(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").split(" ", 1)[0])
    except ValueError:
        return None


def item_text(item: Item, household: HouseholdToEnter, t: Translator, tz: ZoneInfo) -> str:
    """What changed, in the words and figures the staff type into the system."""
    kind = item.kind
    if kind is Kind.TAKEN_IN:
        when = household.identified_on
        return t._("Taken into monitoring on {date}: {category}; risk types: {risks}").format(
            date=t.date(when) if when else "—",
            category=_value("category", household.category, t),
            risks=_risks(household.risk_types, t),
        )
    if kind is Kind.MEMBERS and item.field in MEMBER_CHANGE_TEXTS:
        return _member_text(item, t)
    if kind is Kind.MEMBERS:
        return t._("Members: {old} → {new}").format(old=item.old or "—", new=item.new or "—")
    if kind is Kind.INCOME and (item.field or "").startswith("income_"):
        source = (item.field or "").removeprefix("income_")
        return t._("{source}: {old} → {new} yuan a year").format(
            source=t._(INCOME_SOURCE_NAMES.get(source, source)),
            old=_money(item.old, t),
            new=_money(item.new, t),
        )
    if kind is Kind.INCOME:
        return t._("Expected household net income this year: {old} → {new} yuan").format(
            old=_money(item.old, t), new=_money(item.new, t)
        )
    if kind is Kind.BASIC:
        return t._("{what}: {old} → {new}").format(
            what=t._(FIELD_NAMES.get(item.field or "", item.field or "")),
            old=_value(item.field, item.old, t),
            new=_value(item.field, item.new, t),
        )
    if kind in (Kind.MEASURE, Kind.MEASURE_STATUS):
        return _measure_text(item, t)
    if kind is Kind.ELIMINATED:
        return t._("Risk marked eliminated on {date}").format(
            date=t.date(item.at.astimezone(tz).date())
        )
    if kind is Kind.NATURAL_END:
        cause, _, rest = (item.new or "").partition(" ")
        on = _on(rest)
        return t._("Natural end: {cause}, on {date}").format(
            cause=t._(CAUSE_NAMES[cause]) if cause in CAUSE_NAMES else cause,
            date=t.date(on) if on else "—",
        )
    return t._("Back into monitoring: {reason}").format(reason=item.new or "—")


MEMBER_CHANGE_TEXTS = {
    MemberChange.BORN.value: N_(
        "New member by birth: {name} ({relation}), born {date}; ID number to be added"
    ),
    MemberChange.DIED.value: N_("Member died: {name} ({relation})"),
    MemberChange.LEFT.value: N_(
        "Member left the household (gone out, moved away): {name} ({relation})"
    ),
    MemberChange.RETURNED.value: N_(
        "Member came back to live in the household: {name} ({relation})"
    ),
}


def _member_text(item: Item, t: Translator) -> str:
    """A member's change as recorded at a visit: "#id name relation [birth date]"."""
    words = (item.new or "").split(" ")
    if words and words[0].startswith("#"):
        words = words[1:]
    born = _on(words[-1]) if item.field == MemberChange.BORN.value and words else None
    if born is not None:
        words = words[:-1]
    relation = words[-1] if len(words) > 1 else "—"
    name = " ".join(words[:-1]) if len(words) > 1 else " ".join(words) or "—"
    return t._(MEMBER_CHANGE_TEXTS[item.field or ""]).format(
        name=name, relation=relation, date=t.date(born) if born else "—"
    )


def _measure_text(item: Item, t: Translator) -> str:
    m = item.measure
    if m is None:  # the measure is gone (never happens: measures are never deleted)
        return t._(KIND_NAMES[item.kind])
    kind = t._(MEASURE_NAMES.get(m.kind, m.kind))
    if item.kind is Kind.MEASURE:
        parts = [
            t._("New help measure no. {id}: {kind}, {unit}").format(
                id=m.id, kind=kind, unit=unit_name(m.unit, t)
            )
        ]
        if m.amount is not None:
            parts.append(t._("amount {amount} yuan").format(amount=t.number(m.amount)))
        if m.deadline is not None:
            parts.append(t._("deadline {date}").format(date=t.date(m.deadline)))
        return ("，" if t.locale.startswith("zh") else ", ").join(parts)
    status, _, reason = (item.new or "").partition(": ")
    known = {s.value: s for s in Status}
    said = t._(MEASURE_STATUS_NAMES[known[status]]) if status in known else status
    text = t._("Help measure no. {id} ({kind}): {status}").format(id=m.id, kind=kind, status=said)
    if status == Status.DONE.value and m.taken_on is not None:
        text += t._(", delivered on {date}").format(date=t.date(m.taken_on))
    if reason:
        text += t._(" (reason: {reason})").format(reason=reason)
    return text


def basics_text(household: HouseholdToEnter, t: Translator) -> str:
    """A new household's basic facts, as the system's first screen asks for them."""
    return t._("Head {head}, ID {id}, {members} members, {labour}").format(
        head=household.head_name,
        id=household.id_masked or "—",
        members=household.members,
        labour=_labour(household.has_labour, t),
    )


def screen_text(
    household: HouseholdToEnter, index: int, count: int, t: Translator, tz: ZoneInfo
) -> str:
    """One household's screen: its changes under the system's screens, in their order."""
    lines = [
        t._("To enter in the national system: household {i} of {n}").format(i=index, n=count),
        t._("Household {number} {head} ({village})").format(
            number=household.number, head=household.head_name, village=household.village
        ),
        t._("National system code: {code}").format(
            code=household.national_code
            or t._("not given (send /national {number} and the code to record it)").format(
                number=household.number
            )
        ),
    ]
    screen = None
    for item in household.items:
        if item.screen is not screen:
            screen = item.screen
            lines.append(f"【{t._(SCREEN_NAMES[screen])}】")
        when = t.date(item.at.astimezone(tz).date())
        lines.append(f"· {item_text(item, household, t, tz)}（{when}）")
        if item.kind is Kind.TAKEN_IN:
            lines.append(f"  {basics_text(household, t)}")
    lines.append(t._("Once you have entered these in the national system, press “Entered”."))
    return "\n".join(lines)
