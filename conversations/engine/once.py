"""Handled once: a change and the id of the event that caused it, in one transaction, so an
event delivered again after a crash changes nothing the second time.

The id is inserted without a look first; an event delivered again fails its transaction on
the key, and `handled_before` tells that apart from any other integrity error."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from conversations.engine.events import Event
from conversations.engine.services import Services
from storage.updates import Updates

T = TypeVar("T")
log = logging.getLogger(__name__)


class Redelivered(Exception):
    """The event's effects were committed before (it came again after a restart)."""


def record(session: Session, event: Event, services: Services) -> None:
    """Record the event in the caller's transaction (see the module's docstring)."""
    Updates(session).record(event.update_id, now=services.now())


async def handled_before(services: Services, event: Event) -> bool:
    """After an IntegrityError: whether it was this event's id, recorded before a restart."""
    if not await services.tx(lambda s: Updates(s).was_handled(event.update_id)):
        return False
    log.info("update %s was handled before a restart", event.update_id)
    return True


async def tx_once(services: Services, event: Event, work: Callable[[Session], T]) -> T:
    """Run `work` in one transaction that also records the event; Redelivered when an earlier
    transaction already committed this event (then nothing of `work` is kept)."""

    def run(session: Session) -> T:
        record(session, event, services)
        return work(session)

    try:
        return await services.tx(run)
    except IntegrityError:
        if await handled_before(services, event):
            raise Redelivered from None
        raise
