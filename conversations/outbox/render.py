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
from conversations.proposals.texts import proposal_keyboard, proposal_text
from conversations.reports.job_texts import CHART_KINDS, JOB_KINDS, job_chart, render_job
from conversations.tasks.start import record_button
from conversations.warnings.texts import alert_keyboard, alert_text, notice_text, undelivered_text
from monitoring.i18n import Translations
from storage.alerts import Alerts
from storage.outbox import Queued
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
) -> Outgoing | None:
    """None: nothing to send any more (a proposal decided meanwhile, an alert gone)."""
    t = translations.get(row.locale)
    if row.kind == "notice":
        # A notice about a household that needs a measure carries the button to record one.
        record_for = row.payload.get("record_for")
        buttons: Keyboard = ((record_button(int(record_for), t),),) if record_for else ()
        return Outgoing(row.chat_id, notice_text(row.payload, t), buttons)
    if row.kind == "undelivered":
        return Outgoing(row.chat_id, undelivered_text(row.payload, t))
    if row.kind == "proposal":
        proposals = Proposals(session)
        proposal = proposals.view(int(row.payload["proposal_id"]))
        if proposal is None or proposal.status.value != row.payload.get("step"):
            return None  # decided meanwhile: nothing to ask any more
        helpers = proposals.helpers_of_village(proposal.village_id)
        text = proposal_text(
            proposal, t, tz, late=bool(row.payload.get("late")), now=now, notice_days=notice_days
        )
        return Outgoing(row.chat_id, text, proposal_keyboard(proposal, t, helpers))
    if row.kind in JOB_KINDS:
        text, keyboard = render_job(row.kind, row.payload, t)
        if row.kind in CHART_KINDS:
            kind, payload = row.kind, dict(row.payload)
            return Outgoing(row.chat_id, text, (), lambda: job_chart(kind, payload, t), bulk=True)
        return Outgoing(row.chat_id, text, keyboard, bulk=True)
    if row.alert_id is None:
        return None
    view = Alerts(session).view(row.alert_id)
    if view is None:
        return None
    text = alert_text(view, t, tz, kind=row.kind, payload=row.payload)
    if row.kind == "all_clear":
        return Outgoing(row.chat_id, text)
    return Outgoing(row.chat_id, text, alert_keyboard(view, t), alert_id=row.alert_id)
