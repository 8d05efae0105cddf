"""How a lead reads in the private chat of who checks it (the ID number masked even there:
the name and village find the household; a lead never reaches a group), and its buttons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from conversations.engine.replies import Button, Keyboard
from conversations.leads.actions import OPEN, OUTCOME, PROPOSE, VILLAGE
from monitoring.i18n import N_, Translator
from monitoring.leads import OUTCOME_NAMES, SOURCE_NAMES, Outcome, is_overdue
from monitoring.proposals import RISK_TYPES
from monitoring.shapes import mask_private
from storage.models import Village
from storage.models_leads import Lead
from storage.payloads import LeadNotice

RISK_NAMES = dict(RISK_TYPES)


@dataclass(frozen=True)
class LeadView:
    id: int
    name: str
    id_number: str | None
    village_id: int | None
    village: str | None
    source: str
    received_on: date
    check_by: date
    what: str | None
    risk_types: tuple[str, ...]
    amount: Decimal | None
    outcome: Outcome | None
    reason: str | None
    checked_on: date | None
    proposal_id: int | None
    phone: str | None = None  # a self-report's: to call them (private chat only)


def view_of(session: Session, lead: Lead) -> LeadView:
    village = session.get(Village, lead.village_id) if lead.village_id else None
    return LeadView(
        lead.id,
        lead.name,
        lead.id_number,
        lead.village_id,
        village.name if village else None,
        lead.source,
        lead.received_on,
        lead.check_by,
        lead.what,
        tuple(lead.risk_types or ()),
        lead.amount,
        Outcome(lead.outcome) if lead.outcome else None,
        lead.reason,
        lead.checked_on,
        lead.proposal_id,
        lead.phone,
    )


def source_name(source: str, t: Translator) -> str:
    return t._(SOURCE_NAMES[source]) if source in SOURCE_NAMES else source


def overdue(view: LeadView, today: date) -> bool:
    return is_overdue(
        view.received_on, view.outcome, today, (view.check_by - view.received_on).days
    )


def list_label(view: LeadView, t: Translator, today: date) -> str:
    """A lead's button in /leads: name, village, the day received; ⏰ when overdue."""
    village = view.village or t._("village not known")
    label = f"{view.name} · {village} · {t.date(view.received_on)}"
    return ("⏰ " + label) if overdue(view, today) else label


def list_keyboard(views: list[LeadView], t: Translator, today: date) -> Keyboard:
    return tuple((Button(list_label(v, t, today), OPEN.data(lead=v.id)),) for v in views)


def lead_text(view: LeadView, t: Translator, today: date) -> str:
    lines = [
        t._("Lead no. {id}: {name} ({village})").format(
            id=view.id, name=view.name, village=view.village or t._("village not known")
        ),
        t._("From {source}, received {day}").format(
            source=source_name(view.source, t), day=t.date(view.received_on)
        ),
    ]
    if view.id_number:
        lines.append(
            t._("ID number: {id_number}").format(id_number=mask_private(view.id_number)[0])
        )
    if view.phone:
        lines.append(t._("Phone: {phone}").format(phone=view.phone))
    if view.what:
        lines.append(t._("What happened: {what}").format(what=view.what))
    if view.risk_types:
        risks = "、".join(t._(RISK_NAMES[c]) for c in view.risk_types if c in RISK_NAMES)
        lines.append(t._("Risk: {risks}").format(risks=risks))
    if view.amount is not None:
        lines.append(t._("Amount: {amount} yuan").format(amount=t.number(view.amount)))
    due = t._("Check at home by {day}").format(day=t.date(view.check_by))
    if overdue(view, today):
        due += " " + t._("(overdue)")
    lines.append(due)
    if view.outcome is not None:
        outcome = t._(OUTCOME_NAMES[view.outcome])
        if view.reason:
            outcome += f"（{view.reason}）"
        lines.append(
            t._("Outcome: {outcome}, {day}").format(
                outcome=outcome, day=t.date(view.checked_on) if view.checked_on else "—"
            )
        )
        if view.proposal_id:
            lines.append(t._("Proposal no. {id}").format(id=view.proposal_id))
    return "\n".join(lines)


def lead_keyboard(
    view: LeadView, t: Translator, *, can_propose: bool, villages: list[tuple[int, str]]
) -> Keyboard:
    """The outcomes, for an open lead; a lead without a village: its village first (the
    township staff's), or 查无此人."""
    if view.outcome is not None:
        return ()
    lead = view.id
    not_found = Button(t._("No such person"), OUTCOME.data(lead=lead, outcome="not_found"))
    if view.village_id is None:
        rows = [
            tuple(
                Button(name, VILLAGE.data(lead=lead, village=vid))
                for vid, name in villages[i : i + 3]
            )
            for i in range(0, len(villages), 3)
        ]
        return (*rows, (not_found,))
    first = [Button(t._("Already monitored"), OUTCOME.data(lead=lead, outcome="monitored"))]
    if can_propose:
        first.append(Button(t._("Include: propose"), PROPOSE.data(lead=lead)))
    return (
        tuple(first),
        (Button(t._("Not included"), OUTCOME.data(lead=lead, outcome="excluded")), not_found),
    )


def lead_origin(source: str, day: date, t: Translator) -> str:
    """A proposal's origin, in its text and the ledger: the lead's source and day."""
    return t._("From a lead: {source}, {day}").format(
        source=source_name(source, t), day=t.date(day)
    )


VISIT = N_(
    "🔎 Household {number} ({head}) is named by a lead from {source}: {what}. Please visit "
    "them soon and record what you find in the weekly check-in."
)
NEW = N_("🔎 {n} new lead(s) from {source} to check at home by {day}. Send /leads to see them.")
OVERDUE = N_(
    "⏰ Lead no. {id} ({name}, from {source}) was to be checked by {day}. Please visit and "
    "record its outcome: send /leads."
)
NOTICES = {"visit": VISIT, "new": NEW, "overdue": OVERDUE}


def notice_text(payload: LeadNotice, t: Translator) -> str:
    """A lead notice (storage/leads_notices.py: who is told) in the reader's words."""
    return t._(NOTICES[payload.about]).format(
        id=payload.lead,
        n=payload.n,
        name=payload.name,
        number=payload.number,
        head=payload.head,
        what=payload.what or "—",
        source=source_name(payload.source, t),
        day=t.date(date.fromisoformat(payload.day)) if payload.day else "—",
    )
