"""Acting on a red warning: Acknowledge and Record measure (its buttons, on the warning in the
groups), and /resolve to close it when the risk is eliminated. Every copy of the warning is
brought up to date after a change."""

from __future__ import annotations

import asyncio

from sqlalchemy.orm import Session

from conversations.actions import ACKNOWLEDGE, RECORD_MEASURE
from conversations.engine.replies import Reply, Say, Toast
from conversations.engine.services import PersonView
from conversations.engine.turn import Turn
from conversations.warnings.copies import refreshed
from conversations.warnings.measures import kind_question
from conversations.warnings.texts import WARNING_KINDS
from monitoring.i18n import N_, Translator
from monitoring.people import Role
from storage.alerts import Alerts
from storage.drafts import Drafts
from storage.measures import FLOW as MEASURE
from storage.measures import Measures
from storage.models import Person
from storage.outbox import Outbox
from storage.platform_ids import Platform

# A person not linked yet (they never wrote to the bot) may well be the village head: they
# are told how to link, not that they have no right. How depends on the platform.
# A press on a warning that has just arrived: its copy is marked sent within a second
# (bot/outbox.py writes marks in batches); wait up to MARK_WAITS x MARK_WAIT for it.
MARK_WAITS, MARK_WAIT = 4, 0.5
NOT_LINKED = {
    Platform.TELEGRAM: N_(
        "I do not know you yet: send me /start in a private chat and share your phone "
        "number, then press the button again."
    ),
    Platform.DINGTALK: N_(
        "I do not know you yet: send me any message in a private chat (I find you by your "
        "DingTalk mobile number), then press the button again."
    ),
}


def not_linked(t: Translator, user_id: int | None) -> str:
    return t._(NOT_LINKED[Platform.of(user_id or 0)])


def _person(session: Session, view: PersonView | None) -> Person | None:
    return session.get(Person, view.id) if view else None


async def warning_pressed(turn: Turn) -> list[Reply]:
    t, event, services = turn.t, turn.event, turn.services
    ack, measure = ACKNOWLEDGE.read(event.button), RECORD_MEASURE.read(event.button)
    chosen = ack or measure
    if chosen is None or not chosen["alert"].isdigit():
        return [Toast(t._("This button is no longer valid."))]
    alert_id = int(chosen["alert"])
    here = (event.chat_id, event.message_id)

    def on_the_warning(session: Session) -> bool | None:
        """Pressed on a message that shows this warning (data can be forged on any); None:
        not known yet, a copy to this chat is sent and not marked (within a second)."""
        outbox = Outbox(session)
        if any(
            (chat, message_id) == here and kind in WARNING_KINDS
            for chat, message_id, kind in outbox.sent_for_alert(alert_id)
        ):
            return True
        return None if outbox.being_sent(alert_id, event.chat_id) else False

    shown = await services.tx(on_the_warning)
    for _ in range(MARK_WAITS):  # pressed the moment it arrived: wait for its mark
        if shown is not None:
            break
        await asyncio.sleep(MARK_WAIT)
        shown = await services.tx(on_the_warning)
    if not shown:
        return [Toast(t._("This button is no longer valid."))]
    if ack is not None:
        return await _acknowledge(turn, alert_id)
    return await _start_measure(turn, alert_id)


async def _acknowledge(turn: Turn, alert_id: int) -> list[Reply]:
    t, services, viewer = turn.t, turn.services, turn.person
    now = services.now()

    def ack(session: Session) -> str:
        alerts = Alerts(session)
        alert = alerts.get(alert_id)
        person = _person(session, viewer)
        if alert is None or alert.status != "open":
            return "closed"
        if person is None or not alerts.may_act(alert, person):
            return "refused"
        return "done" if alerts.acknowledge(alert, person, now=now) else "already"

    outcome = await services.tx(ack)
    if outcome == "refused" and viewer is None:
        return [Toast(not_linked(t, turn.event.user_id))]
    if outcome == "refused":
        return [
            Toast(
                t._(
                    "Not allowed: only the village head of this village or "
                    "township staff can acknowledge."
                )
            )
        ]
    if outcome == "closed":
        return [Toast(t._("This warning is closed."))]
    if outcome == "already":
        return [Toast(t._("Already acknowledged."))]
    return [Toast(t._("Acknowledged.")), *await refreshed(services, alert_id)]


async def _start_measure(turn: Turn, alert_id: int) -> list[Reply]:
    t, services, viewer, event = turn.t, turn.services, turn.person, turn.event
    now = services.now()

    def start(session: Session) -> list[str] | str | None:
        alerts = Alerts(session)
        alert = alerts.get(alert_id)
        person = _person(session, viewer)
        if alert is None or person is None or not alerts.may_record_measure(alert, person):
            return None
        open_now = Drafts(session).get(person.id)
        if open_now is not None and open_now.flow != MEASURE:
            return "busy"  # one conversation at a time: the open one is not replaced
        Measures(session).start_draft(person.id, alert.household_id, alert.id, now=now)
        return list(alert.red_codes or [])

    codes = await services.tx(start)
    if codes == "busy":
        return [
            Toast(
                t._(
                    "You are in the middle of something else in our private chat (a "
                    "check-in, a proposal…). Finish it or send /cancel there, then press "
                    "again."
                )
            )
        ]
    if viewer is None:
        return [Toast(not_linked(t, event.user_id))]
    if not isinstance(codes, list) or event.user_id is None:
        return [
            Toast(
                t._(
                    "Not allowed: only the village head, township staff or "
                    "the household's helper can record a measure."
                )
            )
        ]
    # The conversation goes on privately, in the person's own language.
    question, keyboard = kind_question(codes, turn.own)
    return [
        Say(
            question,
            keyboard,
            chat_id=event.user_id,
            if_refused=Toast(
                t._(
                    "Please open a private chat with me first (send me "
                    "/start), then press the button again."
                )
            ),
        ),
        Toast(t._("I have sent you a private message to record the measure.")),
    ]


async def resolve(turn: Turn) -> list[Reply]:
    """/resolve <household number>: township staff close the warning, risk eliminated."""
    person, t, services = turn.person, turn.t, turn.services
    if person is None or person.role is not Role.TOWNSHIP_STAFF:
        return [Say(t._("Only township staff can resolve a red warning."))]
    number = " ".join(turn.event.args).strip()
    if not number:
        return [Say(t._("Send /resolve followed by the household number, e.g. /resolve LX01001."))]
    now = services.now()

    def close(session: Session) -> tuple[str, int | None]:
        alerts = Alerts(session)
        household, alert = alerts.open_for_number(number)
        if household is None or household.village.township_id != person.township_id:
            # one answer for both: another township's numbers are not confirmed either
            return "unknown", None
        if alert is None:
            return "none", None
        by = session.get(Person, person.id)
        assert by is not None
        if not alerts.may_act(alert, by):
            return "refused", None
        alerts.close(alert, by=by, reason="eliminated", now=now, actor=f"person:{by.id}")
        return "closed", alert.id

    outcome, alert_id = await services.tx(close)
    if outcome == "unknown":
        return [Say(t._("There is no household {number} in your township.").format(number=number))]
    if outcome == "none":
        return [Say(t._("Household {number} has no open red warning.").format(number=number))]
    if outcome == "refused":  # staff of the township always may; kept for safety
        return [Say(t._("Only township staff can resolve a red warning."))]
    assert alert_id is not None
    services.wake_outbox()
    return [
        *await refreshed(services, alert_id),
        Say(
            t._(
                "The red warning for household {number} is closed; the groups get an all-clear."
            ).format(number=number)
        ),
    ]
