"""What happens to a message a platform refuses for good: never silence.

- The platform says the bot can not write there (Telegram: a 403, or a 400 such as "chat not
  found"; DingTalk: the robot removed from the group): a group's binding is marked broken and
  the township staff are told privately once (`tell_staff_group_lost`); a person is marked
  unreachable and listed for the township by the missed-visits job.
- Any other permanent refusal (a 400, a chart that can not be drawn): the row is marked failed
  with the reason and each registered staff member of the township is told privately, once per
  message, what could not be delivered and where. `/summary` counts these.
- A red warning (or its update or reminder) whose copy could not reach the village group is
  posted to the township group with a line saying so; when the township group is the one
  that failed, or there is none, the staff are told privately. A warning never exists only in
  the database.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from conversations.outbox.notices import tell_staff_group_lost
from conversations.warnings.texts import GROUP_WARNING_KINDS  # their loss: a warning unseen
from monitoring.shapes import mask_private
from storage.bindings import BROKEN, Bindings
from storage.models import Alert, Household, OutboxMessage, Village
from storage.outbox import Outbox
from storage.platform_ids import Platform
from storage.repositories import People
from storage.schedule import Schedule

log = logging.getLogger(__name__)


def township_of(session: Session, row: OutboxMessage) -> int | None:
    """The township a message belongs to: its group's, its alert's, or its reader's."""
    binding = Bindings(session).of_chat(row.chat_id)
    if binding is not None:
        return binding.township_id
    if row.alert_id is not None:
        alert = session.get(Alert, row.alert_id)
        household = session.get(Household, alert.household_id) if alert else None
        village = session.get(Village, household.village_id) if household else None
        if village is not None:
            return village.township_id
    person = People(session).by_user_id(row.chat_id) if row.chat_id > 0 else None
    return person.township_id if person else None


def lost_chat(session: Session, row_id: int, error: str, now: datetime) -> None:
    """The bot can not write in the row's chat (the platform said so)."""
    outbox = Outbox(session)
    row = outbox.get(row_id)
    assert row is not None
    outbox.failed(row_id, error)
    if row.chat_id > 0:  # a person blocked the bot: listed for the township
        Schedule(session).mark_unreachable(row.chat_id, now=now)
        return
    bindings = Bindings(session)
    binding = bindings.of_chat(row.chat_id)
    if binding is not None and binding.status != BROKEN:
        bindings.end(binding, status=BROKEN, now=now, actor=Platform.of(row.chat_id).value)
        tell_staff_group_lost(
            session,
            binding.township_id,
            binding.id,
            bindings.describe(binding),
            binding.title,
            now,
        )
    if row.kind in GROUP_WARNING_KINDS:
        township_id = township_of(session, row)
        if not _save_the_warning(session, row, township_id, now):
            _tell_staff(session, row, township_id, error, now)


def undeliverable(session: Session, row_id: int, error: str, now: datetime) -> None:
    """The platform refused the message for good, for another reason (module docstring)."""
    outbox = Outbox(session)
    row = outbox.get(row_id)
    assert row is not None
    outbox.failed(row_id, error)
    log.error("outbox %s (%s to chat %s) not delivered: %s", row.id, row.kind, row.chat_id, error)
    if row.kind == "undelivered":  # a notice about a failure: no notice about the notice
        return
    township_id = township_of(session, row)
    if row.kind in GROUP_WARNING_KINDS and _save_the_warning(session, row, township_id, now):
        return
    _tell_staff(session, row, township_id, error, now)


def _save_the_warning(
    session: Session, row: OutboxMessage, township_id: int | None, now: datetime
) -> bool:
    """Post the warning to the township group instead; False when that is the chat that
    failed or there is none (then the staff are told privately)."""
    if township_id is None:
        return False
    group = Bindings(session).active_for(township_id, None)
    if group is None or group.chat_id == row.chat_id or row.payload.get("village_group_failed"):
        return False
    Outbox(session).enqueue(
        key=f"fallback:{row.id}:{group.chat_id}",
        kind=row.kind,
        chat_id=group.chat_id,
        alert_id=row.alert_id,
        payload={**row.payload, "village_group_failed": True, "no_village_group": False},
        now=now,
    )
    return True


def _tell_staff(
    session: Session, row: OutboxMessage, township_id: int | None, error: str, now: datetime
) -> None:
    if township_id is None:
        log.error("outbox %s: no township to tell of the failure", row.id)
        return
    payload = describe(session, row, error)
    outbox = Outbox(session)
    told = 0
    for person in Bindings(session).township_staff(township_id):
        assert person.platform_user_id is not None
        if person.platform_user_id == row.chat_id:
            continue  # the failed chat is theirs: it would fail again
        told += outbox.enqueue(
            key=f"undelivered:{row.id}:{person.id}",
            kind="undelivered",
            chat_id=person.platform_user_id,
            payload=payload,
            now=now,
        )
    if not told:
        log.error("outbox %s: no registered township staff to tell of the failure", row.id)


def describe(session: Session, row: OutboxMessage, error: str) -> dict[str, Any]:
    """What the staff are told: what the message was, where it was going, why it failed."""
    payload: dict[str, Any] = {"row": row.id, "kind": row.kind, "error": error[:200]}
    if row.alert_id is not None:
        alert = session.get(Alert, row.alert_id)
        household = session.get(Household, alert.household_id) if alert else None
        if household is not None:
            payload["household"] = household.number
    bindings = Bindings(session)
    binding = bindings.of_chat(row.chat_id)
    if binding is not None:
        title = mask_private(binding.title or "?")[0]  # a group's name as a village's
        payload["group"] = f"{title} ({bindings.describe(binding)})"
    elif row.chat_id > 0:
        person = People(session).by_user_id(row.chat_id)
        payload["person"] = person.name if person else str(row.chat_id)
    else:
        payload["group"] = str(row.chat_id)
    return payload
