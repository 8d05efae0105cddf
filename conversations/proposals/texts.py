"""How a proposal and the risk-elimination check read, and their buttons."""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal

from conversations.actions import (
    APPROVE,
    ASSIGN,
    CANCEL_ELIMINATION,
    CONSENT,
    COUNTY,
    ELIMINATE,
    LABOUR,
    OBJECTION,
    POST_NOTICE,
    REFER,
    REJECT,
)
from conversations.engine.replies import Button, Keyboard
from conversations.leads.texts import lead_origin
from conversations.proposals.names import DECISION_NAMES, NOTICE_RISKS, STATUS_NAMES, STEP_NAMES
from conversations.reports.ledger import CATEGORY_NAMES
from conversations.tasks.start import record_button
from conversations.texts import coverage_names, money
from monitoring.elimination import Criterion
from monitoring.i18n import N_, Translator
from monitoring.leads import reported_at
from monitoring.policy import DEFAULT_SUPERVISION_PHONE
from monitoring.proposals import (
    CHAIN_DAYS,
    CONSENT_FIRST,
    NOTICE_DAYS,
    RISK_TYPES,
    Decision,
    Kind,
    Status,
    chain_days,
    consent_asked,
)
from storage.proposal_views import ProposalView

CRITERIA = {
    "stable_income": N_(
        "Income stable above the watch line for {weeks} weeks ({checked} check-ins, {needed} "
        "needed; {below} below the line; lowest {lowest} yuan per person)"
    ),
    "latest_green": N_("The latest check-in was green (guarantees, water and expenditure)"),
    "no_open_red": N_("No red warning is open"),
    "measure_taken": N_("A help measure delivered for each risk ({measures} delivered so far)"),
    "half_year": N_(
        "At least half a year since identification ({days} days, since {identified_on})"
    ),
    "labour": N_("Someone in the household is able to work"),
}


def risk_names(codes: list[str], t: Translator) -> str:
    names = dict(RISK_TYPES)
    return "、".join(t._(names[c]) if c in names else c for c in codes) or "—"


def proposal_text(
    view: ProposalView,
    t: Translator,
    tz: tzinfo,
    *,
    late: bool = False,
    now: datetime | None = None,
    notice_days: int = NOTICE_DAYS,
    phone: str = DEFAULT_SUPERVISION_PHONE,
) -> str:
    """`phone`: the supervision telephone the public notice gives (the policy file's)."""
    lines = []
    if late:
        lines.append(t._("⏰ This step of the proposal is past its deadline."))
    if view.same_head:
        lines.append(
            t._(
                "⚠️ The village already has a monitored household with this head of household: "
                "{numbers}. Please make sure it is not the same household."
            ).format(numbers="、".join(view.same_head))
        )
    title = (
        N_("Risk elimination no. {id}: {village}, {head}")
        if view.kind == Kind.ELIMINATE
        else N_("Proposal no. {id} for monitoring: {village}, {head}")
    )
    number = view.household_number or view.number or t._("not known yet")
    category = (
        t._(CATEGORY_NAMES[view.category]) if view.category in CATEGORY_NAMES else view.category
    )
    lines += [
        t._(title).format(id=view.id, village=view.village_name, head=view.head_name),
        t._("Household number: {number}; members: {members}; category: {category}").format(
            number=number, members=view.members, category=category
        ),
        t._("Risks: {risks}").format(risks=risk_names(view.risk_types, t)),
        t._("Expected income this year: {amount}; someone able to work: {answer}").format(
            amount=money(Decimal(view.expected_income), t),
            answer=t._("yes") if view.has_labour else t._("no"),
        ),
    ]
    if view.note:
        lines.append(t._("Note: {note}").format(note=view.note))
    proposed = t._("Proposed by {name}").format(name=view.proposer_name)
    if now is not None and view.reported_at is not None and view.status.open:
        reported = reported_at(view.reported_at, view.lead_on, tz)
        proposed += t._("; day {days} since the report ({limit} at most)").format(
            days=chain_days(reported, now) + 1, limit=CHAIN_DAYS
        )
    lines.append(proposed)
    if view.lead_source and view.lead_on:
        lines.append(lead_origin(view.lead_source, view.lead_on, t))
    for step, decision, who, at, why in view.decisions:
        line = t._("{step}: {decision} by {who}, {when}").format(
            step=t._(STEP_NAMES.get(step, step)),
            decision=t._(DECISION_NAMES.get(decision, decision)),
            who=who,
            when=t.datetime(at.astimezone(tz)),
        )
        if why and decision in ("reject", "object"):
            line += t._(" (reason: {reason})").format(reason=why)
        elif why and decision == "approve" and step == "county":
            line += t._(" (decision of {decision})").format(decision=why)
        elif why and decision == "assign":
            line += f" → {why}"
        lines.append("• " + line)
    if view.notice_posted_at is not None:
        posted = view.notice_posted_at.astimezone(tz)
        lines.append(
            t._("Public notice posted {posted}; the period ends {ends}.").format(
                posted=t.date(posted.date()),
                ends=t.date((posted + timedelta(days=notice_days)).date()),
            )
        )
    if view.helper_name:
        lines.append(t._("Helper: {name}").format(name=view.helper_name))
    lines.append(t._("Status: {status}").format(status=t._(STATUS_NAMES[view.status])))
    if needs_consent(view):
        lines.append(t._(CONSENT_FIRST))
    if view.status is Status.NOTICE and view.notice_posted_at is None:
        lines += [
            "",
            public_notice_text(
                view,
                t,
                notice_days,
                starts=now.astimezone(tz).date() if now is not None else None,
                phone=phone,
            ),
            "",
            t._("Post this notice in the village (board or group), then press Posted."),
        ]
    return "\n".join(lines)


