"""Which flow answers an event: the one table of commands and buttons, and, for a platform
adapter without a handler chain of its own (DingTalk), `dispatch` walking it in the order
the Telegram adapter's handlers are tried (platforms/telegram/app.py builds them from the
same table):

1. a button pressed in a chat it does not belong in is refused (`conversations/buttons`);
2. a private command while a conversation is open gets where that conversation stands;
3. commands, in the chats `conversations/menu` allows them in; buttons by their data;
4. a private message that is no command: the open conversation's answer (the router);
5. what nobody took: a stale button, an unknown private command, a command in the wrong
   kind of chat."""

from __future__ import annotations

from conversations import (
    export,
    groups,
    households,
    interrupt,
    language,
    registration,
    summary,
    warnings,
)
from conversations.buttons import KNOWN_PREFIXES, allowed_here
from conversations.checkin.start import checkin, household_pressed, picker_page_pressed
from conversations.engine.events import ChatKind, Event
from conversations.engine.replies import Reply, Say, Toast
from conversations.engine.services import Services
from conversations.engine.turn import Flow, Turn, turn_of
from conversations.help import help_flow
from conversations.menu import COMMANDS, GROUP_ONLY, PRIVATE_ONLY, Chats
from conversations.mine import mine, mine_page_pressed
from conversations.proposals import decide, eliminate, propose
from conversations.registry import ROUTER

# command -> its flow, in the order the handlers are tried
COMMAND_FLOWS: tuple[tuple[str, Flow], ...] = (
    ("start", registration.start),
    ("help", help_flow),
    ("language", language.language),
    ("checkin", checkin),
    ("cancel", interrupt.cancel),
    ("bind", groups.bind),
    ("unbind", groups.unbind),
    ("resolve", warnings.resolve),
    ("history", households.history),
    ("summary", summary.summary),
    ("mine", mine),
    ("export", export.export),
    ("propose", propose.propose),
    ("proposals", decide.proposals),
    ("eliminate", eliminate.eliminate),
    ("reinstate", eliminate.reinstate),
)
# the data's start (before a ":") -> its flow; the conversations' own buttons go to the
# router (registered after these, so "ci:hh" is the household list's, "ci:a" the router's)
BUTTON_FLOWS: tuple[tuple[str, Flow], ...] = (
    ("lg", language.language_pressed),
    ("ci:hh", household_pressed),
    ("ci:pg", picker_page_pressed),
    ("gb", groups.bind_pressed),
    ("al", warnings.warning_pressed),
    ("mn", mine_page_pressed),
    ("pd", decide.decision_pressed),
    ("el", eliminate.elimination_pressed),
)
FLOW_OF = dict(COMMAND_FLOWS)
CHATS = {c.name: c.chats for c in COMMANDS}
STALE = "This button is no longer valid."


def _in_right_chat(command: str, kind: ChatKind) -> bool:
    chats = CHATS.get(command, Chats.BOTH)
    if chats is Chats.PRIVATE:
        return kind is ChatKind.PRIVATE
    if chats is Chats.GROUP:
        return kind is ChatKind.GROUP
    return True


async def dispatch(
    event: Event, services: Services, on_message: frozenset[str] | None = None
) -> list[Reply]:
    """The replies to `event`. `on_message`: the prefixes of the buttons of the message a
    button was pressed on (None: the message is gone)."""
    return await dispatch_turn(await turn_of(event, services), on_message)


async def dispatch_turn(turn: Turn, on_message: frozenset[str] | None = None) -> list[Reply]:
    """`dispatch` for an event whose person the adapter has looked up already."""
    event, services, t = turn.event, turn.services, turn.t
    if event.button is not None:
        allowed = allowed_here(
            event.button, event.chat_kind, event.chat_id, event.user_id or 0, on_message
        )
        if not allowed:
            return [Toast(t._(STALE))]
        for prefix, flow in BUTTON_FLOWS:
            if event.button.startswith(prefix + ":"):
                return await flow(turn)
        if event.button.split(":", 1)[0] in ROUTER.prefixes:
            return await ROUTER.answer(event, services)
        return [Toast(t._(STALE))]
    if event.contact is not None and event.chat_kind is ChatKind.PRIVATE:
        return await registration.contact(turn)
    command = event.command
    if command is None:
        if event.chat_kind is ChatKind.PRIVATE:
            return await ROUTER.answer(event, services)
        return []  # group talk that is no command: not for the bot
    if event.chat_kind is ChatKind.PRIVATE:
        busy = await interrupt.command_during(turn)
        if busy is not None:
            return busy
    if command in FLOW_OF and _in_right_chat(command, event.chat_kind):
        return await FLOW_OF[command](turn)
    if command in PRIVATE_ONLY and event.chat_kind is ChatKind.GROUP:
        where = t._("Please send /{command} in your private chat with me.")
        return [Say(where.format(command=command))]
    if command in GROUP_ONLY and event.chat_kind is ChatKind.PRIVATE:
        return [Say(t._("Send /{command} in the group itself.").format(command=command))]
    if event.chat_kind is ChatKind.PRIVATE:
        return [Say(t._("I do not know that command. Send /help to see what you can do."))]
    return []


__all__ = ["BUTTON_FLOWS", "COMMAND_FLOWS", "KNOWN_PREFIXES", "dispatch"]
