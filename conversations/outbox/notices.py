"""Private notices to the township staff that are not answers to anything: a group the bot
lost."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from monitoring.i18n import N_
from monitoring.shapes import mask_private
from storage.bindings import Bindings
from storage.outbox import Outbox


def tell_staff_group_lost(
    session: Session,
    township_id: int,
    binding_id: int,
    target: str,
    title: str | None,
    now: datetime,
) -> None:
    """Queue a private notice to each registered township staff member."""
    outbox = Outbox(session)
    for person in Bindings(session).township_staff(township_id):
        assert person.platform_user_id is not None
        outbox.enqueue(
            key=f"lost:{binding_id}:{person.id}",
            kind="notice",
            chat_id=person.platform_user_id,
            now=now,
            payload={
                "text": N_(
                    "The bot can no longer post in the group “{title}” ({target}): it "
                    "was removed, blocked or lost the right to send messages. Until the bot "
                    "is back with that right and someone sends /bind there, its red "
                    "warnings go to the township group (or to you privately)."
                ),
                "params": {"title": mask_private(title or "?")[0], "target": target},
            },
        )
