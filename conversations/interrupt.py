"""What is common to every conversation in progress: `/cancel` ends whichever is open, and
another command sent in the middle of one gets where it stands instead (except the commands
the command table lets through)."""

from __future__ import annotations

from conversations.engine.replies import Reply
from conversations.engine.router import router_of
from conversations.engine.turn import Turn
from conversations.leads import selfreport
from conversations.people.menu import DURING_CONVERSATION


async def cancel(turn: Turn) -> list[Reply]:
    if turn.person is None:  # someone not on the roster: their self-report, if any
        own = await selfreport.cancel(turn)
        if own is not None:
            return own
    return await router_of(turn.services).cancel(turn)


async def command_during(turn: Turn) -> list[Reply] | None:
    """None: the command goes ahead."""
    if turn.person is None or turn.event.command in DURING_CONVERSATION:
        return None
    return await router_of(turn.services).busy(turn)