def public_notice_text(
    view: ProposalView,
    t: Translator,
    notice_days: int,
    *,
    starts: date | None = None,
    phone: str = DEFAULT_SUPERVISION_PHONE,
) -> str:
    """The public notice for the village board or group: head of household, village,
    category and risk in general words; never an ID or phone number of the household, a
    health condition or an income figure. Its period from `starts` (the day it is given out
    to be posted) to the day the township's review may begin (as "Posted" counts it), and the
    supervision telephone where objections may also go."""
    risks = list(
        dict.fromkeys(t._(NOTICE_RISKS.get(r, NOTICE_RISKS["other"])) for r in view.risk_types)
    )
    return "\n".join(
        [
            t._("Public notice"),
            t._(
                N_(
                    "After the village's democratic review, the risk of the household below "
                    "is proposed to be marked eliminated. The notice runs for {days} days. "
                    "Objections: to the village committee."
                )
                if view.kind == Kind.ELIMINATE
                else N_(
                    "After the village's democratic review, the household below is proposed "
                    "for monitoring to prevent a return to poverty. The notice runs for {days} "
                    "days. Objections: to the village committee."
                )
            ).format(days=notice_days),
            t._("Village: {village}; head of household: {head}").format(
                village=view.village_name, head=view.head_name
            ),
            t._("Category: {category}; risk: {risks}").format(
                category=t._(CATEGORY_NAMES[view.category])
                if view.category in CATEGORY_NAMES
                else view.category,
                risks="、".join(risks) or "—",
            ),
            *(
                [
                    t._("Notice period: {starts} to {ends}").format(
                        starts=t.date(starts), ends=t.date(starts + timedelta(days=notice_days))
                    )
                ]
                if starts is not None
                else []
            ),
            t._("Supervision telephone: {phone}").format(phone=phone),
        ]
    )


def needs_consent(view: ProposalView) -> bool:
    """At the village review, a household to take in whose consent is not recorded yet."""
    return consent_asked(Kind(view.kind), view.status) and not any(
        d[1] == Decision.CONSENT for d in view.decisions
    )


