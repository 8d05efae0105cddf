"""What an outbox row says, in neutral words (text, buttons, a chart to draw), for whichever
platform delivers it: red warnings and their updates, all-clears, notices, proposals waiting
for a decision, the jobs' messages. A private chat's row is in its person's language
(/language); a group's in the township's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from conversations.engine.replies import Keyboard
from conversations.leads.texts import notice_text as lead_notice_text
from conversations.proposals.texts import proposal_keyboard, proposal_text
from conversations.reports.job_texts import CHART_KINDS, JOB_KINDS, job_chart, render_job
from conversations.tasks.start import record_button
from conversations.warnings.texts import alert_keyboard, alert_text, notice_text, undelivered_text
from monitoring.i18n import Translations
from monitoring.policy import DEFAULT_SUPERVISION_PHONE
from storage.alerts import Alerts
from storage.outbox import Queued
from storage.payloads import (
    AlertCopy,
    AlertDetail,
    LeadNotice,
    Notice,
    ProposalStep,
    Undelivered,
    WeeklySummary,
)
from storage.proposals import Proposals


@dataclass(frozen=True)
class Outgoing:
    chat_id: int
    text: str
    keyboard: Keyboard = ()
    chart: Callable[[], bytes] | None = None  # drawn outside the transaction, then sent
    alert_id: int | None = None  # a message showing an alert's state
    bulk: bool = False  # a job's message: sent after the replies and warnings waiting


def render(
    session: Session,
    row: Queued,
    translations: Translations,
    tz: ZoneInfo,
    now: datetime,
    notice_days: int,
    phone: str = DEFAULT_SUPERVISION_PHONE,
) -> Outgoing | None:
    """None: nothing to send any more (a proposal decided meanwhile, an alert gone)."""
    t = translations.get(row.locale)
    payload = row.payload
    if isinstance(payload, Notice):
        # A notice about a household that needs a measure carries the button to record one.
        record_for = payload.record_for
        buttons: Keyboard = ((record_button(record_for, t),),) if record_for else ()
        return Outgoing(row.chat_id, notice_text(payload, t), buttons)
    if isinstance(payload, LeadNotice):
        return Outgoing(row.chat_id, lead_notice_text(payload, t))
    if isinstance(payload, Undelivered):
        return Outgoing(row.chat_id, undelivered_text(payload, t))
    if isinstance(payload, ProposalStep):
        proposals = Proposals(session)
        proposal = proposals.view(payload.proposal_id)
        if proposal is None or proposal.status.value != payload.step:
            return None  # decided meanwhile: nothing to ask any more
        helpers = proposals.helpers_of_village(proposal.village_id)
        text = proposal_text(
            proposal, t, tz, late=payload.late, now=now, notice_days=notice_days, phone=phone
        )
        return Outgoing(row.chat_id, text, proposal_keyboard(proposal, t, helpers))
    if isinstance(payload, WeeklySummary) and row.kind in CHART_KINDS:
        text, _ = render_job(row.kind, payload, t)
        return Outgoing(row.chat_id, text, (), lambda: job_chart(payload, t), bulk=True)
    if row.kind in JOB_KINDS:
        text, keyboard = render_job(row.kind, payload, t)
        return Outgoing(row.chat_id, text, keyboard, bulk=True)
    if row.alert_id is None or not isinstance(payload, AlertCopy | AlertDetail):
        return None
    view = Alerts(session).view(row.alert_id)
    if view is None:
        return None
    text = alert_text(view, t, tz, kind=row.kind, payload=payload)
    if row.kind == "all_clear":
        return Outgoing(row.chat_id, text)
    return Outgoing(row.chat_id, text, alert_keyboard(view, t), alert_id=row.alert_id)
