"""What every job gets: the clock time, a way to run a transaction, and a sender."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")


class Tx(Protocol):
    """Run `work(session)` in one transaction (commit on return, roll back on error)."""

    def __call__(self, work: Callable[[Session], T]) -> Awaitable[T]: ...


class Sender(Protocol):
    """Delivers what a job queued in the outbox: wakes the running bot's worker, or, from the
    command line, sends the due rows once."""

    async def flush(self) -> Any: ...