def proposal_keyboard(
    view: ProposalView, t: Translator, helpers: list[tuple[int, str]] | None = None
) -> Keyboard:
    """Approve / Reject at the village and township steps; at the notice, Posted, then
    Objection and Go on; at the county, its decision; then a button per helper."""
    if view.status is Status.NOTICE:
        reject = Button(t._("Do not include"), REJECT.data(proposal=view.id, step="notice"))
        if view.notice_posted_at is None:
            return ((Button(t._("Posted"), POST_NOTICE.data(proposal=view.id)), reject),)
        return (
            (
                Button(t._("Record an objection"), OBJECTION.data(proposal=view.id)),
                Button(
                    t._("Notice over: to the township"),
                    APPROVE.data(proposal=view.id, step="notice"),
                ),
            ),
            (reject,),
        )
    if view.status is Status.COUNTY:
        return (
            (
                Button(t._("County approved: record it"), COUNTY.data(proposal=view.id)),
                Button(t._("County rejected"), REJECT.data(proposal=view.id, step="county")),
            ),
        )
    if needs_consent(view):  # first the consent, then the review
        return (
            (Button(t._("Consent signed"), CONSENT.data(proposal=view.id)),),
            (Button(t._("Reject"), REJECT.data(proposal=view.id, step="village")),),
        )
    if view.status in (Status.VILLAGE, Status.TOWNSHIP):
        step = view.status.value
        return (
            (
                Button(t._("Approve"), APPROVE.data(proposal=view.id, step=step)),
                Button(t._("Reject"), REJECT.data(proposal=view.id, step=step)),
            ),
        )
    if view.status is Status.HELPER and helpers is not None:
        return tuple(
            (Button(name, ASSIGN.data(proposal=view.id, helper=pid)),) for pid, name in helpers
        )
    return ()


def criteria_text(number: str, head: str, criteria: list[Criterion], t: Translator) -> str:
    lines = [t._("Risk elimination check for {number} {head}:").format(number=number, head=head)]
    for c in criteria:
        mark = "✅" if c.holds else "❌"
        text = t._(CRITERIA[c.code]).format(**c.numbers) if c.code in CRITERIA else c.code
        if c.code == "labour" and c.numbers.get("known") == "no":
            text += t._(" — not recorded yet")
        if c.code == "measure_taken" and c.numbers.get("uncovered"):
            missing = c.numbers["uncovered"].split(",")
            text += t._(" — no measure yet for: {risks}").format(risks=coverage_names(missing, t))
        lines.append(f"{mark} {text}")
    if all(c.holds for c in criteria):
        lines.append(t._("Every criterion holds."))
    else:
        failed = sum(not c.holds for c in criteria)
        lines.append(
            t.ngettext(
                "{n} criterion does not hold: the risk can not be marked eliminated.",
                "{n} criteria do not hold: the risk can not be marked eliminated.",
                failed,
            ).format(n=failed)
        )
        labour = next((c for c in criteria if c.code == "labour"), None)
        if labour is not None and labour.numbers.get("known") == "yes" and not labour.holds:
            lines.append(
                t._(
                    "No one in the household can work: it stays monitored whatever its "
                    "income; social protection (minimum living allowance, support for the "
                    "extremely poor) is the measure to record."
                )
            )
        lines.append(t._("A special case can be referred to the county, with a reason."))
    return "\n".join(lines)


def criteria_keyboard(household_id: int, criteria: list[Criterion], t: Translator) -> Keyboard:
    rows: list[tuple[Button, ...]] = []
    labour = next((c for c in criteria if c.code == "labour"), None)
    if labour is not None and labour.numbers.get("known") == "no":
        rows.append(
            (
                Button(
                    t._("Record: someone can work"),
                    LABOUR.data(household=household_id, can_work=1),
                ),
                Button(
                    t._("Record: no one can work"),
                    LABOUR.data(household=household_id, can_work=0),
                ),
            )
        )
    if any(c.code == "measure_taken" and not c.holds for c in criteria):
        # no measure delivered yet: the way to one starts here
        rows.append((record_button(household_id, t),))
    if all(c.holds for c in criteria):
        rows.append((Button(t._("Confirm elimination"), ELIMINATE.data(household=household_id)),))
    else:
        rows.append(
            (
                Button(
                    t._("Refer to the county, giving a reason"), REFER.data(household=household_id)
                ),
            )
        )
    rows.append((Button(t._("Cancel"), CANCEL_ELIMINATION.data(household=household_id)),))
    return tuple(rows)
