"""Every group copy of a red warning, brought up to its current state after a change
(acknowledged, a measure recorded, closed)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from conversations.engine.replies import Edit, Reply
from conversations.engine.services import Services
from conversations.warnings.texts import alert_keyboard, alert_text
from storage.alerts import Alerts, AlertView
from storage.outbox import Outbox


async def refreshed(services: Services, alert_id: int) -> list[Reply]:
    """Edits that bring every group copy of the warning to its current state (best effort:
    a copy deleted or a group lost is no error)."""
    t = services.translations.get()

    def load(session: Session) -> tuple[AlertView | None, list[tuple[int, int, str]]]:
        return Alerts(session).view(alert_id), Outbox(session).sent_for_alert(alert_id)

    view, messages = await services.tx(load)
    if view is None:
        return []
    return [
        Edit(
            alert_text(view, t, services.tz, kind=kind),
            alert_keyboard(view, t),
            message_id=message_id,
            chat_id=chat_id,
            best_effort=True,
        )
        for chat_id, message_id, kind in messages
        if kind != "all_clear"
    ]
