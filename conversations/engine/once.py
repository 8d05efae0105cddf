"""`tx_once`: a change and the id of the event that caused it, in one transaction, so an event
delivered again after a crash changes nothing the second time."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from conversations.engine.events import Event
from conversations.engine.services import Services
from storage.updates import AlreadyHandled, Updates

T = TypeVar("T")
log = logging.getLogger(__name__)


class Redelivered(Exception):
    """The event's effects were committed before (it came again after a restart)."""


def record(session: Session, event: Event, services: Services) -> None:
    """Record the event in the caller's transaction; Redelivered if it was recorded before."""
    try:
        Updates(session).mark_handled(event.update_id, now=services.now())
    except AlreadyHandled:
        log.info("update %s was handled before a restart", event.update_id)
        raise Redelivered from None


async def tx_once(services: Services, event: Event, work: Callable[[Session], T]) -> T:
    """Run `work` in one transaction that also records the event; Redelivered when an earlier
    transaction already committed this event (then `work` does not run)."""

    def run(session: Session) -> T:
        record(session, event, services)
        return work(session)

    return await services.tx(run)
